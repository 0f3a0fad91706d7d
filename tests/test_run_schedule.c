/* test_run_schedule.c: the adaptive rounds of `tvp run`
 * (bench/run/schedule.h) driven by a fake clock and fake samples: a quiet
 * group stops at the minimum, a noisy one goes on to the maximum or until
 * the budget is spent, and --repeat N gives exactly N rounds. No wall time
 * is measured. */
#include <math.h>
#include <string.h>

#include "bench/modes/mode.h"
#include "bench/run/schedule.h"
#include "bench/util.h"
#include "testutil.h"
#include "workloads/workload.h"

#define STEP_NS 100000000ull   /* every fake measurement takes 0.1 s */

struct fake {
	struct cell_matrix m;
	struct workload_inst wi[2];
	uint64_t now, steps, eta_calls;
};

static uint64_t fake_now(void *ctx)
{
	return ((struct fake *)ctx)->now;
}

/* Serial takes 400 ns; a parallel cell 200 ns in group 0 (quiet) and
 * 200 ns +- 40% in group 1 (noisy), varying by round. */
static int fake_step(void *ctx, struct cell *c, unsigned round, bool record)
{
	struct fake *f = ctx;
	double noise = c->group == 1 ? 0.4 * ((round * 7 % 5) - 2) / 2.0 : 0;
	struct sample s = { .round = round };

	f->now += STEP_NS;
	f->steps++;
	s.wall_ns = c->baseline ? (uint64_t)(200 * (1 + noise)) : 400;
	if (record)
		samples_push(&c->samples, &s);
	return 0;
}

static void fake_eta(void *ctx, uint64_t eta_ns)
{
	((struct fake *)ctx)->eta_calls++;
}

/* Two groups of (serial, thread-pool x2). */
static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof *f);
	f->m.cap = 4;
	f->m.cells = xcalloc(4, sizeof *f->m.cells);
	for (int g = 0; g < 2; g++) {
		f->wi[g] = (struct workload_inst){ .wl = workload_find("count"), .size = 1000 };
		cells_add(&f->m, CELL_LANG_C, &f->wi[g], modes[0], 1, 4, true);
		cells_add(&f->m, CELL_LANG_C, &f->wi[g], mode_find("thread-pool"), 2, 4, false);
	}
}

static struct schedule fake_schedule(struct fake *f, uint64_t *rng, unsigned min, unsigned max,
				     uint64_t budget_ns)
{
	return (struct schedule){ .m = &f->m, .warmup = 1, .rng = rng, .now = fake_now,
				  .step = fake_step, .eta = fake_eta, .ctx = f,
				  .lim = { .precision = 0.03, .min_rounds = min, .max_rounds = max,
					   .budget_ns = budget_ns } };
}

static void assert_rounds(const struct fake *f, size_t cell, unsigned rounds, bool converged)
{
	const struct cell *c = &f->m.cells[cell];

	ck_assert_uint_eq(c->rounds, rounds);
	ck_assert_uint_eq(c->samples.n, rounds);   /* the warm-up is not recorded */
	ck_assert(c->converged == converged);
	for (size_t k = 0; k < c->samples.n; k++)
		ck_assert_uint_eq(c->samples.items[k].round, k);
}

START_TEST(quiet_group_stops_at_the_minimum_noisy_one_at_the_maximum)
{
	struct fake f;
	uint64_t rng = 1;
	struct schedule s;

	fake_init(&f);
	s = fake_schedule(&f, &rng, 6, 12, 0);
	ck_assert_int_eq(schedule_run(&s), 0);
	ck_assert_int_eq(s.stop, ADAPTIVE_MAX);
	assert_rounds(&f, 0, 6, true);
	assert_rounds(&f, 1, 6, true);
	assert_rounds(&f, 2, 12, false);
	assert_rounds(&f, 3, 12, false);
	ck_assert_uint_eq(f.steps, 4 + 2 * 6 + 2 * 12);   /* warm-up, then the rounds */
	ck_assert_uint_gt(f.eta_calls, 0);
	cells_release(&f.m);
}
END_TEST

START_TEST(budget_ends_the_extra_rounds)
{
	struct fake f;
	uint64_t rng = 2, budget = 30 * STEP_NS;
	struct schedule s;

	fake_init(&f);
	s = fake_schedule(&f, &rng, 6, 1000, budget);
	ck_assert_int_eq(schedule_run(&s), 0);
	ck_assert_int_eq(s.stop, ADAPTIVE_BUDGET);
	assert_rounds(&f, 0, 6, true);
	ck_assert_uint_gt(f.m.cells[2].rounds, 6);          /* extra rounds for the noisy one */
	ck_assert_uint_lt(f.m.cells[2].rounds, 1000);
	ck_assert_uint_le(f.now, budget);                   /* no round ends past it */
	cells_release(&f.m);
}
END_TEST

START_TEST(repeat_n_is_exactly_n_rounds)
{
	struct fake f;
	uint64_t rng = 3;
	struct schedule s;

	fake_init(&f);
	s = fake_schedule(&f, &rng, 4, 4, STEP_NS);   /* a budget cannot cut the minimum */
	ck_assert_int_eq(schedule_run(&s), 0);
	for (size_t i = 0; i < 4; i++)
		ck_assert_uint_eq(f.m.cells[i].rounds, 4);
	cells_release(&f.m);
}
END_TEST

static Suite *schedule_suite(void)
{
	Suite *s = suite_create("run_schedule");
	TCase *tc = tvp_tcase(s, "schedule", 10);

	tcase_add_test(tc, quiet_group_stops_at_the_minimum_noisy_one_at_the_maximum);
	tcase_add_test(tc, budget_ends_the_extra_rounds);
	tcase_add_test(tc, repeat_n_is_exactly_n_rounds);
	return s;
}

TVP_TEST_MAIN(schedule_suite)
