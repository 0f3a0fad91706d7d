/* test_pool_wake.c: how a pool is made ready to time, for both kinds and
 * both channels. pool_wake_map ends a wake-up with a map of the caller's
 * own first records (tvp run's pool modes map workload_touch_task so, in
 * their ready hook): it runs exactly those records, leaves what its task
 * left, counts as the pool's warm-up (no statistics, no count toward
 * maxtasksperchild), and reports a failed record. While pool_new waits for
 * its workers to start, the caller sleeps instead of spinning (it gave up
 * the PU a worker started on: par/pool_life.c), and a worker stopped
 * meanwhile fails the start (or the wake) once the caller's watchdog
 * names it. The pool modes' ready hook runs none of the workload's
 * tasks. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench/modes/mode.h"
#include "bench/modes/stall.h"
#include "bench/util.h"
#include "par/pool.h"
#include "par/shared_mem.h"
#include "par/sys.h"
#include "pool_cases.h"
#include "testutil.h"
#include "workloads/workload.h"

static const struct pool_options kinds[] = {
	{ .kind = POOL_THREADS, .workers = 2 },
	{ .kind = POOL_PROCESSES, .workers = 2, .channel = CHANNEL_PIPE },
	{ .kind = POOL_PROCESSES, .workers = 2, .channel = CHANNEL_SHM },
};

#define RECORDS 5

/* Shared memory made before the pools, so that every worker writes the
 * same pages: seen[i] counts the runs of record i. */
static _Atomic int *seen;

static void make_seen(void)
{
	if (!seen)
		seen = pool_shared_alloc(RECORDS * sizeof *seen);
	ck_assert_ptr_nonnull(seen);
	for (int i = 0; i < RECORDS; i++)
		atomic_store(&seen[i], 0);
}

/* arg: int64 { index, fail }: counts the run; fails with -EIO and a
 * message if fail, else leaves the slot alone. */
static int task_mark(const void *arg, size_t len, struct task_result *out)
{
	int64_t a[2];

	if (len != sizeof a)
		return task_result_error(out, -EINVAL, "record of %zu bytes", len);
	memcpy(a, arg, sizeof a);
	atomic_fetch_add(&seen[a[0]], 1);
	if (a[1])
		return task_result_error(out, -EIO, "record %d refused", (int)a[0]);
	return 0;
}

struct arrays {
	int64_t (*args)[2];
	int *status;
	struct task_result *results;
};

/* The records, statuses and results, in shared memory made before the pool
 * (so a fork pool over shm runs them in place); status and results filled
 * with what the map must not leave as it was. */
static void arrays_new(struct arrays *a, int fail_at)
{
	a->args = pool_shared_alloc(RECORDS * sizeof *a->args);
	a->status = pool_shared_alloc(RECORDS * sizeof *a->status);
	a->results = pool_shared_alloc(RECORDS * sizeof *a->results);
	ck_assert(a->args && a->status && a->results);
	for (int i = 0; i < RECORDS; i++) {
		a->args[i][0] = i;
		a->args[i][1] = i == fail_at;
		a->status[i] = 77;
	}
}

static void arrays_free(struct arrays *a)
{
	for (int i = 0; i < RECORDS; i++)
		task_result_release(&a->results[i]);
	pool_shared_free(a->args, RECORDS * sizeof *a->args);
	pool_shared_free(a->status, RECORDS * sizeof *a->status);
	pool_shared_free(a->results, RECORDS * sizeof *a->results);
}


/* Records 0-2 of 5 run once each, their statuses become 0 and their slots
 * stay empty; records 3-4 are not run or touched. Nothing is counted: the
 * statistics are zero, and with maxtasksperchild 2 (processes) the first
 * worker still runs two of the caller's tasks. */
