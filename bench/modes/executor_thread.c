/* executor_thread.c: the `executor-thread` mode: a thread executor
 * (par/executor.h) with one future per task, results collected in order,
 * like ThreadPoolExecutor.submit in a loop.
 *
 * Lesson: a future per task is the most flexible way to use a pool (each
 * task can be waited on, cancelled, timed out) and the most expensive: every
 * task is its own queue entry, allocation and completion. Compare its
 * ns/task with thread-pool's chunked map on the noop workload.
 *
 * How it measures: bench/modes/pooled.c.
 */
#include "bench/modes/pooled.h"

static int exm_setup(struct mode_run *m)
{
	return pooled_executor_setup(m, POOL_THREADS);
}

const struct mode mode_executor_thread = {
	.name = "executor-thread",
	.summary = "a thread executor: one future per task, results collected in order (ThreadPoolExecutor)",
	.family = MODE_FAMILY_EXECUTOR,
	.python = true,
	.flags = 0,
	.setup = exm_setup,
	.ready = pooled_ready,
	.execute = pooled_executor_execute,
	.collect = pooled_collect,
	.teardown = pooled_teardown,
};
