/* test_mannwhitney.c: the U test against brute-force enumeration, known
 * values of its normal approximation, ties and degenerate inputs. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "bench/mannwhitney.h"
#include "testutil.h"

/* Brute force: every way of choosing which nx of the pooled values are x's,
 * the U of each, and the share at least as extreme as the observed one. */
static double brute_p(const double *x, size_t nx, const double *y, size_t ny)
{
	double pool[16], u_obs = 0;
	size_t n = nx + ny, total = 0, lo = 0, hi = 0;

	for (size_t i = 0; i < nx; i++)
		pool[i] = x[i];
	for (size_t i = 0; i < ny; i++)
		pool[nx + i] = y[i];
	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++)
			u_obs += x[i] > y[j];
	for (unsigned mask = 0; mask < (1u << n); mask++) {
		double u = 0;
		if ((size_t)__builtin_popcount(mask) != nx)
			continue;
		for (size_t i = 0; i < n; i++)
			for (size_t j = 0; j < n; j++)
				if ((mask >> i & 1) && !(mask >> j & 1))
					u += pool[i] > pool[j];
		total++;
		lo += u <= u_obs;
		hi += u >= u_obs;
	}
	return fmin(1, 2 * (double)(lo < hi ? lo : hi) / (double)total);
}

START_TEST(exact_matches_enumeration)
{
	/* Random data without ties, sizes 1..7 on each side. */
	unsigned seed = 12345;

	for (size_t nx = 1; nx <= 7; nx++)
		for (size_t ny = 1; ny <= 7; ny++) {
			double x[8], y[8];
			struct mw_result r;
			for (size_t i = 0; i < nx; i++)
				x[i] = (double)rand_r(&seed) / RAND_MAX + (double)i * 1e-9;
			for (size_t i = 0; i < ny; i++)
				y[i] = (double)rand_r(&seed) / RAND_MAX + 0.3 + (double)i * 1e-9;
			ck_assert_int_eq(mw_test(x, nx, y, ny, &r), 0);
			ck_assert(r.exact);
			ck_assert_msg(fabs(r.p - brute_p(x, nx, y, ny)) < 1e-12, "nx %zu ny %zu: p %g, brute %g",
				      nx, ny, r.p, brute_p(x, nx, y, ny));
		}
}
END_TEST

START_TEST(separated_samples)
{
	double x[] = { 1, 2, 3, 4, 5 }, y[] = { 11, 12, 13, 14, 15 };
	struct mw_result r, s;

	ck_assert_int_eq(mw_test(x, 5, y, 5, &r), 0);
	ck_assert(r.exact);
	ck_assert(r.u == 0);
	ck_assert_double_eq_tol(r.p, 2.0 / 252, 1e-12);
	ck_assert_double_eq_tol(r.min_p, 2.0 / 252, 1e-12);
	ck_assert_int_eq(mw_test(y, 5, x, 5, &s), 0);
	ck_assert(s.u == 25);
	ck_assert_double_eq_tol(s.p, r.p, 1e-15);
}
END_TEST

START_TEST(interleaved_is_not_significant)
{
	double x[] = { 1, 3, 5, 7, 9 }, y[] = { 2, 4, 6, 8, 10 };
	struct mw_result r;

	ck_assert_int_eq(mw_test(x, 5, y, 5, &r), 0);
	ck_assert(r.u == 10);
	ck_assert(r.p > 0.5);
}
END_TEST

START_TEST(normal_approximation_known_values)
{
	double x[30], y[30];
	double tx[] = { 1, 2, 2, 3, 4, 5 }, ty[] = { 3, 4, 4, 5, 6, 7, 7 };
	struct mw_result r;

	/* Computed independently (Python, the same formulas as scipy's
	 * asymptotic method with continuity correction). */
	for (int i = 0; i < 30; i++) {
		x[i] = i;
		y[i] = i + 15.5;
	}
	ck_assert_int_eq(mw_test(x, 30, y, 30, &r), 0);
	ck_assert(!r.exact);
	ck_assert(r.u == 105);
	ck_assert_double_eq_tol(r.p, 3.5200576260680214e-07, 1e-12);
	ck_assert_int_eq(mw_test(tx, 6, ty, 7, &r), 0);   /* ties: approximation */
	ck_assert(!r.exact);
	ck_assert(r.u == 6);
	ck_assert_double_eq_tol(r.p, 0.03620890133985925, 1e-12);
}
END_TEST

