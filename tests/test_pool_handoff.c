/* test_pool_handoff.c: how a pool starts and hands tasks over. pool_new,
 * for both kinds: the pool it returns is ready to time (a first task costs
 * about what the next ones do), its counters start from zero, its warm-up
 * is not counted toward maxtasksperchild, and a stop flag set before or
 * during a large fork pool's start ends it promptly with -EINTR and no
 * child left. A fork pool's prefetched job (the second job in flight behind
 * a busy worker's, par/fork_prefetch.c), on both channels: it is not
 * running, it can be cancelled (and never runs), its deadline counts from
 * its start, and when its worker dies in the job before it, only that job
 * fails while the prefetched one runs in the replacement. Times are only
 * compared with each other, measured in the same test. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "par/pool.h"
#include "par/sys.h"
#include "pool_cases.h"
#include "testutil.h"

static int task_noop(const void *arg, size_t len, struct task_result *out)
{
	(void)arg;
	(void)len;
	(void)out;
	return 0;
}

/* arg: NULL, or int64 { ms, crash }: sleeps ms, then dies of SIGKILL if
 * crash. Returns { pid }. */
static int task_pid(const void *arg, size_t len, struct task_result *out)
{
	int64_t pid = getpid(), a[2] = { 0, 0 };

	if (len == sizeof a)
		memcpy(a, arg, sizeof a);
	if (a[0])
		sleep_ns((uint64_t)a[0] * 1000000u);
	if (a[1])
		kill(getpid(), SIGKILL);
	task_result_set(out, &pid, sizeof pid);
	return 0;
}

static int64_t pid_of(const struct task_result *r)
{
	int64_t pid;

	ck_assert_uint_eq(r->len, sizeof pid);
	memcpy(&pid, task_result_data(r), sizeof pid);
	return pid;
}

/* The pid of the worker that ran one task_pid. */
static int64_t apply_pid(struct pool *p)
{
	struct task_result r = TASK_RESULT_INIT;
	int64_t pid;

	ck_assert_int_eq(pool_apply(p, task_pid, NULL, 0, &r), 0);
	pid = pid_of(&r);
	task_result_release(&r);
	return pid;
}

static const struct pool_options kinds[] = {
	{ .kind = POOL_THREADS, .workers = 1 },
	{ .kind = POOL_PROCESSES, .workers = 1, .channel = CHANNEL_PIPE },
	{ .kind = POOL_PROCESSES, .workers = 1, .channel = CHANNEL_SHM },
};


