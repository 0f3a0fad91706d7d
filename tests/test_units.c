/* test_units.c: every unit's text against cases written by hand. */
#include <string.h>

#include "bench/units.h"
#include "testutil.h"

#define SAME(call, want)                                                          \
	do {                                                                      \
		char b_[UNITS_LEN];                                               \
		const char *g_ = (call);                                          \
		ck_assert_ptr_eq(g_, b_);                                         \
		ck_assert_msg(!strcmp(g_, want), "%s = '%s', expected '%s'", #call, \
			      g_, want);                                          \
	} while (0)
#define B b_, sizeof b_

START_TEST(bytes_binary_and_exact_when_round)
{
	SAME(units_bytes(B, 64), "64 B");
	SAME(units_bytes(B, 4096), "4 KiB");
	SAME(units_bytes(B, 4194304), "4 MiB");
	SAME(units_bytes(B, 1048576), "1 MiB");
	SAME(units_bytes(B, 142336), "139 KiB");
	SAME(units_bytes(B, 22582272), "21.5 MiB");
	SAME(units_bytes(B, 1023.9), "1 KiB");
	SAME(units_bytes(B, 0), "0 B");
}
END_TEST

START_TEST(rates_decimal_from_bytes_per_s)
{
	/* memcpy-bw-4mib in the sample: bytes_per_s 45207779912.68 */
	SAME(units_rate(B, 45207779912.68425), "45.2 GB/s");
	SAME(units_rate(B, 156630959.591119), "157 MB/s");
	SAME(units_rate(B, 999.7e6), "1 GB/s");
	SAME(units_rate(B, 12), "12 B/s");
}
END_TEST

START_TEST(counts_round_ones_get_a_prefix)
{
	SAME(units_count(B, 20000000), "20M");
	SAME(units_count(B, 100000), "100k");
	SAME(units_count(B, 4096), "4096");
	SAME(units_count(B, 65536), "65536");
	SAME(units_count(B, 1500000), "1.5M");
	SAME(units_count(B, 1234567), "1.23M");
	SAME(units_count(B, 7), "7");
}
END_TEST

START_TEST(sizes_in_their_workload_unit)
{
	SAME(units_size(B, 20000000, "iterations"), "20M iterations");
	SAME(units_size(B, 100000, "increments"), "100k increments");
	SAME(units_size(B, 4194304, "bytes"), "4 MiB");
	SAME(units_size(B, 5000000, "ns"), "5 ms");
	SAME(units_size(B, 2500000, "ns"), "2.5 ms");
	SAME(units_size(B, 1, "(ignored)"), "-");
}
END_TEST

START_TEST(times_and_overhead_values)
{
	SAME(units_time(B, 44120000), "44.12 ms");
	SAME(units_time(B, 493), "493 ns");
	SAME(units_value(B, 236880, "ns"), "236.88 us");
	SAME(units_value(B, 8192, "bytes"), "8 KiB");
	SAME(units_value(B, 45207779912.68, "bytes_per_s"), "45.2 GB/s");
	SAME(units_value(B, 3.5, "widgets"), "3.5 widgets");
}
END_TEST

START_TEST(ratios_keep_the_digits_that_matter)
{
	SAME(units_ratio(B, 1875.36), "1875");
	SAME(units_ratio(B, 2.049), "2.05");
	SAME(units_ratio(B, 0.63), "0.63");
	SAME(units_ratio(B, 0.000533), "0.00053");
	SAME(units_ratio(B, 0), "0.00");
}
END_TEST

START_TEST(seconds_rounded_for_people)
{
	ck_assert_double_eq(units_round_seconds(12.345678901234567), 12.3);
	ck_assert_double_eq(units_round_seconds(224.4999), 224);
	ck_assert_double_eq(units_round_seconds(0.0123456), 0.0123);
	ck_assert_double_eq(units_round_seconds(0), 0);
}
END_TEST

static Suite *units_suite(void)
{
	Suite *s = suite_create("units");
	TCase *tc = tvp_tcase(s, "units", 10);

	tcase_add_test(tc, bytes_binary_and_exact_when_round);
	tcase_add_test(tc, rates_decimal_from_bytes_per_s);
	tcase_add_test(tc, counts_round_ones_get_a_prefix);
	tcase_add_test(tc, sizes_in_their_workload_unit);
	tcase_add_test(tc, times_and_overhead_values);
	tcase_add_test(tc, ratios_keep_the_digits_that_matter);
	tcase_add_test(tc, seconds_rounded_for_people);
	return s;
}

TVP_TEST_MAIN(units_suite)
