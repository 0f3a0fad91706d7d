/* test_run_summary.c: the run loop's reduction of samples to a summary
 * (bench/run/summary.h), on hand-made cells: the paired speedup against
 * the baseline, contended samples left out while enough clean rounds
 * remain, placement counts, and the same
 * summary for C and Python cells told apart by their lang field. */
#include <math.h>
#include <string.h>

#include "bench/modes/mode.h"
#include "bench/run/summary.h"
#include "bench/util.h"
#include "testutil.h"
#include "workloads/workload.h"

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.12g, expected %.12g", #a, (double)(a), (double)(b))

static void add(struct cell *c, uint64_t wall_ns, unsigned contended, int pinned)
{
	struct sample s = { .round = (unsigned)c->samples.n, .wall_ns = wall_ns,
			    .contended = contended };

	if (pinned >= 0) {
		s.n_workers = 1;
		s.workers = xcalloc(1, sizeof *s.workers);
		s.workers[0].pinned = pinned;
	}
	samples_push(&c->samples, &s);
}

/* A serial baseline and a cell of mode with workers workers against it,
 * 4 tasks each, no samples yet. */
static void make_pair(struct cell *base, struct cell *par, enum cell_lang lang,
		      struct workload_inst *wi, const char *mode, unsigned workers)
{
	*base = (struct cell){ .lang = lang, .wi = wi, .mode = modes[0], .workers = 1, .tasks = 4,
			       .size = wi->size, .pin = "none" };
	*par = *base;
	par->baseline = NULL;
	par->mode = mode_find(mode);
	par->workers = workers;
	par->baseline = base;
}

START_TEST(speedup_contended_and_placement)
{
	struct workload_inst wi = { .wl = workload_find("count"), .size = 1000 };
	struct cell base, par;
	struct cell_summary sb, sp;

	make_pair(&base, &par, CELL_LANG_C, &wi, "thread-pool", 2);
	base.rounds = par.rounds = 3;
	add(&base, 400, 0, -1);
	add(&base, 400, 0, -1);
	add(&base, 400, 0, -1);
	add(&par, 200, 0, 1);
	add(&par, 100, 1, 0);      /* contended; a binding failed */
	add(&par, 200, 0, 1);
	summary_compute(&sb, &base, NULL);
	summary_compute(&sp, &par, &sb);
	NEAR(sb.speedup, 1);
	NEAR(sp.wall.median, 200);
	/* 2 clean rounds are too few: every round counts, ratios 2, 4, 2. */
	ck_assert(sp.paired && sp.with_contended);
	NEAR(sp.speedup, 2);
	ck_assert_uint_eq(sp.speedup_p.n, 3);
	NEAR(sp.speedup_p.ci_level, 0.75); /* 3 pairs: min to max */
	NEAR(sp.speedup_p.ci_lo, 2);
	NEAR(sp.speedup_p.ci_hi, 4);
	NEAR(sp.efficiency, 1);            /* over min(2 workers, 4 tasks) */
	NEAR(sp.efficiency_p.ci_hi, 2);
	ck_assert(!sp.contended[0] && sp.contended[1] && !sp.contended[2]);
	ck_assert_uint_eq(sp.n_contended, 1);
	ck_assert_uint_eq(sp.unpinned, 1);
	ck_assert(sp.has_rate && sp.verified);
	summary_release(&sb);
	summary_release(&sp);
	samples_release(&base.samples);
	samples_release(&par.samples);
}
END_TEST

/* A Python cell (no reference, no workers) gets the same summary, with only
 * the statistics' warnings; a cell whose baseline has no sample has no
 * speedup. */
START_TEST(python_cell_and_missing_baseline)
{
	struct workload_inst wi = { .wl = workload_find("count"), .size = 10 };
	struct cell base, par;
	struct cell_summary sb, sp;

	make_pair(&base, &par, CELL_LANG_PYTHON, &wi, "fork-pool", 8);
	add(&par, 100, 0, -1);
	add(&par, 300, 0, -1);
	summary_compute(&sb, &base, NULL);
	summary_compute(&sp, &par, &sb);
	NEAR(sb.speedup, 0);               /* no samples: none */
	NEAR(sp.speedup, 0);               /* no baseline samples: none */
	ck_assert(!sp.has_rate && !sp.paired && !sp.contended[0] && !sp.contended[1]);
	ck_assert_uint_eq(sp.warnings.n, 2);   /* too few, noisy; no oversubscription */
	summary_release(&sb);
	summary_release(&sp);
	samples_release(&par.samples);
}
END_TEST

/* With 6 clean rounds left, the contended ones are left out of the pairs:
 * the two slow rounds of the cell do not move its speedup. */
START_TEST(contended_rounds_left_out_when_enough_are_clean)
{
	struct workload_inst wi = { .wl = workload_find("count"), .size = 1000 };
	struct cell base, par;
	struct cell_summary sb, sp;

	make_pair(&base, &par, CELL_LANG_C, &wi, "fork-pool", 2);
	base.rounds = par.rounds = 8;
	for (unsigned r = 0; r < 8; r++) {
		add(&base, 400, 0, -1);
		add(&par, r == 2 || r == 5 ? 800 : 200, r == 2 || r == 5, -1);
	}
	summary_compute(&sb, &base, NULL);
	summary_compute(&sp, &par, &sb);
	ck_assert(sp.paired && !sp.with_contended);
	ck_assert_uint_eq(sp.speedup_p.n, 6);
	NEAR(sp.speedup, 2);
	NEAR(sp.speedup_p.ci_lo, 2);
	NEAR(sp.speedup_p.ci_hi, 2);
	ck_assert(sp.speedup_p.ci_level >= 0.95);
	ck_assert_uint_eq(sp.n_contended, 2);
	summary_release(&sb);
	summary_release(&sp);
	samples_release(&base.samples);
	samples_release(&par.samples);
}
END_TEST

static Suite *summary_suite(void)
{
	Suite *s = suite_create("run-summary");
	TCase *tc = tvp_tcase(s, "summary", 10);

	tcase_add_test(tc, speedup_contended_and_placement);
	tcase_add_test(tc, contended_rounds_left_out_when_enough_are_clean);
	tcase_add_test(tc, python_cell_and_missing_baseline);
	return s;
}

TVP_TEST_MAIN(summary_suite)