static uint64_t apply_ns(struct pool *p)
{
	struct task_result r = TASK_RESULT_INIT;
	uint64_t t0 = now_ns();

	ck_assert_int_eq(pool_apply(p, task_noop, NULL, 0, &r), 0);
	return now_ns() - t0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

#define POOLS 9
#define WARM_APPLIES 200

/* How much more room the ratios below get under a sanitizer (TVP_SAN, from
 * the Makefile). There the pool's own bookkeeping after its last warm round
 * trip (taking and dropping the warm-up's statistics, freeing its arrays)
 * outlasts the 50 us spin window, so the first task finds its worker
 * asleep and pays the wake-up (measured under ASan: 43-75 us against a
 * warm 4-9 us, 8-11 times); without one it does not (make test). */
#define SAN_SLACK (TVP_SAN[0] ? 3 : 1)

/* The first task on a new pool costs a small multiple of a warmed hand-off
 * (before pool_new warmed, it cost 20-25 times as much for a fork pool of
 * one worker: the worker was still starting). Medians over POOLS pools. */
START_TEST(first_task_costs_a_warm_handoff)
{
	uint64_t first[POOLS], warm[POOLS];
	const struct pool_options *opt = &kinds[_i];

	for (int k = 0; k < POOLS; k++) {
		struct pool *p = case_start(opt);
		uint64_t t[WARM_APPLIES];

		first[k] = apply_ns(p);
		for (int i = 0; i < WARM_APPLIES; i++)
			t[i] = apply_ns(p);
		qsort(t, WARM_APPLIES, sizeof *t, cmp_u64);
		warm[k] = t[WARM_APPLIES / 2];
		pool_free(p);
	}
	qsort(first, POOLS, sizeof *first, cmp_u64);
	qsort(warm, POOLS, sizeof *warm, cmp_u64);
	ck_assert_msg(first[POOLS / 2] <= 8 * SAN_SLACK * warm[POOLS / 2],
		      "kind %d channel %d: a first task took %llu ns (median of %d pools), a warm "
		      "hand-off %llu ns", (int)opt->kind, (int)opt->channel,
		      (unsigned long long)first[POOLS / 2], POOLS,
		      (unsigned long long)warm[POOLS / 2]);
	tvp_assert_no_children();
}
END_TEST

/* The warm-up's tasks are not the caller's: stats start from zero. */
START_TEST(stats_start_from_zero)
{
	struct pool_options opt = kinds[_i];
	struct worker_stats ws[8];
	struct pool *p;
	unsigned n;

	opt.workers = 3;
	p = case_start(&opt);
	n = pool_take_stats(p, ws, 8);
	ck_assert_uint_eq(n, 3);
	for (unsigned i = 0; i < n; i++)
		ck_assert_uint_eq(ws[i].tasks, 0);
	pool_free(p);
	tvp_assert_no_children();
}
END_TEST

/* maxtasksperchild counts the caller's tasks only: with 2, the first two
 * tasks run in the worker pool_new started, the third in its replacement. */
START_TEST(warm_up_is_not_a_task_of_the_child)
{
	struct pool_options opt = kinds[1 + _i];
	int64_t pid[3];
	struct pool *p;

	opt.maxtasksperchild = 2;
	p = case_start(&opt);
	for (int i = 0; i < 3; i++)
		pid[i] = apply_pid(p);
	ck_assert_int_eq(pid[0], pid[1]);
	ck_assert_int_ne(pid[1], pid[2]);
	pool_free(p);
	tvp_assert_no_children();
}
END_TEST

/* pool_wake leaves no trace: no statistics, no count towards
 * maxtasksperchild (with 2, two of the caller's tasks still run in the
 * first worker, the third in its replacement). */
START_TEST(wake_is_not_a_task_of_the_child)
{
	struct pool_options opt = kinds[_i];
	struct worker_stats ws[4];
	char err[256] = "";
	int64_t pid[3];
	struct pool *p;
	unsigned n;

	if (opt.kind == POOL_PROCESSES)
		opt.maxtasksperchild = 2;
	p = case_start(&opt);
	ck_assert_msg(pool_wake(p, err, sizeof err) == 0, "pool_wake: %s", err);
	n = pool_take_stats(p, ws, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ws[0].tasks, 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_msg(pool_wake(p, err, sizeof err) == 0, "pool_wake: %s", err);
		pid[i] = apply_pid(p);
	}
	if (opt.kind == POOL_PROCESSES) {
		ck_assert_int_eq(pid[0], pid[1]);
		ck_assert_int_ne(pid[1], pid[2]);
	}
	pool_free(p);
	tvp_assert_no_children();
}
END_TEST

/* A pool left idle past its spin window has gone to sleep, and its next
 * task pays the wake-up; pool_wake (tvp run calls it last before the timed
 * region) brings a warm hand-off back. Medians over POOLS pools, measured
 * in this test: the task after a wake costs at most 4 times a warm
 * hand-off, and no more than the task after the idle pause (a gross
 * bound: on a quiet machine the sleeping case costs 5-20 times). */
START_TEST(wake_brings_a_warm_handoff_back)
{
	uint64_t slept[POOLS], woken[POOLS], warm[POOLS];
	const struct pool_options *opt = &kinds[_i];
	char err[256] = "";

	for (int k = 0; k < POOLS; k++) {
		struct pool *p = case_start(opt);
		uint64_t t[WARM_APPLIES];

		for (int i = 0; i < WARM_APPLIES; i++)
			t[i] = apply_ns(p);
		qsort(t, WARM_APPLIES, sizeof *t, cmp_u64);
		warm[k] = t[WARM_APPLIES / 2];
		sleep_ns(2000000);
		slept[k] = apply_ns(p);
		sleep_ns(2000000);
		ck_assert_msg(pool_wake(p, err, sizeof err) == 0, "pool_wake: %s", err);
		woken[k] = apply_ns(p);
		pool_free(p);
	}
	qsort(slept, POOLS, sizeof *slept, cmp_u64);
	qsort(woken, POOLS, sizeof *woken, cmp_u64);
	qsort(warm, POOLS, sizeof *warm, cmp_u64);
	ck_assert_msg(woken[POOLS / 2] <= 4 * SAN_SLACK * warm[POOLS / 2] &&
		      woken[POOLS / 2] <= slept[POOLS / 2],
		      "kind %d channel %d: after pool_wake a task took %llu ns, after an idle "
		      "pause %llu ns, warm %llu ns (medians of %d pools)", (int)opt->kind,
		      (int)opt->channel, (unsigned long long)woken[POOLS / 2],
		      (unsigned long long)slept[POOLS / 2], (unsigned long long)warm[POOLS / 2],
		      POOLS);
	tvp_assert_no_children();
}
END_TEST

START_TEST(stop_set_before_start)
{
	volatile sig_atomic_t stop = 1;
	struct pool_options opt = kinds[_i];
	struct pool *p = NULL;
	char err[256] = "";

	opt.workers = 4;
	opt.stop = &stop;
	ck_assert_int_eq(pool_new(&p, &opt, err, sizeof err), -EINTR);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, "interrupted"), "err: %s", err);
	tvp_assert_no_children();
}
END_TEST