START_TEST(wake_map_runs_the_first_records_as_warm_up)
{
	struct pool_options opt = kinds[_i];
	struct worker_stats ws[4];
	struct arrays a;
	char err[256] = "";
	int64_t pid[3];
	struct pool *p;
	unsigned n;
	int rc;

	make_seen();
	arrays_new(&a, -1);
	opt.workers = 1;
	if (opt.kind == POOL_PROCESSES)
		opt.maxtasksperchild = 2;
	p = case_start(&opt);
	rc = pool_wake_map(p, task_mark, a.args, sizeof *a.args, 3, a.results, a.status, err,
			   sizeof err);
	ck_assert_msg(rc == 0, "pool_wake_map: %s (%d)", err, rc);
	for (int i = 0; i < RECORDS; i++) {
		ck_assert_int_eq(atomic_load(&seen[i]), i < 3);
		ck_assert_int_eq(a.status[i], i < 3 ? 0 : 77);
		ck_assert_uint_eq(a.results[i].len, 0);
		ck_assert_ptr_null(a.results[i].heap);
	}
	n = pool_take_stats(p, ws, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ws[0].tasks, 0);
	for (int i = 0; i < 3; i++)
		pid[i] = case_apply_pid(p);
	if (opt.kind == POOL_PROCESSES) {
		ck_assert_int_eq(pid[0], pid[1]);
		ck_assert_int_ne(pid[1], pid[2]);
	}
	pool_free(p);
	arrays_free(&a);
	tvp_assert_no_children();
}
END_TEST

/* A record that fails fails the wake with its status and message; the
 * pool goes on. No records: a plain wake. */
START_TEST(wake_map_reports_a_failed_record)
{
	struct arrays a;
	char err[256] = "";
	struct pool *p;
	int rc;

	make_seen();
	arrays_new(&a, 1);
	p = case_start(&kinds[_i]);
	rc = pool_wake_map(p, task_mark, a.args, sizeof *a.args, 3, a.results, a.status, err,
			   sizeof err);
	ck_assert_int_eq(rc, -EIO);
	ck_assert_msg(strstr(err, "record 1 refused"), "err: %s", err);
	ck_assert_int_eq(pool_wake_map(p, task_mark, a.args, sizeof *a.args, 0, a.results,
				       a.status, err, sizeof err), 0);
	ck_assert_int_eq(atomic_load(&seen[3]), 0);
	ck_assert_int_gt(case_apply_pid(p), 0);
	pool_free(p);
	arrays_free(&a);
	tvp_assert_no_children();
}
END_TEST

static void init_sleep(void *arg)
{
	(void)arg;
	sleep_ns(300000000);
}

static uint64_t thread_cpu_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (uint64_t)ru.ru_utime.tv_sec * 1000000000u + (uint64_t)ru.ru_utime.tv_usec * 1000u +
	       (uint64_t)ru.ru_stime.tv_sec * 1000000000u + (uint64_t)ru.ru_stime.tv_usec * 1000u;
}

/* While its workers start (here: an initializer that sleeps 300 ms), the
 * caller of pool_new sleeps, even with a spin window longer than the whole
 * start: its CPU time is a small part of the wall time (it would be all of
 * it, spinning). */
START_TEST(start_sleeps_while_workers_start)
{
	struct pool_options opt = kinds[_i];
	uint64_t t0, c0, wall, cpu;
	struct pool *p;

	opt.workers = 1;
	opt.spin_ns = 10000000000ull;
	opt.initializer = init_sleep;
	t0 = now_ns();
	c0 = thread_cpu_ns();
	p = case_start(&opt);
	cpu = thread_cpu_ns() - c0;
	wall = now_ns() - t0;
	ck_assert_msg(cpu * 3 < wall, "pool_new took %llu ns of CPU in %llu ns",
		      (unsigned long long)cpu, (unsigned long long)wall);
	pool_free(p);
	tvp_assert_no_children();
}
END_TEST

static struct stall watch;

static pid_t watch_stalled(void *arg)
{
	(void)arg;
	return stall_check(&watch);
}

static void init_stop(void *arg)
{
	(void)arg;
	raise(SIGSTOP);
}

/* A worker stopped (SIGSTOP) while the pool starts, or while it wakes,
 * fails the wait once the watchdog (opt.stalled) names it: -ETIMEDOUT,
 * the message names the pid, the pool is terminated and no child is left.
 * (Before, pool_new and pool_wake waited for it for good.) */
