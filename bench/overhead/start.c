/* start.c: start-method kernels of `tvp overhead` (group start): a process
 * pool whose workers start by fork, spawn or forkserver, against a thread
 * pool: start-up of a pool of 2, one task handed over once it runs, a batch
 * of empty tasks, PSS per idle worker; and issue 14's reference,
 * posix_spawn of /bin/true twice.
 *
 * Lesson: fork copies the parent (its page tables, no exec), so it is cheap
 * and the worker shares the parent's pages until one of them writes. spawn
 * starts a fresh image of tvp for each worker: exec, the dynamic loader,
 * every library's initialisers, and private pages of its own, but it is
 * safe whatever the parent holds. forkserver spawns one clean server when
 * the pool starts (as CPython does, once per program) and forks the workers
 * from it: one exec per pool, then forks, as safe as spawn. Once started,
 * a worker is a worker: a task travels the same channel whatever started
 * it (under spawn as its registered id instead of a pointer: the same 8
 * bytes), so only start-up and memory should differ.
 *
 * DESIGN
 * Every pool has START_WORKERS (2) workers on the default channel.
 * start-pool-*: pool_new + pool_free of a cold pool are timed (pool_new
 * returns once every worker has run a first task, without the usual
 * POOL_WARM_NS of warm-up round trips, which cost the same whatever the
 * method: pool.h); the JSON adds the figure per worker. start-posix-spawn-true-2: posix_spawn of /bin/true twice, then
 * both reaped, the floor for starting two programs (the target: a spawn
 * pool of 2 costs at most 1.5 times this); start-spawn-worker-2 the same
 * with two spawned workers of this program (par/spawn.h) that exit at
 * once: a spawn pool's floor, which has more libraries to load and
 * relocate than /bin/true. start-handoff-*: setup starts
 * the pool and warms it for WARM_NS (handoff.c says why); an operation is
 * one pool_apply of ovh_start_noop, its result checked. start-batch-*: the
 * same pool, one pool_map of BATCH_TASKS per run (chunks of Python's
 * default size; 20,000 tasks with --quick), the figure per task.
 * start-memory-*: the PSS of what tvp and every process under it (fork
 * server included) made, anonymous and shared memory (ovh_tree_memory: a
 * worker only maps the program's and the libraries' code, already in the
 * page cache), after pool_new minus before, over the workers. The thread
 * row is bare idle threads on fresh stacks (memory.c), what a thread
 * pool's workers are underneath, because glibc's cache of freed stacks
 * would hand a new pool pages that earlier kernels already made resident.
 * The task is registered (TASK_REGISTER), so a spawned worker finds it by
 * name.
 */
#include "bench/overhead/ovh.h"

#include <errno.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/util.h"
#include "par/pool.h"
#include "par/spawn.h"
#include "par/task_registry.h"

extern char **environ;

enum { ST_POOL, ST_HANDOFF, ST_BATCH, ST_MEMORY, ST_POSIX_SPAWN, ST_SPAWN_WORKER };

#define START_WORKERS 2
#define WARM_NS 20000000ull   /* untimed round trips before the first sample */
#define BATCH_TASKS 200000u   /* a batch of empty tasks (20,000 with --quick) */

struct start {
	const struct ovh_bench *b;
	struct pool_options opt;
	struct pool *pool;        /* ST_HANDOFF, ST_BATCH */
	uint64_t next;            /* the next task's argument */
	size_t batch;             /* ST_BATCH: tasks per run */
};

/* The empty task: its 8-byte argument comes back as its result. */
static int ovh_start_noop(const void *arg, size_t len, struct task_result *out)
{
	if (len != sizeof(uint64_t))
		return task_result_error(out, -EINVAL, "ovh_start_noop: %zu bytes of argument, 8 expected",
					 len);
	task_result_set(out, arg, len);
	return 0;
}
TASK_REGISTER(ovh_start_noop);

static void start_teardown(void *state)
{
	struct start *s = state;

	if (s->pool)
		pool_free(s->pool);
	free(s);
}

