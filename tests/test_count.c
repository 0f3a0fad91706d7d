/* test_count.c: the count workload: the loop counts, results are checked,
 * and a wrong checksum is caught. */
#include <string.h>

#include "workloads/count.h"
#include "testutil.h"
#include "bench/util.h"
#include "workloads/workload.h"

START_TEST(loop_counts_exactly)
{
	ck_assert_uint_eq(count_loop(0), 0);
	ck_assert_uint_eq(count_loop(1), 1);
	ck_assert_uint_eq(count_loop(12345677), 12345677);
}
END_TEST

START_TEST(task_result_verifies_and_wrong_one_fails)
{
	const struct workload *wl = workload_find("count");
	struct workload_inst wi = { .wl = wl, .size = 1000 };
	struct task_arg arg = { &wi, 3 };
	struct task_result r = TASK_RESULT_INIT;
	uint64_t wrong = 999;
	char err[256] = "";

	ck_assert_ptr_nonnull(wl);
	ck_assert_int_eq(workload_run_task(&arg, sizeof arg, &r), 0);
	ck_assert(wl->verify(&wi, 3, &r, err, sizeof err));
	task_result_set(&r, &wrong, sizeof wrong);
	ck_assert(!wl->verify(&wi, 3, &r, err, sizeof err));
	ck_assert_msg(strstr(err, "counted to 999, expected 1000"), "%s", err);
	task_result_set(&r, "x", 1);
	ck_assert(!wl->verify(&wi, 3, &r, err, sizeof err));
	task_result_release(&r);
	/* A malformed argument is an error, not a crash. */
	ck_assert_int_lt(workload_run_task(&arg, 3, &r), 0);
	task_result_release(&r);
}
END_TEST

START_TEST(calibration_lands_near_target)
{
	const struct workload *wl = workload_find("count");
	uint64_t n = wl->calibrate(20000000);   /* 20 ms */
	uint64_t t0 = now_ns(), dt;

	count_loop(n);
	dt = now_ns() - t0;
	/* Gross bounds only: the machine is shared and drifts by 2x. */
	ck_assert_msg(dt > 2000000 && dt < 200000000, "calibrated %llu iterations took %llu ns",
		      (unsigned long long)n, (unsigned long long)dt);
}
END_TEST

static Suite *count_suite(void)
{
	Suite *s = suite_create("count");
	TCase *tc = tvp_tcase(s, "count", 20);

	tcase_add_test(tc, loop_counts_exactly);
	tcase_add_test(tc, task_result_verifies_and_wrong_one_fails);
	tcase_add_test(tc, calibration_lands_near_target);
	return s;
}

TVP_TEST_MAIN(count_suite)
