/* test_pool_thread.c: the pool API on the thread backend (the shared cases
 * in pool_cases.c), plus what only threads promise. */
#include <pthread.h>
#include <time.h>

#include "pool_cases.h"
#include "testutil.h"
#include "bench/util.h"

/* Threads: a deadline is not enforced (a thread cannot be killed); the
 * task runs to the end and succeeds. */
START_TEST(thread_deadline_is_ignored)
{
	struct pool *p = case_pool(1);
	int64_t ms = 50;
	struct pool_async *a = pool_apply_async(p, case_sleep, &ms, sizeof ms, NULL, NULL, NULL,
						1000000);
	struct task_result r = TASK_RESULT_INIT;

	ck_assert_int_eq(pool_async_get(a, POOL_FOREVER, &r), 0);
	ck_assert_int_eq(case_i64(&r), 50);
	pool_async_free(a);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

/* An idle pool sleeps: once the spin window (50 us by default) has passed,
 * its threads use next to no CPU. Gross bound: under 5% of a core over
 * 300 ms (spinning would be 100% per spinner). */
START_TEST(thread_idle_pool_sleeps)
{
	struct pool *p = case_pool(4);
	struct task_result r = TASK_RESULT_INIT;
	int64_t v = 2;
	struct timespec a, b;
	double used_ns;

	ck_assert_int_eq(pool_apply(p, case_square, &v, sizeof v, &r), 0);
	sleep_ns(50000000);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a);
	sleep_ns(300000000);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b);
	used_ns = (double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec);
	ck_assert_msg(used_ns < 0.05 * 300e6, "an idle pool used %.0f ns of CPU in 300 ms", used_ns);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

/* Many threads submitting and waiting at once (TSan's best chance). */
struct hammer {
	struct pool *p;
	int64_t base;
	int bad;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;

	for (int64_t i = 0; i < 300; i++) {
		struct task_result r = TASK_RESULT_INIT;
		int64_t v = h->base + i;

		if (pool_apply(h->p, case_square, &v, sizeof v, &r) != 0 || case_i64(&r) != v * v)
			h->bad++;
		task_result_release(&r);
	}
	return NULL;
}

START_TEST(thread_concurrent_callers)
{
	struct pool *p = case_pool(3);
	struct hammer h[4];
	pthread_t t[4];

	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ p, i * 1000, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_main, &h[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(h[i].bad, 0);
	}
	case_pool_free(p);
}
END_TEST

/* A spin window of 1 ns: every wait sleeps at once; results still arrive. */
START_TEST(thread_no_spin)
{
	struct pool_options opt = { .kind = POOL_THREADS, .workers = 2, .spin_ns = 1 };
	struct pool *p;
	char err[128];

	ck_assert_int_eq(pool_new(&p, &opt, err, sizeof err), 0);
	case_check_map(p, 500, 1);
	for (int64_t i = 0; i < 50; i++) {
		struct task_result r = TASK_RESULT_INIT;

		ck_assert_int_eq(pool_apply(p, case_square, &i, sizeof i, &r), 0);
		ck_assert_int_eq(case_i64(&r), i * i);
		task_result_release(&r);
	}
	case_pool_free(p);
}
END_TEST

static Suite *pool_thread_suite(void)
{
	Suite *s = pool_cases_suite("pool-thread", (struct case_config){ POOL_THREADS, CHANNEL_PIPE, POOL_START_FORK });
	TCase *tc = tvp_tcase(s, "threads", 30);

	tcase_add_test(tc, thread_deadline_is_ignored);
	tcase_add_test(tc, thread_idle_pool_sleeps);
	tcase_add_test(tc, thread_concurrent_callers);
	tcase_add_test(tc, thread_no_spin);
	return s;
}

TVP_TEST_MAIN(pool_thread_suite)
