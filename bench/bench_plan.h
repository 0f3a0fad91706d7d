/* bench_plan.h: what `tvp bench` measures, planned around a budget: groups
 * (one workload at one size with its modes, worker counts, placements and
 * channels: one `tvp run` option set each), what one round of each costs,
 * and which fit. Pure: the machine, the budget and the measured task times
 * come in as numbers, so the tests plan for 2 PUs and for 128 alike. */
#ifndef BENCH_PLAN_H
#define BENCH_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/modes/mode.h"
#include "bench/run/summary.h"
#include "workloads/workload.h"

/* The shortest measurement worth taking here, and the task sizes that
 * follow from it (bench_plan.c says how it was measured): the run loop's
 * floor, below which it warns about a cell (bench/run/summary.h). */
#define BENCH_FLOOR_NS ((uint64_t)SUMMARY_FLOOR_NS)

#define BENCH_MAX_MODES 8
#define BENCH_MAX_WORKERS 24
#define BENCH_MAX_GROUPS 32
#define BENCH_MAX_ARGS 32

/* Defaults of --budget: the whole of `tvp bench`, leaving `make bench` room
 * for tvp overhead, the charts and the report within 10 minutes (90 s with
 * --quick): on the loaded VM those took 3 minutes after a full run (40 s
 * after a quick one). */
#define BENCH_BUDGET_NS (420ull * 1000000000ull)
#define BENCH_QUICK_BUDGET_NS (45ull * 1000000000ull)

#define BENCH_MAX_REG_MODES 16

struct bench_machine {
	unsigned pus;               /* PUs this process may use, >= 1 */
	unsigned cores;             /* cores among them, >= 1 */
	bool can_bind;              /* --pin scatter binds threads and processes here */
	/* Handing one noop task over and back under modes[i] of the registry,
	 * measured (bench_calibrate); 0: the nominal figure. */
	double handoff_ns[BENCH_MAX_REG_MODES];
	/* How many PUs' worth of computing the machine delivered to a parallel
	 * measurement just now (bench_calibrate); 0: all of pus. */
	double delivered_pus;
	/* What one measurement costs around its timed call (the capacity
	 * probes, the reference loop, teardown, checking), measured; 0: the
	 * nominal figure. */
	double sample_ns;
};

struct bench_settings {
	bool quick;
	uint64_t budget_ns;         /* the whole run, > 0 */
	unsigned warmup;            /* unrecorded rounds first */
	unsigned min_rounds;        /* recorded rounds every group gets */
	unsigned max_rounds;        /* recorded rounds no group exceeds */
};

/* Fills s with the defaults for quick or full runs. */
void bench_settings_default(struct bench_settings *s, bool quick);

/* Where a group's task time came from. */
enum bench_cost_source {
	BENCH_COST_NOMINAL,         /* constants measured once on the 2-vCPU VM */
	BENCH_COST_MEASURED,        /* one serial task timed just before planning */
};

enum bench_fit {
	BENCH_FIT_FULL,             /* as planned */
	BENCH_FIT_TRIMMED,          /* fewer worker counts and placements */
	BENCH_FIT_SKIPPED,          /* its minimum rounds did not fit the budget */
};

/* One group: the cells that pair with one serial cell. */
struct bench_group {
	char name[48];              /* "count", "transfer 4 KiB", "noop spawn" */
	const struct workload *wl;
	const struct mode *modes[BENCH_MAX_MODES];  /* serial first */
	size_t n_modes;
	unsigned workers[BENCH_MAX_WORKERS];        /* ascending */
	size_t n_workers;
	bool scatter;               /* pin none and scatter; else none */
	bool both_channels;         /* channel pipe and shm; else shm (bench_group_channels) */
	uint64_t size;              /* one task, in the workload's unit */
	uint64_t tasks;             /* per measurement */
	bool measure_task;          /* its task time is worth measuring first */
	double task_ns;             /* one task, serially */
	enum bench_cost_source source;
	size_t cells;               /* serial included */
	double round_ns;            /* one round of every cell, all costs */
	double shortest_ns;         /* its shortest estimated measurement */
	enum bench_fit fit;
};

struct bench_plan {
	struct bench_machine machine;
	struct bench_settings settings;
	struct bench_group groups[BENCH_MAX_GROUPS];
	size_t n_groups;
	double min_ns;              /* warm-up and minimum rounds of the kept groups */
	double max_ns;              /* ... and every round up to max_rounds */
	double estimate_ns;         /* what the run should take: max_ns within the budget */
};

/* Lays out the groups for machine m (workloads and modes from the
 * registries): every CPU workload at 1, the PUs and twice the PUs, pinned
 * none and scatter where m can bind (quick: none); every waiting workload
 * at powers of two up to 32 x the PUs, at most 256 (quick: 8 x); transfer
 * at 64 B to 4 MiB, pipe and shm, at 1 and the PUs; the noop hand-off per
 * mode family, each with its own task count. Sizes are the workloads'
 * defaults, task times nominal (measure_task marks those worth timing).
 * Call bench_plan_fit next. */
void bench_plan_init(struct bench_plan *p, const struct bench_machine *m,
		     const struct bench_settings *s);

/* Sets every group's task count from its task time (each measurement at
 * least BENCH_FLOOR_NS) and estimates its cells and rounds; then, while the
 * warm-up and minimum rounds of all exceed 80% of the budget, trims groups
 * (fewer worker counts, no scatter), last first, and then skips groups,
 * last first, taking back any that fits what is left. Sets the totals. */
void bench_plan_fit(struct bench_plan *p);

/* The estimate of one round of g's cells on p's machine, in ns, and its
 * shortest measurement (bench_estimate.c). */
double bench_estimate_round(const struct bench_machine *m, const struct bench_group *g,
			    double *shortest_ns);

/* A task time for g's workload before measuring: a transfer task's, or for
 * a hand-off group the cheapest hand-off among its modes on machine m (what
 * sizes its batch); 1 ms for the others. */
double bench_estimate_nominal_task(const struct bench_machine *m, const struct bench_group *g);

/* Handing one task over and back under mode on machine m: measured, else
 * nominal. */
double bench_estimate_handoff(const struct bench_machine *m, const struct mode *mode);

#endif
