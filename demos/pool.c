/* pool.c: the `pool` lesson: why a pool of worker processes (a process
 * per task against a pool, timed), and the two ways to hand it one task:
 * apply, and apply_async with a callback and an error_callback.
 *
 * Lesson: starting a process per task is slow (a fork, an exit and a wait
 * each time), throws away whatever the process built up, and puts no bound
 * on how many run at once. A pool (tvp's fork pool, par/pool.h, used the way
 * multiprocessing.Pool is) starts its workers once and feeds them tasks.
 * apply() hands over one task and waits for its result, so tasks run one
 * after another however many workers there are; apply_async() returns at
 * once with a pending result, so the tasks overlap, and get() collects
 * them. A callback runs in the parent (here, in the thread waiting on the
 * pool) with each result; an error_callback runs instead when the task
 * failed, with its error, so one bad input does not go unnoticed.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "demos/pooljob.h"
#include "bench/util.h"

#define WORKERS 3

/* A process per task, one at a time: fork, compute, send the result back
 * through a pipe, exit, be waited for. Returns the time, 0 on failure. */
static uint64_t process_per_task(const struct lesson_ctx *c, int tasks)
{
	uint64_t t0 = now_ns();
	int fd[2], st, sq;

	if (pipe(fd))
		return 0;
	for (int i = 0; i < tasks; i++) {
		pid_t pid = lesson_fork(c);
		if (pid == 0) {
			sq = i * i;
			_exit(write_full(fd[1], &sq, sizeof sq) == 0 ? 0 : 1);
		}
		if (pid < 0 || lesson_wait(pid, &st, -1) != pid || st != 0 ||
		    lesson_read(fd[0], &sq, sizeof sq, 5000) != 0 || sq != i * i) {
			t0 = now_ns() + 1;
			break;
		}
	}
	close(fd[0]);
	close(fd[1]);
	return now_ns() > t0 ? now_ns() - t0 : 0;
}

/* The same tasks handed to the pool one at a time with apply(). */
static uint64_t pool_per_task(struct pool *p, int tasks)
{
	struct task_result r = TASK_RESULT_INIT;
	uint64_t t0 = now_ns();
	int ok = 1;

	for (int i = 0; i < tasks && ok; i++) {
		struct pooljob_arg a = { i, 0, 0 };
		ok = pool_apply(p, pooljob_work, &a, sizeof a, &r) == 0 &&
		     pooljob_result(&r).value == i * i;
	}
	task_result_release(&r);
	return ok ? now_ns() - t0 : 0;
}

static int why_pools(const struct lesson_ctx *c, struct pool *p)
{
	int tasks = c->quick ? 200 : 1000;
	uint64_t spawn[2], pooled[2];
	double ratio, noise;

	lesson_do(c, "Why pools: %d tiny tasks (square a number), one at a "
		  "time, each in a new process, then each through the pool of "
		  "%d. Twice each, alternately.", tasks, WORKERS);
	for (int round = 0; round < 2; round++) {
		spawn[round] = process_per_task(c, tasks);
		pooled[round] = pool_per_task(p, tasks);
		if (!spawn[round] || !pooled[round])
			return lesson_fail(c, "a task failed: %s", strerror(errno));
	}
	lesson_saw(c, "a process per task: %s and %s per task",
		   lesson_dur((double)spawn[0] / tasks), lesson_dur((double)spawn[1] / tasks));
	lesson_saw(c, "the pool:           %s and %s per task",
		   lesson_dur((double)pooled[0] / tasks), lesson_dur((double)pooled[1] / tasks));
	/* A difference only if it is well beyond each side's own spread. */
	ratio = lesson_ratio(spawn, pooled, &noise);
	if (ratio > 1.2 * noise)
		lesson_claim(c, "why pools: a process per task cost %.1fx a task "
			     "through the pool", ratio);
	else
		lesson_claim(c, "why pools: no clear difference this time (%.1fx, "
			     "and runs varied by %.1fx)", ratio, noise);
	lesson_why(c, "each new process costs a fork, an exit and a wait; the "
		   "pool's workers are already there and only the task's bytes "
		   "travel. And the pool never runs more than %d at once.", WORKERS);
	return 0;
}

static _Atomic int callbacks, errbacks;
static int callback_pid;
static char errmsg[64];

static void on_result(void *ud, const struct task_result *r)
{
	atomic_fetch_add(&callbacks, 1);
	callback_pid = (int)getpid();
}

static void on_error(void *ud, int err, const struct task_result *msg)
{
	atomic_fetch_add(&errbacks, 1);
	snprintf(errmsg, sizeof errmsg, "%.*s", (int)msg->len, (const char *)task_result_data(msg));
}

