/* adaptive.h: adaptive repetition, the planner: after each round, which
 * groups get another interleaved round, or why the run stops (converged,
 * budget spent, maximum reached); and the estimate of the time left that
 * the progress bar shows. Pure: time comes in as numbers. */
#ifndef ADAPTIVE_H
#define ADAPTIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Defaults of --precision, --min-repeat, --max-repeat (adaptive.c says
 * why). */
#define ADAPTIVE_PRECISION 0.03
#define ADAPTIVE_MIN_ROUNDS 6u
#define ADAPTIVE_MAX_ROUNDS 30u

struct adaptive_limits {
	double precision;      /* target relative half-width of every speedup
	                        * CI in a group (0.03 = 3%) */
	unsigned min_rounds;   /* every group gets these, budget or not */
	unsigned max_rounds;   /* no group gets more (>= min_rounds) */
	uint64_t budget_ns;    /* the whole run; 0 = no budget */
	/* The budget binds the minimum too, down to ADAPTIVE_FLOOR_ROUNDS:
	 * tvp bench, whose minimum is its own plan, not the user's
	 * --min-repeat, and whose plan may have guessed a slow machine's
	 * rounds too cheap. */
	bool hard_budget;
};

/* The fewest rounds a hard budget leaves a group (the sign-test interval
 * of 3 pairs has 75% coverage: a rough answer, flagged as such). */
#define ADAPTIVE_FLOOR_ROUNDS 3u

/* One group of cells (a workload and size: the cells that pair with one
 * serial cell), as the run loop sees it after a round. */
struct adaptive_group {
	unsigned rounds;       /* recorded rounds so far */
	double halfwidth;      /* the widest paired_rel_halfwidth of its cells'
	                        * speedups; INFINITY when unknown (too few
	                        * pairs), 0 for a group with nothing to pair */
	double round_ns;       /* one round's cost, a running mean including
	                        * what is not timed (probes, setup, prepare);
	                        * 0 when unknown (no round yet) */
};

enum adaptive_stop {
	ADAPTIVE_GO,           /* run another round for the groups marked */
	ADAPTIVE_CONVERGED,    /* every group within the precision */
	ADAPTIVE_BUDGET,       /* the next round needed would end past the budget */
	ADAPTIVE_MAX,          /* the groups not converged are at max_rounds */
};

/* Records one more round of g that cost cost_ns (its cells' measurements
 * with everything around them: probes, prepare, setup, teardown): rounds
 * + 1, and round_ns becomes the running mean. The caller then sets
 * halfwidth from the group's new speedup intervals. */
void adaptive_note_round(struct adaptive_group *g, double cost_ns);

/* Whether g is done: at least min_rounds and within the precision. */
bool adaptive_converged(const struct adaptive_limits *lim, const struct adaptive_group *g);

/* Plans the next round from groups g[0..n) and the time spent so far.
 * want[i] is set for the groups to measure once more (and cleared for the
 * others). Groups below min_rounds are always wanted (with hard_budget:
 * only while their round fits the budget, or below ADAPTIVE_FLOOR_ROUNDS);
 * then groups not
 * converged and below max_rounds, the farthest from the precision first,
 * while the estimated end of the round (spent_ns + the sum of the wanted
 * groups' round_ns) stays within the budget. Returns ADAPTIVE_GO when any
 * group is wanted, else why the run stops: BUDGET when a group that needed a
 * round did not fit, else MAX when a group is not converged, else
 * CONVERGED. With min_rounds == max_rounds (--repeat N) it plans exactly N
 * rounds for every group. */
enum adaptive_stop adaptive_plan(const struct adaptive_limits *lim, const struct adaptive_group *g,
				 size_t n, uint64_t spent_ns, bool *want);

/* About how much longer the run will take, in ns: each group's rounds still
 * owed to min_rounds, plus, for a group not converged, the rounds its width
 * would need if it shrinks as 1/sqrt(rounds) (at most to max_rounds), each
 * at its round_ns; capped at what the budget leaves (never below the owed
 * minimum). For the progress bar's ETA: done = spent / (spent + eta). */
uint64_t adaptive_eta_ns(const struct adaptive_limits *lim, const struct adaptive_group *g,
			 size_t n, uint64_t spent_ns);

/* "go", "converged", "budget", "max". */
const char *adaptive_stop_name(enum adaptive_stop s);

#endif
