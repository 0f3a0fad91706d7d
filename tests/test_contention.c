/* test_contention.c: the contention workload: exact totals with a mutex and
 * with atomics from threads and from processes, lost updates without a lock,
 * and a worker killed while holding the robust mutex. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "workloads/contention.h"
#include "testutil.h"
#include "wltest.h"
#include "bench/util.h"

static const char *const locked[] = { "mutex", "atomic", "private" };

START_TEST(locked_kinds_count_exactly)
{
	struct wlt t;

	wlt_init(&t, "contention", "100K", "lock", locked[_i], NULL);
	wlt_setup(&t);
	wlt_run_serial(&t, 2);
	ck_assert(wlt_counter(&t, "lost_updates") == 0);
	/* More threads and processes than cores: they fight for the lock. */
	wlt_run_threads(&t, 6, 6);
	ck_assert(wlt_counter(&t, "lost_updates") == 0);
	/* prepare resets: a second batch counts from zero again. */
	wlt_run_threads(&t, 2, 2);
	ck_assert(wlt_counter(&t, "lost_updates") == 0);
	if (strcmp(locked[_i], "private") != 0) {
		wlt_run_forked(&t, 6, 6);
		ck_assert(wlt_counter(&t, "lost_updates") == 0);
	}
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

START_TEST(verify_batch_catches_a_wrong_total)
{
	struct wlt t;
	char err[256] = "";

	wlt_init(&t, "contention", "1000", "lock", "atomic", NULL);
	wlt_setup(&t);
	wlt_run_serial(&t, 3);
	/* Three tasks ran; claiming four must fail. */
	ck_assert(!t.wi.wl->verify_batch(&t.wi, 4, err, sizeof err));
	ck_assert_msg(strstr(err, "4000"), "%s", err);
	wlt_teardown(&t);
}
END_TEST

/* Without a lock, two workers running at once lose updates. Losing one needs
 * the two to interleave: on two free cores they do within microseconds; on a
 * busy shared machine they may share one core, where an update is lost only
 * when one is preempted between its load and its store. 10M increments each
 * (tens of milliseconds, several scheduler time slices) make a loss near
 * certain either way; a run that lost nothing is still tried again (up to
 * five times) before the test fails, because "near" is not "always". */