/* One task handed over and its result checked. */
static int apply_one(struct start *s, char *err, size_t errlen)
{
	struct task_result r = TASK_RESULT_INIT;
	uint64_t got = 0;
	int rc = pool_apply(s->pool, ovh_start_noop, &s->next, sizeof s->next, &r);

	if (rc == 0 && r.len == sizeof got)
		memcpy(&got, task_result_data(&r), sizeof got);
	if (rc != 0)
		rc = ovh_fail(err, errlen, rc, "task %llu failed: %.*s", (unsigned long long)s->next,
			      (int)r.len, (const char *)task_result_data(&r));
	else if (got != s->next)
		rc = ovh_fail(err, errlen, -EIO, "task %llu returned %llu", (unsigned long long)s->next,
			      (unsigned long long)got);
	task_result_release(&r);
	s->next++;
	return rc;
}

static int start_setup(const struct ovh_bench *b, const struct ovh_ctx *c, void **state,
		       char *err, size_t errlen)
{
	struct start *s = xcalloc(1, sizeof *s);
	int rc = 0;

	s->b = b;
	s->opt.kind = b->kind == OVH_KIND_PROCESS ? POOL_PROCESSES : POOL_THREADS;
	s->opt.workers = c->workers;
	s->opt.start = b->start;
	s->opt.cold = b->variant == ST_POOL;   /* the start itself, not the warm-up */
	if (b->variant == ST_POSIX_SPAWN && !ovh_true_path())
		rc = ovh_fail(err, errlen, -ENOENT, "neither /bin/true nor /usr/bin/true exists");
	s->batch = c->quick ? BATCH_TASKS / 10 : BATCH_TASKS;
	if (b->variant == ST_HANDOFF || b->variant == ST_BATCH) {
		uint64_t t0 = now_ns();

		rc = pool_new(&s->pool, &s->opt, err, errlen);
		while (rc == 0 && now_ns() - t0 < WARM_NS)
			rc = apply_one(s, err, errlen);
	}
	if (rc) {
		start_teardown(s);
		return rc;
	}
	*state = s;
	return 0;
}

/* A spawn role that only exits: what a spawned worker costs before it does
 * anything (start-spawn-worker-2). */
static void __attribute__((noreturn)) ovh_exit_role(const void *init, size_t len, const int *fds,
						    unsigned nfds)
{
	_exit(0);
}
SPAWN_ROLE("ovh-exit", ovh_exit_role);

/* n programs started (posix_spawn of /bin/true, or spawn_worker of this
 * tvp in the role above when worker), then every child reaped. */
static int start_n(unsigned n, bool worker, char *err, size_t errlen)
{
	const char *prog = worker ? "a spawned worker" : ovh_true_path();
	char *const argv[] = { (char *)prog, NULL };
	pid_t pids[START_WORKERS];
	unsigned started = 0;
	int pidfd, rc = 0;

	for (; started < n && started < START_WORKERS && rc == 0; started++) {
		if (worker) {
			rc = spawn_worker("ovh-exit", "start-spawn-worker-2", NULL, 0, NULL, 0,
					  &pids[started], &pidfd, err, errlen);
			if (rc == 0)
				close(pidfd);   /* reaped by its pid below */
		} else if ((rc = posix_spawn(&pids[started], prog, NULL, NULL, argv, environ)) != 0) {
			rc = ovh_fail(err, errlen, -rc, "posix_spawn %s: %s", prog, strerror(rc));
		}
		if (rc)
			break;
	}
	for (unsigned i = 0; i < started; i++) {
		int r = ovh_reap_ok(pids[i], prog, err, errlen);

		if (rc == 0)
			rc = r;
	}
	return rc;
}

/* PSS and RSS added per worker by a pool of s->opt.workers. */
static int pool_memory(struct start *s, struct ovh_sample *out, char *err, size_t errlen)
{
	uint64_t rss0, pss0, rss1, pss1;
	struct pool *p;
	int rc = ovh_tree_memory(getpid(), &rss0, &pss0);

	if (rc == 0 && (rc = pool_new(&p, &s->opt, err, errlen)) != 0)
		return rc;
	if (rc == 0) {
		sleep_ns(1000000);   /* past the spin window: every worker idle */
		rc = ovh_tree_memory(getpid(), &rss1, &pss1);
		pool_free(p);
	}
	if (rc)
		return ovh_fail(err, errlen, rc, "reading /proc/PID/smaps_rollup: %s", strerror(-rc));
	out->value = ((double)pss1 - (double)pss0) / s->opt.workers;
	out->extra[0] = ((double)rss1 - (double)rss0) / s->opt.workers;
	return 0;
}

