/* cells.h: the cell matrix of `tvp run`: every (workload, size) instance,
 * the placement plans, and one cell per combination of mode, workers,
 * placement, channel and start method, each holding its samples as plain
 * data. */
#ifndef RUN_CELLS_H
#define RUN_CELLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/modes/mode.h"
#include "bench/run/sample.h"
#include "bench/run_options.h"
#include "par/channel_kind.h"
#include "par/start_method.h"
#include "workloads/workload.h"

/* Who ran the cell's tasks: tvp's own modes, or CPython through the
 * reference scripts (bench/run/python_cells.c). */
enum cell_lang { CELL_LANG_C, CELL_LANG_PYTHON };

/* What a Python cell's interpreter said about itself. */
struct python_info {
	char api[64];               /* the Python API the mode maps to; "" unknown */
	bool known;                 /* the fields below were reported */
	char version[32], implementation[32], executable[512];
	bool gil;
};

struct cell {
	enum cell_lang lang;
	struct workload_inst *wi;
	const struct mode *mode;
	unsigned workers;
	uint64_t tasks;
	uint64_t size;              /* of one task: wi->size, or a Python cell's own */
	const struct pin_plan *plan;  /* owned by the matrix; NULL for Python */
	const char *pin;            /* the canonical policy name */
	bool has_channel;           /* the mode takes a channel (C cells) */
	enum channel_kind channel;
	bool has_start;             /* the mode takes a start method (MODE_START; Python
				       cells of the same modes too) */
	enum pool_start start;
	bool pin_strict;            /* --pin-strict */
	struct cell *baseline;      /* the serial cell of its group; NULL for itself */
	size_t group;               /* its index in the matrix's groups */
	unsigned rounds;            /* recorded rounds its group got (C cells) */
	bool converged;             /* its group reached --precision */
	struct samples samples;
	bool failed;                /* not measured again; error says why */
	char error[512];
	struct sample failed_sample; /* what the failing measurement recorded (a
	                              * workload's failure counters); zero: none */
	struct python_info *python; /* Python cells only */
	const char *mpi_hosts;      /* --mpi-hosts, for the mpi mode */
	enum mode_mpi_transport mpi_transport;
};

/* The cells of one (workload, size) instance and one language, serial
 * first: what a round measures together, and what speedups pair within. */
struct cell_group {
	struct workload_inst *wi;
	size_t first, n;            /* cells[first .. first + n) */
};

/* One option set (a spec: bench/run/run.h) of the matrix: its plans and
 * its instances. A `tvp run` has one; `tvp bench` several. */
struct cell_spec {
	const struct run_options *o;
	size_t plan_first;          /* plans[plan_first + pin * o->n_workers + w] */
	size_t inst_first, n_insts; /* insts[inst_first .. inst_first + n_insts) */
};

struct cell_matrix {
	struct cell_spec *specs;
	size_t n_specs;
	struct workload_inst *insts;
	size_t n_insts;
	struct pin_plan **plans;    /* every spec's, one after the other */
	size_t n_plans;
	struct pin_plan *serial_plan; /* none, 1 worker: the baseline's */
	struct cell *cells;         /* C cells, then Python cells */
	size_t n_cells, cap;
	struct cell_group *groups;
	size_t n_groups;
};

/* Takes the specs (o[0 .. n), which must outlive m) and builds the
 * placement plan of every spec's (--pin policy, worker count), once.
 * Returns 0, -EINVAL for a policy that does not apply here (err says why
 * and what is accepted: exit 2), or another negative errno (exit 1). */
int cells_plan(struct cell_matrix *m, const struct run_options *o, size_t n, char *err,
	       size_t errlen);

/* Sets up every spec's (workload, size) instances, in spec order,
 * calibrating --size auto. Returns 0, or a negative errno with
 * "workload NAME: why" in err. */
int cells_setup_instances(struct cell_matrix *m, char *err, size_t errlen);

/* Adds the C cells of every spec: per instance, the serial baseline (never
 * pinned), then every selected mode x workers x placement x channel x start
 * method (the last two only for the modes that take one). Each instance is a group. Room is kept for
 * the Python cells when python is set (cells_add). */
void cells_build(struct cell_matrix *m, bool python);

/* Starts a new group of instance wi, or adds a cell to the current group:
 * the first cell of a group is its baseline. Returns the zeroed cell with
 * lang, wi, mode, workers, tasks, size and baseline set. */
struct cell *cells_add(struct cell_matrix *m, enum cell_lang lang, struct workload_inst *wi,
		       const struct mode *mode, unsigned workers, uint64_t tasks, bool new_group);

/* Tasks per measurement for workload wl under o. */
uint64_t cells_tasks(const struct run_options *o, const struct workload *wl);

/* "count thread-pool x4", "count fork-pool x4 shm spawn" (a start method
 * other than fork), "python count fork-pool x2": names the cell in
 * messages. Returns buf. */
const char *cell_label(const struct cell *c, char *buf, size_t len);

/* The channel's name, or NULL when the cell takes none. */
const char *cell_channel_name(const struct cell *c);

/* The start method's name when it is not fork ("spawn"), or NULL: fork is
 * the default and what every process mode did before there was a choice,
 * so labels and tables name only the others (the JSON names every one, and
 * resdoc_mode_label agrees). */
const char *cell_start_name(const struct cell *c);

/* Tears every set-up instance down (workload teardown), once measuring is
 * over; the instances' names and sizes stay readable. */
void cells_teardown_instances(struct cell_matrix *m);

/* Frees the cells, their samples, the plans and the instances. */
void cells_release(struct cell_matrix *m);

#endif
