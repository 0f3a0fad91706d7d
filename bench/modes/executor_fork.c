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
 * DESIGN
 * setup (not timed) starts the executor on the channel named by --channel
 * and builds the task_arg records. execute (timed) keeps at most WINDOW
 * futures outstanding: it submits ahead and collects the oldest future's
 * result before submitting more, so a million tasks never hold a million
 * futures, and results come out in task order. It looks at tvp_interrupted
 * between submissions and while waiting; on an interrupt it shuts down with
 * cancel_futures and returns -EINTR.
 */
#include "modes/mode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "par/channel.h"
#include "par/executor.h"
#include "util.h"

#define WINDOW 65536
#define INTERRUPT_POLL_NS 50000000
#define EXTRA_STATS 64          /* room for workers replaced during a run */

struct exf_state {
	struct executor *ex;
	struct task_arg *args;
};

static int exf_setup(struct mode_run *m)
{
	struct exf_state *st;
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
	rc = executor_new(&st->ex, &opt, m->err, sizeof m->err);
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

static int exf_execute(struct mode_run *m)
{
	struct exf_state *st = m->state;
	struct pool *p = executor_pool(st->ex);
	unsigned n = pool_workers(p) + EXTRA_STATS;
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

static void exf_teardown(struct mode_run *m)
{
	struct exf_state *st = m->state;

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

const struct mode mode_executor_fork = {
	.name = "executor-fork",
	.summary = "a process executor: one future per task, results collected in order (ProcessPoolExecutor)",
	.kind = "process",
	.flags = MODE_FORKS | MODE_CHANNEL,
	.setup = exf_setup,
	.execute = exf_execute,
	.teardown = exf_teardown,
};
