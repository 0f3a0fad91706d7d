/* summary.c: reducing a cell's samples to its summary (summary.h).
 *
 * DESIGN
 * One function for C and Python cells alike: the median and its
 * distribution-free interval (bench/stats.c), the speedup, and the warnings
 * a reader needs. A C cell's speedup is paired (bench/run/pairing.h): the
 * median of the per-round ratios baseline / cell, with its interval, leaving
 * contended samples out while enough clean rounds remain. A Python cell's
 * samples are timed back to back by the interpreter, not in rounds: its
 * speedup is the ratio of the baseline's median to its own.
 *
 * The floor. A cell whose median is under SUMMARY_FLOOR_NS (20 ms) is
 * warned about: one lost time slice then weighs a tenth or more of it. On
 * the 2-vCPU VM a busy loop sharing its PU with a hog saw gaps of 5.2 ms
 * median, 14 ms at the 90th percentile (unpinned on the loaded machine: 2.1
 * and 6.2 ms): a 20 ms sample that loses one is off by 10-25% (README). The
 * warnings about the reference loop, worker placement, outliers and
 * oversubscription describe tvp's own measurements; Python cells, whose
 * interpreter times its repetitions back to back, are warned about their
 * sample count and spread only.
 */
#include "bench/run/summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/capacity.h"
#include "bench/env.h"
#include "bench/run/pairing.h"
#include "bench/util.h"
#include "par/pin.h"

double summary_best_reference(const struct cell *cells, size_t n)
{
	double best = INFINITY;

	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < cells[i].samples.n; k++) {
			double ref = cells[i].samples.items[k].ref_ns_per_iter;
			if (ref > 0 && ref < best)
				best = ref;
		}
	return best;
}

static double setup_median(const struct samples *list)
{
	double *v = xcalloc(list->n ? list->n : 1, sizeof *v);
	struct stats st;

	for (size_t k = 0; k < list->n; k++)
		v[k] = (double)list->items[k].setup_ns;
	stats_compute(v, list->n, &st, NULL);
	free(v);
	return st.median;
}

static void speedup(struct cell_summary *s, const struct cell *c,
		    const struct cell_summary *baseline)
{
	double par = (double)(c->workers < c->tasks ? c->workers : c->tasks);

	if (c->samples.n == 0)
		return;
	if (!baseline) {
		s->speedup = 1;
	} else if (c->lang == CELL_LANG_C) {
		pairing_ratio(c->baseline, c, c->rounds, &s->speedup_p, &s->with_contended);
		paired_scale(&s->speedup_p, par, &s->efficiency_p);
		s->paired = s->speedup_p.n > 0;
		s->speedup = s->speedup_p.ratio;
	} else if (baseline->wall.n && s->wall.median > 0) {
		s->speedup = baseline->wall.median / s->wall.median;
	}
	if (s->speedup > 0)
		s->efficiency = s->speedup / par;
}

static void warn(struct cell_summary *s, const struct cell *c)
{
	struct warnings *w = &s->warnings;

	stats_warn(w, &s->wall);
	if (c->lang != CELL_LANG_C)
		return;
	if (s->n_contended)
		warnings_add(w, "contended: %zu of %zu samples (the machine delivered under %.0f%% of its best, or tasks waited to run)%s",
			     s->n_contended, c->samples.n, 100 * CAPACITY_MIN_SHARE,
			     s->with_contended ? "; too few clean rounds, so the speedup counts them" : "");
	if (s->wall.n && s->wall.median < SUMMARY_FLOOR_NS)
		warnings_add(w, "short: the median %.1f ms is under the %.0f ms floor, where the scheduler dominates (use a larger --size)",
			     s->wall.median / 1e6, SUMMARY_FLOOR_NS / 1e6);
	if (c->rounds && !c->converged)
		warnings_add(w, "not converged: %u rounds left the speedup's interval wider than --precision",
			     c->rounds);
	if (s->wall.outliers)
		warnings_add(w, "%zu outlier(s) (modified z-score above %.1f)", s->wall.outliers,
			     STATS_OUTLIER_Z);
	if (s->unpinned)
		warnings_add(w, "placement %s: %zu worker binding(s) failed (\"pinned\": false)", c->pin,
			     s->unpinned);
	if (s->ran_outside)
		warnings_add(w, "placement %s: %zu worker(s) were seen running outside their cpuset",
			     c->pin, s->ran_outside);
	if (pin_plan_wraps(c->plan))
		warnings_add(w, "placement %s wraps: %u workers share fewer places", c->pin, c->workers);
	if (c->workers > env_pus() && !(c->mode->flags & MODE_SERIAL))
		warnings_add(w, "%u workers on %u PUs: oversubscribed", c->workers, env_pus());
}

void summary_compute(struct cell_summary *s, const struct cell *c,
		     const struct cell_summary *baseline)
{
	const struct samples *list = &c->samples;
	size_t n = list->n;
	double *wall = xcalloc(n ? n : 1, sizeof *wall);

	memset(s, 0, sizeof *s);
	s->cell = c;
	s->contended = xcalloc(n ? n : 1, sizeof *s->contended);
	s->outlier = xcalloc(n ? n : 1, sizeof *s->outlier);
	for (size_t k = 0; k < n; k++) {
		const struct sample *smp = &list->items[k];

		wall[k] = (double)smp->wall_ns;
		s->contended[k] = smp->contended != 0;
		s->n_contended += s->contended[k];
		s->unpinned += sample_unpinned(smp);
		s->ran_outside += sample_ran_outside(smp);
	}
	stats_compute(wall, n, &s->wall, s->outlier);
	free(wall);
	s->setup_ns_median = setup_median(list);
	speedup(s, c, baseline);
	s->has_rate = c->lang == CELL_LANG_C && c->wi->wl->rate && n;
	if (s->has_rate)
		s->rate = c->wi->wl->rate(c->wi, c->tasks, s->wall.median);
	s->verified = n > 0 && !c->failed;
	warn(s, c);
}

void summary_release(struct cell_summary *s)
{
	free(s->contended);
	free(s->outlier);
	warnings_release(&s->warnings);
	memset(s, 0, sizeof *s);
}
