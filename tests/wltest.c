/* wltest.c: what the workload tests share (see wltest.h), part of the test
 * helper library every test binary links. */
#include "wltest.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/modes/mode.h"
#include "bench/util.h"

void wlt_init(struct wlt *t, const char *name, const char *size, ...)
{
	const struct workload *wl = workload_find(name);
	char err[256] = "";
	va_list ap;

	memset(t, 0, sizeof *t);
	ck_assert_msg(wl != NULL, "workload %s is not registered", name);
	t->wi.wl = wl;
	t->wi.opt_values = t->vals;
	ck_assert_msg(wl->parse_size(size, &t->wi.size, err, sizeof err), "--size %s: %s", size,
		      err);
	va_start(ap, size);
	for (const char *o = va_arg(ap, const char *); o; o = va_arg(ap, const char *)) {
		const char *v = va_arg(ap, const char *);
		size_t i;

		for (i = 0; wl->options && wl->options[i].name; i++)
			if (strcmp(wl->options[i].name, o) == 0)
				break;
		ck_assert_msg(wl->options && wl->options[i].name, "%s has no option --%s", name, o);
		ck_assert(i < WLT_MAX_OPTS);
		if (wl->options[i].check)
			ck_assert_msg(wl->options[i].check(v, err, sizeof err), "--%s %s: %s", o, v,
				      err);
		t->vals[i] = v;
	}
	va_end(ap);
}

int wlt_try_setup(struct wlt *t, char *err, size_t errlen)
{
	int rc = t->wi.wl->setup ? t->wi.wl->setup(&t->wi, err, errlen) : 0;

	t->set_up = rc == 0;
	return rc;
}

void wlt_setup(struct wlt *t)
{
	char err[256] = "";
	int rc = wlt_try_setup(t, err, sizeof err);

	ck_assert_msg(rc == 0, "%s setup: %d %s", t->wi.wl->name, rc, err);
}

void wlt_teardown(struct wlt *t)
{
	if (t->set_up && t->wi.wl->teardown)
		t->wi.wl->teardown(&t->wi);
	t->set_up = false;
}

void wlt_prepare(struct wlt *t)
{
	char err[256] = "";

	if (t->wi.wl->prepare)
		ck_assert_msg(t->wi.wl->prepare(&t->wi, err, sizeof err) == 0, "prepare: %s", err);
}

int wlt_task(const struct wlt *t, uint64_t index, struct task_result *r)
{
	struct task_arg arg = { &t->wi, index };

	return workload_run_task(&arg, sizeof arg, r);
}

const char *wlt_msg(const struct task_result *r, char *buf, size_t len)
{
	size_t n = r->len < len - 1 ? r->len : len - 1;

	memcpy(buf, task_result_data(r), n);
	buf[n] = '\0';
	return buf;
}

/* Checks status and verify for each of tasks results, then verify_batch. */
static void check_all(struct wlt *t, uint64_t tasks, const int *status,
		      const struct task_result *res)
{
	char err[512];

	for (uint64_t i = 0; i < tasks; i++) {
		ck_assert_msg(status[i] == 0, "%s task %" PRIu64 " failed (%d): %s",
			      t->wi.wl->name, i, status[i], wlt_msg(&res[i], err, sizeof err));
		err[0] = '\0';
		ck_assert_msg(t->wi.wl->verify(&t->wi, i, &res[i], err, sizeof err),
			      "%s verify: %s", t->wi.wl->name, err);
	}
	err[0] = '\0';
	if (t->wi.wl->verify_batch)
		ck_assert_msg(t->wi.wl->verify_batch(&t->wi, tasks, err, sizeof err),
			      "%s verify_batch: %s", t->wi.wl->name, err);
}

static void free_results(uint64_t tasks, int *status, struct task_result *res)
{
	for (uint64_t i = 0; i < tasks; i++)
		task_result_release(&res[i]);
	free(res);
	free(status);
}

