/* handoff.c: pool kernels of `tvp overhead`: a pool's start-up, one task
 * handed to an idle pool or executor and awaited, and the cost per task of a
 * batch of empty tasks run by the very modes `tvp run --workload noop` uses.
 *
 * Lesson: a pool pays creation once; afterwards handing a task over is a
 * queue operation and a wake-up. One task on an idle pool costs a wake-up
 * (cheap while the worker still spins, tens of microseconds once it sleeps
 * on these VMs); a batch spreads the wake-ups over many tasks, so an empty
 * task costs nanoseconds.
 *
 * DESIGN
 * Every task is workload_run_task over the noop workload (an empty task that
 * returns its index), as in `tvp run`. pool-start: pool_new with N workers,
 * which returns once every worker is up and the pool warmed (pool.h), is
 * timed; pool_free is not.
 * apply/submit: setup starts the pool and warms it with untimed round trips
 * for WARM_NS (see handoff_setup: a young pool is not an idle one); each
 * operation is one
 * pool_apply, or executor_submit + future_result + future_free, back to
 * back, and the result is checked. Batches: the mode itself (modes/mode.h)
 * runs noop's default task count (1,000,000; 100,000 with --quick): setup
 * and teardown are not timed, execute is, exactly as the run loop does; the
 * figure is execute's time divided by the tasks. first-noop-*: the same with
 * one task, so each sample is a new pool's first task, to hold against the
 * warmed apply.
 */
#include "bench/overhead/ovh.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/modes/mode.h"
#include "par/channel.h"
#include "par/executor.h"
#include "par/pool.h"
#include "bench/util.h"
#include "workloads/workload.h"

enum { HO_POOL_START, HO_APPLY, HO_SUBMIT, HO_BATCH, HO_FIRST };

struct handoff {
	const struct ovh_bench *b;
	const struct ovh_ctx *ctx;
	struct workload_inst wi;
	struct pool_options opt;
	struct pool *pool;
	struct executor *ex;
	uint64_t next;                /* the next task index */
};

static void handoff_teardown(void *state)
{
	struct handoff *s = state;

	if (s->ex)
		executor_free(s->ex);
	if (s->pool)
		pool_free(s->pool);
	free(s);
}

#define WARM_NS 20000000ull   /* untimed round trips before the first sample */

static int handoff_run(void *state, uint64_t iters, struct ovh_sample *out, char *err,
		       size_t errlen);

static int handoff_setup(const struct ovh_bench *b, const struct ovh_ctx *c, void **state,
			 char *err, size_t errlen)
{
	struct handoff *s = xcalloc(1, sizeof *s);
	int rc = 0;

	s->b = b;
	s->ctx = c;
	s->wi.wl = workload_find("noop");
	s->wi.quick = c->quick;
	if (!s->wi.wl) {
		free(s);
		return ovh_fail(err, errlen, -ENOENT, "the noop workload is not built in");
	}
	s->wi.size = s->wi.wl->default_size(c->quick);
	s->opt.kind = b->kind == OVH_KIND_PROCESS ? POOL_PROCESSES : POOL_THREADS;
	s->opt.channel = b->channel;
	s->opt.workers = c->workers;
	if (b->variant == HO_APPLY)
		rc = pool_new(&s->pool, &s->opt, err, errlen);
	else if (b->variant == HO_SUBMIT)
		rc = executor_new(&s->ex, &s->opt, err, errlen);
	if (rc == 0 && (b->variant == HO_APPLY || b->variant == HO_SUBMIT)) {
		/* Untimed round trips first, for WARM_NS: a pool that has just
		 * started is not yet an idle pool. Its new workers begin on the
		 * parent's CPU and the scheduler spreads them only after a few
		 * milliseconds, so until then every round trip is a context
		 * switch on one core (measured: 6.3 us against 2.4 us for the
		 * shm fork pool), and the first writes after the fork are
		 * copy-on-write faults. Both belong to pool-start. */
		uint64_t t0 = now_ns();
		struct ovh_sample warm;
		while (rc == 0 && now_ns() - t0 < WARM_NS)
			rc = handoff_run(s, 100, &warm, err, errlen);
	}
	if (rc) {
		handoff_teardown(s);
		return rc;
	}
	*state = s;
	return 0;
}

