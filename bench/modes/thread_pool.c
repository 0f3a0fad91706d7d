/* thread_pool.c: the `thread-pool` mode: a pool of persistent threads
 * (par/pool.h) maps the tasks, multiprocessing.Pool.map style.
 *
 * Lesson: start the threads once and hand them work: the cost per task
 * becomes a queue operation instead of a thread creation. pool_map cuts the
 * tasks into about four chunks per worker, so even an empty task costs a few
 * nanoseconds.
 *
 * DESIGN
 * setup (not timed: recorded as setup_ns) starts the pool and builds the
 * task_arg records; execute (timed) maps workload_run_task over them, writing
 * statuses and results straight into the run loop's arrays (threads share
 * memory: nothing is copied back). While it waits it looks at tvp_interrupted
 * every 50 ms; on an interrupt it terminates the pool (queued chunks are
 * dropped, running ones finish) and returns -EINTR.
 */
#include "modes/mode.h"

#include <errno.h>
#include <stdlib.h>

#include "par/pool.h"
#include "util.h"

#define INTERRUPT_POLL_NS 50000000

struct tpm_state {
	struct pool *p;
	struct task_arg *args;
};

static int tpm_setup(struct mode_run *m)
{
	struct tpm_state *st = xcalloc(1, sizeof *st);
	struct pool_options opt = {
		.kind = POOL_THREADS,
		.workers = m->workers ? m->workers : 1,
		.pin = m->pin,
	};
	int rc = pool_new(&st->p, &opt, m->err, sizeof m->err);

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

static int tpm_execute(struct mode_run *m)
{
	struct tpm_state *st = m->state;
	unsigned n = pool_workers(st->p);
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

static void tpm_teardown(struct mode_run *m)
{
	struct tpm_state *st = m->state;

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

const struct mode mode_thread_pool = {
	.name = "thread-pool",
	.summary = "a pool of WORKERS persistent threads maps the tasks in chunks (multiprocessing.Pool.map)",
	.kind = "thread",
	.flags = 0,
	.setup = tpm_setup,
	.execute = tpm_execute,
	.teardown = tpm_teardown,
};
