/* fork_pool.c: the `fork-pool` mode: a pool of persistent worker processes
 * (par/pool.h, POOL_PROCESSES) maps the tasks, multiprocessing.Pool.map
 * style, with jobs and results crossing a pipe or shared-memory channel.
 *
 * Lesson: processes share no memory after fork, so every task's argument
 * goes to a worker as bytes and every result comes back as bytes. With the
 * pipe channel each byte crosses the kernel twice; with the shm channel it
 * is copied through a ring both processes map, with no system call while
 * both sides are busy. Compare their ns/task with thread-pool's on the noop
 * workload: the difference is the price of the process boundary. --start
 * says how the workers start (multiprocessing.get_context): fork (a copy of
 * tvp), spawn (a fresh tvp that rebuilds the workload from bytes) or
 * forkserver (forked by a clean single-threaded server, a fresh tvp).
 *
 * How it measures: bench/modes/pooled.c.
 */
#include "bench/modes/pooled.h"

static int fpm_setup(struct mode_run *m)
{
	return pooled_map_setup(m, POOL_PROCESSES);
}

const struct mode mode_fork_pool = {
	.name = "fork-pool",
	.summary = "a pool of WORKERS persistent processes maps the tasks in chunks over a pipe or shm channel (multiprocessing.Pool.map)",
	.family = MODE_FAMILY_POOL,
	.python = true,
	.flags = MODE_FORKS | MODE_CHANNEL | MODE_START,
	.setup = fpm_setup,
	.ready = pooled_ready,
	.execute = pooled_map_execute,
	.collect = pooled_collect,
	.teardown = pooled_teardown,
};
