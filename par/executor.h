/* executor.h: executors and futures over either pool: the C counterpart of
 * Python's concurrent.futures (ThreadPoolExecutor, ProcessPoolExecutor).
 *
 * A future is owned by the caller once submit returns it, and freed with
 * future_free (even if still running: the executor then drops the result).
 * Every function may be called from any thread of the parent.
 */
#ifndef EXECUTOR_H
#define EXECUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "par/pool.h"

struct executor;
struct future;

enum wait_when { WAIT_ALL_COMPLETED, WAIT_FIRST_COMPLETED, WAIT_FIRST_EXCEPTION };

/* Starts an executor over a new pool made with opt. Returns 0 or a negative
 * errno with err set (as pool_new). */
int executor_new(struct executor **out, const struct pool_options *opt, char *err, size_t errlen);

/* Submits a task; deadline_ns as in pool_apply_async (processes only).
 * Returns a future, or NULL with errno EINVAL after shutdown. */
struct future *executor_submit(struct executor *ex, task_fn fn, const void *arg, size_t arg_len,
			       uint64_t deadline_ns);

bool future_done(struct future *f);       /* finished, failed or cancelled */
bool future_running(struct future *f);    /* a worker is running it now */
bool future_cancelled(struct future *f);
/* Cancels the task if no worker has started it; returns true if so. */
bool future_cancel(struct future *f);
/* Waits up to timeout_ns; returns the task's status with the result (or the
 * error's message) copied into out; -ETIMEDOUT; -ECANCELED. */
int future_result(struct future *f, int64_t timeout_ns, struct task_result *out);
/* Waits up to timeout_ns; returns 0 if the task succeeded, its negative errno
 * (message copied into msg) if it failed, -ETIMEDOUT, -ECANCELED. */
int future_exception(struct future *f, int64_t timeout_ns, struct task_result *msg);
void future_free(struct future *f);

/* Waits until the condition holds for fs[0..n) or timeout_ns passes; sets
 * done[i] for the futures that are done. Returns 0, or -ETIMEDOUT. */
int executor_wait(struct future *const *fs, size_t n, enum wait_when when, int64_t timeout_ns,
		  bool *done);

/* as_completed: yields the futures of fs[0..n) as they complete. next
 * returns 1 with *index set, 0 when all have been yielded, -ETIMEDOUT when
 * none completed within timeout_ns. */
struct as_completed;
struct as_completed *as_completed_new(struct future *const *fs, size_t n);
int as_completed_next(struct as_completed *ac, int64_t timeout_ns, size_t *index);
void as_completed_free(struct as_completed *ac);

/* Stops accepting tasks; cancel_futures cancels those not started; wait
 * waits for the rest. Afterwards (with wait) no worker remains. */
void executor_shutdown(struct executor *ex, bool wait, bool cancel_futures);
/* Shuts down (waiting) if needed and frees the executor. */
void executor_free(struct executor *ex);

/* The pool underneath (for stats). */
struct pool *executor_pool(struct executor *ex);

#endif
