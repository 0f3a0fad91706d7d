/* thread_pool.c: the `thread-pool` mode: a pool of persistent threads
 * (par/pool.h) maps the tasks, multiprocessing.Pool.map style.
 *
 * Lesson: start the threads once and hand them work: the cost per task
 * becomes a queue operation instead of a thread creation. pool_map cuts the
 * tasks into about four chunks per worker, so even an empty task costs a few
 * nanoseconds.
 *
 * How it measures: bench/modes/pooled.c.
 */
#include "bench/modes/pooled.h"

static int tpm_setup(struct mode_run *m)
{
	return pooled_map_setup(m, POOL_THREADS);
}

const struct mode mode_thread_pool = {
	.name = "thread-pool",
	.summary = "a pool of WORKERS persistent threads maps the tasks in chunks (multiprocessing.Pool.map)",
	.family = MODE_FAMILY_POOL,
	.python = true,
	.flags = 0,
	.setup = tpm_setup,
	.ready = pooled_ready,
	.execute = pooled_map_execute,
	.collect = pooled_collect,
	.teardown = pooled_teardown,
};
