/* lifecycle.c: the `lifecycle` lesson: a pool's workers from start to end:
 * an initializer in each, maxtasksperchild replacing them, and the two ways
 * to stop: close+join against terminate.
 *
 * Lesson: a pool's workers live across many tasks, so what a task needs
 * every time (a connection, a loaded table) can be set up once per worker
 * by an initializer, which each new worker runs before its first task.
 * Living long has a cost too: memory a task leaks stays leaked. With
 * maxtasksperchild a worker retires after so many tasks and a fresh
 * process (new pid, clean memory, initializer run again) takes its place.
 * At the end, close() refuses new tasks and join() waits until every queued
 * task is done; terminate() stops the workers at once and drops what is
 * still queued: fast, and lossy.
 */
#include <errno.h>
#include <string.h>

#include "demos/lesson.h"
#include "demos/pooljob.h"
#include "bench/util.h"

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
	if (pooljob_start(c, &p, 2, 2, &initval))
		return 1;
	for (int i = 0; i < 6; i++) {
		struct pooljob_arg a = { i, ms / 4, 0 };
		pool_apply(p, pooljob_work, &a, sizeof a, &r);
		snprintf(line + strlen(line), sizeof line - strlen(line), " %d",
			 pooljob_result(&r).pid);
		seen_init &= pooljob_result(&r).initialised == 42;
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
		   "takes its place: new pid, clean memory, initializer run "
		   "again (every task saw 42).");
	pool_free(p);
	task_result_release(&r);
	return 0;
}

static int close_vs_terminate(const struct lesson_ctx *c, int ms)
{
	struct task_result r = TASK_RESULT_INIT;
	struct pool_async *as[6];
	struct pool *p;
	uint64_t t0, took[2];
	int done[2];

	lesson_do(c, "Two pools of 2, 6 queued tasks of %d ms each: one is "
		  "closed and joined, the other terminated.", ms);
	for (int terminate = 0; terminate < 2; terminate++) {
		if (pooljob_start(c, &p, 2, 0, NULL))
			return 1;
		for (int i = 0; i < 6; i++) {
			struct pooljob_arg a = { i, ms, 0 };
			as[i] = pool_apply_async(p, pooljob_work, &a, sizeof a, NULL, NULL, NULL, 0);
		}
		t0 = now_ns();
		pool_close(p);
		if (terminate)
			pool_terminate(p);
		else
			pool_join(p);
		done[terminate] = 0;
		for (int i = 0; i < 6; i++) {
			int rc = as[i] ? pool_async_get(as[i], POOL_FOREVER, &r) : -EINVAL;
			done[terminate] += rc == 0;
			pool_async_free(as[i]);
		}
		took[terminate] = now_ns() - t0;
		lesson_claim(c, "%s 6 queued tasks: %d done, %d dropped, after %s",
			     terminate ? "terminate:  " : "close+join: ", done[terminate],
			     6 - done[terminate], lesson_dur((double)took[terminate]));
		pool_free(p);
	}
	task_result_release(&r);
	if (done[1] < done[0] && took[1] < took[0])
		lesson_why(c, "join waited for every queued task; terminate "
			   "killed the workers and dropped %d tasks, %.0fx sooner.",
			   6 - done[1], (double)took[0] / (double)(took[1] ? took[1] : 1));
	else
		lesson_why(c, "join waits for every queued task; terminate kills "
			   "the workers and drops what is queued (this time it "
			   "dropped %d).", 6 - done[1]);
	return 0;
}

static int run(const struct lesson_ctx *c)
{
	int ms = c->quick ? 20 : 100;

	lesson_title(c, "lifecycle", "initializer, maxtasksperchild, close, terminate");
	if (init_and_maxtasks(c, ms) || close_vs_terminate(c, ms))
		return 1;
	return 0;
}

const struct lesson lesson_lifecycle = {
	.name = "lifecycle",
	.summary = "a pool's workers: initializer, maxtasksperchild, terminate",
	.seed = "004_7153cf8486f59d26.txt",
	.run = run,
};
