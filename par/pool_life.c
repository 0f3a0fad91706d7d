/* pool_life.c: a pool's life cycle, for both backends: pool_new with its
 * warm-up, close, join, terminate, free, stats (see pool.h).
 *
 * DESIGN
 * Setup means setup: pool_new returns a pool ready to time. After the
 * backend has started every worker (threads: created and placed; processes:
 * forked), it maps one empty task per worker and then makes round trips for
 * POOL_WARM_NS, and only then returns. Measured before (2-vCPU VM, one
 * worker): a task right after a bare start cost 100-160 us for a fork pool
 * (the worker was still starting: binding, closing descriptors, opening its
 * channel, its first copy-on-write faults) against 7-10 us once warm, and
 * `tvp run --workload noop --tasks 1` timed that start-up as the task. One
 * round trip took most of it away, 1 ms of them all of it. The warm-up ends
 * with a worker still in its spin window, as a pool in use would be. Its
 * tasks are not the caller's: task numbers and pool_take_stats start from
 * zero afterwards and the fork pool does not count them toward
 * maxtasksperchild (pool_base.warming). opt.cold skips the round trips (the
 * first tasks still run): what the start itself costs, for tvp overhead
 * and the start methods' target. opt.stop is looked at between forks
 * (the backend) and while warming, so an interrupt ends a start at once.
 *
 * While the workers start (the first task of each), the caller sleeps at
 * once instead of spinning first (pool_base.starting): it has nothing to
 * hand over until they are up, and a caller spinning there kept the PU a
 * worker had been forked onto. On the 2-vCPU VM one-worker fork pools
 * started on the caller's PU about one time in seven (22 of 155), and the
 * two then stayed there through the warm-up and the timed task, handing
 * over through sched_yield: 5-6 us a one-task map instead of 2.5-3. A caller
 * that sleeps gives the PU up; the worker's answer wakes it on another
 * (4 of 155 stayed together).
 *
 * pool_wake_map ends the wake-up with the caller's own first records,
 * mapped with a task that reads them and runs nothing (tvp run's
 * workload_touch_task): a worker's first map over arrays it has not seen
 * paid its first touches of them, of the workload's instance and of the
 * in-place path: 2.7 us for a fork pool and 2.0 for a thread pool on the
 * VM (medians of a one-task map right after such a map, against the map
 * itself; in a build that timestamped them). tvp run's one-task cells:
 * bench/modes/pooled.c.
 */
#include "par/pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "par/pool_backend.h"
#include "par/pool_impl.h"
#include "par/sys.h"
#include "par/task_registry.h"

static const struct pool_backend_ops *ops_of(struct pool *p)
{
	return p->base.ops;
}

#define WARM_POLL_NS 5000000   /* how often a warm-up looks at opt.stop */

static bool stopped(const struct pool *p)
{
	return p->base.opt.stop && *p->base.opt.stop;
}

static int warm_task(const void *arg, size_t arg_len, struct task_result *out)
{
	(void)arg;
	(void)arg_len;
	(void)out;
	return 0;
}

TASK_REGISTER(warm_task)

/* A worker the caller's watchdog saw stopped (opt.stalled), or 0. */
static pid_t stalled(const struct pool *p)
{
	return p->base.opt.stalled ? p->base.opt.stalled(p->base.opt.stalled_arg) : 0;
}

/* Waits for a (a warm-up's own tasks) while looking at opt.stop and
 * opt.stalled: 0, or -EINTR or -ETIMEDOUT (the pool terminated) with err
 * saying why. */
