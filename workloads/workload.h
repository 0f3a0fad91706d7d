/* workload.h: the workload interface: what one task does, how its size is
 * read, how its result is checked. One file per workload, one line each in
 * workloads/registry.c.
 *
 * DESIGN
 * A workload is a table of functions (struct workload). The run loop makes one
 * instance (struct workload_inst) per workload and size, calls setup once
 * before any mode starts a pool (so forked workers inherit what setup made),
 * then runs tasks through modes. Every mode runs a task through the same
 * function, workload_run_task(), with a struct task_arg as its argument
 * bytes: one compiled copy of the measured code, whatever the mode (the same
 * loop at two code addresses has been seen to run at 1 and 2 cycles per
 * iteration on these machines, which would fake a speedup).
 *
 * A task's result crosses back to the run loop as bytes (par/task.h);
 * verify() checks each one after the timed region, so checking costs nothing
 * in the measurement but a wrong answer is still an error.
 *
 * Workload-specific options (`--net-delay 5ms`, `--lock mutex`) are declared
 * in the workload's options table; `tvp run` accepts them, validates them with
 * the table's check function and hands them over as strings.
 */
#ifndef WORKLOAD_H
#define WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "par/start_method.h"
#include "par/task.h"

struct workload;

/* A named figure a workload reports for one measurement, beside the time
 * ("lost_updates", "connect_errors"). */
struct workload_counter {
	const char *name;
	double value;
};

/* One option a workload adds to `tvp run`. */
struct workload_option {
	const char *name;       /* long option, without "--" */
	const char *arg;        /* its argument, for --help: "DURATION" */
	const char *def;        /* default value, as text */
	const char *help;       /* one line */
	/* Returns true if text is acceptable; otherwise writes what is accepted
	 * to err. NULL: any text. */
	bool (*check)(const char *text, char *err, size_t errlen);
};

/* One workload at one size, set up for a run. */
struct workload_inst {
	const struct workload *wl;
	uint64_t size;               /* in the workload's own unit */
	bool quick;                  /* --quick: keep set-up small too */
	const char *const *opt_values; /* parallel to wl->options: resolved text */
	void *state;                 /* the workload's own; made by setup */
};

/* What limits a workload's tasks, for planning (`tvp bench` picks worker
 * counts and sizes by it). The zero value is CPU. */
enum workload_kind {
	WORKLOAD_CPU,       /* computing: worth at most a few workers per PU */
	WORKLOAD_WAIT,      /* waiting (sleep, network): worth far more workers */
	WORKLOAD_TRANSFER,  /* moving result bytes back from the workers */
	WORKLOAD_HANDOFF,   /* nothing but handing a task over and back */
};

struct workload {
	const char *name;
	const char *summary;          /* one line, for --help and the JSON */
	const char *size_unit;        /* "iterations", "bytes", "ns" */
	const char *size_help;        /* what --size accepts, for messages */
	enum workload_kind kind;

	/* Parses one --size item (never "auto"). Returns true and sets *size,
	 * or returns false with what is accepted written to err. */
	bool (*parse_size)(const char *text, uint64_t *size, char *err, size_t errlen);

	/* The size when --size is not given (quick: for --quick runs). */
	uint64_t (*default_size)(bool quick);

	/* --size auto: a size for which one task takes about target_ns on this
	 * machine. NULL: auto means default_size(false). */
	uint64_t (*calibrate)(uint64_t target_ns);

	/* Tasks per measurement when --tasks is not given. NULL: one task per
	 * worker of the largest worker count. */
	uint64_t (*default_tasks)(unsigned max_workers, bool quick);

	/* Before any mode runs (pools not started yet). Returns 0, or a negative
	 * errno with the reason in err. NULL: nothing to set up. */
	int (*setup)(struct workload_inst *wi, char *err, size_t errlen);

	/* Runs task number index (0 <= index < tasks). Called in the parent's
	 * thread, a pool thread, or a forked worker. See task_fn in par/task.h. */
	int (*task)(const struct workload_inst *wi, uint64_t index, struct task_result *out);

	/* Checks task index's result. Returns true, or false with why in err. */
	bool (*verify)(const struct workload_inst *wi, uint64_t index,
		       const struct task_result *r, char *err, size_t errlen);

	/* Before each measurement, not timed: reset what the tasks share (a
	 * shared counter). Returns 0 or a negative errno with err. NULL: none. */
	int (*prepare)(struct workload_inst *wi, char *err, size_t errlen);

	/* After each measurement's tasks are verified one by one: checks what
	 * only the whole batch shows (a shared total). NULL: nothing. */
	bool (*verify_batch)(const struct workload_inst *wi, uint64_t tasks, char *err,
			     size_t errlen);

	/* The named figures of the last measurement, written into out (at most
	 * max); returns how many. Recorded with the sample. NULL: none. */
	unsigned (*counters)(const struct workload_inst *wi, struct workload_counter *out,
			     unsigned max);