/* One pool_map of s->batch empty tasks (Python's default chunk size), every
 * result checked. */
static int map_batch(struct start *s, struct ovh_sample *out, char *err, size_t errlen)
{
	uint64_t *args = xcalloc(s->batch, sizeof *args), t0;
	struct task_result *res = xcalloc(s->batch, sizeof *res);
	int *status = xcalloc(s->batch, sizeof *status), rc;

	for (size_t i = 0; i < s->batch; i++)
		args[i] = i;
	t0 = now_ns();
	rc = pool_map(s->pool, ovh_start_noop, args, sizeof *args, s->batch, 0, res, status);
	out->value = (double)(now_ns() - t0);
	out->ops = s->batch;
	if (rc)
		ovh_fail(err, errlen, rc, "pool_map: %s", strerror(-rc));
	for (size_t i = 0; i < s->batch; i++) {
		uint64_t got = UINT64_MAX;

		if (status[i] == 0 && res[i].len == sizeof got)
			memcpy(&got, task_result_data(&res[i]), sizeof got);
		if (rc == 0 && got != i)
			rc = ovh_fail(err, errlen, status[i] ? status[i] : -EIO, "task %zu of the batch: %s",
				      i, status[i] ? "failed" : "wrong result");
		task_result_release(&res[i]);
	}
	free(status);
	free(res);
	free(args);
	return rc;
}

static int start_run(void *state, uint64_t iters, struct ovh_sample *out, char *err,
		     size_t errlen)
{
	struct start *s = state;
	uint64_t t0 = now_ns();
	int rc = 0;

	switch (s->b->variant) {
	case ST_POOL:
		for (uint64_t i = 0; i < iters && rc == 0; i++) {
			struct pool *p;

			rc = pool_new(&p, &s->opt, err, errlen);
			if (rc == 0)
				pool_free(p);
		}
		break;
	case ST_HANDOFF:
		for (uint64_t i = 0; i < iters && rc == 0; i++)
			rc = apply_one(s, err, errlen);
		break;
	case ST_BATCH:
		return map_batch(s, out, err, errlen);
	case ST_POSIX_SPAWN:
	case ST_SPAWN_WORKER:
		for (uint64_t i = 0; i < iters && rc == 0; i++)
			rc = start_n(s->opt.workers, s->b->variant == ST_SPAWN_WORKER, err, errlen);
		break;
	default:
		if (s->b->kind == OVH_KIND_THREAD)
			return ovh_idle_threads_memory(s->opt.workers, out, err, errlen);
		return pool_memory(s, out, err, errlen);
	}
	out->value = (double)(now_ns() - t0);
	return rc;
}

/* st: how a process pool's workers start; NO_START for a thread pool and for
 * the reference. The variant decides the unit and the flags. */
#define NO_START (-1)
#define ST(nm, var, knd, st, vs, tgt, sum)                                                 \
	{ .name = nm, .group = OVH_GROUP_START, .kind = OVH_KIND_##knd,                    \
	  .unit = (var) == ST_MEMORY ? OVH_UNIT_BYTES : OVH_UNIT_NS, .summary = sum,        \
	  .flags = OVH_WORKERS | ((var) == ST_MEMORY ? OVH_ONCE : 0) |                      \
		   ((var) == ST_BATCH ? OVH_BATCH : 0) | ((var) == ST_POOL ? OVH_PER_WORKER : 0), \
	  .workers = START_WORKERS, .variant = var, .has_start = (st) != NO_START,          \
	  .start = (st) == NO_START ? POOL_START_FORK : (enum pool_start)(st),              \
	  .versus = vs, .target_ratio = tgt,                                                \
	  .extra = { (var) == ST_MEMORY ? "rss_added_bytes" : NULL, NULL },                 \
	  .setup = start_setup, .run = start_run, .teardown = start_teardown }
