/* executor_fork.c: the `executor-fork` mode: a process executor
 * (par/executor.h over POOL_PROCESSES) with one future per task, results
 * collected in order, like ProcessPoolExecutor.submit in a loop.
 *
 * Lesson: every future is its own job: its argument goes to a worker
 * process in a message of its own and its result comes back in another, so
 * each task pays a full trip across the process boundary (Python's
 * ProcessPoolExecutor pays about 220 us for it on these machines). Compare
 * with fork-pool, whose chunks share one trip among thousands of tasks.
 *
 * How it measures: bench/modes/pooled.c.
 */
#include "bench/modes/pooled.h"

static int exf_setup(struct mode_run *m)
{
	return pooled_executor_setup(m, POOL_PROCESSES);
}

const struct mode mode_executor_fork = {
	.name = "executor-fork",
	.summary = "a process executor: one future per task, results collected in order (ProcessPoolExecutor)",
	.family = MODE_FAMILY_EXECUTOR,
	.python = true,
	.flags = MODE_FORKS | MODE_CHANNEL | MODE_START,
	.setup = exf_setup,
	.ready = pooled_ready,
	.execute = pooled_executor_execute,
	.collect = pooled_collect,
	.teardown = pooled_teardown,
};