static int check_noop(struct handoff *s, int status, const struct task_result *r, char *err,
		      size_t errlen)
{
	char why[256];

	if (status != 0)
		return ovh_fail(err, errlen, status < 0 ? status : -EIO, "task %llu failed: %.*s",
				(unsigned long long)s->next, (int)r->len,
				(const char *)task_result_data(r));
	if (!s->wi.wl->verify(&s->wi, s->next, r, why, sizeof why))
		return ovh_fail(err, errlen, -EIO, "wrong result: %s", why);
	s->next++;
	return 0;
}

/* One batch of `tasks` tasks through the kernel's mode, as `tvp run` runs
 * it. */
static int run_batch(struct handoff *s, uint64_t tasks, struct ovh_sample *out, char *err,
		     size_t errlen)
{
	const struct mode *mode = mode_find(s->b->mode);
	struct mode_run m;
	uint64_t t0, wall_ns;
	int rc;

	if (!mode)
		return ovh_fail(err, errlen, -ENOENT, "mode %s is not built in", s->b->mode);
	memset(&m, 0, sizeof m);
	m.wi = &s->wi;
	m.channel = s->b->channel;
	m.workers = s->ctx->workers;
	m.tasks = tasks;
	mode_run_alloc_arrays(&m, m.tasks);   /* as the run loop does */
	if (mode->setup && (rc = mode->setup(&m)) != 0) {
		rc = ovh_fail(err, errlen, rc, "%s: setup: %s", mode->name, m.err[0] ? m.err : strerror(-rc));
		goto out;
	}
	if (mode->ready && (rc = mode->ready(&m)) != 0) {   /* as the run loop does */
		if (mode->teardown)
			mode->teardown(&m);
		rc = ovh_fail(err, errlen, rc, "%s: ready: %s", mode->name, m.err[0] ? m.err : strerror(-rc));
		goto out;
	}
	t0 = now_ns();
	rc = mode->execute(&m);
	wall_ns = now_ns() - t0;
	if (mode->collect)
		mode->collect(&m);
	if (mode->teardown)
		mode->teardown(&m);
	if (rc) {
		rc = rc == -EINTR ? rc : ovh_fail(err, errlen, rc, "%s: %s", mode->name,
						  m.err[0] ? m.err : strerror(-rc));
		goto out;
	}
	for (s->next = 0; s->next < m.tasks && rc == 0;)
		rc = check_noop(s, m.status[s->next], &m.results[s->next], err, errlen);
	out->value = (double)wall_ns;
	out->ops = m.tasks;
out:
	mode_run_free_arrays(&m);
	return rc;
}

static int handoff_run(void *state, uint64_t iters, struct ovh_sample *out, char *err,
		       size_t errlen)
{
	struct handoff *s = state;
	uint64_t t0, total = 0;
	int rc = 0;

	switch (s->b->variant) {
	case HO_POOL_START:
		for (uint64_t i = 0; i < iters; i++) {
			struct pool *p;

			t0 = now_ns();
			rc = pool_new(&p, &s->opt, err, errlen);
			total += now_ns() - t0;
			if (rc)
				return rc;
			pool_free(p);
		}
		out->value = (double)total;
		return 0;
	case HO_APPLY:
		t0 = now_ns();
		for (uint64_t i = 0; i < iters && rc == 0; i++) {
			struct task_arg arg = { &s->wi, s->next };
			struct task_result r = TASK_RESULT_INIT;
			int st = pool_apply(s->pool, workload_run_task, &arg, sizeof arg, &r);

			rc = check_noop(s, st, &r, err, errlen);
			task_result_release(&r);
		}
		out->value = (double)(now_ns() - t0);
		return rc;
	case HO_SUBMIT:
		t0 = now_ns();
		for (uint64_t i = 0; i < iters && rc == 0; i++) {
			struct task_arg arg = { &s->wi, s->next };
			struct task_result r = TASK_RESULT_INIT;
			struct future *f = executor_submit(s->ex, workload_run_task, &arg, sizeof arg, 0);
			int st;

			if (!f)
				return ovh_fail(err, errlen, -errno, "executor_submit: %s", strerror(errno));
			st = future_result(f, POOL_FOREVER, &r);
			future_free(f);
			rc = check_noop(s, st, &r, err, errlen);
			task_result_release(&r);
		}
		out->value = (double)(now_ns() - t0);
		return rc;
	case HO_FIRST:
		return run_batch(s, 1, out, err, errlen);
	default:
		return run_batch(s, s->wi.wl->default_tasks(s->ctx->workers, s->ctx->quick), out,
				 err, errlen);
	}
}

