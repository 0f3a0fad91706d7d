/* pool.c: the `pool` lesson: a pool of worker processes (tvp's fork pool,
 * par/pool.h) used the ways multiprocessing.Pool is: apply, apply_async
 * with callbacks, map, imap, imap_unordered, initializer,
 * maxtasksperchild, close/join and terminate.
 *
 * Lesson: starting a process per task is slow, wastes what the process
 * built up, and puts no bound on how many run at once. A pool starts its
 * workers once and feeds them tasks. apply() hands over one task and waits
 * for it, so tasks run one after another even with many workers;
 * apply_async() returns at once, and the tasks overlap. map() returns every
 * result in input order; imap() yields them in input order as they come;
 * imap_unordered() in the order they finish. A callback runs in the parent
 * (here, in the thread waiting on the pool). maxtasksperchild replaces a
 * worker after so many tasks (new pids: a fresh process, memory leaks and
 * all left behind). close()+join() lets queued work finish; terminate()
 * drops it.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "par/pool.h"
#include "bench/util.h"

struct job_arg {
	int value;
	int sleep_ms;
};

struct job_out {
	int32_t pid;
	int32_t value;               /* value * value */
	int32_t initialised;         /* what the initializer left in this worker */
};

static int initialised;          /* set by the initializer, in each worker */

static void init_worker(void *arg)
{
	initialised = *(const int *)arg;
}

/* The seed's work(n): sleep a little, return n squared (and who ran it). */
static int work(const void *arg, size_t len, struct task_result *out)
{
	const struct job_arg *a = arg;
	struct job_out o = { (int32_t)getpid(), a->value * a->value, initialised };

	sleep_ns((uint64_t)a->sleep_ms * 1000000u);
	task_result_set(out, &o, sizeof o);
	return 0;
}

static struct job_out result_of(const struct task_result *r)
{
	struct job_out o = { 0 };

	if (r->len == sizeof o)
		memcpy(&o, task_result_data(r), sizeof o);
	return o;
}

static int start(const struct lesson_ctx *c, struct pool **p, unsigned workers,
		 uint64_t maxtasks, int *initval)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = workers,
				    .maxtasksperchild = maxtasks, .channel = CHANNEL_PIPE };
	char err[256];
	int rc;

	if (initval) {
		opt.initializer = init_worker;
		opt.initarg = initval;
	}
	fflush(NULL);
	if ((rc = pool_new(p, &opt, err, sizeof err)) != 0)
		return lesson_fail(c, "pool_new: %s", err);
	return 0;
}

static _Atomic int callbacks;
static int callback_pid;

static void on_result(void *ud, const struct task_result *r)
{
	atomic_fetch_add(&callbacks, 1);
	callback_pid = (int)getpid();
}

static int apply_vs_async(const struct lesson_ctx *c, struct pool *p, int ms)
{
	struct task_result r = TASK_RESULT_INIT;
	struct pool_async *as[4];
	char pids[LESSON_COLS] = "";
	uint64_t t0 = now_ns();

	lesson_do(c, "A pool of 3 worker processes. apply() 4 tasks of %d ms, "
		  "one after the other:", ms);
	for (int i = 0; i < 4; i++) {
		struct job_arg a = { i, ms };
		if (pool_apply(p, work, &a, sizeof a, &r) != 0)
			return lesson_fail(c, "apply failed");
		snprintf(pids + strlen(pids), sizeof pids - strlen(pids), " %d", result_of(&r).pid);
	}
	lesson_claim(c, "apply: 4 tasks took %s (4 x %d ms): one at a time",
		     lesson_dur((double)(now_ns() - t0)), ms);
	lesson_saw(c, "worker pids:%s", pids);

	lesson_do(c, "apply_async() the same 4 tasks with a callback, then get() "
		  "each result:");
	atomic_store(&callbacks, 0);
	t0 = now_ns();
	for (int i = 0; i < 4; i++) {
		struct job_arg a = { i, ms };
		as[i] = pool_apply_async(p, work, &a, sizeof a, on_result, NULL, NULL, 0);
	}
	pids[0] = '\0';
	for (int i = 0; i < 4; i++) {
		if (!as[i] || pool_async_get(as[i], POOL_FOREVER, &r) != 0)
			return lesson_fail(c, "apply_async failed");
		snprintf(pids + strlen(pids), sizeof pids - strlen(pids), " %d", result_of(&r).value);
		pool_async_free(as[i]);
	}
	lesson_claim(c, "apply_async: 4 tasks took %s: they overlapped",
		     lesson_dur((double)(now_ns() - t0)));
	lesson_saw(c, "results:%s; %d callbacks ran, in pid %d (this process)", pids,
		   atomic_load(&callbacks), callback_pid);
	task_result_release(&r);
	return 0;
}

