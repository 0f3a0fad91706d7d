/* pooled.c: the body of the pool modes (pooled.h).
 *
 * DESIGN
 * setup (not timed: the run loop records it as setup_ns) builds one struct
 * task_arg per task, in shared memory, then starts the pool; a process pool
 * forks its workers here, while the run loop has one thread. execute
 * (timed) hands the tasks over and waits; statuses and results land in the
 * run loop's arrays, which are shared memory too (registry.c): threads, and
 * fork workers over shm, write small results in place; larger ones, and
 * every result over a pipe or from spawned workers, are copied back through
 * the channel (par/shared_mem.h). Waits are cut into INTERRUPT_POLL_NS slices so that a Ctrl-C
 * is noticed within 50 ms: the pool is then terminated (queued work dropped;
 * worker processes SIGTERMed, SIGKILLed after a grace, all reaped) and
 * execute returns -EINTR. The same slices feed the watchdog
 * (bench/modes/stall.h): a worker process stopped past the run loop's bound
 * fails the measurement, named, and the pool is terminated the same way.
 * So do setup's and ready's waits for the pool's own tasks
 * (pool_options.stalled): a worker stopped while the pool started or woke
 * hung tvp for good (make check: test_journal's stopped worker, stopped
 * 200 ms after it appeared, on a machine slow enough that the pool was
 * still starting).
 *
 * Under the spawn and forkserver start methods a worker is a fresh tvp (or
 * a fork of a fresh server): the pool's initializer (workload_wire_init,
 * registered by name) gets the instance as bytes and rebuilds it there, and
 * workload_run_task runs that one.
 *
 * ready (not timed) wakes the pool and maps workload_touch_task over the
 * first records, one per worker (pool_wake_map): each worker reads its
 * record, the instance and the workload, and a fork pool over shm runs
 * the in-place path, without running a task. Without it a one-task cell
 * timed those first touches (and, for a fork pool, sometimes a worker
 * sharing the caller's PU: par/pool_life.c): medians of 4.5-6.8 us for a
 * fork pool over shm and 2.9-4.1 for a thread pool on the 2-vCPU VM,
 * against 2.9-3.7 and 2.1-2.6 with it, in the same minutes as tvp
 * overhead's warmed hand-offs of 1.9-2.1 and 2.1-2.6 us.
 *
 * What the workers did (pool_take_stats: 2.7-3 us, formatting CPU sets) is
 * read in collect, after the timed region, not at the end of execute.
 *
 * The executor path keeps at most WINDOW futures outstanding: it submits
 * ahead and collects the oldest future's result before submitting more, so a
 * million tasks never hold a million futures, and results come out in order.
 */
#include "bench/modes/pooled.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/modes/stall.h"
#include "bench/units.h"
#include "bench/util.h"
#include "par/executor.h"
#include "par/shared_mem.h"
#include "workloads/workload_wire.h"

#define INTERRUPT_POLL_NS 50000000
#define WINDOW 65536
#define EXTRA_STATS 64          /* room for process workers replaced during a run */

struct pooled {
	struct pool *p;             /* the pool (map), or the executor's */
	struct executor *ex;        /* NULL for the map modes */
	struct task_arg *args;      /* shared memory (par/shared_mem.h) */
	size_t args_bytes;
	unsigned cap_wstats;        /* entries of m->wstats */
	void *inst;                 /* spawn, forkserver: the instance as bytes */
	struct stall wd;            /* the watchdog of setup's and ready's waits */
};

/* pool_options.stalled: a worker stopped past the measurement's bound while
 * the pool warms up (setup) or wakes (ready). */
static pid_t warm_stalled(void *arg)
{
	struct pooled *st = arg;

	return stall_check(&st->wd);
}