#define HO(nm, grp, var, knd, ch, md, fl, sum)                                              \
	{ .name = nm, .group = OVH_GROUP_##grp, .kind = OVH_KIND_##knd, .unit = OVH_UNIT_NS, \
	  .summary = sum, .flags = OVH_WORKERS | (fl), .variant = var, .channel = ch,       \
	  .mode = md, .setup = handoff_setup, .run = handoff_run, .teardown = handoff_teardown }
/* The same hand-offs to a pool of a fixed, large size: what dispatch and
 * completion cost when many workers are idle (most of them asleep). */
#define HOW(nm, var, knd, ch, w, sum)                                                      \
	{ .name = nm, .group = OVH_GROUP_HANDOFF, .kind = OVH_KIND_##knd, .unit = OVH_UNIT_NS, \
	  .summary = sum, .flags = OVH_WORKERS, .variant = var, .channel = ch, .workers = w, \
	  .setup = handoff_setup, .run = handoff_run, .teardown = handoff_teardown }
#define PIPE CHANNEL_PIPE
#define SHM CHANNEL_SHM

/* executor-fork has no batch entry: a million futures at several
 * microseconds each would take a minute a sample;
 * handoff-submit-executor-fork-* gives its cost per task. The channel of a
 * thread kernel is unused. */