#define FORK POOL_START_FORK
#define SPAWN POOL_START_SPAWN
#define FSERVER POOL_START_FORKSERVER
#define REF "start-posix-spawn-true-2"

/* The targets of issue 14: a spawn pool of 2 starts in at most 1.5 times
 * REF; once started, spawn and forkserver hand a task over, and run a
 * batch, within 10% of fork. */
const struct ovh_bench ovh_start_benches[] = {
	ST("start-pool-thread", ST_POOL, THREAD, NO_START, NULL, 0,
	   "pool_new (cold: until each worker ran a task) + pool_free of a thread pool of 2 workers"),
	ST("start-pool-fork", ST_POOL, PROCESS, FORK, REF, 0,
	   "pool_new + pool_free of a process pool of 2 workers started by fork"),
	ST("start-pool-spawn", ST_POOL, PROCESS, SPAWN, REF, 1.5,
	   "pool_new + pool_free of a process pool of 2 workers started by spawn (fresh images of tvp)"),
	ST("start-pool-forkserver", ST_POOL, PROCESS, FSERVER, REF, 0,
	   "pool_new + pool_free of a process pool of 2 workers started by a fork server"),
	ST(REF, ST_POSIX_SPAWN, PROCESS, NO_START, NULL, 0,
	   "posix_spawn of /bin/true twice, both reaped: what starting 2 programs costs at least"),
	ST("start-spawn-worker-2", ST_SPAWN_WORKER, PROCESS, NO_START, REF, 0,
	   "spawn_worker of this tvp in a role that exits at once, twice, both reaped: a spawn pool's floor"),
	ST("start-handoff-thread", ST_HANDOFF, THREAD, NO_START, NULL, 0,
	   "pool_apply of one empty task on an idle thread pool of 2, result awaited"),
	ST("start-handoff-fork", ST_HANDOFF, PROCESS, FORK, NULL, 0,
	   "pool_apply of one empty task on an idle process pool of 2 started by fork"),
	ST("start-handoff-spawn", ST_HANDOFF, PROCESS, SPAWN, "start-handoff-fork", 1.1,
	   "pool_apply of one empty task on an idle process pool of 2 started by spawn"),
	ST("start-handoff-forkserver", ST_HANDOFF, PROCESS, FSERVER, "start-handoff-fork", 1.1,
	   "pool_apply of one empty task on an idle process pool of 2 started by a fork server"),
	ST("start-batch-thread", ST_BATCH, THREAD, NO_START, NULL, 0,
	   "per task of pool_map of 200,000 empty tasks on a thread pool of 2"),
	ST("start-batch-fork", ST_BATCH, PROCESS, FORK, NULL, 0,
	   "per task of pool_map of 200,000 empty tasks on a process pool of 2 started by fork"),
	ST("start-batch-spawn", ST_BATCH, PROCESS, SPAWN, "start-batch-fork", 1.1,
	   "per task of pool_map of 200,000 empty tasks on a process pool of 2 started by spawn"),
	ST("start-batch-forkserver", ST_BATCH, PROCESS, FSERVER, "start-batch-fork", 1.1,
	   "per task of pool_map of 200,000 empty tasks on a process pool of 2 started by a fork server"),
	ST("start-memory-thread", ST_MEMORY, THREAD, NO_START, NULL, 0,
	   "PSS added per idle thread (2 threads on fresh stacks: a thread pool's workers underneath)"),
	ST("start-memory-fork", ST_MEMORY, PROCESS, FORK, NULL, 0,
	   "PSS added per idle worker of a process pool of 2 started by fork (its helpers included)"),
	ST("start-memory-spawn", ST_MEMORY, PROCESS, SPAWN, "start-memory-fork", 0,
	   "PSS added per idle worker of a process pool of 2 started by spawn (its helpers included)"),
	ST("start-memory-forkserver", ST_MEMORY, PROCESS, FSERVER, "start-memory-fork", 0,
	   "PSS added per idle worker of a process pool of 2 started by a fork server (server included)"),
};
const size_t ovh_start_benches_count = ARRAY_SIZE(ovh_start_benches);