	/* After every mode has run; also on error and interrupt. NULL: nothing. */
	void (*teardown)(struct workload_inst *wi);

	/* A derived rate for the table and JSON (NULL: none): its name in the
	 * JSON ("ns_per_iter") and table ("ns/iter"), and its value for `tasks`
	 * tasks taking wall_ns in all. */
	const char *rate_key;
	const char *rate_label;
	double (*rate)(const struct workload_inst *wi, uint64_t tasks, double wall_ns);

	/* --python: the reference script workloads/python/NAME.py exists, and a
	 * Python task is SIZE / python_size_divisor units (CPython's loop is
	 * slower than C's). 0: no Python script. */
	unsigned python_size_divisor;

	/* Extra `tvp run` options, ending with a {NULL} entry. NULL: none. */
	const struct workload_option *options;

	/* Its tasks depend on what setup made in this process (a calibration,
	 * memory shared with the run loop): a program that rebuilds the
	 * instance on its own (the mpi mode's ranks, MODE_OWN_PROGRAM) would
	 * not give the same results, so those modes skip it. */
	bool local_state;

	/* Whether a process worker started by start (par/start_method.h) can
	 * run this instance's tasks. Asked when `tvp run` checks its command
	 * line, before setup: only wl, size, quick and opt_values are set.
	 * Returns NULL, or why not, naming the option and what to use instead
	 * (tvp exits 2 with it). NULL: every start method serves it. */
	const char *(*refuse_start)(const struct workload_inst *wi, enum pool_start start);

	/* The spawn start method: a worker that is a fresh program has none of
	 * the parent's memory, so it rebuilds the instance (workload_wire.h).
	 * export_state, in the parent after setup, writes what the tasks need
	 * of wi->state as malloc'd bytes (*bytes, *len); import_state, in the
	 * worker, makes wi->state from them (wl, size, quick and opt_values are
	 * set); drop_state frees what import_state made. Both return 0 or a
	 * negative errno with err. NULL export_state: the tasks read no state
	 * (the worker's wi->state is NULL). */
	int (*export_state)(const struct workload_inst *wi, void **bytes, size_t *len, char *err,
			    size_t errlen);
	int (*import_state)(struct workload_inst *wi, const void *bytes, size_t len, char *err,
			    size_t errlen);
	void (*drop_state)(struct workload_inst *wi);
};

/* What every mode passes to workload_run_task as argument bytes. The
 * instance pointer is valid in forked workers because pools start after
 * workload setup (see DESIGN above); a spawned worker ignores it and runs
 * the instance it rebuilt (workload_wire.h). */
struct task_arg {
	const struct workload_inst *wi;
	uint64_t index;
};

/* The task function every mode submits: runs arg->wi->wl->task(), or in a
 * spawned worker the rebuilt instance's (registered by name:
 * par/task_registry.h). */
int workload_run_task(const void *arg, size_t arg_len, struct task_result *out);

/* Reads what workload_run_task reads before the workload's own code runs
 * (the record, the instance, the workload) and runs nothing: status 0, no
 * result (a spawned worker that could not rebuild the instance fails it as
 * workload_run_task would). The pool modes' ready hook maps it over the first records so that
 * the timed map does not pay a worker's first touches (pool_wake_map). */
int workload_touch_task(const void *arg, size_t arg_len, struct task_result *out);

/* The registry (workloads/registry.c). */
extern const struct workload *const workloads[];
extern const size_t workloads_count;

/* The workload called name, or NULL. */
const struct workload *workload_find(const char *name);

/* The value of option name for this instance (its default if not given). */
const char *workload_opt(const struct workload_inst *wi, const char *name);

/* For workloads whose task returns one uint64_t: true if r holds exactly
 * that and it equals want; otherwise false with "task I: WHAT V, expected W"
 * (or the wrong length) in err. what reads as a phrase: "counted to". */
bool workload_verify_u64(const struct task_result *r, uint64_t index, uint64_t want,
			 const char *what, char *err, size_t errlen);

/* Size parsers for workloads to use. Each returns true and sets *out, or
 * false with why in err ("'5x' is not a count", "'2G' is out of range"):
 * the caller says what is accepted (a workload's size_help). Counts take
 * K/M/G (10^3/6/9); bytes take K/M/G (2^10/20/30, with or without
 * "iB"/"B"); durations take ns/us/ms/s (and a bare 0 when min_ns is 0).
 * The result must lie in [min, max]. */
bool parse_count(const char *text, uint64_t min, uint64_t max, uint64_t *out,
		 char *err, size_t errlen);
bool parse_bytes(const char *text, uint64_t min, uint64_t max, uint64_t *out,
		 char *err, size_t errlen);
bool parse_duration(const char *text, uint64_t min_ns, uint64_t max_ns,
		    uint64_t *out_ns, char *err, size_t errlen);

#endif
