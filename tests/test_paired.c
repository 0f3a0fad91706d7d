/* test_paired.c: paired ratios, their intervals and verdicts against cases
 * computed by hand. */
#include <math.h>

#include "bench/paired.h"
#include "testutil.h"

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.12g, expected %.12g", #a, (double)(a), (double)(b))

START_TEST(three_pairs_cover_75_percent)
{
	/* ratios 100/50 = 2, 100/40 = 2.5, 100/25 = 4: median 2.5; n = 3 has
	 * no 95% interval, so the CI is the range [2, 4] with coverage
	 * 1 - 2 P(B = 0) = 1 - 2/8 = 0.75. */
	const double base[] = { 100, 100, 100 }, cell[] = { 50, 40, 25 };
	struct paired p;

	paired_ratio(base, cell, 3, &p);
	ck_assert_uint_eq(p.n, 3);
	NEAR(p.ratio, 2.5);
	NEAR(p.ci_lo, 2);
	NEAR(p.ci_hi, 4);
	NEAR(p.ci_level, 0.75);
}
END_TEST

START_TEST(missing_rounds_are_skipped_for_both)
{
	/* The same three ratios, with round 1 missing for the base (NaN),
	 * round 3 excluded for the cell (NaN) and round 5 a zero time: only
	 * rounds 0, 2, 4 pair. */
	const double base[] = { 100, NAN, 100, 100, 100, 0 };
	const double cell[] = { 50, 10, 40, NAN, 25, 10 };
	struct paired p;

	paired_ratio(base, cell, 6, &p);
	ck_assert_uint_eq(p.n, 3);
	NEAR(p.ratio, 2.5);
	NEAR(p.ci_level, 0.75);
	paired_ratio(base, cell, 0, &p);
	ck_assert_uint_eq(p.n, 0);
	NEAR(p.ratio, 0);
	ck_assert(isinf(paired_rel_halfwidth(&p)));
}
END_TEST

START_TEST(even_n_takes_the_geometric_middle)
{
	/* ratios 1, 2, 4, 8: the median of the logs is (log 2 + log 4) / 2, so
	 * the ratio is sqrt(2 * 4) = sqrt(8); CI the range [1, 8], coverage
	 * 1 - 2/16 = 0.875. The other way round, exactly the inverses. */
	const double base[] = { 8, 8, 8, 8 }, cell[] = { 8, 4, 2, 1 };
	struct paired p, q;

	paired_ratio(base, cell, 4, &p);
	NEAR(p.ratio, sqrt(8));
	NEAR(p.ci_lo, 1);
	NEAR(p.ci_hi, 8);
	NEAR(p.ci_level, 0.875);
	paired_ratio(cell, base, 4, &q);
	NEAR(q.ratio, 1 / sqrt(8));
	NEAR(q.ci_lo, 1.0 / 8);
	NEAR(q.ci_hi, 1);
}
END_TEST

START_TEST(ten_pairs_use_ranks_2_and_9)
{
	/* ratios 1.01 .. 1.10 in scrambled rounds: median sqrt(1.05 * 1.06);
	 * for n = 10 the binomial rule gives ranks 2 and 9 (P(B <= 1) =
	 * 11/1024 <= 0.025 < P(B <= 2) = 56/1024), so CI [1.02, 1.09] with
	 * coverage 1 - 22/1024. The relative half-width is
	 * (1.09 - 1.02) / (2 sqrt(1.05 * 1.06)). */
	const double ratio[] = { 1.07, 1.01, 1.10, 1.04, 1.02, 1.09, 1.05, 1.03, 1.08, 1.06 };
	double base[10], cell[10];
	struct paired p;

	for (int i = 0; i < 10; i++) {
		cell[i] = 1e6 * (i + 1);
		base[i] = cell[i] * ratio[i];
	}
	paired_ratio(base, cell, 10, &p);
	ck_assert_uint_eq(p.n, 10);
	NEAR(p.ratio, sqrt(1.05 * 1.06));
	NEAR(p.ci_lo, 1.02);
	NEAR(p.ci_hi, 1.09);
	NEAR(p.ci_level, 1 - 22.0 / 1024);
	NEAR(paired_rel_halfwidth(&p), 0.07 / (2 * sqrt(1.05 * 1.06)));
}
END_TEST

START_TEST(efficiency_scales_ratio_and_interval)
{
	/* speedup 2.5 [2, 4] at 2 workers: efficiency 1.25 [1, 2], same
	 * coverage. */
	const double base[] = { 100, 100, 100 }, cell[] = { 50, 40, 25 };
	struct paired p, e;

	paired_ratio(base, cell, 3, &p);
	paired_scale(&p, 2, &e);
	NEAR(e.ratio, 1.25);
	NEAR(e.ci_lo, 1);
	NEAR(e.ci_hi, 2);
	NEAR(e.ci_level, 0.75);
	ck_assert_uint_eq(e.n, 3);
}
END_TEST

