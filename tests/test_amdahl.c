/* test_amdahl.c: Amdahl's serial fraction fitted on hand-computed points,
 * only up to the usable PUs, and shown only where the fit is good. */
#include <math.h>

#include "bench/amdahl.h"
#include "testutil.h"

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.12g, expected %.12g", #a, (double)(a), (double)(b))

START_TEST(exact_law_is_recovered)
{
	/* f = 0.1: s(2) = 1 / (0.1 + 0.45) = 1.818..., s(4) = 1 / (0.1 +
	 * 0.225) = 3.0769...; p = 1 carries no information; p = 8 is past the
	 * 4 PUs and left out even though its speedup (1.0) is nothing like
	 * the law's 4.7. */
	const double par[] = { 1, 2, 4, 8 }, s[] = { 1, 1 / 0.55, 1 / 0.325, 1.0 };
	struct amdahl_fit fit;

	amdahl_fit(par, s, 4, 4, &fit);
	ck_assert_uint_eq(fit.points, 2);
	NEAR(fit.f, 0.1);
	NEAR(fit.residual, 0);
	ck_assert(fit.good);
}
END_TEST

START_TEST(oversubscribed_points_would_spoil_it)
{
	/* The same points fitted with 8 PUs take the flat 8-worker point in:
	 * x = 1 - 1/p, y = 1/s - 1/p: (0.5, 0.05), (0.75, 0.075), (0.875,
	 * 0.875); f = sum xy / sum xx = (0.025 + 0.05625 + 0.765625) /
	 * (0.25 + 0.5625 + 0.765625) = 0.846875 / 1.578125 = 0.53663...: the
	 * curve misses s(2) = 1.818 by far (it gives 1.302), so not good. */
	const double par[] = { 2, 4, 8 }, s[] = { 1 / 0.55, 1 / 0.325, 1.0 };
	struct amdahl_fit fit;

	amdahl_fit(par, s, 3, 8, &fit);
	ck_assert_uint_eq(fit.points, 3);
	NEAR(fit.f, 0.846875 / 1.578125);
	ck_assert(fit.residual > 0.10);
	ck_assert(!fit.good);
}
END_TEST

START_TEST(one_point_or_nonsense_is_not_shown)
{
	/* One point: f = (1/1.9 - 0.5) / 0.5 = 0.0526..., exact, but a law
	 * cannot be tested on one point. */
	const double par1[] = { 1, 2 }, s1[] = { 1, 1.9 };
	/* Superlinear: s(2) = 2.5, s(4) = 5: y < 0, f < 0. */
	const double par2[] = { 2, 4 }, s2[] = { 2.5, 5 };
	/* Nothing fitted: NaN, not 511.9%. */
	const double par3[] = { 1, 8 }, s3[] = { 1, 1.2 };
	struct amdahl_fit fit;

	amdahl_fit(par1, s1, 2, 2, &fit);
	ck_assert_uint_eq(fit.points, 1);
	NEAR(fit.f, (1 / 1.9 - 0.5) / 0.5);
	ck_assert(!fit.good);
	amdahl_fit(par2, s2, 2, 4, &fit);
	ck_assert(fit.f < 0);
	ck_assert(!fit.good);
	amdahl_fit(par3, s3, 2, 2, &fit);
	ck_assert_uint_eq(fit.points, 0);
	ck_assert(isnan(fit.f));
	ck_assert(!fit.good);
}
END_TEST

static Suite *amdahl_suite(void)
{
	Suite *s = suite_create("amdahl");
	TCase *tc = tvp_tcase(s, "fit", 10);

	tcase_add_test(tc, exact_law_is_recovered);
	tcase_add_test(tc, oversubscribed_points_would_spoil_it);
	tcase_add_test(tc, one_point_or_nonsense_is_not_shown);
	return s;
}

TVP_TEST_MAIN(amdahl_suite)
