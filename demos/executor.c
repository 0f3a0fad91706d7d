/* executor.c: the `executor` lesson: one piece of code run over a process
 * executor and a thread executor (par/executor.h, the counterpart of
 * concurrent.futures): submit, done, result with a timeout, cancel before
 * and after start, running(), exception with a timeout, an error carried
 * back from a worker, shutdown with and without waiting.
 *
 * Lesson: an executor hides whether its workers are threads or processes:
 * submit() returns a future at once; done() asks without waiting; result()
 * waits, for ever or up to a timeout (then TimeoutError, and the task goes
 * on running); running() says whether a worker has it now. cancel() works
 * only while the task is still queued: a running task cannot be taken
 * back. exception() waits like result() and returns the task's error
 * instead of raising it. shutdown(wait=True) returns when every task is
 * done; shutdown(wait=False) returns at once while they finish; either way
 * no new task is accepted. A task that fails hands its error back
 * through the future, from another process as easily as from another
 * thread. The tour below is one function, called twice; only the pid
 * column tells the two executors apart.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "par/executor.h"
#include "bench/util.h"

struct job {
	int value;
	int sleep_ms;
	int fail;
};

struct job_out {
	int32_t pid;
	int32_t value;
};

static int work(const void *arg, size_t len, struct task_result *out)
{
	const struct job *j = arg;
	struct job_out o = { (int32_t)getpid(), j->value * j->value };

	sleep_ns((uint64_t)j->sleep_ms * 1000000u);
	if (j->fail)
		return task_result_error(out, -EDOM, "math domain error: sqrt(-1) in pid %d",
					 (int)getpid());
	task_result_set(out, &o, sizeof o);
	return 0;
}

static struct future *submit(struct executor *ex, int value, int ms, int fail)
{
	struct job j = { value, ms, fail };

	return executor_submit(ex, work, &j, sizeof j, 0);
}

static const char *who(int pid)
{
	return pid == (int)getpid() ? "this process" : "another process";
}

/* Every claim starts with the executor's kind, padded so the process and
 * thread lines line up when read one above the other. */
#define KIND "%-9s"

static int basics(const struct lesson_ctx *c, struct executor *ex, const char *kind, int ms)
{
	struct task_result r = TASK_RESULT_INIT;
	struct job_out o = { 0 };
	struct future *f;
	bool done_at_once, running;
	uint64_t t0;
	int rc;

	f = submit(ex, 3, ms, 0);
	done_at_once = future_done(f);
	rc = future_result(f, POOL_FOREVER, &r);
	if (rc == 0 && r.len == sizeof o)
		memcpy(&o, task_result_data(&r), sizeof o);
	lesson_claim(c, KIND "submit; done() at once: %s; result() = %d", kind,
		     done_at_once ? "yes" : "no", o.value);
	lesson_saw(c, "the result came from pid %d (%s); done() now: %s", o.pid, who(o.pid),
		   future_done(f) ? "yes" : "no");
	future_free(f);

	f = submit(ex, 4, 5 * ms, 0);
	for (t0 = now_ns(); !future_running(f) && now_ns() - t0 < 2000000000u;)
		sleep_ns(1000000);
	running = future_running(f);
	t0 = now_ns();
	rc = future_result(f, (int64_t)ms * 1000000 / 5, &r);
	t0 = now_ns() - t0;
	lesson_claim(c, KIND "running(): %s; result(timeout=%d ms): %s", kind,
		     running ? "yes" : "no", ms / 5, rc == -ETIMEDOUT ? "timed out" : "a value");
	running = future_running(f);
	rc = future_result(f, POOL_FOREVER, &r);
	lesson_saw(c, "on a %d ms task, after %s; it went on running (running() "
		   "%s) and ended: result() %s, running() %s", 5 * ms, lesson_dur((double)t0),
		   running ? "yes" : "no", rc == 0 ? "a value" : "an error",
		   future_running(f) ? "yes" : "no");
	future_free(f);
	task_result_release(&r);
	return 0;
}

