/* schedule.c: adaptive interleaved rounds (schedule.h).
 *
 * DESIGN
 * A round takes the cells of the wanted groups, shuffles them together and
 * measures each once: interleaving still spreads a slow spell over every
 * mode, and a group that has converged stops costing time. Each group's
 * round cost is the time of its cells' steps (measurement, probes, prepare,
 * setup, teardown: everything the next round will spend again), which
 * adaptive_plan weighs against the budget. A group's cells share its round
 * count, so cell k's sample of round r pairs with its baseline's sample of
 * round r.
 */
#include "bench/run/schedule.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "bench/rng.h"
#include "bench/run/pairing.h"
#include "bench/util.h"

/* The C groups: cells_build made them first, Python groups come later. */
static size_t c_groups(const struct cell_matrix *m)
{
	size_t n = 0;

	while (n < m->n_groups && m->cells[m->groups[n].first].lang == CELL_LANG_C)
		n++;
	return n;
}

/* One round over the cells of the groups marked in want (all when want is
 * NULL); cost[g] gets each group's time. */
static int one_round(struct schedule *s, struct adaptive_group *g, const bool *want,
		     bool record, struct cell **order, double *cost)
{
	size_t n = 0, ng = c_groups(s->m);
	int rc = 0;

	for (size_t i = 0; i < ng; i++)
		for (size_t k = 0; (!want || want[i]) && k < s->m->groups[i].n; k++)
			order[n++] = &s->m->cells[s->m->groups[i].first + k];
	rng_shuffle((void **)order, n, s->rng);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct cell *c = order[i];
		uint64_t t0 = s->now(s->ctx);

		if (c->failed)
			continue;
		rc = tvp_interrupted ? -EINTR : s->step(s->ctx, c, g[c->group].rounds, record);
		cost[c->group] += (double)(s->now(s->ctx) - t0);
	}
	return tvp_interrupted ? -EINTR : rc;
}

int schedule_run(struct schedule *s)
{
	struct cell_matrix *m = s->m;
	size_t ng = c_groups(m);
	struct adaptive_group *g = xcalloc(ng ? ng : 1, sizeof *g);
	bool *want = xcalloc(ng ? ng : 1, sizeof *want);
	double *cost = xcalloc(ng ? ng : 1, sizeof *cost);
	struct cell **order = xcalloc(m->n_cells ? m->n_cells : 1, sizeof *order);
	int rc = 0;

	for (size_t i = 0; i < ng; i++)
		g[i].halfwidth = INFINITY;
	for (unsigned w = 0; w < s->warmup && rc == 0; w++)
		rc = one_round(s, g, NULL, false, order, cost);
	while (rc == 0) {
		s->stop = adaptive_plan(&s->lim, g, ng, s->now(s->ctx) - s->start_ns, want);
		if (s->stop != ADAPTIVE_GO)
			break;
		for (size_t i = 0; i < ng; i++)
			cost[i] = 0;
		rc = one_round(s, g, want, true, order, cost);
		if (rc != 0)
			break;
		if (s->after_round)
			s->after_round(s->ctx);
		for (size_t i = 0; i < ng; i++)
			if (want[i]) {
				adaptive_note_round(&g[i], cost[i]);
				g[i].halfwidth = pairing_group_halfwidth(m, i, g[i].rounds);
			}
		if (s->eta)
			s->eta(s->ctx, adaptive_eta_ns(&s->lim, g, ng, s->now(s->ctx) - s->start_ns));
	}
	for (size_t i = 0; i < ng; i++)
		for (size_t k = 0; k < m->groups[i].n; k++) {
			struct cell *c = &m->cells[m->groups[i].first + k];

			c->rounds = g[i].rounds;
			c->converged = adaptive_converged(&s->lim, &g[i]);
		}
	free(order);
	free(cost);
	free(want);
	free(g);
	return rc;
}