const struct ovh_bench ovh_handoff_benches[] = {
	HO("pool-start-thread", CREATION, HO_POOL_START, THREAD, PIPE, NULL, 0,
	   "pool_new of a thread pool of N workers, until every worker is ready and warm"),
	HO("handoff-apply-thread-pool", HANDOFF, HO_APPLY, THREAD, PIPE, NULL, 0,
	   "pool_apply of one noop task on an idle thread pool of N workers, result awaited"),
	HO("handoff-submit-executor-thread", HANDOFF, HO_SUBMIT, THREAD, PIPE, NULL, 0,
	   "executor_submit + future_result of one noop task on an idle thread executor"),
	HO("batch-noop-thread-pool", HANDOFF, HO_BATCH, THREAD, PIPE, "thread-pool", OVH_BATCH,
	   "per task of `tvp run --workload noop --mode thread-pool` (1,000,000 tasks, N workers)"),
	HO("batch-noop-executor-thread", HANDOFF, HO_BATCH, THREAD, PIPE, "executor-thread", OVH_BATCH,
	   "per task of `tvp run --workload noop --mode executor-thread` (1,000,000 tasks, N workers)"),
	HO("pool-start-process-pipe", CREATION, HO_POOL_START, PROCESS, PIPE, NULL, 0,
	   "pool_new of a fork pool of N workers (pipe channel), until every worker is ready and warm"),
	HO("pool-start-process-shm", CREATION, HO_POOL_START, PROCESS, SHM, NULL, 0,
	   "pool_new of a fork pool of N workers (shm channel), until every worker is ready and warm"),
	HO("handoff-apply-fork-pool-pipe", HANDOFF, HO_APPLY, PROCESS, PIPE, NULL, 0,
	   "pool_apply of one noop task on an idle fork pool (pipe channel), result awaited"),
	HO("handoff-apply-fork-pool-shm", HANDOFF, HO_APPLY, PROCESS, SHM, NULL, 0,
	   "pool_apply of one noop task on an idle fork pool (shm channel), result awaited"),
	HO("handoff-submit-executor-fork-pipe", HANDOFF, HO_SUBMIT, PROCESS, PIPE, NULL, 0,
	   "executor_submit + future_result of one noop task on an idle process executor (pipe)"),
	HO("handoff-submit-executor-fork-shm", HANDOFF, HO_SUBMIT, PROCESS, SHM, NULL, 0,
	   "executor_submit + future_result of one noop task on an idle process executor (shm)"),
	HO("batch-noop-fork-pool-pipe", HANDOFF, HO_BATCH, PROCESS, PIPE, "fork-pool", OVH_BATCH,
	   "per task of `tvp run --workload noop --mode fork-pool --channel pipe` (1,000,000 tasks)"),
	HO("batch-noop-fork-pool-shm", HANDOFF, HO_BATCH, PROCESS, SHM, "fork-pool", OVH_BATCH,
	   "per task of `tvp run --workload noop --mode fork-pool --channel shm` (1,000,000 tasks)"),
	HO("first-noop-thread-pool", HANDOFF, HO_FIRST, THREAD, PIPE, "thread-pool", OVH_BATCH,
	   "execute of `tvp run --workload noop --tasks 1 --mode thread-pool`: a new pool's first task"),
	HO("first-noop-fork-pool-pipe", HANDOFF, HO_FIRST, PROCESS, PIPE, "fork-pool", OVH_BATCH,
	   "execute of `tvp run --workload noop --tasks 1 --mode fork-pool --channel pipe`"),
	HO("first-noop-fork-pool-shm", HANDOFF, HO_FIRST, PROCESS, SHM, "fork-pool", OVH_BATCH,
	   "execute of `tvp run --workload noop --tasks 1 --mode fork-pool --channel shm`"),
	HOW("handoff-apply-thread-pool-32", HO_APPLY, THREAD, PIPE, 32,
	    "pool_apply of one noop task on an idle thread pool of 32 workers"),
	HOW("handoff-apply-fork-pool-pipe-32", HO_APPLY, PROCESS, PIPE, 32,
	    "pool_apply of one noop task on an idle fork pool of 32 workers (pipe)"),
	HOW("handoff-apply-fork-pool-shm-32", HO_APPLY, PROCESS, SHM, 32,
	    "pool_apply of one noop task on an idle fork pool of 32 workers (shm)"),
	HOW("handoff-apply-thread-pool-128", HO_APPLY, THREAD, PIPE, 128,
	    "pool_apply of one noop task on an idle thread pool of 128 workers"),
	HOW("handoff-apply-fork-pool-pipe-128", HO_APPLY, PROCESS, PIPE, 128,
	    "pool_apply of one noop task on an idle fork pool of 128 workers (pipe)"),
	HOW("handoff-apply-fork-pool-shm-128", HO_APPLY, PROCESS, SHM, 128,
	    "pool_apply of one noop task on an idle fork pool of 128 workers (shm)"),
	HOW("handoff-submit-executor-thread-128", HO_SUBMIT, THREAD, PIPE, 128,
	    "executor_submit + future_result of one noop task on an idle thread executor of 128"),
	HOW("handoff-submit-executor-fork-shm-128", HO_SUBMIT, PROCESS, SHM, 128,
	    "executor_submit + future_result of one noop task on an idle process executor of 128 (shm)"),
	/* The modes of issue 18, listed as not built when they are not
	 * (ovh_absent). */
	HO("batch-noop-omp", HANDOFF, HO_BATCH, THREAD, PIPE, "omp", OVH_BATCH | OVH_NEEDS_OMP,
	   "per task of `tvp run --workload noop --mode omp` (1,000,000 tasks, N threads)"),
	HO("batch-noop-mpi", HANDOFF, HO_BATCH, PROCESS, PIPE, "mpi",
	   OVH_BATCH | OVH_BY_NAME | OVH_NEEDS_MPI,
	   "per task of `tvp run --workload noop --mode mpi` (1,000,000 tasks, N ranks)"),
};
const size_t ovh_handoff_benches_count = ARRAY_SIZE(ovh_handoff_benches);