static volatile sig_atomic_t alarm_stop;
static uint64_t alarm_at;

static void on_alarm(int sig)
{
	(void)sig;
	alarm_stop = 1;
	alarm_at = now_ns();
}

#define BIG 256

/* A stop set while a large fork pool starts (a Ctrl-C: issue 16's
 * `--workers 1024` took 10 s to exit) ends pool_new (ending the workers it
 * forked) long before a whole start and end would have. */
START_TEST(stop_during_a_large_start)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = BIG,
				    .channel = kinds[1 + _i].channel, .stop = &alarm_stop };
	struct itimerval it = { { 0, 0 }, { 0, 0 } };
	struct sigaction sa;
	struct pool *p = NULL;
	char err[256] = "";
	uint64_t t0, start_ns, full_ns, after_ns;
	int rc;

	/* What a whole pool costs, start and end: the stopped start ends the
	 * workers it forked, which is most of what it still does. */
	t0 = now_ns();
	p = case_start(&opt);
	start_ns = now_ns() - t0;
	pool_free(p);
	full_ns = now_ns() - t0;
	p = NULL;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	it.it_value.tv_usec = (suseconds_t)(start_ns / 4 / 1000) + 1;
	alarm_stop = 0;
	setitimer(ITIMER_REAL, &it, NULL);
	rc = pool_new(&p, &opt, err, sizeof err);
	after_ns = now_ns() - alarm_at;
	ck_assert_msg(rc == -EINTR, "pool_new gave %d (%s); a whole start took %llu us", rc, err,
		      (unsigned long long)(start_ns / 1000));
	ck_assert_ptr_null(p);
	ck_assert_msg(after_ns < full_ns / 2,
		      "pool_new returned %llu us after the stop; a whole pool's start and end "
		      "take %llu us", (unsigned long long)(after_ns / 1000),
		      (unsigned long long)(full_ns / 1000));
	tvp_assert_no_children();
}
END_TEST

/* ---- prefetched jobs --------------------------------------------------- */

/* A task of ms milliseconds (dying at the end if crash), with a deadline. */
static struct pool_async *submit(struct pool *p, int64_t ms, int64_t crash, uint64_t deadline_ns)
{
	int64_t a[2] = { ms, crash };
	struct pool_async *x = pool_apply_async(p, task_pid, a, sizeof a, NULL, NULL, NULL,
						deadline_ns);

	ck_assert_ptr_nonnull(x);
	return x;
}

static int64_t get_pid(struct pool_async *a, int want_status)
{
	struct task_result r = TASK_RESULT_INIT;
	int64_t pid = 0;
	int st = pool_async_get(a, POOL_FOREVER, &r);

	ck_assert_msg(st == want_status, "status %d, wanted %d: %.*s", st, want_status,
		      (int)r.len, (const char *)task_result_data(&r));
	if (st == 0)
		pid = pid_of(&r);
	task_result_release(&r);
	pool_async_free(a);
	return pid;
}

