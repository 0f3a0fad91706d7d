/* test_mixed.c: the mixed workload: the --cpu-fraction option, results in
 * every way a mode runs tasks, and a task's length roughly matching --size. */
#include <stdlib.h>

#include "testutil.h"
#include "wltest.h"
#include "bench/util.h"

START_TEST(cpu_fraction_option)
{
	char err[256] = "";

	ck_assert(wlt_check_option("mixed", "cpu-fraction", "0.5", err, sizeof err));
	ck_assert(wlt_check_option("mixed", "cpu-fraction", "0", err, sizeof err));
	ck_assert(wlt_check_option("mixed", "cpu-fraction", "1", err, sizeof err));
	ck_assert(!wlt_check_option("mixed", "cpu-fraction", "1.5", err, sizeof err));
	ck_assert_msg(strstr(err, "0 to 1"), "says what is accepted: %s", err);
	ck_assert(!wlt_check_option("mixed", "cpu-fraction", "-0.1", err, sizeof err));
	ck_assert(!wlt_check_option("mixed", "cpu-fraction", "half", err, sizeof err));
	ck_assert(!wlt_check_option("mixed", "cpu-fraction", "", err, sizeof err));
	ck_assert(!wlt_check_option("mixed", "cpu-fraction", "0.5x", err, sizeof err));
}
END_TEST

static const char *const fractions[] = { "0", "0.5", "1" };

START_TEST(every_way_verifies)
{
	struct wlt t;

	wlt_init(&t, "mixed", "2ms", "cpu-fraction", fractions[_i], NULL);
	wlt_setup(&t);
	wlt_run_serial(&t, 3);
	wlt_run_threads(&t, 8, 4);
	wlt_run_forked(&t, 8, 3);
	if (_i == 0)
		ck_assert(wlt_counter(&t, "cpu_iters") == 0);
	else
		ck_assert(wlt_counter(&t, "cpu_iters") > 0);
	if (_i == 2)
		ck_assert(wlt_counter(&t, "sleep_ns") == 0);
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

/* A lone 40 ms task, all computing or all sleeping, takes about 40 ms. The
 * bounds are wide (a quarter to twenty times) because the machine is shared:
 * they catch a calibration off by orders of magnitude, not noise. */
START_TEST(a_task_lasts_about_its_size)
{
	struct wlt t;
	struct task_result r = TASK_RESULT_INIT;
	uint64_t t0, dt;

	wlt_init(&t, "mixed", "40ms", "cpu-fraction", fractions[_i], NULL);
	wlt_setup(&t);
	t0 = now_ns();
	ck_assert_int_eq(wlt_task(&t, 0, &r), 0);
	dt = now_ns() - t0;
	ck_assert_msg(dt >= 10000000 && dt <= 800000000, "a 40 ms task took %.1f ms",
		      (double)dt / 1e6);
	task_result_release(&r);
	wlt_teardown(&t);
}
END_TEST

/* build/tvp runs it under every mode; the run loop checks every result
 * against serial's. */
START_TEST(cli_every_mode)
{
	char *out = wlt_json_path();
	struct tvp_cmd c;

	tvp_run_cli(&c, 60, "run", "--workload", "mixed", "--cpu-fraction", "0.3", "--quick", "--workers", "1,3", "--repeat", "1", "--warmup", "0", "--quiet", "--output", out, NULL);
	wlt_check_every_mode(&c, out, "mixed");
	tvp_cmd_free(&c);
	free(out);
	tvp_assert_no_children();
}
END_TEST

static Suite *mixed_suite(void)
{
	Suite *s = suite_create("mixed");

	tcase_add_test(tvp_tcase(s, "option", 5), cpu_fraction_option);
	tcase_add_loop_test(tvp_tcase(s, "modes", 30), every_way_verifies, 0,
			    (int)ARRAY_SIZE(fractions));
	tcase_add_loop_test(tvp_tcase(s, "length", 30), a_task_lasts_about_its_size, 0,
			    (int)ARRAY_SIZE(fractions));
	tcase_add_test(tvp_tcase(s, "cli", 90), cli_every_mode);
	return s;
}

TVP_TEST_MAIN(mixed_suite)
