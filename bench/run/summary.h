/* summary.h: a cell's samples reduced to what is reported about it: the
 * statistics, speedup and efficiency against its baseline, per-sample drift
 * and outlier flags, placement counts and warnings. The JSON and the tables
 * are written from summaries only. */
#ifndef RUN_SUMMARY_H
#define RUN_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/run/cells.h"
#include "bench/stats.h"
#include "bench/warnings.h"

#include "bench/paired.h"

/* The floor of a measurable cell: a median wall time below it is warned
 * about (summary.c says what was measured behind it). */
#define SUMMARY_FLOOR_NS 20000000.0

struct cell_summary {
	const struct cell *cell;
	struct stats wall;          /* of the samples' wall_ns */
	double setup_ns_median;     /* of their setup_ns; 0 without samples */
	double speedup;             /* C cells: the paired speedup's ratio (the
	                             * median of the per-round baseline / cell
	                             * ratios); Python cells: the baseline's median
	                             * over this one's; 1 for a baseline; 0: none */
	double efficiency;          /* speedup / min(workers, tasks); 0: none */
	bool paired;                /* speedup_p and efficiency_p hold (C cells) */
	struct paired speedup_p, efficiency_p;
	bool with_contended;        /* too few clean rounds: contended ones counted */
	bool has_rate;              /* the workload's rate at the median (C cells) */
	double rate;
	bool verified;              /* measured, and every result checked out */
	bool *contended, *outlier;  /* per sample, in the cell's order */
	size_t n_contended;
	size_t unpinned;            /* worker bindings that failed, over all samples */
	size_t ran_outside;         /* workers seen outside their cpuset, likewise */
	struct warnings warnings;
};

/* The best (lowest) reference ns per iteration (a probe's median PU) over
 * every sample of cells that measured one; INFINITY when none did. */
double summary_best_reference(const struct cell *cells, size_t n);

/* Reduces cell c into *s: its samples' contended flags must be final
 * (pairing_flag). baseline: the summary of c->baseline (computed first),
 * NULL when c is a baseline. Free with summary_release. */
void summary_compute(struct cell_summary *s, const struct cell *c,
		     const struct cell_summary *baseline);
void summary_release(struct cell_summary *s);

#endif
