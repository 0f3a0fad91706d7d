/* wltest.h: what the workload tests share (wltest.c): make a workload
 * instance from text, and run its tasks the three ways a mode can (on this
 * thread, on threads, in processes forked after setup, as a fork pool does),
 * checking every result with the workload's own verify and verify_batch.
 * Every function fails the running test (Check) when something is wrong. */
#ifndef WLTEST_H
#define WLTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "testutil.h"
#include "workloads/workload.h"

#define WLT_MAX_OPTS 8

struct wlt {
	struct workload_inst wi;
	const char *vals[WLT_MAX_OPTS];   /* parallel to wl->options */
	bool set_up;
};

/* Fills t for workload name at --size text, then option name/value pairs,
 * ending with NULL: wlt_init(&t, "net", "1K", "net-delay", "1ms", NULL).
 * Each option value is checked with the option's check function. */
void wlt_init(struct wlt *t, const char *name, const char *size, ...);

/* Runs setup; returns what it returned, with its message in err. */
int wlt_try_setup(struct wlt *t, char *err, size_t errlen);

/* Runs setup (fails the test if it fails), teardown (when set up), and
 * prepare (the per-measurement reset). */
void wlt_setup(struct wlt *t);
void wlt_teardown(struct wlt *t);
void wlt_prepare(struct wlt *t);

/* Runs task index through the one function every mode uses. */
int wlt_task(const struct wlt *t, uint64_t index, struct task_result *r);

/* The result text of a failed task, NUL-terminated, in buf. */
const char *wlt_msg(const struct task_result *r, char *buf, size_t len);

/* Like the serial mode: prepare, every task here in order, check all. */
void wlt_run_serial(struct wlt *t, uint64_t tasks);

/* Like a thread pool: nthreads threads, all started before the first task,
 * take tasks from a shared index; then check all. */
void wlt_run_threads(struct wlt *t, uint64_t tasks, unsigned nthreads);

/* Like a fork pool: nchildren processes forked after setup, child c runs
 * tasks c, c + nchildren, ... and sends each status and result bytes back
 * through a pipe (the copy a fork pool's channel makes); the parent reads
 * all pipes as they fill, reaps the children and checks every result. As in
 * a pool, the workers exist before the first task starts: each waits at a
 * gate (a pipe the parent closes once all are forked), so tasks that should
 * overlap do, however slow fork is (it is slow under ASan). */
void wlt_run_forked(struct wlt *t, uint64_t tasks, unsigned nchildren);

/* The value of the counter called name after the last measurement. */
double wlt_counter(const struct wlt *t, const char *name);

/* The option check of workload name's option opt on text; err gets why. */
bool wlt_check_option(const char *name, const char *opt, const char *text, char *err,
		      size_t errlen);

/* After `tvp run --workload name --output path` (every mode, run by the
 * caller through tvp_run_cli): checks that the run exited 0 and that the
 * JSON holds a verified result, with no error, for every registered mode
 * (each was compared with serial by the run loop). Removes path. */
void wlt_check_every_mode(struct tvp_cmd *c, const char *path, const char *name);

/* A fresh path for a run's JSON output (the caller frees it). */
char *wlt_json_path(void);

#endif
