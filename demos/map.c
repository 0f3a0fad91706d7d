/* map.c: the `map` lesson: one function over many inputs through a pool of
 * processes: map, map_async, chunksize on tiny tasks, imap and
 * imap_unordered, and an iterator's next(timeout).
 *
 * Lesson: map() runs a function over a list of inputs on the pool's workers
 * and returns every result, in input order, once all are done; map_async()
 * returns at once with a pending result (and calls a callback when all are
 * done). The inputs travel to the workers in chunks: chunksize inputs per
 * trip. For tiny tasks the trip costs more than the work, so a bigger chunk
 * is much faster; for long, uneven tasks a small chunk spreads the work
 * better (Python's default is about a quarter of the inputs per worker).
 * imap() yields results lazily in input order, so a slow early input holds
 * back the rest; imap_unordered() yields each as it finishes. The
 * iterator's next(timeout) waits at most that long and raises TimeoutError,
 * and the iterator can still be used afterwards.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "demos/pooljob.h"
#include "bench/util.h"

#define WORKERS 2
#define N 6

static _Atomic int map_done;

static void on_map_done(void *ud, const struct task_result *r)
{
	atomic_store(&map_done, 1);
}

static int map_and_async(const struct lesson_ctx *c, struct pool *p, int ms)
{
	struct pooljob_arg args[N];
	struct task_result res[N];
	struct pool_async *a;
	int status[N];
	char line[LESSON_COLS] = "";
	bool ready_at_once;

	/* Early inputs sleep longest, so they finish last. */
	for (int i = 0; i < N; i++) {
		args[i] = (struct pooljob_arg){ i, (N - i) * ms / 2, 0 };
		res[i] = (struct task_result)TASK_RESULT_INIT;
	}
	lesson_do(c, "map and map_async over inputs 0..%d on a pool of %d; "
		  "input 0 sleeps longest, input %d shortest.", N - 1, WORKERS, N - 1);
	if (pool_map(p, pooljob_work, args, sizeof args[0], N, 1, res, status) != 0)
		return lesson_fail(c, "map failed");
	for (int i = 0; i < N; i++) {
		snprintf(line + strlen(line), sizeof line - strlen(line), " %d",
			 pooljob_result(&res[i]).value);
		task_result_release(&res[i]);
	}
	lesson_claim(c, "map:%s, in input order, all at once", line);

	atomic_store(&map_done, 0);
	a = pool_map_async(p, pooljob_work, args, sizeof args[0], N, 1, res, status, on_map_done,
			   NULL);
	ready_at_once = a && pool_async_ready(a);
	if (!a || pool_async_wait(a, POOL_FOREVER) != 0)
		return lesson_fail(c, "map_async failed");
	line[0] = '\0';
	for (int i = 0; i < N; i++) {
		snprintf(line + strlen(line), sizeof line - strlen(line), " %d",
			 pooljob_result(&res[i]).value);
		task_result_release(&res[i]);
	}
	pool_async_free(a);
	lesson_claim(c, "map_async: ready() at once: %s; then the callback %s "
		     "and get():%s", ready_at_once ? "yes" : "no",
		     atomic_load(&map_done) ? "ran" : "did not run", line);
	return 0;
}

/* Maps n tiny tasks in chunks of chunk; returns the time, 0 on failure. */
static uint64_t time_map(struct pool *p, size_t n, size_t chunk, struct pooljob_arg *args,
			 struct task_result *res, int *status)
{
	uint64_t t0 = now_ns();
	int ok = pool_map(p, pooljob_work, args, sizeof args[0], n, chunk, res, status) == 0;

	for (size_t i = 0; i < n; i++) {
		ok &= status[i] == 0;
		task_result_release(&res[i]);
	}
	return ok ? now_ns() - t0 : 0;
}

