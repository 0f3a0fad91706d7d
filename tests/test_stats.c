/* test_stats.c: statistics against cases computed by hand. */
#include <math.h>

#include <string.h>

#include "bench/stats.h"
#include "bench/warnings.h"
#include "testutil.h"

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.12g, expected %.12g", #a, (double)(a), (double)(b))

START_TEST(odd_set)
{
	/* sorted 1 2 3 4 100: median 3; deviations 2 1 0 1 97 -> MAD 1;
	 * mean 22; 100 is (100-3)*0.6745/1 = 65 > 3.5: an outlier. */
	const double x[] = { 4, 100, 1, 3, 2 };
	bool out[5];
	struct stats s;

	stats_compute(x, 5, &s, out);
	ck_assert_uint_eq(s.n, 5);
	NEAR(s.min, 1);
	NEAR(s.max, 100);
	NEAR(s.median, 3);
	NEAR(s.mean, 22);
	NEAR(s.mad, 1);
	/* stddev: sum of squares about 22 = 441+400+361+324+6084 = 7610; /4 */
	NEAR(s.stddev, sqrt(7610.0 / 4));
	ck_assert_uint_eq(s.outliers, 1);
	ck_assert(out[1] && !out[0] && !out[2] && !out[3] && !out[4]);
	/* n = 5 cannot reach 95%: the interval is the range, coverage
	 * 1 - 2/32 = 0.9375. */
	NEAR(s.ci_lo, 1);
	NEAR(s.ci_hi, 100);
	NEAR(s.ci_level, 1 - 2.0 / 32);
}
END_TEST

START_TEST(even_set_median_is_mean_of_middle)
{
	const double x[] = { 10, 20, 30, 40 };
	struct stats s;

	stats_compute(x, 4, &s, NULL);
	NEAR(s.median, 25);
	/* deviations 15 5 5 15 -> MAD 10 */
	NEAR(s.mad, 10);
	ck_assert_uint_eq(s.outliers, 0);
}
END_TEST

START_TEST(ci_ranks_match_binomial_tables)
{
	/* Distribution-free 95% CI of the median: for n = 6 the ranks are
	 * 1 and 6 (P(B <= 0) = 1/64 = 0.0156 <= 0.025, P(B <= 1) = 7/64 >
	 * 0.025); for n = 10, ranks 2 and 9 (P(B <= 1) = 11/1024 = 0.0107,
	 * P(B <= 2) = 56/1024 = 0.0547); for n = 20, ranks 6 and 15
	 * (P(B <= 5) = 0.0207, P(B <= 6) = 0.0577). */
	size_t j;
	double level;

	level = stats_median_ci_rank(6, &j);
	ck_assert_uint_eq(j, 1);
	NEAR(level, 1 - 2.0 / 64);
	level = stats_median_ci_rank(10, &j);
	ck_assert_uint_eq(j, 2);
	NEAR(level, 1 - 2 * 11.0 / 1024);
	stats_median_ci_rank(20, &j);
	ck_assert_uint_eq(j, 6);
}
END_TEST

START_TEST(ci_brackets_median_on_larger_set)
{
	double x[20];
	struct stats s;

	for (int i = 0; i < 20; i++)
		x[i] = 20 - i;      /* 20 .. 1 */
	stats_compute(x, 20, &s, NULL);
	NEAR(s.median, 10.5);
	NEAR(s.ci_lo, 6);       /* 6th smallest */
	NEAR(s.ci_hi, 15);      /* 15th smallest */
	ck_assert(s.ci_level >= 0.95);
}
END_TEST

START_TEST(degenerate_sets)
{
	const double one[] = { 7 }, same[] = { 5, 5, 5, 9 };
	struct stats s;

	stats_compute(one, 1, &s, NULL);
	NEAR(s.median, 7);
	NEAR(s.stddev, 0);
	NEAR(s.ci_lo, 7);
	NEAR(s.ci_hi, 7);
	/* MAD 0: nothing is flagged, rather than everything. */
	stats_compute(same, 4, &s, NULL);
	NEAR(s.mad, 0);
	ck_assert_uint_eq(s.outliers, 0);
	stats_compute(NULL, 0, &s, NULL);
	ck_assert_uint_eq(s.n, 0);
}
END_TEST

START_TEST(json_keys_carry_the_unit)
{
	const double x[] = { 1, 2, 3 };
	struct stats s;
	json_t *o;

	stats_compute(x, 3, &s, NULL);
	o = stats_json(&s, "ns");
	NEAR(json_number_value(json_object_get(o, "median_ns")), 2);
	ck_assert_ptr_nonnull(json_object_get(o, "ci95_lo_ns"));
	ck_assert_ptr_nonnull(json_object_get(o, "mad_ns"));
	ck_assert_int_eq(json_integer_value(json_object_get(o, "n")), 3);
	json_decref(o);
}
END_TEST

/* The one warning rule of run and overhead: too few samples, a wide
 * interval; a tight set of enough samples says nothing. */
START_TEST(warnings_rule)
{
	const double few[] = { 10, 11, 12 }, tight[] = { 100, 100, 101, 100, 99, 100, 100, 101, 100 };
	struct warnings w = { 0 };
	struct stats s;

	stats_compute(few, 3, &s, NULL);
	stats_warn(&w, &s);
	ck_assert_uint_eq(w.n, 2);
	ck_assert_ptr_nonnull(strstr(w.items[0], "only 3 samples"));
	ck_assert_ptr_nonnull(strstr(w.items[1], "noisy"));
	warnings_release(&w);
	stats_compute(tight, 9, &s, NULL);
	stats_warn(&w, &s);
	ck_assert_uint_eq(w.n, 0);
	warnings_release(&w);
}
END_TEST

static Suite *stats_suite(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tvp_tcase(s, "stats", 5);

	tcase_add_test(tc, odd_set);
	tcase_add_test(tc, even_set_median_is_mean_of_middle);
	tcase_add_test(tc, ci_ranks_match_binomial_tables);
	tcase_add_test(tc, ci_brackets_median_on_larger_set);
	tcase_add_test(tc, degenerate_sets);
	tcase_add_test(tc, json_keys_carry_the_unit);
	tcase_add_test(tc, warnings_rule);
	return s;
}

TVP_TEST_MAIN(stats_suite)
