/* test_adaptive.c: the adaptive planner driven by made-up groups on a fake
 * clock: stopping at convergence, at the budget, at the maximum, --repeat
 * N, and the ETA, each against a hand computation. */
#include <math.h>

#include "bench/adaptive.h"
#include "testutil.h"

#define MAX_GROUPS 4

/* A made-up group whose speedup CI half-width is width / sqrt(rounds), as
 * an interval of a median shrinks, and whose round costs cost_ns. */
struct fake {
	double width, cost_ns;
};

struct outcome {
	enum adaptive_stop stop;
	unsigned rounds[MAX_GROUPS];
	uint64_t spent_ns;
	unsigned plans;
};

/* Runs the loop the run loop will run: plan, measure the wanted groups
 * (advance the fake clock by their cost), update their widths, again. */
static struct outcome drive(const struct adaptive_limits *lim, const struct fake *f, size_t n)
{
	struct adaptive_group g[MAX_GROUPS];
	bool want[MAX_GROUPS];
	struct outcome o = { 0 };

	for (size_t i = 0; i < n; i++)
		g[i] = (struct adaptive_group){ .rounds = 0, .halfwidth = INFINITY, .round_ns = 0 };
	while ((o.stop = adaptive_plan(lim, g, n, o.spent_ns, want)) == ADAPTIVE_GO) {
		ck_assert_uint_lt(++o.plans, 1000);
		for (size_t i = 0; i < n; i++) {
			if (!want[i])
				continue;
			adaptive_note_round(&g[i], f[i].cost_ns);
			g[i].halfwidth = f[i].width / sqrt(g[i].rounds);
			o.spent_ns += (uint64_t)f[i].cost_ns;
		}
	}
	for (size_t i = 0; i < n; i++)
		o.rounds[i] = g[i].rounds;
	return o;
}

/* Group A: width 0.119, so 0.119 / sqrt(r) <= 0.03 from r = 16 (15.7
 * rounded up); 1 s a round. Group B: width 0.059, within 3% from r = 4,
 * held to the minimum of 6; 2 s a round. */
static const struct fake ab[] = { { 0.119, 1e9 }, { 0.059, 2e9 } };

/* Drives two groups under lim and checks why and where they stopped. */
static struct outcome expect(const struct adaptive_limits *lim, const struct fake *f,
			     enum adaptive_stop stop, unsigned rounds_a, unsigned rounds_b)
{
	struct outcome o = drive(lim, f, 2);

	ck_assert_int_eq(o.stop, stop);
	ck_assert_uint_eq(o.rounds[0], rounds_a);
	ck_assert_uint_eq(o.rounds[1], rounds_b);
	return o;
}

START_TEST(stops_when_every_group_converged)
{
	/* No budget: A runs 16 rounds, B 6; the clock reads 16 x 1 + 6 x 2 =
	 * 28 s. */
	struct adaptive_limits lim = { 0.03, 6, 30, 0, false };
	struct outcome o = expect(&lim, ab, ADAPTIVE_CONVERGED, 16, 6);

	ck_assert_uint_eq(o.spent_ns, 28000000000ull);
	ck_assert_str_eq(adaptive_stop_name(o.stop), "converged");
}
END_TEST

START_TEST(a_hard_budget_cuts_the_minimum_but_not_the_floor)
{
	/* Budget 10 s, minimum 6: A and B cost 3 s a round together, so the
	 * minimum alone needs 18 s. A soft budget owes it (6 and 6, 18 s); a
	 * hard one gives both the floor of three rounds (9 s), then a fourth
	 * only to A, whose 1 s round still ends within 10 s (B's 2 s would
	 * not). */
	struct adaptive_limits soft = { 0.03, 6, 30, 10000000000ull, false };
	struct adaptive_limits hard = soft;
	struct outcome o;

	hard.hard_budget = true;
	o = expect(&soft, ab, ADAPTIVE_BUDGET, 6, 6);
	ck_assert_uint_eq(o.spent_ns, 18000000000ull);
	o = expect(&hard, ab, ADAPTIVE_BUDGET, ADAPTIVE_FLOOR_ROUNDS + 1, ADAPTIVE_FLOOR_ROUNDS);
	ck_assert_uint_eq(o.spent_ns, 10000000000ull);
	/* A budget below the floor's cost still gets the floor: 3 rounds. */
	hard.budget_ns = 1000000000ull;
	o = expect(&hard, ab, ADAPTIVE_BUDGET, ADAPTIVE_FLOOR_ROUNDS, ADAPTIVE_FLOOR_ROUNDS);
	/* And the ETA never promises more than the budget leaves. */
	{
		struct adaptive_group g[2] = { { 3, 0.07, 1e9 }, { 3, 0.03, 2e9 } };

		hard.budget_ns = 10000000000ull;
		ck_assert_uint_eq(adaptive_eta_ns(&hard, g, 2, 9000000000ull), 1000000000ull);
	}
}
END_TEST

START_TEST(stops_at_the_budget)
{
	/* Budget 20 s. Six owed rounds of both: 6 x 3 = 18 s. B has converged
	 * (0.059 / sqrt 6 = 0.024); A (0.049) gets round 7 (ends at 19 s) and
	 * round 8 (ends at 20 s, still within); round 9 would end at 21 s. */
	struct adaptive_limits lim = { 0.03, 6, 30, 20000000000ull, false };
	struct outcome o = expect(&lim, ab, ADAPTIVE_BUDGET, 8, 6);

	ck_assert_uint_eq(o.spent_ns, 20000000000ull);
}
END_TEST