void wlt_run_serial(struct wlt *t, uint64_t tasks)
{
	int *status = xcalloc(tasks, sizeof *status);
	struct task_result *res = xcalloc(tasks, sizeof *res);

	wlt_prepare(t);
	for (uint64_t i = 0; i < tasks; i++)
		status[i] = wlt_task(t, i, &res[i]);
	check_all(t, tasks, status, res);
	free_results(tasks, status, res);
}

/* What the threads of wlt_run_threads share. */
struct threads {
	const struct wlt *t;
	uint64_t tasks;
	_Atomic uint64_t next;
	int *status;
	struct task_result *res;
	pthread_barrier_t gate;      /* all threads start their tasks together */
};

static void *thread_main(void *p)
{
	struct threads *w = p;

	pthread_barrier_wait(&w->gate);
	for (;;) {
		uint64_t i = atomic_fetch_add(&w->next, 1);
		if (i >= w->tasks)
			return NULL;
		w->status[i] = wlt_task(w->t, i, &w->res[i]);
	}
}

void wlt_run_threads(struct wlt *t, uint64_t tasks, unsigned nthreads)
{
	struct threads w = { .t = t, .tasks = tasks, .status = xcalloc(tasks, sizeof(int)),
			     .res = xcalloc(tasks, sizeof(struct task_result)) };
	pthread_t *th = xcalloc(nthreads, sizeof *th);

	wlt_prepare(t);
	pthread_barrier_init(&w.gate, NULL, nthreads);
	for (unsigned k = 0; k < nthreads; k++)
		ck_assert_int_eq(pthread_create(&th[k], NULL, thread_main, &w), 0);
	for (unsigned k = 0; k < nthreads; k++)
		pthread_join(th[k], NULL);
	pthread_barrier_destroy(&w.gate);
	free(th);
	check_all(t, tasks, w.status, w.res);
	free_results(tasks, w.status, w.res);
}

/* A result as a forked child sends it up its pipe. */
struct frame {
	uint64_t index;
	int64_t status;
	uint64_t len;
};

void wlt_run_forked(struct wlt *t, uint64_t tasks, unsigned nchildren)
{
	int *status = xcalloc(tasks, sizeof *status);
	struct task_result *res = xcalloc(tasks, sizeof *res);
	struct pollfd *pfd = xcalloc(nchildren, sizeof *pfd);
	pid_t *pid = xcalloc(nchildren, sizeof *pid);
	char **buf = xcalloc(nchildren, sizeof *buf);
	size_t *len = xcalloc(nchildren, sizeof *len), *cap = xcalloc(nchildren, sizeof *cap);
	unsigned open_fds = nchildren;
	int gate[2];

	wlt_prepare(t);
	ck_assert_int_eq(pipe(gate), 0);
	for (unsigned c = 0; c < nchildren; c++) {
		int p[2];

		ck_assert_int_eq(pipe(p), 0);
		pid[c] = fork();
		ck_assert_msg(pid[c] >= 0, "fork: %s", strerror(errno));
		if (pid[c] == 0) {
			char go;

			close(p[0]);
			close(gate[1]);
			if (read(gate[0], &go, 1) != 0)
				_exit(4);
			for (uint64_t i = c; i < tasks; i += nchildren) {
				struct task_result r = TASK_RESULT_INIT;
				struct frame f = { i, 0, 0 };

				f.status = wlt_task(t, i, &r);
				f.len = r.len;
				if (write_full(p[1], &f, sizeof f) || write_full(p[1], task_result_data(&r), r.len))
					_exit(3);
				task_result_release(&r);
			}
			_exit(0);
		}
		close(p[1]);
		pfd[c].fd = p[0];
		pfd[c].events = POLLIN;
	}
	close(gate[0]);
	close(gate[1]);   /* go: every child's read returns 0 */
	while (open_fds > 0) {
		ck_assert(poll(pfd, nchildren, -1) > 0 || errno == EINTR);
		for (unsigned c = 0; c < nchildren; c++) {
			ssize_t n;

			if (pfd[c].fd < 0 || !pfd[c].revents)
				continue;
			if (cap[c] - len[c] < 65536)
				buf[c] = xrealloc(buf[c], cap[c] = cap[c] * 2 + 65536);
			n = read(pfd[c].fd, buf[c] + len[c], cap[c] - len[c]);
			if (n > 0) {
				len[c] += (size_t)n;
			} else if (n == 0 || errno != EINTR) {
				close(pfd[c].fd);
				pfd[c].fd = -1;
				open_fds--;
			}
		}
	}
	for (unsigned c = 0; c < nchildren; c++) {
		int st;
		size_t off = 0;

		ck_assert_int_eq(waitpid(pid[c], &st, 0), pid[c]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child %u ended with status %#x",
			      c, st);
		while (off < len[c]) {
			struct frame f;

			ck_assert(len[c] - off >= sizeof f);
			memcpy(&f, buf[c] + off, sizeof f);
			off += sizeof f;
			ck_assert(f.index < tasks && len[c] - off >= f.len);
			status[f.index] = (int)f.status;
			task_result_set(&res[f.index], buf[c] + off, (size_t)f.len);
			off += (size_t)f.len;
		}
		free(buf[c]);
	}
	free(buf);
	free(len);
	free(cap);
	free(pfd);
	free(pid);
	check_all(t, tasks, status, res);
	free_results(tasks, status, res);
}