START_TEST(contended_rounds_left_out_while_enough_remain)
{
	/* 8 rounds, ratios 2 2 2 2 2 2 9 9; rounds 6 and 7 contended (the
	 * cell's in round 6, the base's in round 7). Left out, the 6 clean
	 * rounds give ratio 2, CI [2, 2]. With round 5 contended too, 5 clean
	 * rounds are too few for a 95% interval: all 8 are used, median of
	 * 2 2 2 2 2 2 9 9 = sqrt(2 * 2) = 2 but the CI (ranks 1 and 8 for
	 * n = 8) is [2, 9], and with_contended says so. */
	const double base[] = { 2, 2, 2, 2, 2, 2, 9, 9 }, cell[] = { 1, 1, 1, 1, 1, 1, 1, 1 };
	bool bc[8] = { false }, cc[8] = { false };
	struct paired p;
	bool with;

	cc[6] = true;
	bc[7] = true;
	paired_ratio_clean(base, bc, cell, cc, 8, 6, &p, &with);
	ck_assert(!with);
	ck_assert_uint_eq(p.n, 6);
	NEAR(p.ratio, 2);
	NEAR(p.ci_hi, 2);
	cc[5] = true;
	paired_ratio_clean(base, bc, cell, cc, 8, 6, &p, &with);
	ck_assert(with);
	ck_assert_uint_eq(p.n, 8);
	NEAR(p.ratio, 2);
	NEAR(p.ci_lo, 2);
	NEAR(p.ci_hi, 9);
	paired_ratio_clean(base, NULL, cell, NULL, 8, 6, &p, &with);
	ck_assert(!with);
	ck_assert_uint_eq(p.n, 8);
}
END_TEST

/* The verdict on a made-up interval at 95%, band +-5%. */
static struct paired_finding judge(size_t n, double ratio, double lo, double hi)
{
	struct paired p = { .n = n, .ratio = ratio, .ci_lo = lo, .ci_hi = hi, .ci_level = 0.95 };
	struct paired_finding f;

	paired_verdict(&p, PAIRED_BAND, &f);
	return f;
}

START_TEST(verdicts_decided)
{
	struct paired_finding f;

	/* within +-5%: equivalent, also when the CI excludes 1 */
	f = judge(10, 1.01, 0.99, 1.03);
	ck_assert_int_eq(f.verdict, PAIRED_EQUIVALENT);
	ck_assert_uint_eq(f.more_rounds, 0);
	ck_assert_int_eq(judge(10, 1.02, 1.01, 1.03).verdict, PAIRED_EQUIVALENT);
	/* above 1: faster by 50%, at least 20% */
	f = judge(10, 1.5, 1.2, 1.8);
	ck_assert_int_eq(f.verdict, PAIRED_FASTER);
	NEAR(f.by, 0.5);
	NEAR(f.by_at_least, 0.2);
	/* below 1: the cell takes 1/0.8 = 1.25 times as long (25% slower),
	 * at least 1/0.9 - 1 = 11.1% */
	f = judge(10, 0.8, 0.5, 0.9);
	ck_assert_int_eq(f.verdict, PAIRED_SLOWER);
	NEAR(f.by, 0.25);
	NEAR(f.by_at_least, 1 / 0.9 - 1);
	ck_assert_str_eq(paired_verdict_name(f.verdict), "slower");
}
END_TEST

/* Asserts an undecided verdict and returns its estimate of more rounds. */
static unsigned more_rounds(size_t n, double ratio, double lo, double hi)
{
	struct paired_finding f = judge(n, ratio, lo, hi);

	ck_assert_int_eq(f.verdict, PAIRED_UNDECIDED);
	return f.more_rounds;
}

START_TEST(undecided_estimates_more_rounds)
{
	/* ratio 1, CI [0.9, 1.1], 10 pairs. Only equivalence can be reached.
	 * Lower reach log(1/0.9) = 0.105361 must come within log(1/0.95) =
	 * 0.051293: (0.105361 / 0.051293)^2 = 4.2192; upper reach log 1.1 =
	 * 0.095310 within log 1.05 = 0.048790: 3.8162. Both: 4.2192 times
	 * the pairs, ceil(42.19) = 43, so 33 more. */
	ck_assert_uint_eq(more_rounds(10, 1.0, 0.9, 1.1), 33);

	/* ratio 1.1, CI [0.98, 1.30], 8 pairs. Faster needs the lower reach
	 * log(1.1/0.98) = 0.115513 below log 1.1 = 0.095310: 1.46887 times
	 * the pairs; equivalence is out of reach (1.1 is outside the band).
	 * ceil(8 * 1.46887 = 11.75) = 12: 4 more. */
	ck_assert_uint_eq(more_rounds(8, 1.1, 0.98, 1.30), 4);

	/* 3 pairs, ratio 1, CI [0.99, 1.06]: equivalence needs (log 1.06 /
	 * log 1.05)^2 = 1.4263 times the pairs, ceil(4.28) = 5, 2 more; but a
	 * 95% interval needs 6 pairs: 3 more. */
	ck_assert_uint_eq(more_rounds(3, 1.0, 0.99, 1.06), 3);

	/* nothing paired: the 6 rounds of a first 95% interval */
	ck_assert_uint_eq(more_rounds(0, 0, 0, 0), 6);

	/* ratio on the band's edge: faster needs (log(1.05/0.9) / log
	 * 1.05)^2 = 9.98 times the 10 pairs: 90 more, under the cap */
	ck_assert_uint_eq(more_rounds(10, 1.05, 0.9, 1.2), 90);
	ck_assert_uint_eq(more_rounds(10, 1.001, 0.5, 2), PAIRED_MORE_ROUNDS_MAX);
}
END_TEST

