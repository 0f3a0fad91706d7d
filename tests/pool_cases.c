/* pool_cases.c: the pool and executor API tests, written once for both
 * kinds of pool and both channels, and the tasks and helpers the backend
 * test files share (see pool_cases.h).
 *
 * Every task here is a pure function of its argument bytes and returns what
 * it found as bytes, and is registered by name, so the same case runs in a
 * thread, a forked worker or a fresh image (spawn, forkserver);
 * callbacks run in the parent for both kinds, so they may count in parent
 * memory. Every case frees its pool and then checks that no child process
 * is left.
 */
#include "pool_cases.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "bench/util.h"
#include "par/task_registry.h"

/* What the cases run on: one configuration per test binary, set by the
 * suite builders before Check forks each test (the tests inherit it). */
static struct case_config cases = { POOL_THREADS, CHANNEL_PIPE, POOL_START_FORK };

/* ---- tasks ------------------------------------------------------------- */

/* arg: int64 v; result: v * v. */
int case_square(const void *arg, size_t len, struct task_result *out)
{
	int64_t v;

	if (len != sizeof v)
		return task_result_error(out, -EINVAL, "square: %zu bytes", len);
	memcpy(&v, arg, sizeof v);
	v *= v;
	task_result_set(out, &v, sizeof v);
	return 0;
}

/* arg: int64 v; odd v fails with -EIO and "odd value V", even v returns v. */
int case_fail_odd(const void *arg, size_t len, struct task_result *out)
{
	int64_t v;

	memcpy(&v, arg, sizeof v);
	if (v % 2)
		return task_result_error(out, -EIO, "odd value %lld", (long long)v);
	task_result_set(out, &v, sizeof v);
	return 0;
}

/* arg: int64 ms; sleeps that long, returns ms. */
int case_sleep(const void *arg, size_t len, struct task_result *out)
{
	int64_t ms;

	memcpy(&ms, arg, sizeof ms);
	sleep_ns((uint64_t)ms * 1000000u);
	task_result_set(out, &ms, sizeof ms);
	return 0;
}

/* The initializer counts its calls in the worker's own thread (a forked
 * worker has one thread, so this is per worker for both kinds). */
static _Thread_local int64_t case_inits;
static _Atomic int case_inits_total;   /* threads only: all calls */

static void case_init(void *arg)
{
	case_inits++;
	atomic_fetch_add(&case_inits_total, 1);
}

/* Returns { inits seen by this worker, pid, tid }. */
static int case_report_init(const void *arg, size_t len, struct task_result *out)
{
	int64_t r[3] = { case_inits, getpid(), (int64_t)syscall(SYS_gettid) };

	sleep_ns(200000);   /* let every worker get some tasks */
	task_result_set(out, r, sizeof r);
	return 0;
}

/* Spawn and forkserver workers find tasks and initializers by name. */
TASK_REGISTER(case_square)
TASK_REGISTER(case_fail_odd)
TASK_REGISTER(case_sleep)
TASK_REGISTER(case_init)
TASK_REGISTER(case_report_init)

int case_pid(const void *arg, size_t len, struct task_result *out)
{
	int64_t pid = getpid();

	(void)arg;
	(void)len;
	task_result_set(out, &pid, sizeof pid);
	return 0;
}
TASK_REGISTER(case_pid)

int64_t case_apply_pid(struct pool *p)
{
	struct task_result r = TASK_RESULT_INIT;
	int64_t pid;

	ck_assert_int_eq(pool_apply(p, case_pid, NULL, 0, &r), 0);
	pid = case_i64(&r);
	ck_assert_int_gt(pid, 0);
	task_result_release(&r);
	return pid;
}

int64_t case_i64(const struct task_result *r)
{
	int64_t v = -1;

	if (r->len >= sizeof v)
		memcpy(&v, task_result_data(r), sizeof v);
	return v;
}

const char *case_msg(const struct task_result *r)
{
	static char buf[600];
	size_t n = r->len < sizeof buf - 1 ? r->len : sizeof buf - 1;

	memcpy(buf, task_result_data(r), n);
	buf[n] = '\0';
	return buf;
}

/* The options of a pool of workers workers on the configuration. */
static struct pool_options case_options(unsigned workers)
{
	return (struct pool_options){ .kind = cases.kind, .workers = workers,
				      .channel = cases.channel, .start = cases.start };
}

struct pool *case_start(const struct pool_options *opt)
{
	struct pool *p = NULL;
	char err[256] = "";
	int rc = pool_new(&p, opt, err, sizeof err);

	ck_assert_msg(rc == 0, "pool_new: %s (%d)", err, rc);
	return p;
}

struct pool *case_pool(unsigned workers)
{
	struct pool_options opt = case_options(workers);

	return case_start(&opt);
}

void case_pool_free(struct pool *p)
{
	pool_free(p);
	tvp_assert_no_children();
}

