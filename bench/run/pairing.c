/* pairing.c: contended samples and paired ratios of `tvp run` (pairing.h). */
#include "bench/run/pairing.h"

#include <math.h>
#include <stdlib.h>

#include "bench/adaptive.h"
#include "bench/capacity.h"
#include "bench/util.h"
#include "par/pin.h"

/* The lower of a sample's two probe figures f(before), f(after). */
static double lower(double a, double b)
{
	return a < b ? a : b;
}

/* The probed PUs cell c may use, as indexes into cap's (idx, at least
 * cap->n_pus long): a pinned cell's plan's; every one otherwise. */
static unsigned usable_pus(const struct cell *c, const struct capacity *cap, unsigned *idx)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cap->n_pus; i++) {
		bool use = !c->plan || pin_plan_is_none(c->plan);

		for (unsigned w = 0; !use && w < c->workers; w++)
			use = hwloc_bitmap_isset(pin_plan_cpuset(c->plan, w), (unsigned)cap->cpus[i]);
		if (use)
			idx[n++] = i;
	}
	return n;
}

/* capacity_share of probe v over the PUs idx[0..n). */
static double share_of(const struct capacity *cap, const double *v, const unsigned *idx, unsigned n,
		       unsigned workers)
{
	double *best = xcalloc(n ? n : 1, sizeof *best), *obs = xcalloc(n ? n : 1, sizeof *obs), r;

	for (unsigned i = 0; i < n; i++) {
		best[i] = cap->best_ns_per_iter[idx[i]];
		obs[i] = v[idx[i]];
	}
	r = capacity_share(best, obs, n, workers);
	free(best);
	free(obs);
	return r;
}

static void flag_sample(struct sample *s, const struct capacity *cap, const struct cell *c,
			const unsigned *idx, unsigned n)
{
	struct capacity_sample cs;

	if (!s->probe_before || !s->probe_after || s->probe_pus != cap->n_pus)
		return;
	s->capacity = lower(capacity_cores(cap->best_ns_per_iter, s->probe_before, cap->n_pus),
			    capacity_cores(cap->best_ns_per_iter, s->probe_after, cap->n_pus));
	cs = (struct capacity_sample){
		.share = lower(share_of(cap, s->probe_before, idx, n, c->workers),
			       share_of(cap, s->probe_after, idx, n, c->workers)),
		.runq_ns = s->runq_ns, .wall_ns = (double)s->wall_ns, .workers = c->workers,
		.pus = n,
	};
	s->contended = capacity_contended(&cs);
}

void pairing_flag(struct cell_matrix *m, const struct capacity *cap)
{
	unsigned *idx = xcalloc(cap->n_pus ? cap->n_pus : 1, sizeof *idx);

	for (size_t i = 0; i < m->n_cells; i++) {
		struct cell *c = &m->cells[i];
		unsigned n = c->lang == CELL_LANG_C ? usable_pus(c, cap, idx) : 0;

		for (size_t k = 0; n && k < c->samples.n; k++)
			flag_sample(&c->samples.items[k], cap, c, idx, n);
	}
	free(idx);
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