static int warm_wait(struct pool *p, struct pool_async *a, char *err, size_t errlen)
{
	pid_t pid = 0;
	int rc = 0;

	while (pool_async_wait(a, WARM_POLL_NS) == -ETIMEDOUT) {
		if (stopped(p) || (pid = stalled(p))) {
			rc = pid ? -ETIMEDOUT : -EINTR;
			pool_terminate(p);   /* fails the map: its arrays are free to go */
			pool_async_wait(a, POOL_FOREVER);
			break;
		}
	}
	if (rc == -EINTR)
		snprintf(err, errlen, "interrupted while the pool warmed up");
	if (rc == -ETIMEDOUT)
		snprintf(err, errlen, "worker pid %d made no progress while the pool warmed up; "
			 "stopped? (state T in /proc)", (int)pid);
	return rc;
}

/* A map that is part of a warm-up (its tasks the pool's, not the
 * caller's): 0, as warm_wait, or the first failed record's status with its
 * message in err. */
static int warm_map(struct pool *p, task_fn fn, const void *args, size_t arg_size, size_t n,
		    struct task_result *results, int *status, char *err, size_t errlen)
{
	struct pool_async *a = pool_map_async(p, fn, args, arg_size, n, 1, results, status,
					      NULL, NULL);
	int rc;

	if (!a) {
		rc = -errno;
		snprintf(err, errlen, "the pool is closed");
		return rc;
	}
	rc = warm_wait(p, a, err, errlen);
	pool_async_free(a);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (status[i] != 0) {
			rc = status[i];
			task_error_text(&results[i], rc, err, errlen);
		}
	}
	return rc;
}

/* The caller's records a warm-up ends with (pool_wake_map), or none. */
struct touch {
	task_fn fn;
	const void *args;
	size_t arg_size, n;
	struct task_result *results;
	int *status;
};

/* pool_new's warm-up and pool_wake (see DESIGN): one task per worker, then
 * round trips for warm_ns, then the touch map if any; the statistics they
 * leave are dropped and task numbers go on from where they were. Returns 0,
 * -EINTR (the pool terminated) when opt.stop was set, -ETIMEDOUT (the same)
 * when opt.stalled named a stopped worker, or the status of a warm-up task
 * that failed (a worker that could not start: a fresh image that refused
 * its registry, say), with its message in err. */
static int warm_for(struct pool *p, uint64_t warm_ns, bool starting, const struct touch *touch,
		    char *err, size_t errlen)
{
	unsigned n = p->base.opt.workers;
	int *status = xcalloc(n, sizeof *status);
	struct task_result *results = xcalloc(n, sizeof *results);
	struct worker_stats *ws = xcalloc(n, sizeof *ws);
	uint64_t t0, next_task = atomic_load(&p->next_task);
	int rc;

	p->base.warming = true;
	p->base.starting = starting;
	rc = warm_map(p, warm_task, NULL, 0, n, results, status, err, errlen);
	p->base.starting = false;
	for (t0 = now_ns(); rc == 0 && now_ns() - t0 < warm_ns;) {
		struct pool_async *a = pool_apply_async(p, warm_task, NULL, 0, NULL, NULL, NULL, 0);

		if (!a) {
			snprintf(err, errlen, "the pool is closed");
			rc = -EINVAL;
			break;
		}
		rc = warm_wait(p, a, err, errlen);
		if (rc == 0 && (rc = pool_async_get(a, 0, &results[0])) < 0)
			task_error_text(&results[0], rc, err, errlen);
		pool_async_free(a);
	}
	if (rc == 0 && touch && touch->n)
		rc = warm_map(p, touch->fn, touch->args, touch->arg_size, touch->n,
			      touch->results, touch->status, err, errlen);
	for (unsigned i = 0; i < n; i++)
		task_result_release(&results[i]);
	/* Take in the warm-up's reports, so that a pool_wait_any right after
	 * pool_new sees no completion. (A thread worker bumps its report count
	 * just after the report itself: one that lost its core in between
	 * could still be seen, nanoseconds' worth of window.) */
	if (rc == 0)
		ops_of(p)->progress(p, 0, NULL);
	pool_take_stats(p, ws, n);
	atomic_store(&p->next_task, next_task);
	p->base.warming = false;
	free(ws);
	free(results);
	free(status);
	return rc;
}