/* The sentence for a made-up interval at the given coverage. */
static const char *describe(size_t n, double ratio, double lo, double hi, double level)
{
	static char buf[256];
	struct paired p = { .n = n, .ratio = ratio, .ci_lo = lo, .ci_hi = hi, .ci_level = level };
	struct paired_finding f;

	paired_verdict(&p, PAIRED_BAND, &f);
	paired_describe(&p, &f, "thread-pool", "fork-pool", buf, sizeof buf);
	return buf;
}

START_TEST(findings_read_as_sentences)
{
	/* within: the farther end, 1 - 0.97 = 3% */
	ck_assert_str_eq(describe(10, 1.01, 0.97, 1.03, 0.978),
			 "thread-pool and fork-pool are within 3% (ratio 1.01, 95% CI 0.97-1.03)");
	ck_assert_str_eq(describe(10, 1.5, 1.2, 1.8, 0.978),
			 "thread-pool is 50% faster than fork-pool (ratio 1.50, 95% CI 1.20-1.80)");
	ck_assert_str_eq(describe(10, 0.8, 0.5, 0.9, 0.978),
			 "thread-pool is 25% slower than fork-pool (ratio 0.80, 95% CI 0.50-0.90)");
	/* 3 pairs: a 75% interval; equivalence needs 4.2192 times the pairs
	 * (as for 10 pairs above): ceil(12.66) = 13, 10 more */
	ck_assert_str_eq(describe(3, 1.0, 0.9, 1.1, 0.75),
			 "the data cannot tell thread-pool from fork-pool (ratio 1.00, 75% CI 0.90-1.10); "
			 "about 10 more rounds would");
	/* 5 pairs: 0.9375 reads 93%, not 94% */
	ck_assert_str_eq(describe(5, 1.5, 1.2, 1.8, 1 - 2.0 / 32),
			 "thread-pool is 50% faster than fork-pool (ratio 1.50, 93% CI 1.20-1.80)");
	ck_assert_str_eq(describe(0, 0, 0, 0, 0), "no round measured both thread-pool and fork-pool");
	/* Five times or more: a multiple, and small ratios keep two digits
	 * (they read "2293% faster" and "23004% slower ... ratio 0.00"). */
	ck_assert_str_eq(describe(10, 23.93, 19.22, 26.9, 0.978),
			 "thread-pool is 23.9x as fast as fork-pool (ratio 23.93, 95% CI 19.22-26.90)");
	ck_assert_str_eq(describe(10, 0.0043, 0.0041, 0.0046, 0.978),
			 "thread-pool takes 233x as long as fork-pool (ratio 0.0043, 95% CI 0.0041-0.0046)");
	ck_assert_str_eq(describe(10, 0.00099, 0.00049, 0.0016, 0.978),
			 "thread-pool takes 1010x as long as fork-pool (ratio 0.00099, 95% CI "
			 "0.00049-0.0016)");
	ck_assert_str_eq(describe(10, 4.9, 4.5, 5.2, 0.978),
			 "thread-pool is 390% faster than fork-pool (ratio 4.90, 95% CI 4.50-5.20)");
}
END_TEST

static Suite *paired_suite(void)
{
	Suite *s = suite_create("paired");
	TCase *tc = tvp_tcase(s, "paired", 5);

	tcase_add_test(tc, three_pairs_cover_75_percent);
	tcase_add_test(tc, missing_rounds_are_skipped_for_both);
	tcase_add_test(tc, even_n_takes_the_geometric_middle);
	tcase_add_test(tc, ten_pairs_use_ranks_2_and_9);
	tcase_add_test(tc, efficiency_scales_ratio_and_interval);
	tcase_add_test(tc, contended_rounds_left_out_while_enough_remain);
	tcase_add_test(tc, verdicts_decided);
	tcase_add_test(tc, undecided_estimates_more_rounds);
	tcase_add_test(tc, findings_read_as_sentences);
	return s;
}

TVP_TEST_MAIN(paired_suite)
