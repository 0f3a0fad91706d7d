/* pairing.c: contended samples and paired ratios of `tvp run` (pairing.h). */
#include "bench/run/pairing.h"

#include <math.h>
#include <stdlib.h>

#include "bench/adaptive.h"
#include "bench/capacity.h"
#include "bench/util.h"

/* The lower of a sample's two probe figures f(before), f(after). */
static double lower(double a, double b)
{
	return a < b ? a : b;
}

static void flag_sample(struct sample *s, const struct capacity *cap, unsigned workers)
{
	struct capacity_sample cs;

	if (!s->probe_before || !s->probe_after || s->probe_pus != cap->n_pus)
		return;
	s->capacity = lower(capacity_cores(cap->best_ns_per_iter, s->probe_before, cap->n_pus),
			    capacity_cores(cap->best_ns_per_iter, s->probe_after, cap->n_pus));
	cs = (struct capacity_sample){
		.share = lower(capacity_share(cap->best_ns_per_iter, s->probe_before, cap->n_pus, workers),
			       capacity_share(cap->best_ns_per_iter, s->probe_after, cap->n_pus, workers)),
		.runq_ns = s->runq_ns, .wall_ns = (double)s->wall_ns, .workers = workers,
		.pus = cap->n_pus,
	};
	s->contended = capacity_contended(&cs);
}

void pairing_flag(struct cell_matrix *m, const struct capacity *cap)
{
	for (size_t i = 0; i < m->n_cells; i++) {
		struct cell *c = &m->cells[i];

		for (size_t k = 0; c->lang == CELL_LANG_C && k < c->samples.n; k++)
			flag_sample(&c->samples.items[k], cap, c->workers);
	}
}

/* c's wall times by round (NaN where it has none) and contended flags. */
static void by_round(const struct cell *c, unsigned rounds, double *ns, bool *contended)
{
	for (unsigned r = 0; r < rounds; r++) {
		ns[r] = NAN;
		contended[r] = false;
	}
	for (size_t k = 0; k < c->samples.n; k++) {
		const struct sample *s = &c->samples.items[k];

		if (s->round < rounds) {
			ns[s->round] = (double)s->wall_ns;
			contended[s->round] = s->contended != 0;
		}
	}
}

void pairing_ratio(const struct cell *base, const struct cell *cell, unsigned rounds,
		   struct paired *p, bool *with_contended)
{
	size_t n = rounds ? rounds : 1;
	double *b = xcalloc(n, sizeof *b), *v = xcalloc(n, sizeof *v);
	bool *bc = xcalloc(n, sizeof *bc), *vc = xcalloc(n, sizeof *vc);

	by_round(base, rounds, b, bc);
	by_round(cell, rounds, v, vc);
	paired_ratio_clean(b, bc, v, vc, rounds, ADAPTIVE_MIN_ROUNDS, p, with_contended);
	free(b);
	free(v);
	free(bc);
	free(vc);
}

double pairing_group_halfwidth(const struct cell_matrix *m, size_t g, unsigned rounds)
{
	const struct cell_group *grp = &m->groups[g];
	double widest = 0;

	for (size_t i = grp->first + 1; i < grp->first + grp->n; i++) {
		const struct cell *c = &m->cells[i];
		struct paired p;
		bool mixed;
		double hw;

		if (c->failed || !c->baseline || c->baseline->failed)
			continue;
		pairing_ratio(c->baseline, c, rounds, &p, &mixed);
		hw = paired_rel_halfwidth(&p);
		if (hw > widest || isnan(hw))
			widest = isnan(hw) ? INFINITY : hw;
	}
	return widest;
}