/* Runs n tasks of ms with apply_async (task `bad` fails, -1: none) and
 * collects them; returns the time, 0 on failure. */
static uint64_t run_async(struct pool *p, int n, int ms, int bad, char *values, size_t len)
{
	struct task_result r = TASK_RESULT_INIT;
	struct pool_async *as[8];
	uint64_t t0 = now_ns();
	int ok = 1;

	atomic_store(&callbacks, 0);
	atomic_store(&errbacks, 0);
	for (int i = 0; i < n; i++) {
		struct pooljob_arg a = { i, ms, i == bad };
		as[i] = pool_apply_async(p, pooljob_work, &a, sizeof a, on_result, on_error,
					 NULL, 0);
	}
	values[0] = '\0';
	for (int i = 0; i < n; i++) {
		int rc = as[i] ? pool_async_get(as[i], POOL_FOREVER, &r) : -EINVAL;
		ok &= rc == 0 || i == bad;
		if (rc == 0)
			snprintf(values + strlen(values), len - strlen(values), " %d",
				 pooljob_result(&r).value);
		else
			snprintf(values + strlen(values), len - strlen(values), " (failed)");
		pool_async_free(as[i]);
	}
	task_result_release(&r);
	return ok ? now_ns() - t0 : 0;
}

static int apply_vs_async(const struct lesson_ctx *c, struct pool *p, int ms)
{
	struct task_result r = TASK_RESULT_INIT;
	char line[LESSON_COLS] = "";
	uint64_t t0 = now_ns(), t_apply, t_async;

	lesson_do(c, "apply() 4 tasks of %d ms, one after the other:", ms);
	for (int i = 0; i < 4; i++) {
		struct pooljob_arg a = { i, ms, 0 };
		if (pool_apply(p, pooljob_work, &a, sizeof a, &r) != 0)
			return lesson_fail(c, "apply failed");
		snprintf(line + strlen(line), sizeof line - strlen(line), " %d",
			 pooljob_result(&r).pid);
	}
	task_result_release(&r);
	t_apply = now_ns() - t0;
	lesson_claim(c, "apply: 4 tasks took %s (4 x %d ms): one at a time",
		     lesson_dur((double)t_apply), ms);
	lesson_saw(c, "worker pids:%s", line);

	lesson_do(c, "apply_async() the same 4 tasks with a callback, then get() "
		  "each result:");
	if (!(t_async = run_async(p, 4, ms, -1, line, sizeof line)))
		return lesson_fail(c, "apply_async failed");
	/* 4 tasks on 3 workers take 2 rounds at best, against apply's 4. */
	if ((double)t_async < 0.75 * (double)t_apply)
		lesson_claim(c, "apply_async: 4 tasks took %s, %.1fx faster than "
			     "apply: they overlapped", lesson_dur((double)t_async),
			     (double)t_apply / (double)t_async);
	else
		lesson_claim(c, "apply_async: 4 tasks took %s, not clearly faster "
			     "than apply (%.1fx): the workers found no free core",
			     lesson_dur((double)t_async), (double)t_apply / (double)t_async);
	lesson_saw(c, "results:%s; %d callbacks ran, in pid %d (this process)", line,
		   atomic_load(&callbacks), callback_pid);

	lesson_do(c, "apply_async() 5 tasks with a callback and an "
		  "error_callback; task 3 raises an error.");
	if (!run_async(p, 5, ms / 4, 3, line, sizeof line))
		return lesson_fail(c, "apply_async failed");
	lesson_claim(c, "error_callback: %d callbacks, %d error_callback: '%s'",
		     atomic_load(&callbacks), atomic_load(&errbacks), errmsg);
	lesson_saw(c, "get() of each:%s", line);
	lesson_why(c, "a failed task calls error_callback instead of callback, "
		   "and its get() returns the error; the other tasks are not "
		   "affected. Without an error_callback, a failure is seen only by "
		   "whoever calls get().");
	return 0;
}

static int run(const struct lesson_ctx *c)
{
	int ms = c->quick ? 20 : 100, rc;
	struct pool *p;

	lesson_title(c, "pool", "why a pool, apply and apply_async");
	if (pooljob_start(c, &p, WORKERS, 0, NULL))
		return 1;
	lesson_saw(c, "a pool of %d worker processes, started once", WORKERS);
	rc = why_pools(c, p) || apply_vs_async(c, p, ms);
	pool_free(p);
	return rc;
}

const struct lesson lesson_pool = {
	.name = "pool",
	.summary = "why pools; apply, apply_async, callback, error_callback",
	.seed = "004_7153cf8486f59d26.txt, 001_47380365a1348ba6.txt",
	.run = run,
};