START_TEST(a_stopped_worker_fails_the_warm_up)
{
	struct pool_options opt = kinds[1 + _i];
	struct arrays a;
	char err[256] = "";
	struct pool *p = NULL;
	int64_t pid;
	int rc;

	opt.workers = 1;
	opt.stalled = watch_stalled;
	opt.initializer = init_stop;
	stall_start(&watch, 1);
	rc = pool_new(&p, &opt, err, sizeof err);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, "made no progress") && strstr(err, "stopped?"), "err: %s", err);
	tvp_assert_no_children();

	opt.initializer = NULL;
	stall_start(&watch, 0);   /* never reports while it starts */
	p = case_start(&opt);
	pid = case_apply_pid(p);
	ck_assert_int_eq(kill((pid_t)pid, SIGSTOP), 0);
	make_seen();
	arrays_new(&a, -1);
	stall_start(&watch, 1);
	rc = pool_wake_map(p, task_mark, a.args, sizeof *a.args, 1, a.results, a.status, err,
			   sizeof err);
	ck_assert_int_eq(rc, -ETIMEDOUT);
	ck_assert_msg(strstr(err, "made no progress"), "err: %s", err);
	pool_free(p);
	arrays_free(&a);
	tvp_assert_no_children();
}
END_TEST

/* The pool modes' ready hook maps workload_touch_task over the first
 * records: with tasks that would sleep 60 s each it returns in a small part
 * of one task's time, every record's status 0 and result empty. */
START_TEST(pool_modes_ready_runs_no_task)
{
	static const char *names[] = { "thread-pool", "fork-pool", "executor-thread",
				       "executor-fork" };
	const struct mode *md = mode_find(names[_i]);
	struct workload_inst wi = { .wl = workload_find("sleep"), .size = 60000000000ull };
	struct mode_run m;
	uint64_t t0;
	int rc;

	ck_assert_ptr_nonnull(md);
	ck_assert_ptr_nonnull(md->ready);
	memset(&m, 0, sizeof m);
	m.wi = &wi;
	m.workers = 2;
	m.channel = CHANNEL_SHM;
	mode_run_alloc_arrays(&m, 4);
	rc = md->setup(&m);
	ck_assert_msg(rc == 0, "%s setup: %s", md->name, m.err);
	t0 = now_ns();
	rc = md->ready(&m);
	ck_assert_msg(rc == 0, "%s ready: %s", md->name, m.err);
	ck_assert_uint_lt(now_ns() - t0, wi.size / 10);
	for (uint64_t i = 0; i < m.tasks; i++) {
		ck_assert_int_eq(m.status[i], 0);
		ck_assert_uint_eq(m.results[i].len, 0);
	}
	md->teardown(&m);
	mode_run_free_arrays(&m);
	tvp_assert_no_children();
}
END_TEST

/* The touch task itself: status 0, no result, whatever the workload. */
START_TEST(touch_task_runs_nothing)
{
	struct workload_inst wi = { .wl = workload_find("sleep"), .size = 60000000000ull };
	struct task_arg ta = { .wi = &wi, .index = 3 };
	struct task_result r = TASK_RESULT_INIT;
	uint64_t t0 = now_ns();

	ck_assert_int_eq(workload_touch_task(&ta, sizeof ta, &r), 0);
	ck_assert_uint_eq(r.len, 0);
	ck_assert_int_eq(workload_touch_task(&ta, 1, &r), 0);
	ck_assert_uint_lt(now_ns() - t0, wi.size / 10);
}
END_TEST

static Suite *pool_wake_suite(void)
{
	Suite *s = suite_create("pool-wake");
	TCase *tc = tvp_tcase(s, "wake-map", 60);

	tcase_add_loop_test(tc, wake_map_runs_the_first_records_as_warm_up, 0, 3);
	tcase_add_loop_test(tc, wake_map_reports_a_failed_record, 0, 3);
	tcase_add_loop_test(tc, start_sleeps_while_workers_start, 0, 3);
	tcase_add_loop_test(tc, a_stopped_worker_fails_the_warm_up, 0, 2);
	tc = tvp_tcase(s, "modes", 60);
	tcase_add_loop_test(tc, pool_modes_ready_runs_no_task, 0, 4);
	tcase_add_test(tc, touch_task_runs_nothing);
	return s;
}

TVP_TEST_MAIN(pool_wake_suite)