static int cancelling(const struct lesson_ctx *c, struct executor *ex, const char *kind,
		      int ms)
{
	struct task_result r = TASK_RESULT_INIT;
	struct future *a1 = submit(ex, 5, 2 * ms, 0), *a2 = submit(ex, 6, 2 * ms, 0);
	struct future *b = submit(ex, 7, 2 * ms, 0);
	bool a1_cancel, b_cancel;
	uint64_t t0;
	int rc;

	for (t0 = now_ns(); !future_running(a1) && now_ns() - t0 < 2000000000u;)
		sleep_ns(1000000);
	a1_cancel = future_cancel(a1);
	b_cancel = future_cancel(b);
	lesson_claim(c, KIND "cancel(): running task %s, queued task %s", kind,
		     a1_cancel ? "cancelled" : "refused", b_cancel ? "cancelled" : "refused");
	rc = future_result(b, POOL_FOREVER, &r);
	lesson_saw(c, "the cancelled future: cancelled() = %s, result() = %s",
		   future_cancelled(b) ? "yes" : "no", rc == -ECANCELED ? "CancelledError" : "a value");
	future_result(a1, POOL_FOREVER, &r);
	future_result(a2, POOL_FOREVER, &r);
	future_free(a1);
	future_free(a2);
	future_free(b);

	b = submit(ex, -1, ms, 1);
	rc = future_exception(b, (int64_t)ms * 1000000 / 5, &r);
	lesson_saw(c, "exception(timeout=%d ms) while the failing task runs: %s", ms / 5,
		   rc == -ETIMEDOUT ? "TimeoutError" : "an answer");
	rc = future_exception(b, POOL_FOREVER, &r);
	lesson_claim(c, KIND "exception() = %s", kind, rc == -EDOM ? "EDOM" : strerror(-rc));
	lesson_saw(c, "its message: '%.*s'", (int)r.len, (const char *)task_result_data(&r));
	future_free(b);
	task_result_release(&r);
	return 0;
}

/* shutdown(wait=False) returns before the queued task has ended (and the
 * task still ends); shutdown(wait=True) returns after it has. */
static int shutdown(const struct lesson_ctx *c, struct executor *ex, const char *kind,
		    bool wait, int ms)
{
	struct task_result r = TASK_RESULT_INIT;
	struct future *f = submit(ex, 8, ms, 0), *late;
	uint64_t t0 = now_ns(), took;
	bool done;
	int rc;

	executor_shutdown(ex, wait, false);
	took = now_ns() - t0;
	done = future_done(f);
	rc = future_result(f, POOL_FOREVER, &r);
	lesson_claim(c, KIND "shutdown(wait=%s): returned %s the task ended", kind,
		     wait ? "True" : "False", done ? "after" : "before");
	late = executor_submit(ex, work, &(struct job){ 1, 0, 0 }, sizeof(struct job), 0);
	lesson_saw(c, "with a %d ms task queued, it returned after %s; the task's "
		   "result: %s; submit() now: %s", ms, lesson_dur((double)took),
		   rc == 0 ? "a value" : "lost", late ? "accepted" : "refused");
	if (late) {
		future_result(late, POOL_FOREVER, &r);
		future_free(late);
	}
	future_free(f);
	task_result_release(&r);
	return 0;
}

static int tour(const struct lesson_ctx *c, enum pool_kind kind, int ms)
{
	struct pool_options opt = { .kind = kind, .workers = 2, .channel = CHANNEL_PIPE };
	const char *name = kind == POOL_THREADS ? "thread:" : "process:";
	struct executor *ex[2];
	char err[256];
	int rc;

	lesson_do(c, "A %s executor with 2 workers (this process is %d).",
		  kind == POOL_THREADS ? "thread" : "process", (int)getpid());
	fflush(NULL);
	if (executor_new(&ex[0], &opt, err, sizeof err) != 0)
		return lesson_fail(c, "executor_new: %s", err);
	if (executor_new(&ex[1], &opt, err, sizeof err) != 0) {
		executor_free(ex[0]);
		return lesson_fail(c, "executor_new: %s", err);
	}
	rc = basics(c, ex[0], name, ms) || cancelling(c, ex[0], name, ms) ||
	     shutdown(c, ex[0], name, false, ms) || shutdown(c, ex[1], name, true, ms);
	executor_free(ex[0]);
	executor_free(ex[1]);
	return rc;
}

static int run(const struct lesson_ctx *c)
{
	int ms = c->quick ? 50 : 200;

	lesson_title(c, "executor", "futures over processes and threads");
	/* Processes first: the fork pool must start while this process has no
	 * other thread, and the thread executor leaves none once freed. */
	if (tour(c, POOL_PROCESSES, ms) || tour(c, POOL_THREADS, ms))
		return 1;
	lesson_why(c, "the same calls, the same answers: an executor is an "
		   "interface, and the choice of threads or processes is one "
		   "argument. The error crossed a process boundary as bytes. "
		   "(Python's ProcessPoolExecutor differs in one point: it "
		   "marks as running the tasks it has already passed to its "
		   "workers' queue, 4 of 5 submitted with 2 workers, so cancel() "
		   "refuses those too.)");
	return 0;
}

const struct lesson lesson_executor = {
	.name = "executor",
	.summary = "futures: submit, done, result(timeout), cancel, exceptions",
	.seed = "002_67176fade4ba4dd9.txt",
	.run = run,
};
