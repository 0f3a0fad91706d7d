/* bench_print.c: the plan `tvp bench` prints before it measures (and alone
 * under --plan): the machine, the budget, one line per group, the
 * estimate and what it rests on. */
#include "bench/bench_print.h"

#include <stdio.h>
#include <string.h>

#include "bench/bench_argv.h"
#include "bench/util.h"

/* "8 min", "55 s", "1.5 s", "20 ms". */
static const char *span(double ns, char *buf, size_t len)
{
	if (ns >= 120e9)
		snprintf(buf, len, "%.1f min", ns / 60e9);
	else if (ns >= 10e9)
		snprintf(buf, len, "%.0f s", ns / 1e9);
	else
		format_duration(buf, len, ns);
	return buf;
}

static void list_workers(const struct bench_group *g, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < g->n_workers && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%u", i ? "," : "", g->workers[i]);
}

/* "72000000 iterations", "10 ms", "4 MiB": a task's size. */
static void size_text(const struct bench_group *g, char *buf, size_t len)
{
	if (strcmp(g->wl->size_unit, "ns") == 0)
		format_duration(buf, len, (double)g->size);
	else if (g->wl->kind == WORKLOAD_HANDOFF)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)g->size,
			 strcmp(g->wl->size_unit, "iterations") == 0 ? "iter" : g->wl->size_unit);
}

void bench_print_plan(FILE *f, const struct bench_plan *p, const char *host,
		      const char *calibration)
{
	const struct bench_settings *s = &p->settings;
	char a[32], b[32], c[32], w[96], sz[40];
	size_t cells = 0, skipped = 0;

	fprintf(f, "tvp bench%s: %s, %u cores, %u PUs (from the topology); pin: %s\n",
		s->quick ? " --quick" : "", host, p->machine.cores, p->machine.pus,
		p->machine.can_bind ? (s->quick ? "none (quick)" : "none and scatter")
				    : "none (this machine cannot bind)");
	if (p->machine.delivered_pus > 0)
		fprintf(f, "the PUs delivered %.2f PUs' worth of computing to a parallel measurement "
			   "just now%s\n", p->machine.delivered_pus,
			p->machine.delivered_pus < 0.9 * p->machine.pus ? ": the machine is busy" : "");
	if (p->machine.sample_ns > 0)
		fprintf(f, "each measurement costs %s around its timed call (probes, reference, "
			   "checks), measured\n", span(p->machine.sample_ns, a, sizeof a));
	fprintf(f, "budget %s; rounds: %u warm-up, at least %u, at most %u, more while a "
		   "speedup's CI is wider than the precision\n",
		span((double)s->budget_ns, a, sizeof a), s->warmup, s->min_rounds, s->max_rounds);
	fprintf(f, "  %-16s %5s  %-22s %-12s %-8s %-16s %7s %5s  %-10s %-9s %s\n", "group", "modes",
		"workers", "pin", "channel", "task size", "tasks", "cells", "task", "round",
		"shortest");
	for (size_t i = 0; i < p->n_groups; i++) {
		const struct bench_group *g = &p->groups[i];

		if (g->fit == BENCH_FIT_SKIPPED) {
			skipped++;
			continue;
		}
		list_workers(g, w, sizeof w);
		size_text(g, sz, sizeof sz);
		cells += g->cells;
		fprintf(f, "  %-16s %5zu  %-22s %-12s %-8s %-16s %7llu %5zu  %-10s %-9s %s%s%s\n", g->name,
			g->n_modes, w, g->scatter ? "none,scatter" : "none",
			bench_group_channels(g) ? bench_group_channels(g) : "-", sz, (unsigned long long)g->tasks,
			g->cells, span(g->task_ns, a, sizeof a), span(g->round_ns, b, sizeof b),
			span(g->shortest_ns, c, sizeof c),
			g->source == BENCH_COST_MEASURED ? "" : " (nominal)",
			g->fit == BENCH_FIT_TRIMMED ? "  [trimmed to fit]" : "");
	}
	for (size_t i = 0; skipped && i < p->n_groups; i++)
		if (p->groups[i].fit == BENCH_FIT_SKIPPED)
			fprintf(f, "  skipped: %s (its minimum rounds would not fit the budget)\n",
				p->groups[i].name);
	fprintf(f, "%zu cells in %zu groups. Estimate: %s (%s for the minimum rounds, %s for every "
		   "round up to the maximum; the budget caps it)\n",
		cells, p->n_groups - skipped, span(p->estimate_ns, a, sizeof a),
		span(p->min_ns, b, sizeof b), span(p->max_ns, c, sizeof c));
	fprintf(f, "  from %s; every measurement is meant to last at least %s.\n", calibration,
		span((double)BENCH_FLOOR_NS, a, sizeof a));
}