void case_wait_running(struct pool_async *a)
{
	for (int i = 0; i < 10000 && !pool_async_running(a); i++)
		sleep_ns(1000000);
	ck_assert_msg(pool_async_running(a), "the task never started");
}

/* ---- pool cases -------------------------------------------------------- */

START_TEST(pc_apply)
{
	struct pool *p = case_pool(2);
	struct task_result r = TASK_RESULT_INIT;
	int64_t v = 12;

	ck_assert_int_eq(pool_apply(p, case_square, &v, sizeof v, &r), 0);
	ck_assert_int_eq(case_i64(&r), 144);
	v = 7;
	ck_assert_int_eq(pool_apply(p, case_fail_odd, &v, sizeof v, &r), -EIO);
	ck_assert_uint_eq(r.len, strlen("odd value 7"));
	ck_assert(memcmp(task_result_data(&r), "odd value 7", r.len) == 0);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

void case_check_map(struct pool *p, size_t n, size_t chunksize)
{
	int64_t *args = xmalloc(n * sizeof *args);
	int *status = xcalloc(n, sizeof *status);
	struct task_result *res = xcalloc(n, sizeof *res);

	for (size_t i = 0; i < n; i++) {
		args[i] = (int64_t)i;
		status[i] = 99;
	}
	ck_assert_int_eq(pool_map(p, case_square, args, sizeof *args, n, chunksize, res, status), 0);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(status[i] == 0, "n %zu chunk %zu: record %zu status %d", n, chunksize, i,
			      status[i]);
		ck_assert_msg(case_i64(&res[i]) == (int64_t)(i * i), "n %zu chunk %zu: record %zu", n,
			      chunksize, i);
		task_result_release(&res[i]);
	}
	free(args);
	free(status);
	free(res);
}

START_TEST(pc_map_in_order)
{
	struct pool *p = case_pool(3);

	case_check_map(p, 1000, 0);     /* the default: ceil(1000 / 12) */
	case_check_map(p, 1000, 1);
	case_check_map(p, 1000, 7);
	case_check_map(p, 1000, 5000);  /* one chunk */
	case_check_map(p, 1, 0);
	case_check_map(p, 0, 0);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_map_failures_per_record)
{
	struct pool *p = case_pool(2);
	enum { N = 100 };
	int64_t args[N];
	int status[N];
	struct task_result res[N] = { 0 };

	for (int i = 0; i < N; i++)
		args[i] = i;
	ck_assert_int_eq(pool_map(p, case_fail_odd, args, sizeof *args, N, 6, res, status), 0);
	for (int i = 0; i < N; i++) {
		char want[32];

		if (i % 2 == 0) {
			ck_assert_int_eq(status[i], 0);
			ck_assert_int_eq(case_i64(&res[i]), i);
		} else {
			ck_assert_int_eq(status[i], -EIO);
			snprintf(want, sizeof want, "odd value %d", i);
			ck_assert_uint_eq(res[i].len, strlen(want));
			ck_assert(memcmp(task_result_data(&res[i]), want, res[i].len) == 0);
		}
		task_result_release(&res[i]);
	}
	case_pool_free(p);
}
END_TEST

static _Atomic int case_map_cb_calls;

static void case_count_cb(void *ud, const struct task_result *r)
{
	atomic_fetch_add(&case_map_cb_calls, 1);
}

