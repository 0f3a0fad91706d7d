/* test_transfer.c: the transfer workload: results of many sizes reach the
 * parent intact from threads and from forked processes, and verify catches a
 * result that did not. */
#include <stdlib.h>

#include "testutil.h"
#include "wltest.h"
#include "bench/util.h"

static const char *const sizes[] = { "1", "7", "24", "25", "4K", "100003", "1M" };

START_TEST(every_size_every_way)
{
	struct wlt t;

	wlt_init(&t, "transfer", sizes[_i], NULL);
	wlt_setup(&t);
	wlt_run_serial(&t, 3);
	wlt_run_threads(&t, 8, 3);
	wlt_run_forked(&t, 8, 3);
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

START_TEST(verify_catches_damage)
{
	struct wlt t;
	struct task_result r = TASK_RESULT_INIT, other = TASK_RESULT_INIT;
	char err[256] = "";
	unsigned char *p;

	wlt_init(&t, "transfer", "4K", NULL);
	wlt_setup(&t);
	ck_assert_int_eq(wlt_task(&t, 3, &r), 0);
	ck_assert_uint_eq(r.len, 4096);
	ck_assert(t.wi.wl->verify(&t.wi, 3, &r, err, sizeof err));
	/* Another task's bytes are not this task's. */
	ck_assert_int_eq(wlt_task(&t, 4, &other), 0);
	ck_assert(!t.wi.wl->verify(&t.wi, 3, &other, err, sizeof err));
	/* One flipped byte is found and named. */
	p = r.heap;
	p[1000] ^= 0x40;
	ck_assert(!t.wi.wl->verify(&t.wi, 3, &r, err, sizeof err));
	ck_assert_msg(strstr(err, "byte 1000"), "%s", err);
	/* So is a short result. */
	r.len = 4095;
	ck_assert(!t.wi.wl->verify(&t.wi, 3, &r, err, sizeof err));
	ck_assert_msg(strstr(err, "4095"), "%s", err);
	task_result_release(&r);
	task_result_release(&other);
	wlt_teardown(&t);
}
END_TEST

START_TEST(sizes_and_rate)
{
	const struct workload *wl = workload_find("transfer");
	char err[256] = "";
	uint64_t b = 0;
	struct workload_inst wi = { .wl = wl, .size = 1000000 };

	ck_assert(wl->parse_size("4K", &b, err, sizeof err));
	ck_assert_uint_eq(b, 4096);
	ck_assert(wl->parse_size("4M", &b, err, sizeof err));
	ck_assert_uint_eq(b, 4u << 20);
	ck_assert(!wl->parse_size("4Q", &b, err, sizeof err));
	ck_assert_msg(strstr(err, "byte size"), "%s", err);
	ck_assert(!wl->parse_size("2G", &b, err, sizeof err));
	ck_assert_msg(strstr(err, "range"), "%s", err);
	/* 10 tasks of 10^6 bytes in one second: 10 MB/s. */
	ck_assert(wl->rate(&wi, 10, 1e9) > 9.99 && wl->rate(&wi, 10, 1e9) < 10.01);
	ck_assert_str_eq(wl->rate_key, "mb_per_s");
}
END_TEST

/* build/tvp runs it under every mode; the run loop checks every result
 * against serial's. */
START_TEST(cli_every_mode)
{
	char *out = wlt_json_path();
	struct tvp_cmd c;

	tvp_run_cli(&c, 60, "run", "--workload", "transfer", "--size", "64,100K", "--quick", "--workers", "1,3", "--repeat", "1", "--warmup", "0", "--quiet", "--output", out, NULL);
	wlt_check_every_mode(&c, out, "transfer");
	tvp_cmd_free(&c);
	free(out);
	tvp_assert_no_children();
}
END_TEST

static Suite *transfer_suite(void)
{
	Suite *s = suite_create("transfer");

	tcase_add_loop_test(tvp_tcase(s, "modes", 30), every_size_every_way, 0,
			    (int)ARRAY_SIZE(sizes));
	tcase_add_test(tvp_tcase(s, "verify", 5), verify_catches_damage);
	tcase_add_test(tvp_tcase(s, "sizes", 5), sizes_and_rate);
	tcase_add_test(tvp_tcase(s, "cli", 90), cli_every_mode);
	return s;
}

TVP_TEST_MAIN(transfer_suite)
