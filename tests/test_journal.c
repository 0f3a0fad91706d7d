/* test_journal.c: the run's journal (bench/run/journal.h, resume.h): the
 * file format and the sample codec, then through build/tvp: a run killed
 * with SIGKILL and finished by --resume, journals that are refused, and the
 * failures a cell suffers alone (a memory limit, a stopped worker, a net
 * server nobody runs, a topology file that is a device). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/kcmp.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/run/journal.h"
#include "bench/util.h"
#include "testutil.h"

/* ---- The file ----------------------------------------------------------- */

static void fill_sample(struct sample *s)
{
	memset(s, 0, sizeof *s);
	s->wall_ns = 123456789;
	s->setup_ns = 42;
	s->ref_ns_per_iter = 0.1 + 0.2;   /* not exact in binary: must come back the same */
	s->pressure_us = NAN;
	s->runq_ns = 1.0 / 3.0;
	s->user_ns = 1e9 / 7;
	s->minor_faults = 17;
	s->max_rss_kb = 2048;
	s->probe_pus = 2;
	s->probe_before = xcalloc(2, sizeof(double));
	s->probe_after = xcalloc(2, sizeof(double));
	s->probe_before[0] = 0.30000000000000004;
	s->probe_before[1] = 0.31;
	s->probe_after[0] = 0.29;
	s->probe_after[1] = NAN;
	s->n_counters = 2;
	s->counters[0] = (struct workload_counter){ "connect_errors", 3 };
	s->counters[1] = (struct workload_counter){ "timeouts", 0.5 };
	s->n_workers = 1;
	s->workers = xcalloc(1, sizeof *s->workers);
	s->workers[0] = (struct worker_stats){ .pid = 77, .tid = 78, .tasks = 9, .busy_ns = 1000,
					       .pinned = 1, .bound = "0-1", .ran_on = "1" };
}

static bool same_double(double a, double b)
{
	return (isnan(a) && isnan(b)) || a == b;
}