static int map_orders(const struct lesson_ctx *c, struct pool *p, int ms)
{
	enum { N = 6 };
	struct job_arg args[N];
	struct task_result res[N], r = TASK_RESULT_INIT;
	int status[N];
	char line[LESSON_COLS] = "";
	size_t idx;
	struct pool_iter *it;

	/* Early inputs sleep longest, so they finish last. */
	for (int i = 0; i < N; i++) {
		args[i] = (struct job_arg){ i, (N - i) * ms / 2 };
		res[i] = (struct task_result)TASK_RESULT_INIT;
	}
	lesson_do(c, "map, imap and imap_unordered over inputs 0..%d; input 0 "
		  "sleeps longest, input %d shortest.", N - 1, N - 1);
	if (pool_map(p, work, args, sizeof args[0], N, 1, res, status) != 0)
		return lesson_fail(c, "map failed");
	for (int i = 0; i < N; i++) {
		snprintf(line + strlen(line), sizeof line - strlen(line), " %d", result_of(&res[i]).value);
		task_result_release(&res[i]);
	}
	lesson_saw(c, "map (squares):  %s, in input order, all at once", line);
	for (int unordered = 0; unordered < 2; unordered++) {
		it = unordered ? pool_imap_unordered(p, work, args, sizeof args[0], N, 1)
			       : pool_imap(p, work, args, sizeof args[0], N, 1);
		line[0] = '\0';
		while (it && pool_iter_next(it, POOL_FOREVER, &idx, &status[0], &r) == 1)
			snprintf(line + strlen(line), sizeof line - strlen(line), " %zu", idx);
		pool_iter_free(it);
		lesson_claim(c, "%s%s", unordered ? "imap_unordered:" : "imap:          ", line);
	}
	task_result_release(&r);
	lesson_why(c, "imap yields in input order, so a slow early task holds "
		   "back the rest; imap_unordered yields each as it finishes.");
	return 0;
}

static int init_and_maxtasks(const struct lesson_ctx *c, int ms)
{
	struct task_result r = TASK_RESULT_INIT;
	struct worker_stats st[16];
	struct pool *p;
	char line[LESSON_COLS] = "";
	int initval = 42, seen_init = 1;
	unsigned n, busy = 0;

	lesson_do(c, "A pool of 2 with an initializer (sets a global to 42 in "
		  "each worker) and maxtasksperchild = 2; 6 tasks, one by one.");
	if (start(c, &p, 2, 2, &initval))
		return 1;
	for (int i = 0; i < 6; i++) {
		struct job_arg a = { i, ms / 4 };
		pool_apply(p, work, &a, sizeof a, &r);
		snprintf(line + strlen(line), sizeof line - strlen(line), " %d", result_of(&r).pid);
		seen_init &= result_of(&r).initialised == 42;
	}
	lesson_saw(c, "pids of the tasks:%s", line);
	lesson_claim(c, "initializer: %s", seen_init ? "every task saw 42"
						   : "some task did not see 42");
	pool_close(p);
	pool_join(p);
	n = pool_take_stats(p, st, 16);
	line[0] = '\0';
	for (unsigned i = 0; i < n; i++)
		if (st[i].tasks) {
			snprintf(line + strlen(line), sizeof line - strlen(line), " %d:%llu",
				 st[i].pid, (unsigned long long)st[i].tasks);
			busy++;
		}
	lesson_saw(c, "worker pid:tasks (pool_take_stats):%s", line);
	lesson_claim(c, "maxtasksperchild: %u worker processes served 6 tasks", busy);
	lesson_why(c, "each worker retires after 2 tasks and a fresh process "
		   "takes its place: new pid, clean memory.");
	pool_free(p);
	task_result_release(&r);
	return 0;
}

static int close_vs_terminate(const struct lesson_ctx *c, int ms)
{
	struct task_result r = TASK_RESULT_INIT;
	struct pool_async *as[6];
	struct pool *p;
	uint64_t t0;

	for (int terminate = 0; terminate < 2; terminate++) {
		int done = 0, cancelled = 0;

		if (start(c, &p, 2, 0, NULL))
			return 1;
		for (int i = 0; i < 6; i++) {
			struct job_arg a = { i, ms };
			as[i] = pool_apply_async(p, work, &a, sizeof a, NULL, NULL, NULL, 0);
		}
		t0 = now_ns();
		pool_close(p);
		if (terminate)
			pool_terminate(p);
		else
			pool_join(p);
		for (int i = 0; i < 6; i++) {
			int rc = as[i] ? pool_async_get(as[i], POOL_FOREVER, &r) : -EINVAL;
			done += rc == 0;
			cancelled += rc == -ECANCELED;
			pool_async_free(as[i]);
		}
		lesson_claim(c, "%s 6 queued tasks: %d done, %d dropped, after %s",
			     terminate ? "terminate:  " : "close+join: ", done, 6 - done,
			     lesson_dur((double)(now_ns() - t0)));
		pool_free(p);
	}
	task_result_release(&r);
	lesson_why(c, "join waits for every queued task; terminate kills the "
		   "workers and drops what is queued, fast but lossy.");
	return 0;
}

static int run(const struct lesson_ctx *c)
{
	int ms = c->quick ? 20 : 100, rc;
	struct pool *p;

	lesson_title(c, "pool", "a pool of worker processes");
	if (start(c, &p, 3, 0, NULL))
		return 1;
	rc = apply_vs_async(c, p, ms) || map_orders(c, p, ms);
	pool_free(p);
	if (rc || init_and_maxtasks(c, ms) || close_vs_terminate(c, ms))
		return 1;
	return 0;
}

const struct lesson lesson_pool = {
	.name = "pool",
	.summary = "apply, apply_async, map, imap, maxtasksperchild, terminate",
	.seed = "004_7153cf8486f59d26.txt, 001_47380365a1348ba6.txt",
	.run = run,
};
