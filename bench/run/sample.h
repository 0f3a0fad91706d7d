/* sample.h: one measurement of one cell, as plain data: what measure()
 * records and what the summary, the JSON and the tables read. */
#ifndef RUN_SAMPLE_H
#define RUN_SAMPLE_H

#include <stddef.h>
#include <stdint.h>

#include "par/task.h"
#include "workloads/workload.h"

#define SAMPLE_MAX_COUNTERS 16

struct sample {
	unsigned round;             /* the recorded round it was taken in (0 is the
	                             * first): a cell's sample pairs with its
	                             * baseline's sample of the same round */
	uint64_t wall_ns;           /* the mode's execute, and nothing else */
	uint64_t setup_ns;          /* the mode's setup (a pool's start-up) */
	double ref_ns_per_iter;     /* the median PU's ns per iteration in the
	                             * capacity probe just before (what /1 called
	                             * the reference); 0: not measured (Python) */

	/* The capacity probes around it (bench/capacity.h), kept out of
	 * wall_ns: each PU's ns per iteration before and after (malloc'd,
	 * probe_pus each; NULL when not probed), their cost, and what the
	 * kernel said over the sample. */
	double *probe_before, *probe_after;
	unsigned probe_pus;
	uint64_t probe_ns;
	double pressure_us;         /* CPU pressure "some" stall; NaN unknown */
	double runq_ns;             /* run-queue delay of its tasks; NaN unknown */
	/* Set once the run's best speeds are final (run.c): */
	double capacity;            /* delivered cores, the lower of the probes;
	                             * NaN when not probed */
	unsigned contended;         /* capacity_contended's bits; 0: clean */

	/* getrusage over execute (self) and execute + teardown (children,
	 * counted once reaped): see bench/run/measure.c. */
	double user_ns, sys_ns, children_user_ns, children_sys_ns;
	long voluntary_ctxsw, involuntary_ctxsw, minor_faults, major_faults;
	long max_rss_kb, children_max_rss_kb;

	/* The workload's own figures (workload->counters). */
	struct workload_counter counters[SAMPLE_MAX_COUNTERS];
	unsigned n_counters;

	/* Every worker's statistics and placement (malloc'd; none for serial
	 * and Python cells). */
	struct worker_stats *workers;
	unsigned n_workers;
};

/* A cell's samples, in the order they were taken. */
struct samples {
	struct sample *items;
	size_t n, cap;
};

/* Appends *s (taking ownership of its workers) to list. */
void samples_push(struct samples *list, struct sample *s);

/* Frees s's workers. */
void sample_release(struct sample *s);

/* Frees every sample and the list; list is empty afterwards. */
void samples_release(struct samples *list);

/* Worker statistics that say a binding failed (pinned == 0), and that a
 * bound worker ran outside its cpuset. */
size_t sample_unpinned(const struct sample *s);
size_t sample_ran_outside(const struct sample *s);

#endif
