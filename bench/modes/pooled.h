/* pooled.h: what the four pool modes share (thread-pool, fork-pool,
 * executor-thread, executor-fork): they differ only in the kind of pool and
 * in whether tasks go through pool_map or one future each. */
#ifndef POOLED_H
#define POOLED_H

#include "bench/modes/mode.h"
#include "par/pool.h"

/* setup: starts a pool (map: par/pool.h) or an executor (par/executor.h) of
 * kind with m->workers workers, on m->channel and by m->start for
 * processes, placed by m->pin, and builds the task_arg records. Not timed. 0 or a negative errno
 * with m->err set. */
int pooled_map_setup(struct mode_run *m, enum pool_kind kind);
int pooled_executor_setup(struct mode_run *m, enum pool_kind kind);

/* execute (timed): pool_map over every task in the pool's default chunks,
 * or one future per task with at most a window outstanding, results in task
 * order. Both look at tvp_interrupted while waiting, stop the pool on an
 * interrupt and return -EINTR; both leave the workers' statistics in
 * m->wstats. */
/* ready: pool_wake on the pool (or the executor's). collect: the workers'
 * statistics into m->wstats. */
int pooled_ready(struct mode_run *m);
void pooled_collect(struct mode_run *m);
int pooled_map_execute(struct mode_run *m);
int pooled_executor_execute(struct mode_run *m);

/* teardown for either: stops the pool or executor, frees everything. */
void pooled_teardown(struct mode_run *m);

#endif
