/* workload_wire.h: a workload instance as bytes, for workers that are a
 * fresh program (the spawn start method, par/start_method.h), and the
 * instance such a worker runs.
 *
 * DESIGN
 * A forked worker finds the parent's struct workload_inst at the address
 * task_arg.wi names; a spawned worker has none of the parent's memory. The
 * parent encodes what the worker needs: the workload's name (looked up in
 * the worker's own registry, as tasks are), the size, --quick, the option
 * values, and what the workload's export_state writes of its state (a
 * calibration, a directory, the name of shared memory). The worker decodes
 * it once (import_state) and installs it as its process's instance:
 * workload_run_task then runs that instance and ignores task_arg.wi. A
 * worker whose install failed keeps the reason, and each of its tasks fails
 * with it, so the run loop reports it as it reports any failed task.
 */
#ifndef WORKLOAD_WIRE_H
#define WORKLOAD_WIRE_H

#include <stddef.h>

#include "par/task.h"
#include "workloads/workload.h"

/* Encodes wi (set up) into malloc'd bytes (*bytes, *len; free them).
 * Returns 0, or a negative errno with err ("workload NAME: why", e.g. its
 * export_state's refusal). Call in the parent. */
int workload_wire_encode(const struct workload_inst *wi, void **bytes, size_t *len, char *err,
			 size_t errlen);

/* Decodes bytes into *out: its option strings and state are its own (free
 * with workload_wire_release). Returns 0, -EINVAL for malformed bytes or a
 * workload this program does not know, or import_state's error, with err. */
int workload_wire_decode(struct workload_inst *out, const void *bytes, size_t len, char *err,
			 size_t errlen);

/* Frees what workload_wire_decode made (drop_state, the strings). */
void workload_wire_release(struct workload_inst *wi);

/* In a spawned worker: decodes bytes and makes the result this process's
 * instance (see DESIGN). Returns 0, or the decode's error (kept: every
 * later task fails with it). Call once, before the first task. */
int workload_wire_install(const void *bytes, size_t len, char *err, size_t errlen);

/* The pool initializer of a spawned pool worker (registered by name): arg
 * is what workload_wire_encode wrote (its length is in its header). */
void workload_wire_init(void *arg);

/* For workload_run_task: 1 with *wi the installed instance; a negative
 * errno with the install's failure written into out; 0 in a process that
 * installed none (the parent, threads, forked workers). */
int workload_wire_local(const struct workload_inst **wi, struct task_result *out);

#endif
