/* adaptive.c: which groups get another round, when the run stops, and how
 * long it has left.
 *
 * DESIGN
 * The run loop measures in rounds (bench/rounds.h): each round measures
 * every cell of the chosen groups once, in shuffled order, serial included,
 * so that every extra round adds one pair to every speedup of a group. After
 * each round the loop hands this planner each group's widest relative
 * speedup-CI half-width (bench/paired.h), its rounds so far and what a round
 * of it costs, and the time spent; the planner answers which groups to
 * measure again. It never reads a clock, so the tests drive it with made-up
 * times.
 *
 * Defaults. --precision 3%: the check the issue sets is that two runs'
 * speedups agree within 5%. Two independent estimates, each within h of the
 * truth at 95%, differ by up to about h sqrt(2) at a comparable level, so
 * h = 5% / sqrt(2) = 3.5% is the widest that meets it; 3% leaves margin for
 * the rounds that are dropped as contended, and is also narrow enough for a
 * ratio within 2% of 1 to be called equivalent inside the +-5% band.
 * --min-repeat 6: the fewest pairs whose sign-test interval reaches 95%
 * (coverage 1 - 2/64); fewer would stop on an interval of 75-94%.
 * --max-repeat 30: the sign-test interval of 30 pairs spans about +-0.47
 * standard deviations of the per-round ratios, so a group still wider than
 * 3% there has rounds that scatter by more than 6%: the machine is drifting
 * under it, more rounds buy little, and the budget is better spent on the
 * other groups.
 *
 * Budget. The minimum is owed to every group whatever the budget (an answer
 * from fewer rounds is not worth writing; the plan printed first warns when
 * the minimum alone exceeds the budget). Past it, a round is only started
 * when its estimated end (spent + the round's cost, a running mean per
 * group) stays within the budget, and the groups farthest from the target
 * go first, so an exhausted budget leaves the groups roughly equally far
 * from it rather than the last ones in a list untouched. A hard budget
 * (tvp bench) binds the minimum too, once every group has
 * ADAPTIVE_FLOOR_ROUNDS: tvp bench plans its minimum from estimates, and on
 * a machine that delivered one of its two cores for the whole run those
 * were 2.5 times too cheap (a 420 s plan ran 692 s, every group at its
 * minimum of 6), which broke make bench's ten minutes. The groups owed
 * rounds then get them while their rounds fit; the run loop warns about
 * the groups left below the minimum.
 */
#include "bench/adaptive.h"

#include <math.h>
#include <stdlib.h>

#include "bench/stats.h"
#include "bench/util.h"

void adaptive_note_round(struct adaptive_group *g, double cost_ns)
{
	g->rounds++;
	g->round_ns += (cost_ns - g->round_ns) / g->rounds;
}

bool adaptive_converged(const struct adaptive_limits *lim, const struct adaptive_group *g)
{
	return g->rounds >= lim->min_rounds && g->halfwidth <= lim->precision;
}

/* How far a group is from the target: its width over the target. */
static double distance(const struct adaptive_limits *lim, const struct adaptive_group *g)
{
	return lim->precision > 0 ? g->halfwidth / lim->precision : INFINITY;
}

struct ranked {
	size_t i;
	double distance;
};

static int farthest_first(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;

	return stats_cmp_double(&y->distance, &x->distance);
}

enum adaptive_stop adaptive_plan(const struct adaptive_limits *lim, const struct adaptive_group *g,
				 size_t n, uint64_t spent_ns, bool *want)
{
	struct ranked *r = xmalloc((n ? n : 1) * sizeof *r);
	double end_ns = (double)spent_ns;
	size_t n_ranked = 0, wanted = 0;
	bool blocked = false, open = false;

	for (size_t i = 0; i < n; i++) {
		want[i] = g[i].rounds < lim->min_rounds;
		if (want[i] && lim->hard_budget && lim->budget_ns &&
		    g[i].rounds >= ADAPTIVE_FLOOR_ROUNDS &&
		    end_ns + g[i].round_ns > (double)lim->budget_ns) {
			want[i] = false;   /* owed, but the budget is spent */
			blocked = true;
		} else if (want[i]) {
			end_ns += g[i].round_ns;
			wanted++;
		} else if (!adaptive_converged(lim, &g[i])) {
			open = true;
			if (g[i].rounds < lim->max_rounds)
				r[n_ranked++] = (struct ranked){ i, distance(lim, &g[i]) };
		}
	}
	qsort(r, n_ranked, sizeof *r, farthest_first);
	for (size_t k = 0; k < n_ranked; k++) {
		const struct adaptive_group *x = &g[r[k].i];

		if (lim->budget_ns && end_ns + x->round_ns > (double)lim->budget_ns) {
			blocked = true;
			continue;
		}
		want[r[k].i] = true;
		end_ns += x->round_ns;
		wanted++;
	}
	free(r);
	if (wanted)
		return ADAPTIVE_GO;
	if (blocked)
		return ADAPTIVE_BUDGET;
	return open ? ADAPTIVE_MAX : ADAPTIVE_CONVERGED;
}

/* The rounds g will probably still run: owed to the minimum, then what its
 * width needs at 1/sqrt(rounds), within max_rounds. */
static double rounds_left(const struct adaptive_limits *lim, const struct adaptive_group *g)
{
	double have = g->rounds, need = lim->min_rounds, f = distance(lim, g);

	if (g->halfwidth > lim->precision) {
		if (have > 0 && isfinite(f))
			need = fmax(need, ceil(have * f * f));
		else if (have >= lim->min_rounds)
			need = lim->max_rounds;
	}
	if (need > lim->max_rounds)
		need = lim->max_rounds;
	return need > have ? need - have : 0;
}

uint64_t adaptive_eta_ns(const struct adaptive_limits *lim, const struct adaptive_group *g,
			 size_t n, uint64_t spent_ns)
{
	double known = 0, owed = 0, more = 0, left;
	size_t n_known = 0;

	for (size_t i = 0; i < n; i++)
		if (g[i].round_ns > 0) {
			known += g[i].round_ns;
			n_known++;
		}
	for (size_t i = 0; i < n; i++) {
		/* A group not measured yet costs what the others do. */
		double cost = g[i].round_ns > 0 ? g[i].round_ns : n_known ? known / (double)n_known : 0;
		double min_left = g[i].rounds < lim->min_rounds ? lim->min_rounds - g[i].rounds : 0;

		owed += min_left * cost;
		more += fmax(0, rounds_left(lim, &g[i]) - min_left) * cost;
	}
	left = owed + more;
	if (lim->budget_ns) {
		double budget_left = (double)lim->budget_ns - (double)spent_ns;
		if (left > budget_left)
			left = budget_left > owed || lim->hard_budget ? budget_left : owed;
	}
	return left > 0 ? (uint64_t)left : 0;
}

const char *adaptive_stop_name(enum adaptive_stop s)
{
	switch (s) {
	case ADAPTIVE_CONVERGED:
		return "converged";
	case ADAPTIVE_BUDGET:
		return "budget";
	case ADAPTIVE_MAX:
		return "max";
	case ADAPTIVE_GO:
		break;
	}
	return "go";
}