START_TEST(degenerate_inputs)
{
	double same[] = { 4, 4, 4 }, one[] = { 1 }, nan_[] = { NAN };
	struct mw_result r;

	ck_assert_int_eq(mw_test(same, 3, same, 3, &r), 0);
	ck_assert(r.p == 1);
	ck_assert_int_eq(mw_test(one, 0, same, 3, &r), -EINVAL);
	ck_assert_int_eq(mw_test(one, 1, same, 0, &r), -EINVAL);
	ck_assert_int_eq(mw_test(nan_, 1, same, 3, &r), -EINVAL);
	ck_assert_int_eq(mw_test(one, 1, same, 3, &r), 0);
	ck_assert(r.p > 0.05);   /* one sample can show nothing */
	/* Three against three can never reach 0.05: 2/20. */
	ck_assert_double_eq_tol(mw_min_p(3, 3), 0.1, 1e-12);
	ck_assert(mw_min_p(4, 4) < 0.05);
	ck_assert(mw_min_p(1, 1) == 1);
	ck_assert(mw_min_p(200, 200) > 0 && mw_min_p(200, 200) < 1e-50);
}
END_TEST

START_TEST(shift_interval_hand_computed)
{
	/* 3 against 3: differences y_j - x_i of {1,2,3} to {11,12,13} are
	 * 8 9 9 10 10 10 11 11 12; median 10. P(U = 0) = 1/C(6,3) = 1/20 =
	 * 0.05 > 0.025, so no rank reaches 95%: the range [8, 12] at
	 * 1 - 2/20 = 90%. */
	const double x3[] = { 1, 2, 3 }, y3[] = { 11, 12, 13 };
	/* 5 against 5: y = x + 10 gives 10 + (j - i), counts 1 2 3 4 5 4 3 2 1
	 * for 6..14; U's null counts over C(10,5) = 252 orderings start
	 * 1 1 2 3: P(U <= 2) = 4/252 <= 0.025 < P(U <= 3) = 7/252, so k = 3:
	 * [d_(3), d_(23)] = [7, 13] at 1 - 8/252 = 96.8% (the tabulated
	 * critical value of the rank-sum test, U = 2). */
	const double x5[] = { 1, 2, 3, 4, 5 }, y5[] = { 11, 12, 13, 14, 15 };
	struct mw_shift r;

	ck_assert_int_eq(mw_shift(x3, 3, y3, 3, 0.05, &r), 0);
	ck_assert(r.shift == 10 && r.lo == 8 && r.hi == 12);
	ck_assert(fabs(r.level - 0.9) < 1e-12);
	ck_assert_int_eq(mw_shift(x5, 5, y5, 5, 0.05, &r), 0);
	ck_assert(r.shift == 10 && r.lo == 7 && r.hi == 13);
	ck_assert(fabs(r.level - (1 - 8.0 / 252)) < 1e-12);
	ck_assert_int_eq(mw_shift(x5, 0, y5, 5, 0.05, &r), -EINVAL);
}
END_TEST

START_TEST(shift_interval_large_samples)
{
	/* 30 against 30, y = x + 5 with x = 0..29: the normal approximation's
	 * interval holds the shift 5 and covers about 95%. */
	double x[30], y[30];
	struct mw_shift r;

	for (int i = 0; i < 30; i++) {
		x[i] = i;
		y[i] = i + 5;
	}
	ck_assert_int_eq(mw_shift(x, 30, y, 30, 0.05, &r), 0);
	ck_assert(r.shift == 5);
	ck_assert(r.lo < 5 && r.hi > 5 && r.lo > -5 && r.hi < 15);
	ck_assert_msg(r.level > 0.94 && r.level < 0.96, "level %g", r.level);
}
END_TEST

static Suite *mw_suite(void)
{
	Suite *s = suite_create("mannwhitney");
	TCase *tc = tvp_tcase(s, "test", 30);

	tcase_add_test(tc, exact_matches_enumeration);
	tcase_add_test(tc, separated_samples);
	tcase_add_test(tc, interleaved_is_not_significant);
	tcase_add_test(tc, normal_approximation_known_values);
	tcase_add_test(tc, degenerate_inputs);
	tcase_add_test(tc, shift_interval_hand_computed);
	tcase_add_test(tc, shift_interval_large_samples);
	return s;
}

TVP_TEST_MAIN(mw_suite)