static int warm_up(struct pool *p, char *err, size_t errlen)
{
	return warm_for(p, p->base.opt.cold ? 0 : POOL_WARM_NS, true, NULL, err, errlen);
}

int pool_wake(struct pool *p, char *err, size_t errlen)
{
	return warm_for(p, POOL_WAKE_NS, false, NULL, err, errlen);
}

int pool_wake_map(struct pool *p, task_fn fn, const void *args, size_t arg_size, size_t n,
		  struct task_result *results, int *status, char *err, size_t errlen)
{
	const struct touch t = { fn, args, arg_size, n, results, status };

	return warm_for(p, POOL_WAKE_NS, false, &t, err, errlen);
}

int pool_new(struct pool **out, const struct pool_options *opt, char *err, size_t errlen)
{
	const struct pool_backend_ops *ops;
	struct pool *p;
	int rc;

	*out = NULL;
	if (!opt || opt->workers == 0) {
		snprintf(err, errlen, "a pool needs at least 1 worker");
		return -EINVAL;
	}
	switch (opt->kind) {
	case POOL_THREADS:
		ops = &thread_pool_ops;
		break;
	case POOL_PROCESSES:
		if ((unsigned)opt->start >= POOL_START_COUNT) {
			snprintf(err, errlen, "unknown start method %d (fork, spawn or forkserver)",
				 (int)opt->start);
			return -EINVAL;
		}
		ops = &fork_pool_ops;
		break;
	default:
		snprintf(err, errlen, "unknown pool kind %d", (int)opt->kind);
		return -EINVAL;
	}
	p = xcalloc(1, sizeof *p);
	p->base.ops = ops;
	p->base.opt = *opt;
	if (p->base.opt.spin_ns == 0)
		p->base.opt.spin_ns = POOL_SPIN_NS_DEFAULT;
	pthread_mutex_init(&p->life_lock, NULL);
	p->phase = PHASE_LIVE;
	rc = ops->start(p, err, errlen);
	if (rc < 0) {
		pthread_mutex_destroy(&p->life_lock);
		free(p);
		return rc;
	}
	rc = warm_up(p, err, errlen);
	if (rc < 0) {
		pool_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

void pool_close(struct pool *p)
{
	atomic_store(&p->closed, 1);
	/* Wait out submitters that passed their check before closed was set,
	 * so join sees their jobs in the queue. They are between two atomic
	 * operations and a queue push: a few hundred nanoseconds at most. */
	while (atomic_load(&p->submitting) > 0)
		sched_yield();
}

int pool_join(struct pool *p)
{
	int rc = 0;

	if (!atomic_load(&p->closed))
		return -EINVAL;
	pthread_mutex_lock(&p->life_lock);
	if (p->phase == PHASE_LIVE) {
		rc = ops_of(p)->join(p);
		if (rc == 0)
			p->phase = PHASE_JOINED;
	}
	pthread_mutex_unlock(&p->life_lock);
	return rc;
}

void pool_terminate(struct pool *p)
{
	pool_close(p);
	pthread_mutex_lock(&p->life_lock);
	if (p->phase == PHASE_LIVE) {
		ops_of(p)->terminate(p);
		p->phase = PHASE_TERMINATED;
	}
	pthread_mutex_unlock(&p->life_lock);
}

void pool_free(struct pool *p)
{
	if (!p)
		return;
	pool_terminate(p);
	ops_of(p)->destroy(p);
	pthread_mutex_destroy(&p->life_lock);
	free(p);
}

unsigned pool_take_stats(struct pool *p, struct worker_stats *out, unsigned max)
{
	return ops_of(p)->take_stats(p, out, max);
}

unsigned pool_workers(const struct pool *p)
{
	return p->base.opt.workers;
}

enum pool_kind pool_kind(const struct pool *p)
{
	return p->base.opt.kind;
}