START_TEST(the_minimum_is_owed_past_the_budget)
{
	/* Budget 5 s, but 6 rounds of both (18 s) are owed first; then the
	 * budget stops A. */
	struct adaptive_limits lim = { 0.03, 6, 30, 5000000000ull, false };
	struct outcome o = expect(&lim, ab, ADAPTIVE_BUDGET, 6, 6);

	ck_assert_uint_eq(o.spent_ns, 18000000000ull);
}
END_TEST

START_TEST(stops_at_the_maximum)
{
	/* A never converges (width 1: 1 / sqrt 30 = 0.18 > 0.03): it stops
	 * at 30 rounds, B at 6, and the reason is the maximum. */
	const struct fake f[] = { { 1, 1e9 }, { 0.059, 2e9 } };
	struct adaptive_limits lim = { 0.03, 6, 30, 0, false };

	expect(&lim, f, ADAPTIVE_MAX, 30, 6);
}
END_TEST

START_TEST(repeat_n_means_exactly_n)
{
	/* --repeat 4 is min = max = 4: four rounds each, however wide (A) or
	 * narrow (B, 0.059 / 2 = 0.0295) the intervals are. */
	struct adaptive_limits lim = { 0.03, 4, 4, 0, false };
	struct outcome o = expect(&lim, ab, ADAPTIVE_MAX, 4, 4);

	ck_assert_uint_eq(o.plans, 4);
}
END_TEST

START_TEST(the_farthest_group_goes_first_when_short)
{
	/* Both past the minimum, 1 s a round, 1.5 s of budget left: only one
	 * fits, the one 3x from the target (A) before the one 2x (B). */
	const struct adaptive_group g[] = {
		{ .rounds = 8, .halfwidth = 0.06, .round_ns = 1e9 },
		{ .rounds = 8, .halfwidth = 0.09, .round_ns = 1e9 },
		{ .rounds = 8, .halfwidth = 0.01, .round_ns = 1e9 },
	};
	struct adaptive_limits lim = { 0.03, 6, 30, 10000000000ull, false };
	bool want[3];

	ck_assert_int_eq(adaptive_plan(&lim, g, 3, 8500000000ull, want), ADAPTIVE_GO);
	ck_assert(!want[0] && want[1] && !want[2]);
	ck_assert(!adaptive_converged(&lim, &g[0]));
	ck_assert(adaptive_converged(&lim, &g[2]));
}
END_TEST

START_TEST(eta_follows_widths_and_budget)
{
	/* A: 4 rounds, width 0.06 = 2x the target: needs 4 x 2^2 = 16 rounds,
	 *    12 more at 1 s = 12 s (2 of them owed to the minimum).
	 * B: converged: 0.
	 * C: not measured yet: the 6 owed rounds at the mean known cost,
	 *    (1 + 3) / 2 = 2 s: 12 s.
	 * No budget: 24 s. Budget 30 s with 10 s spent: capped at the 20 s
	 * left. Budget 20 s with 10 s spent: the owed 2 x 1 + 6 x 2 = 14 s,
	 * which the budget cannot cut. */
	const struct adaptive_group g[] = {
		{ .rounds = 4, .halfwidth = 0.06, .round_ns = 1e9 },
		{ .rounds = 10, .halfwidth = 0.02, .round_ns = 3e9 },
		{ .rounds = 0, .halfwidth = INFINITY, .round_ns = 0 },
	};
	struct adaptive_limits lim = { 0.03, 6, 30, 0, false };

	ck_assert_uint_eq(adaptive_eta_ns(&lim, g, 3, 0), 24000000000ull);
	lim.budget_ns = 30000000000ull;
	ck_assert_uint_eq(adaptive_eta_ns(&lim, g, 3, 10000000000ull), 20000000000ull);
	lim.budget_ns = 20000000000ull;
	ck_assert_uint_eq(adaptive_eta_ns(&lim, g, 3, 10000000000ull), 14000000000ull);
}
END_TEST

START_TEST(round_cost_is_a_running_mean)
{
	/* rounds costing 3, 5, 10 s: means 3, 4, 6 */
	struct adaptive_group g = { 0 };

	adaptive_note_round(&g, 3e9);
	ck_assert_double_eq_tol(g.round_ns, 3e9, 1);
	adaptive_note_round(&g, 5e9);
	ck_assert_double_eq_tol(g.round_ns, 4e9, 1);
	adaptive_note_round(&g, 10e9);
	ck_assert_double_eq_tol(g.round_ns, 6e9, 1);
	ck_assert_uint_eq(g.rounds, 3);
}
END_TEST

static Suite *adaptive_suite(void)
{
	Suite *s = suite_create("adaptive");
	TCase *tc = tvp_tcase(s, "adaptive", 5);

	tcase_add_test(tc, stops_when_every_group_converged);
	tcase_add_test(tc, stops_at_the_budget);
	tcase_add_test(tc, the_minimum_is_owed_past_the_budget);
	tcase_add_test(tc, stops_at_the_maximum);
	tcase_add_test(tc, a_hard_budget_cuts_the_minimum_but_not_the_floor);
	tcase_add_test(tc, repeat_n_means_exactly_n);
	tcase_add_test(tc, the_farthest_group_goes_first_when_short);
	tcase_add_test(tc, eta_follows_widths_and_budget);
	tcase_add_test(tc, round_cost_is_a_running_mean);
	return s;
}

TVP_TEST_MAIN(adaptive_suite)