START_TEST(samples_come_back_exactly)
{
	char *dir = tvp_tmpdir(), *path = xasprintf("%s/r.journal", dir), err[512];
	struct journal *j;
	struct sample s, back;
	json_t *e, *header = json_pack("{s:s}", "what", "test");

	fill_sample(&s);
	ck_assert_msg(journal_create(&j, path, header, err, sizeof err) == 0, "%s", err);
	json_decref(header);
	e = json_pack("{s:o}", "sample", journal_sample_json(&s));
	ck_assert_int_eq(journal_append(j, e), 0);
	json_decref(e);
	journal_close(j, false);

	ck_assert_msg(journal_open(&j, path, err, sizeof err) == 0, "%s", err);
	ck_assert_str_eq(json_string_value(json_object_get(journal_header(j), "what")), "test");
	ck_assert_uint_eq(journal_entries(j), 1);
	ck_assert_int_eq(journal_sample_read(j, json_object_get(journal_entry(j, 0), "sample"), &back), 0);
	ck_assert_uint_eq(back.wall_ns, s.wall_ns);
	ck_assert_uint_eq(back.setup_ns, s.setup_ns);
	ck_assert(back.ref_ns_per_iter == s.ref_ns_per_iter);
	ck_assert(isnan(back.pressure_us));
	ck_assert(back.runq_ns == s.runq_ns && back.user_ns == s.user_ns);
	ck_assert_int_eq(back.minor_faults, 17);
	ck_assert_uint_eq(back.probe_pus, 2);
	for (unsigned i = 0; i < 2; i++) {
		ck_assert(same_double(back.probe_before[i], s.probe_before[i]));
		ck_assert(same_double(back.probe_after[i], s.probe_after[i]));
	}
	ck_assert_uint_eq(back.n_counters, 2);
	ck_assert_str_eq(back.counters[0].name, "connect_errors");
	ck_assert(back.counters[1].value == 0.5);
	ck_assert_uint_eq(back.n_workers, 1);
	ck_assert_int_eq(back.workers[0].pid, 77);
	ck_assert_str_eq(back.workers[0].bound, "0-1");
	ck_assert_int_eq(back.workers[0].pinned, 1);
	sample_release(&back);
	journal_close(j, true);
	ck_assert(access(path, F_OK) != 0);   /* removed */
	sample_release(&s);
	tvp_rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	ck_assert(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* A crash in the middle of an append leaves part of a line: dropped, and
 * cut off so that appends go on after the last whole entry. */
START_TEST(a_cut_last_line_is_dropped)
{
	char *dir = tvp_tmpdir(), *path = xasprintf("%s/c.journal", dir), err[512];
	struct journal *j;
	json_t *e = json_pack("{s:i}", "n", 3);
	struct stat st;

	write_text(path, "{\"format\":\"" JOURNAL_FORMAT "\"}\n{\"n\":1}\n{\"n\":2}\n{\"n\":");
	ck_assert_msg(journal_open(&j, path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(journal_entries(j), 2);
	ck_assert_int_eq(journal_append(j, e), 0);
	journal_close(j, false);
	ck_assert_msg(journal_open(&j, path, err, sizeof err) == 0, "%s", err);
	ck_assert_uint_eq(journal_entries(j), 3);
	ck_assert_int_eq(json_integer_value(json_object_get(journal_entry(j, 2), "n")), 3);
	journal_close(j, false);
	ck_assert(stat(path, &st) == 0);
	json_decref(e);
	tvp_rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

START_TEST(what_is_not_a_journal_is_refused)
{
	char *dir = tvp_tmpdir(), *path = xasprintf("%s/x.journal", dir), err[512];
	struct journal *j;
	json_t *header = json_object();

	write_text(path, "{\"format\":\"" JOURNAL_FORMAT "\"}\n{\"n\":1\n{\"n\":2}\n");
	ck_assert_int_eq(journal_open(&j, path, err, sizeof err), -EINVAL);
	ck_assert_msg(strstr(err, "line 2"), "%s", err);
	write_text(path, "{\"format\":\"tvp.journal/0\"}\n");
	ck_assert_int_eq(journal_open(&j, path, err, sizeof err), -EINVAL);
	ck_assert_msg(strstr(err, "format"), "%s", err);
	write_text(path, "not json\n");
	ck_assert_int_eq(journal_open(&j, path, err, sizeof err), -EINVAL);
	ck_assert_int_eq(journal_open(&j, "/dev/zero", err, sizeof err), -EINVAL);
	ck_assert_int_eq(journal_create(&j, path, header, err, sizeof err), -EEXIST);
	json_decref(header);
	tvp_rm_rf(dir);
	free(path);
	free(dir);
}
END_TEST

/* ---- Through tvp ---------------------------------------------------------- */

/* A run of a few seconds: 2 cells x 8 rounds of count. */
#define RUN_ARGS(out) "run", "--quiet", "--workload", "count", "--size", "300M", "--mode", "serial,thread-pool", \
	"--workers", "2", "--tasks", "2", "--warmup", "1", "--repeat", "8", "--seed", "5", "--output", out

/* The journal's lines (header included), 0 when there is none. */
static size_t journal_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int ch;

	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

/* The wall_ns of cell index cell's sample of round in doc, or 0. */
static json_int_t doc_wall(const json_t *doc, size_t cell, unsigned round)
{
	const json_t *samples = json_object_get(json_array_get(json_object_get(doc, "results"), cell),
						"samples"), *s;
	size_t i;

	json_array_foreach(samples, i, s)
		if (json_integer_value(json_object_get(s, "round")) == round)
			return json_integer_value(json_object_get(s, "wall_ns"));
	return 0;
}

START_TEST(sigkill_then_resume_finishes_the_run)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/k.json", dir);
	char *jpath = xasprintf("%s/k.journal", dir), err[512];
	const char *args[] = { RUN_ARGS(out), NULL };
	struct journal *j;
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc;
	size_t kept, recorded = 0;
	pid_t pid = tvp_spawn(NULL, args);
	uint64_t t0 = now_ns();
	int st;

	/* Kill it once a few measurements are journaled, well before its end. */
	while (journal_lines(jpath) < 6 && now_ns() - t0 < 60000000000ull)
		sleep_ns(20000000);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(access(out, F_OK) != 0, "the run finished before it was killed");
	ck_assert_msg(journal_open(&j, jpath, err, sizeof err) == 0, "%s", err);
	kept = journal_entries(j);
	ck_assert_uint_ge(kept, 5);

	tvp_run_cli(&c, 120, "run", "--resume", jpath, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert_msg(access(jpath, F_OK) != 0, "the journal is still there");
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", out, jerr.text);
	ck_assert(json_is_false(json_object_get(doc, "interrupted")));
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(doc, "config"), "seed")), 5);
	ck_assert_uint_eq(json_array_size(json_object_get(doc, "results")), 2);
	for (size_t i = 0; i < 2; i++) {
		const json_t *cell = json_array_get(json_object_get(doc, "results"), i);
		ck_assert_uint_eq(json_array_size(json_object_get(cell, "samples")), 8);
	}
	/* What was measured before the kill is in the document as measured. */
	for (size_t i = 0; i < kept; i++) {
		const json_t *e = journal_entry(j, i);
		const json_t *s = json_object_get(e, "sample");

		if (!json_is_true(json_object_get(e, "record")))
			continue;
		recorded++;
		ck_assert_int_eq(doc_wall(doc, (size_t)json_integer_value(json_object_get(e, "cell")),
					  (unsigned)json_integer_value(json_object_get(e, "round"))),
				 json_integer_value(json_object_get(s, "wall_ns")));
	}
	ck_assert_uint_ge(recorded, 3);
	journal_close(j, false);
	json_decref(doc);
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(jpath);
	free(out);
	free(dir);
}
END_TEST

/* Rewrites the journal's header key to value (a JSON text). */
static void edit_header(const char *path, const char *key, const char *value)
{
	FILE *f = fopen(path, "r");
	char line[65536];
	json_t *h, *v = json_loads(value, JSON_DECODE_ANY, NULL);
	char *text;

	ck_assert(f && fgets(line, sizeof line, f));
	fclose(f);
	h = json_loads(line, 0, NULL);
	ck_assert(h && v);
	json_object_set_new(h, key, v);
	text = json_dumps(h, JSON_COMPACT);
	f = fopen(path, "w");
	fprintf(f, "%s\n", text);
	fclose(f);
	free(text);
	json_decref(h);
}

/* A journal left by a killed run of RUN_ARGS in dir; returns its path. */
static char *killed_run(const char *dir)
{
	char *out = xasprintf("%s/k.json", dir), *jpath = xasprintf("%s/k.journal", dir);
	const char *args[] = { RUN_ARGS(out), NULL };
	pid_t pid = tvp_spawn(NULL, args);
	uint64_t t0 = now_ns();

	while (journal_lines(jpath) < 2 && now_ns() - t0 < 60000000000ull)
		sleep_ns(20000000);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	free(out);
	return jpath;
}

START_TEST(foreign_journals_are_refused)
{
	char *dir = tvp_tmpdir(), *jpath = killed_run(dir), *out = xasprintf("%s/k.json", dir);
	const char *args[] = { RUN_ARGS(out), NULL };
	struct tvp_cmd c;

	/* A new run never replaces the journal of one that did not finish. */
	tvp_run_cli(&c, 60, args[0], args[1], args[2], args[3], args[4], args[5], args[6], args[7],
		    args[8], args[9], args[10], args[11], args[12], args[13], args[14], args[15],
		    args[16], args[17], args[18], args[19], NULL);
	ck_assert_msg(c.status == 2 && strstr(c.err, "--resume"), "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 60, "run", "--resume", jpath, "--quick", NULL);
	ck_assert_msg(c.status == 2 && strstr(c.err, "no other option"), "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 60, "run", "--resume", "/nonexistent/j.journal", NULL);
	ck_assert_msg(c.status == 2 && strstr(c.err, "tvp: run: --resume"), "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);

	edit_header(jpath, "fingerprint", "\"0123456789abcdef\"");
	tvp_run_cli(&c, 60, "run", "--resume", jpath, NULL);
	ck_assert_msg(c.status == 2 && strstr(c.err, "plan"), "exit %d: %s", c.status, c.err);
	ck_assert(access(jpath, F_OK) == 0 && access(out, F_OK) != 0);   /* nothing written */
	tvp_cmd_free(&c);
	edit_header(jpath, "tool", "{\"version\": \"0.0\", \"git_revision\": \"old\"}");
	tvp_run_cli(&c, 60, "run", "--resume", jpath, NULL);
	ck_assert_msg(c.status == 2 && strstr(c.err, "tvp 0.0"), "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(out);
	free(jpath);
	free(dir);
}
END_TEST

/* ---- Cells that fail alone ---------------------------------------------- */

/* The cell of doc with this mode (the first), or NULL. */
static const json_t *cell_of(const json_t *doc, const char *mode)
{
	const json_t *c;
	size_t i;

	json_array_foreach(json_object_get(doc, "results"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "mode")), mode) == 0)
			return c;
	return NULL;
}

/* ulimit -v: the cells whose results cannot fit fail with the reason,
 * the document is written, exit 1 (it aborted with 134). */
START_TEST(a_memory_limit_fails_cells_not_the_run)
{
	struct rlimit lim = { 200000 * 1024ull, 200000 * 1024ull };
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc;
	char *dir, *out;

	if (TVP_SAN[0])
		tvp_skip("a sanitizer reserves terabytes of address space: no ulimit -v");
	dir = tvp_tmpdir();
	out = xasprintf("%s/m.json", dir);
	ck_assert(setrlimit(RLIMIT_AS, &lim) == 0);   /* this test's process only */
	tvp_run_cli(&c, 120, "run", "--quick", "--quiet", "--workload", "transfer", "--size", "64M",
		    "--mode", "thread-pool,fork-pool", "--channel", "shm,pipe", "--workers", "2,8",
		    "--tasks", "16", "--repeat", "2", "--output", out, NULL);
	ck_assert_msg(c.status == 1, "exit %d: %s", c.status, c.err);
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", out, jerr.text);
	ck_assert_msg(strstr(json_string_value(json_object_get(cell_of(doc, "fork-pool"), "error")),
			     "memory limit"), "%s", c.err);
	json_decref(doc);
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}
END_TEST

/* Whether processes a and b share one address space (kcmp(2)); false when
 * the kernel cannot tell (no kcmp). */
static bool shares_memory(pid_t a, pid_t b)
{
	return syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0) == 0;
}

/* The children of process pid (its main thread's), into pids; how many.
 * A child sharing pid's memory is not one of the mode's processes but
 * LeakSanitizer's: at exit an ASan build of tvp clones a tracer that
 * ptrace-stops its threads to scan for leaks, and waits for it. Stopping
 * that one hung tvp in its exit handlers (seen in make check and by hand; gdb
 * showed StopTheWorld in sched_yield, the clone in state T). */
static size_t children_of(pid_t pid, pid_t *pids, size_t max)
{
	char *path = xasprintf("/proc/%d/task/%d/children", (int)pid, (int)pid);
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int child;

	free(path);
	if (!f)
		return 0;
	while (n < max && fscanf(f, "%d", &child) == 1)
		if (!shares_memory(pid, (pid_t)child))
			pids[n++] = (pid_t)child;
	fclose(f);
	return n;
}

/* The process modes, and how many children each has while it measures
 * with 2 workers (a fork pool's fork server is one of its three). */
static const struct {
	const char *mode;
	size_t children;
} stoppable[] = { { "fork-pool", 3 }, { "fork-spawn", 2 } };

/* SIGSTOPped workers: named and failed past the watchdog's bound (10 s
 * here), and the run goes on to write its document (it stalled until
 * SIGCONT). Every child is stopped. */
START_TEST(a_stopped_worker_is_named)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/w.json", dir);
	const char *mode = stoppable[_i].mode;
	const char *args[] = { "run", "--quiet", "--workload", "sleep", "--size", "50ms", "--mode",
			       mode, "--workers", "2", "--tasks", "40", "--warmup", "0",
			       "--repeat", "1", "--output", out, NULL };
	pid_t pid = tvp_spawn(NULL, args), kids[16];
	uint64_t t0 = now_ns(), t1;
	size_t n = 0;
	json_error_t jerr;
	json_t *doc;
	const char *error;
	int st;

	/* The serial cell makes no process: children are the mode's. */
	while (children_of(pid, kids, 16) < stoppable[_i].children && now_ns() - t0 < 30000000000ull)
		sleep_ns(20000000);
	sleep_ns(200000000);   /* into execute: the workers have started */
	/* A fork-spawn slot is empty for a moment between one task's child
	 * and the next (under ASan a fork takes milliseconds): look again
	 * rather than skip on a look that fell into that gap. */
	t1 = now_ns();
	while ((n = children_of(pid, kids, 16)) == 0 && now_ns() - t1 < 5000000000ull)
		sleep_ns(1000000);
	if (n == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		tvp_rm_rf(dir);
		free(out);
		free(dir);
		tvp_skip("no fork-pool workers seen in /proc/PID/task/TID/children");
	}
	/* Stop every child seen, again every 100 ms until tvp exits: a
	 * fork-spawn child seen may be ending already (it finished its task),
	 * and the next task's child must be stopped too (once both slots hold
	 * a stopped child, no new one comes). A single look let the run
	 * finish with status 0 once in make check. */
	for (;;) {
		pid_t more[16];
		size_t m = children_of(pid, more, 16);
		pid_t r;

		for (size_t i = 0; i < m; i++) {
			size_t k = 0;

			kill(more[i], SIGSTOP);
			while (k < n && kids[k] != more[i])
				k++;
			if (k == n && n < ARRAY_SIZE(kids))
				kids[n++] = more[i];
		}
		r = waitpid(pid, &st, WNOHANG);
		ck_assert_int_ge(r, 0);
		if (r == pid)
			break;
		ck_assert_msg(now_ns() - t0 < 120000000000ull, "tvp did not end");
		sleep_ns(100000000);
	}
	for (size_t i = 0; i < n; i++)
		kill(kids[i], SIGKILL);   /* already gone, if the pool did its job */
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 1, "status %#x", st);
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", out, jerr.text);
	error = json_string_value(json_object_get(cell_of(doc, mode), "error"));
	ck_assert_msg(error && strstr(error, "made no progress") && strstr(error, "stopped?"), "%s",
		      error ? error : "no error");
	json_decref(doc);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}
END_TEST

/* A net measurement whose requests all fail keeps its counters. */
START_TEST(failed_net_requests_reach_the_json)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/n.json", dir), *url;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc;
	const json_t *counters;

	ck_assert(fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0);
	ck_assert(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	close(fd);   /* nobody listens there now: connect is refused */
	url = xasprintf("http://127.0.0.1:%u/x", ntohs(a.sin_port));
	tvp_run_cli(&c, 60, "run", "--quick", "--quiet", "--workload", "net", "--url", url, "--mode",
		    "serial", "--workers", "1", "--repeat", "1", "--warmup", "0", "--output", out, NULL);
	ck_assert_msg(c.status == 1, "exit %d: %s", c.status, c.err);
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", out, jerr.text);
	counters = json_object_get(json_object_get(cell_of(doc, "serial"), "failed_sample"), "counters");
	ck_assert_msg(json_number_value(json_object_get(counters, "connect_errors")) >= 1, "%s", c.err);
	json_decref(doc);
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(url);
	free(out);
	free(dir);
}
END_TEST

/* Ctrl-C while a Python cell runs: exit 130, "interrupted": true (it was
 * once swallowed: exit 0 and an empty Python cell). The interpreter is a
 * stand-in that answers the probe and then takes its time. */
START_TEST(sigint_in_a_python_cell_ends_the_run)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/p.json", dir), *py = xasprintf("%s/py", dir);
	const char *args[] = { "run", "--quiet", "--python", "--workload", "count", "--mode", "serial",
			       "--workers", "1", "--size", "1M", "--repeat", "1", "--warmup", "0",
			       "--output", out, NULL };
	pid_t pid, kids[4];
	uint64_t t0 = now_ns();
	json_error_t jerr;
	json_t *doc;
	int st;

	write_text(py, "#!/bin/sh\n"
		       "case \"$*\" in *--list-modes*) echo '{\"modes\": []}'; exit 0;; esac\n"
		       "exec sleep 60\n");
	ck_assert(chmod(py, 0755) == 0);
	setenv("TVP_PYTHON", py, 1);
	pid = tvp_spawn(NULL, args);
	/* The C cell makes no process: a child is the stand-in, past its probe. */
	while (now_ns() - t0 < 30000000000ull) {
		char *path;
		char cmd[256] = "";
		FILE *f;

		if (children_of(pid, kids, 4) == 1) {
			path = xasprintf("/proc/%d/cmdline", (int)kids[0]);
			if ((f = fopen(path, "r"))) {
				size_t n = fread(cmd, 1, sizeof cmd - 1, f);
				cmd[n] = '\0';
				fclose(f);
			}
			free(path);
			if (strcmp(cmd, "sleep") == 0)
				break;
		}
		sleep_ns(20000000);
	}
	kill(pid, SIGINT);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 130, "status %#x", st);
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", out, jerr.text);
	ck_assert(json_is_true(json_object_get(doc, "interrupted")));
	json_decref(doc);
	tvp_assert_no_children();
	tvp_rm_rf(dir);
	free(py);
	free(out);
	free(dir);
}
END_TEST