static int chunks(const struct lesson_ctx *c, struct pool *p)
{
	size_t n = c->quick ? 2000 : 20000, big = (n + 4 * WORKERS - 1) / (4 * WORKERS);
	struct pooljob_arg *args = xcalloc(n, sizeof *args);
	struct task_result *res = xcalloc(n, sizeof *res);
	int *status = xcalloc(n, sizeof *status);
	uint64_t one[2], many[2];
	double ratio, noise;

	for (size_t i = 0; i < n; i++)
		args[i].value = (int)(i % 1000);
	lesson_do(c, "chunksize: map %zu tiny tasks (no sleep) with chunksize 1, "
		  "then with chunksize %zu (Python's default here); twice each.", n, big);
	for (int round = 0; round < 2; round++) {
		one[round] = time_map(p, n, 1, args, res, status);
		many[round] = time_map(p, n, big, args, res, status);
	}
	free(args);
	free(res);
	free(status);
	if (!one[0] || !one[1] || !many[0] || !many[1])
		return lesson_fail(c, "map failed");
	lesson_saw(c, "chunksize 1:   %s and %s", lesson_dur((double)one[0]),
		   lesson_dur((double)one[1]));
	lesson_saw(c, "chunksize %-4zu %s and %s", big, lesson_dur((double)many[0]),
		   lesson_dur((double)many[1]));
	ratio = lesson_ratio(one, many, &noise);
	if (ratio > 1.2 * noise)
		lesson_claim(c, "chunksize: %zu per trip was %.1fx faster than 1", big, ratio);
	else
		lesson_claim(c, "chunksize: no clear difference this time (%.1fx, "
			     "runs varied by %.1fx)", ratio, noise);
	lesson_why(c, "with chunksize 1 every tiny task is a trip to a worker "
		   "and back; a chunk pays for one trip per %zu tasks. For long "
		   "tasks of uneven length, small chunks share the work better.", big);
	return 0;
}

static int iterators(const struct lesson_ctx *c, struct pool *p, int ms)
{
	struct pooljob_arg args[N];
	struct task_result r = TASK_RESULT_INIT;
	char line[LESSON_COLS] = "";
	struct pool_iter *it;
	size_t idx;
	int status, rc;

	for (int i = 0; i < N; i++)
		args[i] = (struct pooljob_arg){ i, (N - i) * ms / 2, 0 };
	lesson_do(c, "imap and imap_unordered over the same inputs:");
	for (int unordered = 0; unordered < 2; unordered++) {
		it = unordered ? pool_imap_unordered(p, pooljob_work, args, sizeof args[0], N, 1)
			       : pool_imap(p, pooljob_work, args, sizeof args[0], N, 1);
		line[0] = '\0';
		while (it && pool_iter_next(it, POOL_FOREVER, &idx, &status, &r) == 1)
			snprintf(line + strlen(line), sizeof line - strlen(line), " %zu", idx);
		pool_iter_free(it);
		lesson_claim(c, "%s%s", unordered ? "imap_unordered:" : "imap:          ", line);
	}
	lesson_why(c, "imap yields in input order, so a slow early task holds "
		   "back the rest; imap_unordered yields each as it finishes.");

	lesson_do(c, "imap again; next(timeout=%d ms) while input 0 (%d ms) "
		  "still runs, then next() with no timeout.", ms / 2, N * ms / 2);
	it = pool_imap(p, pooljob_work, args, sizeof args[0], N, 1);
	rc = it ? pool_iter_next(it, (int64_t)ms * 500000, &idx, &status, &r) : -EINVAL;
	line[0] = '\0';
	if (rc == -ETIMEDOUT)
		snprintf(line, sizeof line, "TimeoutError");
	else
		snprintf(line, sizeof line, "a result (input %zu)", idx);
	rc = it ? pool_iter_next(it, POOL_FOREVER, &idx, &status, &r) : -EINVAL;
	lesson_claim(c, "next(timeout=%d ms): %s; then next(): input %zu = %d", ms / 2, line,
		     rc == 1 ? idx : 0, rc == 1 ? pooljob_result(&r).value : -1);
	while (it && pool_iter_next(it, POOL_FOREVER, &idx, &status, &r) == 1)
		;
	pool_iter_free(it);
	task_result_release(&r);
	lesson_why(c, "a timeout gives up waiting, not the task: the iterator "
		   "goes on where it was.");
	return 0;
}

static int run(const struct lesson_ctx *c)
{
	int ms = c->quick ? 20 : 100, rc;
	struct pool *p;

	lesson_title(c, "map", "map, map_async, chunksize, imap");
	if (pooljob_start(c, &p, WORKERS, 0, NULL))
		return 1;
	rc = map_and_async(c, p, ms) || chunks(c, p) || iterators(c, p, ms);
	pool_free(p);
	return rc;
}

const struct lesson lesson_map = {
	.name = "map",
	.summary = "map, map_async, chunksize, imap, next(timeout)",
	.seed = "004_7153cf8486f59d26.txt",
	.run = run,
};
