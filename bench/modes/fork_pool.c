/* fork_pool.c: the `fork-pool` mode: a pool of persistent worker processes
 * (par/pool.h, POOL_PROCESSES) maps the tasks, multiprocessing.Pool.map
 * style, with jobs and results crossing a pipe or shared-memory channel.
 *
 * Lesson: processes share no memory after fork, so every task's argument
 * goes to a worker as bytes and every result comes back as bytes. With the
 * pipe channel each byte crosses the kernel twice; with the shm channel it
 * is copied through a ring both processes map, with no system call while
 * both sides are busy. Compare their ns/task with thread-pool's on the noop
 * workload: the difference is the price of the process boundary.
 *
 * DESIGN
 * setup (not timed: recorded as setup_ns) starts the pool with the channel
 * named by --channel and builds the task_arg records; the pool's fork
 * server and workers are forked there, while the run loop has one thread.
 * execute (timed) maps workload_run_task over the records in pool_map's
 * default chunks; the statuses and results land in the run loop's arrays.
 * While it waits it looks at tvp_interrupted every 50 ms; on an interrupt it
 * terminates the pool (workers SIGTERMed, then SIGKILLed, all reaped) and
 * returns -EINTR.
 */
#include "modes/mode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "par/channel.h"
#include "par/pool.h"
#include "util.h"

#define INTERRUPT_POLL_NS 50000000
#define EXTRA_STATS 64          /* room for workers replaced during a run */

struct fpm_state {
	struct pool *p;
	struct task_arg *args;
};

static int fpm_setup(struct mode_run *m)
{
	struct fpm_state *st;
	struct pool_options opt = {
		.kind = POOL_PROCESSES,
		.workers = m->workers ? m->workers : 1,
		.pin = m->pin,
	};
	int rc;

	if (channel_kind_parse(m->channel ? m->channel : "pipe", &opt.channel) < 0) {
		snprintf(m->err, sizeof m->err, "unknown channel '%s' (accepted: pipe, shm)",
			 m->channel);
		return -EINVAL;
	}
	st = xcalloc(1, sizeof *st);
	rc = pool_new(&st->p, &opt, m->err, sizeof m->err);
	if (rc < 0) {
		free(st);
		return rc;
	}
	st->args = xmalloc(m->tasks * sizeof *st->args);
	for (uint64_t i = 0; i < m->tasks; i++) {
		st->args[i].wi = m->wi;
		st->args[i].index = i;
	}
	m->state = st;
	return 0;
}

static int fpm_execute(struct mode_run *m)
{
	struct fpm_state *st = m->state;
	unsigned n = pool_workers(st->p) + EXTRA_STATS;
	struct pool_async *a;
	int rc = 0;

	a = pool_map_async(st->p, workload_run_task, st->args, sizeof *st->args, m->tasks, 0,
			   m->results, m->status, NULL, NULL);
	if (!a)
		return -errno;
	while (pool_async_wait(a, INTERRUPT_POLL_NS) == -ETIMEDOUT) {
		if (tvp_interrupted) {
			pool_terminate(st->p);
			pool_async_wait(a, POOL_FOREVER);
			rc = -EINTR;
			break;
		}
	}
	pool_async_free(a);
	m->wstats = xcalloc(n, sizeof *m->wstats);
	m->n_wstats = pool_take_stats(st->p, m->wstats, n);
	return rc;
}

static void fpm_teardown(struct mode_run *m)
{
	struct fpm_state *st = m->state;

	if (st) {
		pool_free(st->p);
		free(st->args);
		free(st);
		m->state = NULL;
	}
	free(m->wstats);
	m->wstats = NULL;
	m->n_wstats = 0;
}

const struct mode mode_fork_pool = {
	.name = "fork-pool",
	.summary = "a pool of WORKERS persistent processes maps the tasks in chunks over a pipe or shm channel (multiprocessing.Pool.map)",
	.kind = "process",
	.flags = MODE_FORKS | MODE_CHANNEL,
	.setup = fpm_setup,
	.execute = fpm_execute,
	.teardown = fpm_teardown,
};