START_TEST(no_lock_loses_updates)
{
	struct wlt t;
	double lost = 0;

	wlt_init(&t, "contention", "10M", "lock", "none", NULL);
	wlt_setup(&t);
	for (int attempt = 0; attempt < 5 && lost <= 0; attempt++) {
		if (_i == 0)
			wlt_run_threads(&t, 2, 2);
		else
			wlt_run_forked(&t, 2, 2);
		lost = wlt_counter(&t, "lost_updates");
	}
	ck_assert_msg(lost > 0, "two unlocked workers lost no update in five tries");
	ck_assert_msg(lost < 2e7, "lost %.0f of 20M updates", lost);
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

START_TEST(lock_option)
{
	char err[256] = "";

	ck_assert(wlt_check_option("contention", "lock", "mutex", err, sizeof err));
	ck_assert(wlt_check_option("contention", "lock", "atomic", err, sizeof err));
	ck_assert(wlt_check_option("contention", "lock", "none", err, sizeof err));
	ck_assert(!wlt_check_option("contention", "lock", "spin", err, sizeof err));
	ck_assert(wlt_check_option("contention", "lock", "private", err, sizeof err));
	ck_assert_msg(strstr(err, "mutex, private, atomic, none"), "says what is accepted: %s", err);
}
END_TEST

/* A child locks the shared mutex and is killed holding it; a second child is
 * already waiting for it inside a task. The waiter must get the lock
 * (EOWNERDEAD, recovered), finish its task with an exact count, and the
 * parent's next task must run normally. */
START_TEST(dead_holder_does_not_hang_the_others)
{
	struct wlt t;
	pid_t holder, waiter;
	int p[2], st;
	char c;

	wlt_init(&t, "contention", "50K", "lock", "mutex", NULL);
	wlt_setup(&t);
	wlt_prepare(&t);
	ck_assert_int_eq(pipe(p), 0);
	holder = fork();
	ck_assert(holder >= 0);
	if (holder == 0) {
		close(p[0]);
		if (pthread_mutex_lock(contention_lock(&t.wi)) != 0)
			_exit(1);
		write_full(p[1], "L", 1);
		sleep_ns(100000000);
		raise(SIGKILL);   /* dies holding the lock */
		_exit(2);
	}
	close(p[1]);
	ck_assert_int_eq(read_full(p[0], &c, 1), 0);   /* the lock is held now */
	close(p[0]);
	waiter = fork();
	ck_assert(waiter >= 0);
	if (waiter == 0) {
		struct task_result r = TASK_RESULT_INIT;
		_exit(wlt_task(&t, 0, &r) == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(holder, &st, 0), holder);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	ck_assert_int_eq(waitpid(waiter, &st, 0), waiter);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "waiter ended %#x", st);
	ck_assert(wlt_counter(&t, "owner_died") == 1);
	ck_assert(wlt_counter(&t, "lost_updates") == 0);
	{
		char err[256] = "";
		ck_assert_msg(t.wi.wl->verify_batch(&t.wi, 1, err, sizeof err), "%s", err);
	}
	/* And the lock keeps working for everyone after. */
	wlt_run_threads(&t, 4, 4);
	wlt_run_forked(&t, 2, 2);
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

/* build/tvp runs it under every mode; the run loop checks every result
 * against serial's. */
START_TEST(cli_every_mode)
{
	char *out = wlt_json_path();
	struct tvp_cmd c;

	tvp_run_cli(&c, 60, "run", "--workload", "contention", "--lock", "atomic", "--quick", "--workers", "1,3", "--repeat", "1", "--warmup", "0", "--quiet", "--output", out, NULL);
	wlt_check_every_mode(&c, out, "contention");
	tvp_cmd_free(&c);
	free(out);
	tvp_assert_no_children();
}
END_TEST

/* A thread-only mutex in a forked worker would lose its wake-ups (and could
 * hang); the task refuses instead, saying why and what to use. */
START_TEST(private_lock_refuses_forked_workers)
{
	struct wlt t;
	int p[2], st;
	char msg[512] = "";
	ssize_t n;
	pid_t pid;

	wlt_init(&t, "contention", "1000", "lock", "private", NULL);
	wlt_setup(&t);
	wlt_prepare(&t);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct task_result r = TASK_RESULT_INIT;
		int rc = wlt_task(&t, 0, &r);

		write_full(p[1], task_result_data(&r), r.len);
		_exit(rc == -EINVAL ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof msg - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "forked task did not refuse: %s", msg);
	ck_assert_msg(strstr(msg, "forked process") && strstr(msg, "--lock mutex"), "%s", msg);
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

static Suite *contention_suite(void)
{
	Suite *s = suite_create("contention");

	tcase_add_loop_test(tvp_tcase(s, "locked", 60), locked_kinds_count_exactly, 0,
			    (int)ARRAY_SIZE(locked));
	tcase_add_test(tvp_tcase(s, "verify_batch", 10), verify_batch_catches_a_wrong_total);
	tcase_add_loop_test(tvp_tcase(s, "none", 60), no_lock_loses_updates, 0, 2);
	tcase_add_test(tvp_tcase(s, "option", 5), lock_option);
	tcase_add_test(tvp_tcase(s, "private_forked", 10), private_lock_refuses_forked_workers);
	tcase_add_test(tvp_tcase(s, "robust", 20), dead_holder_does_not_hang_the_others);
	tcase_add_test(tvp_tcase(s, "cli", 90), cli_every_mode);
	return s;
}

TVP_TEST_MAIN(contention_suite)
