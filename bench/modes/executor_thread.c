/* executor_thread.c: the `executor-thread` mode: a thread executor
 * (par/executor.h) with one future per task, results collected in order,
 * like ThreadPoolExecutor.submit in a loop.
 *
 * Lesson: a future per task is the most flexible way to use a pool (each
 * task can be waited on, cancelled, timed out) and the most expensive: every
 * task is its own queue entry, allocation and completion. Compare its
 * ns/task with thread-pool's chunked map on the noop workload.
 *
 * DESIGN
 * setup (not timed) starts the executor and builds the task_arg records.
 * execute (timed) keeps at most WINDOW futures outstanding: it submits ahead,
 * and collects the oldest future's result (copied into the run loop's
 * array) before submitting more; so a million tasks do not hold a million
 * futures in memory at once, and the results still come out in task order.
 * It looks at tvp_interrupted between submissions and while waiting; on an
 * interrupt it shuts down with cancel_futures and returns -EINTR.
 */
#include "modes/mode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "par/executor.h"
#include "util.h"

#define WINDOW 65536
#define INTERRUPT_POLL_NS 50000000

struct exm_state {
	struct executor *ex;
	struct task_arg *args;
};

static int exm_setup(struct mode_run *m)
{
	struct exm_state *st = xcalloc(1, sizeof *st);
	struct pool_options opt = {
		.kind = POOL_THREADS,
		.workers = m->workers ? m->workers : 1,
		.pin = m->pin,
	};
	int rc = executor_new(&st->ex, &opt, m->err, sizeof m->err);

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

static int exm_execute(struct mode_run *m)
{
	struct exm_state *st = m->state;
	struct pool *p = executor_pool(st->ex);
	unsigned n = pool_workers(p);
	struct future **fs = xcalloc(WINDOW, sizeof *fs);
	uint64_t sent = 0, got = 0;
	int rc = 0;

	while (got < m->tasks) {
		while (sent < m->tasks && sent - got < WINDOW) {
			struct future *f;

			if ((sent & 1023) == 0 && tvp_interrupted) {
				rc = -EINTR;
				goto out;
			}
			f = executor_submit(st->ex, workload_run_task, &st->args[sent],
					    sizeof st->args[sent], 0);
			if (!f) {
				rc = -errno;
				snprintf(m->err, sizeof m->err, "submit: executor shut down");
				goto out;
			}
			fs[sent % WINDOW] = f;
			sent++;
		}
		for (;;) {
			int st_rc = future_result(fs[got % WINDOW], INTERRUPT_POLL_NS,
						  &m->results[got]);

			if (st_rc != -ETIMEDOUT) {
				m->status[got] = st_rc;
				break;
			}
			if (tvp_interrupted) {
				rc = -EINTR;
				goto out;
			}
		}
		future_free(fs[got % WINDOW]);
		fs[got % WINDOW] = NULL;
		got++;
	}
out:
	if (rc < 0) {
		executor_shutdown(st->ex, true, true);
		for (; got < sent; got++)
			future_free(fs[got % WINDOW]);
	}
	free(fs);
	m->wstats = xcalloc(n, sizeof *m->wstats);
	m->n_wstats = pool_take_stats(p, m->wstats, n);
	return rc;
}

static void exm_teardown(struct mode_run *m)
{
	struct exm_state *st = m->state;

	if (st) {
		executor_free(st->ex);
		free(st->args);
		free(st);
		m->state = NULL;
	}
	free(m->wstats);
	m->wstats = NULL;
	m->n_wstats = 0;
}

const struct mode mode_executor_thread = {
	.name = "executor-thread",
	.summary = "a thread executor: one future per task, results collected in order (ThreadPoolExecutor)",
	.kind = "thread",
	.flags = 0,
	.setup = exm_setup,
	.execute = exm_execute,
	.teardown = exm_teardown,
};