/* One worker: the job behind a running one waits in its channel. */
static struct pool *one_worker(int chan)
{
	struct pool_options opt = kinds[1 + chan];

	return case_start(&opt);
}

START_TEST(prefetched_job_survives_its_workers_death)
{
	struct pool *p = one_worker(_i);
	int64_t first = get_pid(submit(p, 0, 0, 0), 0);
	struct pool_async *dies = submit(p, 50, 1, 0);
	struct pool_async *next = submit(p, 0, 0, 0);

	get_pid(dies, -ECHILD);
	ck_assert_int_ne(get_pid(next, 0), first);   /* ran, in the replacement */
	pool_free(p);
	tvp_assert_no_children();
}
END_TEST

START_TEST(prefetched_job_deadline_counts_from_its_start)
{
	struct pool *p = one_worker(_i);
	struct pool_async *a = submit(p, 300, 0, 0);
	struct pool_async *b = submit(p, 10, 0, 200000000);   /* 200 ms, behind 300 ms */
	struct pool_async *c = submit(p, 0, 0, 0);
	struct pool_async *d = submit(p, 2000, 0, 100000000); /* runs past its 100 ms */
	struct pool_async *e = submit(p, 0, 0, 0);

	get_pid(a, 0);
	get_pid(b, 0);
	get_pid(c, 0);
	get_pid(d, -ETIMEDOUT);
	get_pid(e, 0);
	pool_free(p);
	tvp_assert_no_children();
}
END_TEST

START_TEST(prefetched_job_cancelled_never_runs)
{
	struct pool *p = one_worker(_i);
	struct pool_async *a = submit(p, 150, 0, 0);
	struct pool_async *b = submit(p, 0, 0, 0);
	struct worker_stats ws[4];
	uint64_t tasks = 0;
	unsigned n;

	ck_assert(!pool_async_running(b));
	ck_assert(pool_async_cancel(b));
	get_pid(b, -ECANCELED);
	get_pid(a, 0);
	get_pid(submit(p, 0, 0, 0), 0);   /* the worker skipped b: still in step */
	n = pool_take_stats(p, ws, 4);
	for (unsigned i = 0; i < n; i++)
		tasks += ws[i].tasks;
	ck_assert_uint_eq(tasks, 2);
	pool_free(p);
	tvp_assert_no_children();
}
END_TEST

START_TEST(prefetched_job_terminated_is_cancelled)
{
	struct pool *p = one_worker(_i);
	struct pool_async *a = submit(p, 2000, 0, 0);
	struct pool_async *b = submit(p, 0, 0, 0);

	sleep_ns(20000000);
	pool_terminate(p);
	get_pid(a, -ECANCELED);
	get_pid(b, -ECANCELED);
	pool_free(p);
	tvp_assert_no_children();
}
END_TEST

static Suite *pool_handoff_suite(void)
{
	Suite *s = suite_create("pool-handoff");
	TCase *tc = tvp_tcase(s, "start", 120);

	tcase_add_loop_test(tc, first_task_costs_a_warm_handoff, 0, 3);
	tcase_add_loop_test(tc, stats_start_from_zero, 0, 3);
	tcase_add_loop_test(tc, warm_up_is_not_a_task_of_the_child, 0, 2);
	tcase_add_loop_test(tc, wake_is_not_a_task_of_the_child, 0, 3);
	tcase_add_loop_test(tc, wake_brings_a_warm_handoff_back, 0, 3);
	tcase_add_loop_test(tc, stop_set_before_start, 0, 3);
	tcase_add_loop_test(tc, stop_during_a_large_start, 0, 2);
	tc = tvp_tcase(s, "prefetch", 60);
	tcase_add_loop_test(tc, prefetched_job_survives_its_workers_death, 0, 2);
	tcase_add_loop_test(tc, prefetched_job_deadline_counts_from_its_start, 0, 2);
	tcase_add_loop_test(tc, prefetched_job_cancelled_never_runs, 0, 2);
	tcase_add_loop_test(tc, prefetched_job_terminated_is_cancelled, 0, 2);
	return s;
}

TVP_TEST_MAIN(pool_handoff_suite)
