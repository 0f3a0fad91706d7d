/* test_sleep.c: the sleep workload: sizes, results in every way a mode runs
 * tasks, and sleeping tasks overlapping beyond the core count. */
#include <stdlib.h>

#include "testutil.h"
#include "wltest.h"
#include "bench/util.h"

START_TEST(size_is_a_duration)
{
	const struct workload *wl = workload_find("sleep");
	char err[256] = "";
	uint64_t ns = 0;

	ck_assert_ptr_nonnull(wl);
	ck_assert(wl->parse_size("10ms", &ns, err, sizeof err));
	ck_assert_uint_eq(ns, 10000000);
	ck_assert(wl->parse_size("250us", &ns, err, sizeof err));
	ck_assert_uint_eq(ns, 250000);
	ck_assert(!wl->parse_size("10", &ns, err, sizeof err));
	/* Why; what is accepted is the workload's size_help, which tvp run
	 * adds (test_run_options). */
	ck_assert_str_eq(err, "'10' is not a duration");
	ck_assert(strstr(wl->size_help, "ms") && strstr(wl->size_help, "from 1us to 1h"));
	ck_assert(!wl->parse_size("0ms", &ns, err, sizeof err));
	ck_assert_msg(strstr(err, "range"), "%s", err);
	ck_assert(!wl->parse_size("2h", &ns, err, sizeof err));
	ck_assert_uint_eq(wl->default_size(false), 20000000);
	ck_assert_uint_lt(wl->default_size(true), wl->default_size(false));
}
END_TEST

START_TEST(every_way_verifies)
{
	struct wlt t;

	wlt_init(&t, "sleep", "1ms", NULL);
	wlt_setup(&t);
	wlt_run_serial(&t, 4);
	wlt_run_threads(&t, 16, 8);
	wlt_run_forked(&t, 16, 5);
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

START_TEST(verify_catches_a_wrong_index)
{
	struct wlt t;
	struct task_result r = TASK_RESULT_INIT;
	char err[256] = "";

	wlt_init(&t, "sleep", "1us", NULL);
	wlt_setup(&t);
	ck_assert_int_eq(wlt_task(&t, 7, &r), 0);
	ck_assert(t.wi.wl->verify(&t.wi, 7, &r, err, sizeof err));
	ck_assert(!t.wi.wl->verify(&t.wi, 8, &r, err, sizeof err));
	ck_assert_msg(strstr(err, "task 8"), "%s", err);
	task_result_release(&r);
	wlt_teardown(&t);
}
END_TEST

/* 32 threads and 32 processes each sleeping 100 ms: one after another that
 * is 32 sleeps; overlapped it is about one, whatever the core count. The
 * baseline is 8 sleeps in a row measured here (so a slow or loaded machine,
 * or a sanitizer build, raises it too); the bound, twice the baseline, is
 * half of what no overlap at all would take: only a run that failed to
 * overlap can miss it. */
START_TEST(sleeps_overlap_beyond_the_cores)
{
	struct wlt t;
	uint64_t t0, serial_ns, ns;

	wlt_init(&t, "sleep", "100ms", NULL);
	wlt_setup(&t);
	t0 = now_ns();
	wlt_run_serial(&t, 8);
	serial_ns = now_ns() - t0;
	t0 = now_ns();
	wlt_run_threads(&t, 32, 32);
	ns = now_ns() - t0;
	ck_assert_msg(ns < 2 * serial_ns, "32 threads took %.0f ms, 8 sleeps in a row %.0f ms",
		      ns / 1e6, serial_ns / 1e6);
	t0 = now_ns();
	wlt_run_forked(&t, 32, 32);
	ns = now_ns() - t0;
	ck_assert_msg(ns < 2 * serial_ns, "32 processes took %.0f ms, 8 sleeps in a row %.0f ms",
		      ns / 1e6, serial_ns / 1e6);
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

	tvp_run_cli(&c, 60, "run", "--workload", "sleep", "--quick", "--workers", "1,3", "--repeat", "1", "--warmup", "0", "--quiet", "--output", out, NULL);
	wlt_check_every_mode(&c, out, "sleep");
	tvp_cmd_free(&c);
	free(out);
	tvp_assert_no_children();
}
END_TEST

static Suite *sleep_suite(void)
{
	Suite *s = suite_create("sleep");

	tcase_add_test(tvp_tcase(s, "size", 5), size_is_a_duration);
	tcase_add_test(tvp_tcase(s, "modes", 20), every_way_verifies);
	tcase_add_test(tvp_tcase(s, "verify", 5), verify_catches_a_wrong_index);
	tcase_add_test(tvp_tcase(s, "overlap", 30), sleeps_overlap_beyond_the_cores);
	tcase_add_test(tvp_tcase(s, "cli", 90), cli_every_mode);
	return s;
}

TVP_TEST_MAIN(sleep_suite)