static int start(struct mode_run *m, enum pool_kind kind, bool executor)
{
	struct pooled *st;
	struct pool_options opt = {
		.kind = kind,
		.workers = m->workers ? m->workers : 1,
		.pin = m->pin,
		.channel = m->channel,
		.start = m->start,
		.stop = &tvp_interrupted,   /* a Ctrl-C during a large pool's start */
		.stalled = warm_stalled,
	};
	int rc;

	st = xcalloc(1, sizeof *st);
	opt.stalled_arg = st;
	stall_start(&st->wd, m->stall_ns);
	/* The argument records are shared memory, made before the pool's
	 * workers are forked, so they read them in place (shared_mem.h;
	 * registry.c's map_array says why). */
	st->args_bytes = m->tasks ? m->tasks * sizeof *st->args : 1;
	st->args = pool_shared_alloc(st->args_bytes);
	if (!st->args) {
		rc = -ENOMEM;
		snprintf(m->err, sizeof m->err, "shared memory for %" PRIu64 " task arguments: %s",
			 m->tasks, strerror(ENOMEM));
		goto out_free;
	}
	for (uint64_t i = 0; i < m->tasks; i++) {
		st->args[i].wi = m->wi;
		st->args[i].index = i;
	}
	if (kind == POOL_PROCESSES && m->start != POOL_START_FORK) {
		rc = workload_wire_encode(m->wi, &st->inst, &opt.initarg_len, m->err, sizeof m->err);
		if (rc < 0)
			goto out_free;
		opt.initializer = workload_wire_init;
		opt.initarg = st->inst;
	}
	if (executor) {
		rc = executor_new(&st->ex, &opt, m->err, sizeof m->err);
		st->p = rc == 0 ? executor_pool(st->ex) : NULL;
	} else {
		rc = pool_new(&st->p, &opt, m->err, sizeof m->err);
	}
	if (rc < 0)
		goto out_free;
	/* The stats array is written in execute: allocated (and zeroed) here,
	 * after the fork, so its first writes, copy-on-write faults in a fork
	 * pool's parent (17-20 us for 65 entries on the 2-vCPU VM), are not
	 * timed as the tasks'. */
	st->cap_wstats = pool_workers(st->p) + (kind == POOL_PROCESSES ? EXTRA_STATS : 0);
	m->wstats = xcalloc(st->cap_wstats, sizeof *m->wstats);
	m->state = st;
	return 0;

out_free:
	pool_shared_free(st->args, st->args_bytes);
	free(st->inst);
	free(st);
	return rc;
}

int pooled_map_setup(struct mode_run *m, enum pool_kind kind)
{
	return start(m, kind, false);
}

int pooled_executor_setup(struct mode_run *m, enum pool_kind kind)
{
	return start(m, kind, true);
}

static void take_stats(struct mode_run *m, struct pool *p)
{
	struct pooled *st = m->state;

	m->n_wstats = pool_take_stats(p, m->wstats, st->cap_wstats);
}

/* The watchdog found process pid of this run stopped: names in m->err the
 * first worker of the pool's statistics that is stopped (pid itself may be
 * a helper, such as a fork server), else pid. The measurement fails; the
 * statistics are not recorded. */
static void name_stalled(struct mode_run *m, struct pool *p, pid_t pid, const struct stall *wd)
{
	char t[UNITS_LEN];
	long index = -1;

	take_stats(m, p);
	for (unsigned i = 0; i < m->n_wstats && index < 0; i++)
		if (m->wstats[i].pid == pid || stall_stopped(m->wstats[i].pid)) {
			index = (long)i;
			pid = m->wstats[i].pid;
		}
	units_time(t, sizeof t, (double)(now_ns() - wd->start_ns));
	if (index >= 0)
		snprintf(m->err, sizeof m->err, "worker %ld (pid %d) made no progress for %s; "
			 "stopped? (state T in /proc)", index, (int)pid, t);
	else
		snprintf(m->err, sizeof m->err, "worker pid %d made no progress for %s; stopped? "
			 "(state T in /proc)", (int)pid, t);
}

int pooled_ready(struct mode_run *m)
{
	struct pooled *st = m->state;
	uint64_t n = m->tasks < pool_workers(st->p) ? m->tasks : pool_workers(st->p);

	stall_start(&st->wd, m->stall_ns);
	return pool_wake_map(st->p, workload_touch_task, st->args, sizeof *st->args, n,
			     m->results, m->status, m->err, sizeof m->err);
}

int pooled_map_execute(struct mode_run *m)
{
	struct pooled *st = m->state;
	struct pool_async *a;
	struct stall wd;
	pid_t stopped = 0;
	int rc = 0;

	a = pool_map_async(st->p, workload_run_task, st->args, sizeof *st->args, m->tasks, 0,
			   m->results, m->status, NULL, NULL);
	if (!a)
		return -errno;
	stall_start(&wd, m->stall_ns);
	while (pool_async_wait(a, INTERRUPT_POLL_NS) == -ETIMEDOUT) {
		if (!tvp_interrupted && !(stopped = stall_check(&wd)))
			continue;
		if (stopped)
			name_stalled(m, st->p, stopped, &wd);
		pool_terminate(st->p);
		pool_async_wait(a, POOL_FOREVER);
		rc = stopped ? -ETIMEDOUT : -EINTR;
		break;
	}
	pool_async_free(a);
	return rc;
}

int pooled_executor_execute(struct mode_run *m)
{
	struct pooled *st = m->state;
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
			int st_rc = future_result(fs[got % WINDOW], INTERRUPT_POLL_NS, &m->results[got]);

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
	return rc;
}

void pooled_collect(struct mode_run *m)
{
	struct pooled *st = m->state;

	take_stats(m, st->p);
}

void pooled_teardown(struct mode_run *m)
{
	struct pooled *st = m->state;

	if (st) {
		if (st->ex)
			executor_free(st->ex);
		else
			pool_free(st->p);
		pool_shared_free(st->args, st->args_bytes);
		free(st->inst);
		free(st);
		m->state = NULL;
	}
	mode_run_free_wstats(m);
}
