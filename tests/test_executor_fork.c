/* test_executor_fork.c: executors and futures over the fork pool: the shared
 * executor cases (pool_cases.c) on the shm channel, then, on both channels,
 * what a process executor adds: cancel before and after start, result and
 * exception timeouts, an error and its message carried back across the
 * process boundary, a deadline that kills the task, a crashed worker. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pool_cases.h"
#include "testutil.h"
#include "bench/util.h"

static const enum channel_kind chans[] = { CHANNEL_PIPE, CHANNEL_SHM };

static struct executor *fork_executor(enum channel_kind ch, unsigned workers)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = workers, .channel = ch };
	struct executor *ex = NULL;
	char err[256] = "";
	int rc = executor_new(&ex, &opt, err, sizeof err);

	ck_assert_msg(rc == 0, "executor_new: %s (%d)", err, rc);
	return ex;
}

static struct future *submit_i64(struct executor *ex, task_fn fn, int64_t v, uint64_t deadline_ns)
{
	struct future *f = executor_submit(ex, fn, &v, sizeof v, deadline_ns);

	ck_assert_ptr_nonnull(f);
	return f;
}

static bool has(const struct task_result *r, const char *s)
{
	char buf[600];
	size_t n = r->len < sizeof buf - 1 ? r->len : sizeof buf - 1;

	memcpy(buf, task_result_data(r), n);
	buf[n] = '\0';
	return strstr(buf, s) != NULL;
}

/* One worker busy with a long task: a queued future cancels, the running
 * one does not; the long one still finishes. */
START_TEST(cancel_before_and_after_start)
{
	struct executor *ex = fork_executor(chans[_i], 1);
	struct future *run = submit_i64(ex, case_sleep, 300, 0);
	struct future *queued = submit_i64(ex, case_square, 4, 0);
	struct task_result r = TASK_RESULT_INIT;

	case_wait_future_running(run);
	ck_assert(!future_cancel(run));
	ck_assert(future_cancel(queued));
	ck_assert(future_cancelled(queued));
	ck_assert(future_done(queued));
	ck_assert_int_eq(future_result(queued, 0, &r), -ECANCELED);
	ck_assert_int_eq(future_result(run, POOL_FOREVER, &r), 0);
	ck_assert_int_eq(case_i64(&r), 300);
	future_free(run);
	future_free(queued);
	task_result_release(&r);
	case_executor_free(ex);
}
END_TEST

START_TEST(result_and_exception_time_out)
{
	struct executor *ex = fork_executor(chans[_i], 1);
	struct future *f = submit_i64(ex, case_sleep, 300, 0);
	struct task_result r = TASK_RESULT_INIT;
	uint64_t t0 = now_ns();

	ck_assert_int_eq(future_result(f, 20000000, &r), -ETIMEDOUT);
	ck_assert_int_eq(future_exception(f, 20000000, &r), -ETIMEDOUT);
	ck_assert_uint_ge(now_ns() - t0, 40000000u);
	ck_assert(!future_done(f));
	ck_assert_int_eq(future_exception(f, POOL_FOREVER, &r), 0);
	ck_assert_int_eq(future_result(f, 0, &r), 0);
	ck_assert_int_eq(case_i64(&r), 300);
	future_free(f);
	task_result_release(&r);
	case_executor_free(ex);
}
END_TEST

START_TEST(error_carried_back)
{
	struct executor *ex = fork_executor(chans[_i], 2);
	struct future *f = submit_i64(ex, case_fail_odd, 41, 0);
	struct task_result r = TASK_RESULT_INIT;

	ck_assert_int_eq(future_exception(f, POOL_FOREVER, &r), -EIO);
	ck_assert_msg(has(&r, "odd value 41"), "message: %.*s", (int)r.len,
		      (const char *)task_result_data(&r));
	ck_assert_int_eq(future_result(f, 0, &r), -EIO);
	ck_assert(has(&r, "odd value 41"));
	future_free(f);
	task_result_release(&r);
	case_executor_free(ex);
}
END_TEST

/* arg: ignored; waits until it is killed. */
static int task_hang(const void *arg, size_t len, struct task_result *out)
{
	while (!tvp_interrupted)
		pause();
	return 0;
}

/* arg: ignored; dies by SIGABRT. */
static int task_abort(const void *arg, size_t len, struct task_result *out)
{
	abort();
	return 0;
}

START_TEST(deadline_and_crash)
{
	struct executor *ex = fork_executor(chans[_i], 2);
	struct future *slow = submit_i64(ex, task_hang, 0, 50000000);
	struct future *dead = submit_i64(ex, task_abort, 0, 0);
	struct future *fs[2] = { slow, dead };
	bool done[2];
	struct task_result r = TASK_RESULT_INIT;
	struct future *after;

	ck_assert_int_eq(executor_wait(fs, 2, WAIT_ALL_COMPLETED, 10000000000ll, done), 0);
	ck_assert(done[0] && done[1]);
	ck_assert_int_eq(future_exception(slow, 0, &r), -ETIMEDOUT);
	ck_assert(has(&r, "ran past its deadline"));
	ck_assert_int_eq(future_exception(dead, 0, &r), -ECHILD);
	ck_assert(has(&r, "killed by signal 6 (Aborted)"));
	/* Replacements took over. */
	after = submit_i64(ex, case_square, 6, 0);
	ck_assert_int_eq(future_result(after, POOL_FOREVER, &r), 0);
	ck_assert_int_eq(case_i64(&r), 36);
	future_free(slow);
	future_free(dead);
	future_free(after);
	task_result_release(&r);
	case_executor_free(ex);
}
END_TEST

static Suite *executor_fork_suite(void)
{
	Suite *s;
	TCase *tc;

	s = executor_cases_suite("executor-fork", (struct case_config){ POOL_PROCESSES, CHANNEL_SHM, POOL_START_FORK });
	tc = tvp_tcase(s, "processes", 30);
	tcase_add_loop_test(tc, cancel_before_and_after_start, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, result_and_exception_time_out, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, error_carried_back, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, deadline_and_crash, 0, ARRAY_SIZE(chans));
	return s;
}

TVP_TEST_MAIN(executor_fork_suite)
