/* test_task.c: the task ABI's result buffers and the workload size parsers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "par/task.h"
#include "testutil.h"
#include "workloads/workload.h"

START_TEST(small_results_are_inline)
{
	struct task_result r = TASK_RESULT_INIT;
	uint64_t v = 42, got;

	task_result_set(&r, &v, sizeof v);
	ck_assert_ptr_null(r.heap);
	ck_assert_uint_eq(r.len, sizeof v);
	memcpy(&got, task_result_data(&r), sizeof got);
	ck_assert_uint_eq(got, 42);
	task_result_release(&r);
	ck_assert_uint_eq(r.len, 0);
}
END_TEST

START_TEST(large_results_and_adopt_and_move)
{
	struct task_result a = TASK_RESULT_INIT, b = TASK_RESULT_INIT;
	char *big = malloc(1000);

	memset(big, 'x', 1000);
	task_result_adopt(&a, big, 1000);
	ck_assert_ptr_eq(task_result_data(&a), big);
	task_result_move(&b, &a);
	ck_assert_uint_eq(a.len, 0);
	ck_assert_ptr_null(a.heap);
	ck_assert_uint_eq(b.len, 1000);
	ck_assert_int_eq(((const char *)task_result_data(&b))[999], 'x');
	task_result_release(&b);
}
END_TEST

START_TEST(error_carries_message)
{
	struct task_result r = TASK_RESULT_INIT;
	int rc = task_result_error(&r, -EIO, "disk said %d", 5);

	ck_assert_int_eq(rc, -EIO);
	ck_assert_uint_eq(r.len, strlen("disk said 5"));
	ck_assert(memcmp(task_result_data(&r), "disk said 5", r.len) == 0);
	task_result_release(&r);
}
END_TEST

static const struct {
	const char *text;
	bool ok;
	uint64_t value;
} counts[] = {
	{ "1", true, 1 },        { "20M", true, 20000000 }, { "20m", true, 20000000 },
	{ "2.5K", true, 2500 },  { "1G", true, 1000000000 }, { "0", false, 0 },
	{ "abc", false, 0 },     { "", false, 0 },           { "-5", false, 0 },
	{ "5X", false, 0 },      { "10000G", false, 0 },     { "1e3", true, 1000 },
	{ " 5", false, 0 },      { "5 ", false, 0 },
};

START_TEST(count_table)
{
	char err[200] = "";
	uint64_t v = 0;
	bool ok = parse_count(counts[_i].text, 1, 1000000000000ull, &v, err, sizeof err);

	ck_assert_msg(ok == counts[_i].ok, "'%s': got %d (%s)", counts[_i].text, ok, err);
	if (ok)
		ck_assert_uint_eq(v, counts[_i].value);
	else   /* why, naming the text; the caller says what is accepted */
		ck_assert_msg(strstr(err, "' is not a count") || strstr(err, "' is out of range"),
			      "'%s': message '%s' says why", counts[_i].text, err);
}
END_TEST

START_TEST(bytes_and_durations)
{
	char err[200];
	uint64_t v;

	ck_assert(parse_bytes("4K", 1, 1ull << 40, &v, err, sizeof err) && v == 4096);
	ck_assert(parse_bytes("4MiB", 1, 1ull << 40, &v, err, sizeof err) && v == 4u << 20);
	ck_assert(parse_bytes("64", 1, 1ull << 40, &v, err, sizeof err) && v == 64);
	ck_assert(!parse_bytes("4Q", 1, 1ull << 40, &v, err, sizeof err));
	ck_assert(parse_duration("10ms", 1, 1000000000000ull, &v, err, sizeof err) && v == 10000000);
	ck_assert(parse_duration("5us", 1, 1000000000000ull, &v, err, sizeof err) && v == 5000);
	ck_assert(parse_duration("2s", 1, 1000000000000ull, &v, err, sizeof err) && v == 2000000000);
	ck_assert(!parse_duration("10", 1, 1000000000000ull, &v, err, sizeof err));
	ck_assert(!parse_duration("10 ms", 1, 1000000000000ull, &v, err, sizeof err));
	/* A bare 0 needs no unit, where nought is allowed. */
	ck_assert(parse_duration("0", 0, 1000000000000ull, &v, err, sizeof err) && v == 0);
	ck_assert(!parse_duration("0", 1, 1000000000000ull, &v, err, sizeof err));
}
END_TEST

static Suite *task_suite(void)
{
	Suite *s = suite_create("task");
	TCase *tc = tvp_tcase(s, "results", 5);

	tcase_add_test(tc, small_results_are_inline);
	tcase_add_test(tc, large_results_and_adopt_and_move);
	tcase_add_test(tc, error_carries_message);
	tc = tvp_tcase(s, "sizes", 5);
	tcase_add_loop_test(tc, count_table, 0, sizeof counts / sizeof counts[0]);
	tcase_add_test(tc, bytes_and_durations);
	return s;
}

TVP_TEST_MAIN(task_suite)
