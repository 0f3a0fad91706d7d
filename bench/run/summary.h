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

/* A sample is flagged drift when the reference loop ran more than this
 * share slower than the run's best. */
#define SUMMARY_DRIFT_THRESHOLD 0.10

struct cell_summary {
	const struct cell *cell;
	struct stats wall;          /* of the samples' wall_ns */
	double setup_ns_median;     /* of their setup_ns; 0 without samples */
	double speedup;             /* the baseline's median wall over this one's
	                             * (1 for a baseline); 0: none (no samples
	                             * here or in the baseline) */
	double efficiency;          /* speedup / min(workers, tasks); 0: none */
	bool has_rate;              /* the workload's rate at the median (C cells) */
	double rate;
	bool verified;              /* measured, and every result checked out */
	bool *drift, *outlier;      /* per sample, in the cell's order */
	size_t drifted;
	size_t unpinned;            /* worker bindings that failed, over all samples */
	size_t ran_outside;         /* workers seen outside their cpuset, likewise */
	struct warnings warnings;
};

/* The best (lowest) reference ns per iteration over every sample of cells
 * that measured one; INFINITY when none did. */
double summary_best_reference(const struct cell *cells, size_t n);

/* Reduces cell c into *s. baseline: the summary of c->baseline (computed
 * first), NULL when c is a baseline. best_ref: summary_best_reference.
 * Free with summary_release. */
void summary_compute(struct cell_summary *s, const struct cell *c,
		     const struct cell_summary *baseline, double best_ref);
void summary_release(struct cell_summary *s);

#endif