double wlt_counter(const struct wlt *t, const char *name)
{
	struct workload_counter c[16];
	unsigned n;

	ck_assert_msg(t->wi.wl->counters, "%s has no counters", t->wi.wl->name);
	n = t->wi.wl->counters(&t->wi, c, 16);
	for (unsigned i = 0; i < n; i++)
		if (strcmp(c[i].name, name) == 0)
			return c[i].value;
	ck_abort_msg("%s reports no counter %s", t->wi.wl->name, name);
	return 0;
}

bool wlt_check_option(const char *name, const char *opt, const char *text, char *err,
		      size_t errlen)
{
	const struct workload *wl = workload_find(name);

	for (size_t i = 0; wl && wl->options && wl->options[i].name; i++)
		if (strcmp(wl->options[i].name, opt) == 0)
			return !wl->options[i].check || wl->options[i].check(text, err, errlen);
	ck_abort_msg("%s has no option --%s", name, opt);
	return false;
}

void wlt_check_every_mode(struct tvp_cmd *c, const char *path, const char *name)
{
	json_error_t jerr;
	json_t *doc, *results;
	size_t i, n;
	json_t *r;

	ck_assert_msg(c->status == 0, "tvp run --workload %s: exit %d\n%s", name, c->status,
		      c->err);
	doc = json_load_file(path, 0, &jerr);
	ck_assert_msg(doc != NULL, "%s: %s", path, jerr.text);
	results = json_object_get(doc, "results");
	ck_assert(json_is_array(results));
	for (size_t m = 0; m < modes_count; m++) {
		const struct workload *wl = workload_find(name);

		if ((modes[m]->flags & MODE_OWN_PROGRAM) && wl && wl->local_state)
			continue;   /* no such cell (cells_build) */
		n = 0;
		json_array_foreach(results, i, r) {
			if (strcmp(json_string_value(json_object_get(r, "mode")), modes[m]->name) != 0 ||
			    strcmp(json_string_value(json_object_get(r, "workload")), name) != 0)
				continue;
			ck_assert_msg(json_is_true(json_object_get(r, "verified")) &&
				      json_is_null(json_object_get(r, "error")),
				      "%s under %s: not verified: %s", name, modes[m]->name,
				      json_string_value(json_object_get(r, "error")));
			n++;
		}
		ck_assert_msg(n > 0, "%s: no result for mode %s", name, modes[m]->name);
	}
	json_decref(doc);
	unlink(path);
}

char *wlt_json_path(void)
{
	char *p = xstrdup("/tmp/tvp-test-json-XXXXXX");
	int fd = mkstemp(p);

	ck_assert(fd >= 0);
	close(fd);
	return p;
}