START_TEST(pc_map_async)
{
	struct pool *p = case_pool(2);
	enum { N = 500 };
	int64_t args[N];
	int status[N];
	struct task_result res[N] = { 0 }, out = TASK_RESULT_INIT;
	struct pool_async *a;

	for (int i = 0; i < N; i++)
		args[i] = i;
	a = pool_map_async(p, case_square, args, sizeof *args, N, 0, res, status, case_count_cb, NULL);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(pool_async_get(a, POOL_FOREVER, &out), 0);
	ck_assert(pool_async_ready(a));
	ck_assert_int_eq(atomic_load(&case_map_cb_calls), 1);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(status[i], 0);
		ck_assert_int_eq(case_i64(&res[i]), (int64_t)i * i);
		task_result_release(&res[i]);
	}
	pool_async_free(a);
	/* A map with a failure: get reports the first one, with its message. */
	a = pool_map_async(p, case_fail_odd, args, sizeof *args, 10, 3, res, status, NULL, NULL);
	ck_assert_int_eq(pool_async_get(a, POOL_FOREVER, &out), -EIO);
	ck_assert(out.len == strlen("odd value 1") &&
		  memcmp(task_result_data(&out), "odd value 1", out.len) == 0);
	pool_async_free(a);
	for (int i = 0; i < 10; i++)
		task_result_release(&res[i]);
	task_result_release(&out);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_imap_in_order)
{
	struct pool *p = case_pool(3);
	enum { N = 300 };
	int64_t args[N];
	struct task_result r = TASK_RESULT_INIT;
	struct pool_iter *it;
	size_t idx, expect = 0;
	int st, rc;

	for (int i = 0; i < N; i++)
		args[i] = N - i;   /* later records finish sooner if sizes mattered */
	it = pool_imap(p, case_square, args, sizeof *args, N, 4);
	ck_assert_ptr_nonnull(it);
	while ((rc = pool_iter_next(it, POOL_FOREVER, &idx, &st, &r)) == 1) {
		ck_assert_uint_eq(idx, expect);
		ck_assert_int_eq(st, 0);
		ck_assert_int_eq(case_i64(&r), args[idx] * args[idx]);
		expect++;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(expect, N);
	ck_assert_int_eq(pool_iter_next(it, 0, &idx, &st, &r), 0);
	pool_iter_free(it);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_imap_unordered_complete_set)
{
	struct pool *p = case_pool(4);
	enum { N = 257 };
	int64_t args[N];
	bool seen[N] = { false };
	struct task_result r = TASK_RESULT_INIT;
	struct pool_iter *it;
	size_t idx, count = 0;
	int st, rc;

	for (int i = 0; i < N; i++)
		args[i] = i;
	it = pool_imap_unordered(p, case_square, args, sizeof *args, N, 5);
	while ((rc = pool_iter_next(it, POOL_FOREVER, &idx, &st, &r)) == 1) {
		ck_assert_uint_lt(idx, N);
		ck_assert_msg(!seen[idx], "record %zu returned twice", idx);
		seen[idx] = true;
		ck_assert_int_eq(st, 0);
		ck_assert_int_eq(case_i64(&r), (int64_t)idx * (int64_t)idx);
		count++;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(count, N);
	pool_iter_free(it);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_iter_next_timeout)
{
	struct pool *p = case_pool(1);
	int64_t ms[2] = { 400, 400 };
	struct pool_iter *it = pool_imap(p, case_sleep, ms, sizeof ms[0], 2, 1);
	struct pool_iter *itu;
	size_t idx;
	int st;

	ck_assert_int_eq(pool_iter_next(it, 10000000, &idx, &st, NULL), -ETIMEDOUT);
	ck_assert_int_eq(pool_iter_next(it, POOL_FOREVER, &idx, &st, NULL), 1);
	ck_assert_uint_eq(idx, 0);
	itu = pool_imap_unordered(p, case_sleep, ms, sizeof ms[0], 1, 1);
	ck_assert_int_eq(pool_iter_next(itu, 0, &idx, &st, NULL), -ETIMEDOUT);
	ck_assert_int_eq(pool_iter_next(itu, POOL_FOREVER, &idx, &st, NULL), 1);
	ck_assert_int_eq(pool_iter_next(itu, POOL_FOREVER, &idx, &st, NULL), 0);
	pool_iter_free(itu);
	/* Freed with a result still to come: the pool drops it safely. */
	pool_iter_free(it);
	case_pool_free(p);
}
END_TEST

/* apply_async's callbacks: each pending result carries its own record. */
struct case_cb_rec {
	_Atomic int ok_calls, err_calls;
	int err;
	int64_t value;
	char msg[64];
};

static void case_ok(void *ud, const struct task_result *r)
{
	struct case_cb_rec *c = ud;

	c->value = case_i64(r);
	atomic_fetch_add(&c->ok_calls, 1);
}

static void case_err(void *ud, int err, const struct task_result *msg)
{
	struct case_cb_rec *c = ud;
	size_t n = msg->len < sizeof c->msg - 1 ? msg->len : sizeof c->msg - 1;

	c->err = err;
	memcpy(c->msg, task_result_data(msg), n);
	c->msg[n] = '\0';
	atomic_fetch_add(&c->err_calls, 1);
}

START_TEST(pc_callbacks_once_each)
{
	struct pool *p = case_pool(3);
	enum { N = 200 };
	struct case_cb_rec *c = xcalloc(N, sizeof *c);
	struct pool_async *a[N];

	for (int64_t i = 0; i < N; i++)
		a[i] = pool_apply_async(p, case_fail_odd, &i, sizeof i, case_ok, case_err, &c[i], 0);
	for (int i = 0; i < N; i++) {
		struct task_result r = TASK_RESULT_INIT;
		int rc = pool_async_get(a[i], POOL_FOREVER, &r);

		/* The callback has run by the time get returns. */
		if (i % 2 == 0) {
			ck_assert_int_eq(rc, 0);
			ck_assert_int_eq(atomic_load(&c[i].ok_calls), 1);
			ck_assert_int_eq(atomic_load(&c[i].err_calls), 0);
			ck_assert_int_eq(c[i].value, i);
		} else {
			char want[32];

			snprintf(want, sizeof want, "odd value %d", i);
			ck_assert_int_eq(rc, -EIO);
			ck_assert_int_eq(atomic_load(&c[i].ok_calls), 0);
			ck_assert_int_eq(atomic_load(&c[i].err_calls), 1);
			ck_assert_int_eq(c[i].err, -EIO);
			ck_assert_str_eq(c[i].msg, want);
		}
		task_result_release(&r);
		pool_async_free(a[i]);
	}
	pool_close(p);
	ck_assert_int_eq(pool_join(p), 0);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(atomic_load(&c[i].ok_calls) + atomic_load(&c[i].err_calls), 1);
	free(c);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_close_join_drains)
{
	struct pool *p = case_pool(2);
	enum { N = 60 };
	struct pool_async *a[N];
	struct task_result r = TASK_RESULT_INIT;
	int64_t ms = 2, v = 3;

	for (int i = 0; i < N; i++)
		a[i] = pool_apply_async(p, case_sleep, &ms, sizeof ms, NULL, NULL, NULL, 0);
	ck_assert_int_eq(pool_join(p), -EINVAL);   /* not closed yet */
	pool_close(p);
	errno = 0;
	ck_assert_ptr_null(pool_apply_async(p, case_square, &v, sizeof v, NULL, NULL, NULL, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(pool_apply(p, case_square, &v, sizeof v, &r), -EINVAL);
	ck_assert_int_eq(pool_join(p), 0);
	for (int i = 0; i < N; i++) {
		ck_assert(pool_async_ready(a[i]));
		ck_assert_int_eq(pool_async_get(a[i], 0, &r), 0);
		ck_assert_int_eq(case_i64(&r), 2);
		pool_async_free(a[i]);
	}
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_terminate_drops_queued)
{
	struct pool *p = case_pool(1);
	enum { N = 30 };
	struct case_cb_rec *c = xcalloc(N + 1, sizeof *c);
	struct pool_async *a[N + 1];
	struct task_result r = TASK_RESULT_INIT;
	int64_t ms = 300, v = 2;

	a[0] = pool_apply_async(p, case_sleep, &ms, sizeof ms, case_ok, case_err, &c[0], 0);
	case_wait_running(a[0]);
	for (int i = 1; i <= N; i++)
		a[i] = pool_apply_async(p, case_square, &v, sizeof v, case_ok, case_err, &c[i], 0);
	pool_terminate(p);
	for (int i = 1; i <= N; i++) {
		ck_assert(pool_async_ready(a[i]));
		ck_assert(!pool_async_running(a[i]));
		ck_assert_int_eq(pool_async_get(a[i], 0, &r), -ECANCELED);
		ck_assert_msg(r.len > 0 && strstr((const char *)task_result_data(&r), "cancelled"),
			      "message: %.*s", (int)r.len, (const char *)task_result_data(&r));
		ck_assert_int_eq(atomic_load(&c[i].err_calls), 1);
		ck_assert_int_eq(atomic_load(&c[i].ok_calls), 0);
		ck_assert_int_eq(c[i].err, -ECANCELED);
		pool_async_free(a[i]);
	}
	/* The running one is done too: finished (threads) or killed
	 * (processes); either way reported exactly once. */
	ck_assert(pool_async_ready(a[0]));
	ck_assert_int_eq(atomic_load(&c[0].ok_calls) + atomic_load(&c[0].err_calls), 1);
	if (cases.kind == POOL_THREADS)
		ck_assert_int_eq(pool_async_get(a[0], 0, &r), 0);
	pool_async_free(a[0]);
	task_result_release(&r);
	free(c);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_initializer_once_per_worker)
{
	enum { W = 3, N = 60 };
	struct pool_options opt = case_options(W);
	struct pool *p = NULL;
	char err[256];
	int64_t args[N] = { 0 };
	int status[N];
	struct task_result res[N] = { 0 };
	int64_t ids[W];
	unsigned nids = 0;

	opt.initializer = case_init;
	ck_assert_int_eq(pool_new(&p, &opt, err, sizeof err), 0);
	ck_assert_int_eq(pool_map(p, case_report_init, args, sizeof *args, N, 1, res, status), 0);
	for (int i = 0; i < N; i++) {
		int64_t r[3];

		ck_assert_int_eq(status[i], 0);
		ck_assert_uint_eq(res[i].len, sizeof r);
		memcpy(r, task_result_data(&res[i]), sizeof r);
		ck_assert_msg(r[0] == 1, "task %d ran in a worker whose initializer ran %lld times",
			      i, (long long)r[0]);
		bool known = false;
		for (unsigned k = 0; k < nids; k++)
			known |= ids[k] == r[2];
		if (!known) {
			ck_assert_uint_lt(nids, W);
			ids[nids++] = r[2];
		}
		task_result_release(&res[i]);
	}
	pool_close(p);
	ck_assert_int_eq(pool_join(p), 0);
	if (cases.kind == POOL_THREADS)
		ck_assert_int_eq(atomic_load(&case_inits_total), W);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_cancel_before_and_after_start)
{
	struct pool *p = case_pool(1);
	struct case_cb_rec c = { 0 };
	struct task_result r = TASK_RESULT_INIT;
	int64_t ms = 200, v = 5;
	struct pool_async *run = pool_apply_async(p, case_sleep, &ms, sizeof ms, NULL, NULL, NULL, 0);
	struct pool_async *queued;

	case_wait_running(run);
	queued = pool_apply_async(p, case_square, &v, sizeof v, case_ok, case_err, &c, 0);
	ck_assert(!pool_async_running(queued));
	ck_assert(pool_async_cancel(queued));
	ck_assert(pool_async_ready(queued));
	ck_assert_int_eq(pool_async_get(queued, 0, &r), -ECANCELED);
	ck_assert_int_eq(atomic_load(&c.err_calls), 1);
	ck_assert_int_eq(c.err, -ECANCELED);
	ck_assert(!pool_async_cancel(queued));    /* done already */
	ck_assert(!pool_async_cancel(run));       /* started: too late */
	ck_assert_int_eq(pool_async_get(run, POOL_FOREVER, &r), 0);
	ck_assert_int_eq(case_i64(&r), 200);
	ck_assert_int_eq(atomic_load(&c.ok_calls), 0);
	pool_async_free(queued);
	pool_async_free(run);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_get_timeout)
{
	struct pool *p = case_pool(1);
	struct task_result r = TASK_RESULT_INIT;
	int64_t ms = 300;
	struct pool_async *a = pool_apply_async(p, case_sleep, &ms, sizeof ms, NULL, NULL, NULL, 0);
	uint64_t t0 = now_ns();

	ck_assert_int_eq(pool_async_get(a, 20000000, &r), -ETIMEDOUT);
	ck_assert_int_eq(pool_async_wait(a, 0), -ETIMEDOUT);
	ck_assert(now_ns() - t0 < 250000000u);   /* gross: it did not wait for the task */
	ck_assert(!pool_async_ready(a));
	ck_assert_int_eq(pool_async_get(a, POOL_FOREVER, &r), 0);
	ck_assert_int_eq(case_i64(&r), 300);
	pool_async_free(a);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_free_pending_results)
{
	struct pool *p = case_pool(2);
	int64_t ms = 20, args[40] = { 0 };

	/* Freed at once, while queued or running: the pool must drop the
	 * results without touching freed memory (ASan watches), and still
	 * call the callback. */
	for (int i = 0; i < 10; i++)
		pool_async_free(pool_apply_async(p, case_sleep, &ms, sizeof ms, case_count_cb,
						 NULL, NULL, 0));
	pool_iter_free(pool_imap(p, case_sleep, args, sizeof *args, 40, 3));
	pool_iter_free(pool_imap_unordered(p, case_sleep, args, sizeof *args, 40, 3));
	pool_close(p);
	ck_assert_int_eq(pool_join(p), 0);
	ck_assert_int_eq(atomic_load(&case_map_cb_calls), 10);
	pool_free(p);
	/* And freed pending at pool_free: terminate cancels them. */
	p = case_pool(1);
	for (int i = 0; i < 10; i++)
		pool_async_free(pool_apply_async(p, case_sleep, &ms, sizeof ms, NULL, NULL, NULL, 0));
	case_pool_free(p);
}
END_TEST

START_TEST(pc_more_workers_than_cores)
{
	enum { W = 8, N = 4000 };
	struct pool *p = case_pool(W);
	struct worker_stats ws[W + 2];
	uint64_t total = 0;
	unsigned n;

	case_check_map(p, N, 0);
	case_check_map(p, N, 1);
	n = pool_take_stats(p, ws, W + 2);
	ck_assert_uint_eq(n, W);
	for (unsigned i = 0; i < n; i++) {
		total += ws[i].tasks;
		ck_assert(ws[i].pid > 0 && ws[i].tid > 0);
		for (unsigned k = 0; k < i; k++)
			ck_assert_msg(ws[k].tid != ws[i].tid, "workers %u and %u share tid", k, i);
	}
	ck_assert_uint_eq(total, 2 * N);
	/* Stats are since the last call. */
	n = pool_take_stats(p, ws, W);
	for (unsigned i = 0; i < n; i++)
		ck_assert_uint_eq(ws[i].tasks, 0);
	ck_assert_uint_eq(pool_workers(p), W);
	ck_assert_int_eq(pool_kind(p), cases.kind);
	case_pool_free(p);
}
END_TEST

static _Atomic int case_flag;

static void case_set_flag(void *ud, const struct task_result *r)
{
	atomic_store(&case_flag, 1);
}

START_TEST(pc_wait_any_and_flag)
{
	struct pool *p = case_pool(2);
	int64_t ms = 30;
	struct pool_async *a;
	int rc = -1;

	/* Nothing submitted: times out. */
	ck_assert_int_eq(pool_wait_any(p, 5000000), -ETIMEDOUT);
	a = pool_apply_async(p, case_sleep, &ms, sizeof ms, NULL, NULL, NULL, 0);
	for (int i = 0; i < 100 && rc != 0; i++)
		rc = pool_wait_any(p, 100000000);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(pool_async_wait(a, POOL_FOREVER), 0);
	pool_async_free(a);

	ck_assert_int_eq(pool_wait_flag(p, &case_flag, 1000000), -ETIMEDOUT);
	a = pool_apply_async(p, case_sleep, &ms, sizeof ms, case_set_flag, NULL, NULL, 0);
	ck_assert_int_eq(pool_wait_flag(p, &case_flag, POOL_FOREVER), 0);
	ck_assert_int_eq(pool_async_wait(a, POOL_FOREVER), 0);
	pool_async_free(a);
	case_pool_free(p);
}
END_TEST

START_TEST(pc_bad_options)
{
	struct pool_options opt = case_options(0);
	struct pool *p = (struct pool *)&opt;
	char err[256] = "";

	ck_assert_int_eq(pool_new(&p, &opt, err, sizeof err), -EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, "worker") != NULL, "message: %s", err);
	tvp_assert_no_children();
}
END_TEST

Suite *pool_cases_suite(const char *name, struct case_config cfg)
{
	Suite *s = suite_create(name);
	TCase *tc;

	cases = cfg;
	tc = tvp_tcase(s, "map", 30);
	tcase_add_test(tc, pc_apply);
	tcase_add_test(tc, pc_map_in_order);
	tcase_add_test(tc, pc_map_failures_per_record);
	tcase_add_test(tc, pc_map_async);
	tcase_add_test(tc, pc_imap_in_order);
	tcase_add_test(tc, pc_imap_unordered_complete_set);
	tcase_add_test(tc, pc_iter_next_timeout);
	tcase_add_test(tc, pc_more_workers_than_cores);
	tc = tvp_tcase(s, "async", 30);
	tcase_add_test(tc, pc_callbacks_once_each);
	tcase_add_test(tc, pc_cancel_before_and_after_start);
	tcase_add_test(tc, pc_get_timeout);
	tcase_add_test(tc, pc_free_pending_results);
	tcase_add_test(tc, pc_wait_any_and_flag);
	tc = tvp_tcase(s, "life", 30);
	tcase_add_test(tc, pc_close_join_drains);
	tcase_add_test(tc, pc_terminate_drops_queued);
	tcase_add_test(tc, pc_initializer_once_per_worker);
	tcase_add_test(tc, pc_bad_options);
	return s;
}

/* ---- executor cases ---------------------------------------------------- */

static struct executor *case_executor(unsigned workers)
{
	struct pool_options opt = case_options(workers);
	struct executor *ex = NULL;
	char err[256] = "";
	int rc = executor_new(&ex, &opt, err, sizeof err);

	ck_assert_msg(rc == 0, "executor_new: %s (%d)", err, rc);
	return ex;
}

void case_executor_free(struct executor *ex)
{
	executor_free(ex);
	tvp_assert_no_children();
}

static struct future *case_submit(struct executor *ex, task_fn fn, int64_t v)
{
	struct future *f = executor_submit(ex, fn, &v, sizeof v, 0);

	ck_assert_ptr_nonnull(f);
	return f;
}

void case_wait_future_running(struct future *f)
{
	for (int i = 0; i < 10000 && !future_running(f); i++)
		sleep_ns(1000000);
	ck_assert_msg(future_running(f), "the future never started");
}

START_TEST(ec_result_and_exception)
{
	struct executor *ex = case_executor(2);
	struct future *ok = case_submit(ex, case_square, 9);
	struct future *bad = case_submit(ex, case_fail_odd, 3);
	struct task_result r = TASK_RESULT_INIT;

	ck_assert_int_eq(future_result(ok, POOL_FOREVER, &r), 0);
	ck_assert_int_eq(case_i64(&r), 81);
	/* A result can be read again. */
	ck_assert_int_eq(future_result(ok, 0, &r), 0);
	ck_assert_int_eq(case_i64(&r), 81);
	ck_assert_int_eq(future_exception(ok, 0, &r), 0);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_eq(future_exception(bad, POOL_FOREVER, &r), -EIO);
	ck_assert(r.len == strlen("odd value 3") && memcmp(task_result_data(&r), "odd value 3", r.len) == 0);
	ck_assert_int_eq(future_result(bad, 0, &r), -EIO);
	ck_assert(future_done(ok) && future_done(bad));
	ck_assert(!future_cancelled(ok) && !future_cancelled(bad));
	ck_assert(!future_running(ok));
	future_free(ok);
	future_free(bad);
	task_result_release(&r);
	ck_assert_ptr_nonnull(executor_pool(ex));
	case_executor_free(ex);
}
END_TEST

START_TEST(ec_states_and_cancel)
{
	struct executor *ex = case_executor(1);
	struct future *run = case_submit(ex, case_sleep, 200);
	struct future *queued;
	struct task_result r = TASK_RESULT_INIT;

	case_wait_future_running(run);
	queued = case_submit(ex, case_square, 4);
	ck_assert(!future_done(run));
	ck_assert(!future_running(queued) && !future_done(queued));
	ck_assert(future_cancel(queued));
	ck_assert(future_cancel(queued));    /* again: still cancelled */
	ck_assert(future_cancelled(queued));
	ck_assert(future_done(queued));
	ck_assert_int_eq(future_result(queued, 0, &r), -ECANCELED);
	ck_assert_int_eq(future_exception(queued, 0, &r), -ECANCELED);
	ck_assert(!future_cancel(run));      /* running: cannot */
	ck_assert(!future_cancelled(run));
	ck_assert_int_eq(future_result(run, POOL_FOREVER, &r), 0);
	ck_assert_int_eq(case_i64(&r), 200);
	ck_assert(future_done(run) && !future_running(run) && !future_cancel(run));
	future_free(run);
	future_free(queued);
	task_result_release(&r);
	case_executor_free(ex);
}
END_TEST

START_TEST(ec_result_timeout)
{
	struct executor *ex = case_executor(1);
	struct future *f = case_submit(ex, case_sleep, 300);
	struct task_result r = TASK_RESULT_INIT;

	ck_assert_int_eq(future_result(f, 10000000, &r), -ETIMEDOUT);
	ck_assert_int_eq(future_exception(f, 0, &r), -ETIMEDOUT);
	ck_assert(!future_done(f));
	ck_assert_int_eq(future_result(f, POOL_FOREVER, &r), 0);
	future_free(f);
	task_result_release(&r);
	case_executor_free(ex);
}
END_TEST

START_TEST(ec_wait_all)
{
	struct executor *ex = case_executor(3);
	enum { N = 20 };
	struct future *fs[N];
	bool done[N];

	for (int i = 0; i < N; i++)
		fs[i] = case_submit(ex, case_sleep, i % 4);
	ck_assert_int_eq(executor_wait(fs, N, WAIT_ALL_COMPLETED, POOL_FOREVER, done), 0);
	for (int i = 0; i < N; i++) {
		ck_assert(done[i]);
		ck_assert(future_done(fs[i]));
		future_free(fs[i]);
	}
	ck_assert_int_eq(executor_wait(fs, 0, WAIT_FIRST_COMPLETED, 0, done), 0);
	case_executor_free(ex);
}
END_TEST

START_TEST(ec_wait_first_completed_and_timeout)
{
	struct executor *ex = case_executor(2);
	struct future *fs[2];
	bool done[2];

	fs[0] = case_submit(ex, case_sleep, 1500);
	fs[1] = case_submit(ex, case_sleep, 1);
	ck_assert_int_eq(executor_wait(fs, 2, WAIT_FIRST_COMPLETED, POOL_FOREVER, done), 0);
	ck_assert(done[1]);
	ck_assert(!done[0]);   /* 1.5 s is a wide margin */
	ck_assert_int_eq(executor_wait(fs, 2, WAIT_ALL_COMPLETED, 20000000, done), -ETIMEDOUT);
	ck_assert(done[1] && !done[0]);
	ck_assert_int_eq(executor_wait(fs, 1, WAIT_FIRST_COMPLETED, 0, done), -ETIMEDOUT);
	future_free(fs[0]);   /* still running: the executor drops it */
	future_free(fs[1]);
	case_executor_free(ex);
}
END_TEST

START_TEST(ec_wait_first_exception)
{
	struct executor *ex = case_executor(2);
	struct future *fs[3];
	bool done[3];

	fs[0] = case_submit(ex, case_sleep, 1500);
	fs[1] = case_submit(ex, case_fail_odd, 1);
	ck_assert_int_eq(executor_wait(fs, 2, WAIT_FIRST_EXCEPTION, POOL_FOREVER, done), 0);
	ck_assert(done[1] && !done[0]);
	ck_assert_int_eq(future_exception(fs[1], 0, NULL), -EIO);
	/* Without a failure it is ALL_COMPLETED. */
	fs[2] = case_submit(ex, case_fail_odd, 2);
	ck_assert_int_eq(executor_wait(&fs[2], 1, WAIT_FIRST_EXCEPTION, POOL_FOREVER, done), 0);
	ck_assert(done[0]);
	ck_assert_int_eq(executor_wait(fs, 3, WAIT_FIRST_EXCEPTION, POOL_FOREVER, done), 0);
	for (int i = 0; i < 3; i++)
		future_free(fs[i]);
	case_executor_free(ex);
}
END_TEST

START_TEST(ec_as_completed_each_once)
{
	struct executor *ex = case_executor(3);
	enum { N = 30 };
	struct future *fs[N];
	bool seen[N] = { false };
	struct as_completed *ac;
	size_t idx, count = 0;
	int rc;

	for (int i = 0; i < N; i++)
		fs[i] = case_submit(ex, case_sleep, (N - i) % 7);
	ac = as_completed_new(fs, N);
	while ((rc = as_completed_next(ac, POOL_FOREVER, &idx)) == 1) {
		ck_assert_uint_lt(idx, N);
		ck_assert_msg(!seen[idx], "future %zu yielded twice", idx);
		ck_assert(future_done(fs[idx]));
		seen[idx] = true;
		count++;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(count, N);
	as_completed_free(ac);
	for (int i = 0; i < N; i++)
		future_free(fs[i]);

	fs[0] = case_submit(ex, case_sleep, 300);
	ac = as_completed_new(fs, 1);
	ck_assert_int_eq(as_completed_next(ac, 10000000, &idx), -ETIMEDOUT);
	ck_assert_int_eq(as_completed_next(ac, POOL_FOREVER, &idx), 1);
	ck_assert_uint_eq(idx, 0);
	ck_assert_int_eq(as_completed_next(ac, POOL_FOREVER, &idx), 0);
	as_completed_free(ac);
	future_free(fs[0]);
	case_executor_free(ex);
}
END_TEST

START_TEST(ec_shutdown)
{
	struct executor *ex = case_executor(1);
	enum { N = 10 };
	struct future *run, *fs[N];
	struct task_result r = TASK_RESULT_INIT;

	run = case_submit(ex, case_sleep, 200);
	case_wait_future_running(run);
	for (int i = 0; i < N; i++)
		fs[i] = case_submit(ex, case_square, i);
	executor_shutdown(ex, true, true);
	errno = 0;
	ck_assert_ptr_null(executor_submit(ex, case_square, &r, 8, 0));
	ck_assert_int_eq(errno, EINVAL);
	ck_assert(future_done(run) && !future_cancelled(run));
	ck_assert_int_eq(future_result(run, 0, &r), 0);
	for (int i = 0; i < N; i++) {
		ck_assert(future_cancelled(fs[i]));
		ck_assert_int_eq(future_result(fs[i], 0, &r), -ECANCELED);
		future_free(fs[i]);
	}
	future_free(run);
	task_result_release(&r);
	case_executor_free(ex);
}
END_TEST

START_TEST(ec_shutdown_waits_and_futures_outlive)
{
	struct executor *ex = case_executor(2);
	enum { N = 40 };
	struct future *fs[N];
	struct task_result r = TASK_RESULT_INIT;

	for (int i = 0; i < N; i++)
		fs[i] = case_submit(ex, case_sleep, 2);
	/* One freed while pending. */
	future_free(case_submit(ex, case_sleep, 50));
	executor_shutdown(ex, false, false);
	executor_shutdown(ex, true, false);
	for (int i = 0; i < N; i++)
		ck_assert(future_done(fs[i]));
	executor_free(ex);
	/* Futures outlive their executor, done, results readable. */
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(future_result(fs[i], 0, &r), 0);
		ck_assert_int_eq(case_i64(&r), 2);
		future_free(fs[i]);
	}
	task_result_release(&r);
	tvp_assert_no_children();
}
END_TEST

START_TEST(ec_many_workers)
{
	struct executor *ex = case_executor(8);
	enum { N = 2000 };
	struct future **fs = xcalloc(N, sizeof *fs);
	struct task_result r = TASK_RESULT_INIT;

	for (int i = 0; i < N; i++)
		fs[i] = case_submit(ex, case_square, i);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(future_result(fs[i], POOL_FOREVER, &r), 0);
		ck_assert_int_eq(case_i64(&r), (int64_t)i * i);
		future_free(fs[i]);
	}
	free(fs);
	task_result_release(&r);
	case_executor_free(ex);
}
END_TEST

Suite *executor_cases_suite(const char *name, struct case_config cfg)
{
	Suite *s = suite_create(name);
	TCase *tc;

	cases = cfg;
	tc = tvp_tcase(s, "futures", 30);
	tcase_add_test(tc, ec_result_and_exception);
	tcase_add_test(tc, ec_states_and_cancel);
	tcase_add_test(tc, ec_result_timeout);
	tcase_add_test(tc, ec_many_workers);
	tc = tvp_tcase(s, "wait", 30);
	tcase_add_test(tc, ec_wait_all);
	tcase_add_test(tc, ec_wait_first_completed_and_timeout);
	tcase_add_test(tc, ec_wait_first_exception);
	tcase_add_test(tc, ec_as_completed_each_once);
	tc = tvp_tcase(s, "shutdown", 30);
	tcase_add_test(tc, ec_shutdown);
	tcase_add_test(tc, ec_shutdown_waits_and_futures_outlive);
	return s;
}