START_TEST(a_topology_file_must_be_a_file)
{
	struct tvp_cmd c;

	setenv("HWLOC_XMLFILE", "/dev/zero", 1);
	tvp_run_cli(&c, 30, "run", "--quick", "--mode", "serial", "--workers", "1", "--output", "/dev/null",
		    NULL);
	ck_assert_msg(c.status == 2 && strstr(c.err, "not a regular file"), "exit %d: %s", c.status,
		      c.err);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "topo", NULL);
	ck_assert_msg(c.status == 2 && strstr(c.err, "HWLOC_XMLFILE"), "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	unsetenv("HWLOC_XMLFILE");
}
END_TEST

static Suite *journal_suite(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tvp_tcase(s, "file", 30);

	tcase_add_test(tc, samples_come_back_exactly);
	tcase_add_test(tc, a_cut_last_line_is_dropped);
	tcase_add_test(tc, what_is_not_a_journal_is_refused);
	tc = tvp_tcase(s, "resume", 240);
	tcase_add_test(tc, sigkill_then_resume_finishes_the_run);
	tcase_add_test(tc, foreign_journals_are_refused);
	tc = tvp_tcase(s, "alone", 120);
	tcase_add_test(tc, a_memory_limit_fails_cells_not_the_run);
	tcase_add_loop_test(tc, a_stopped_worker_is_named, 0, ARRAY_SIZE(stoppable));
	tcase_add_test(tc, failed_net_requests_reach_the_json);
	tcase_add_test(tc, sigint_in_a_python_cell_ends_the_run);
	tcase_add_test(tc, a_topology_file_must_be_a_file);
	return s;
}

TVP_TEST_MAIN(journal_suite)
