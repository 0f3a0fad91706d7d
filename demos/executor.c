/* executor.c: the `executor` lesson: one piece of code run over a process
 * executor and a thread executor (par/executor.h, the counterpart of
 * concurrent.futures): submit, done, result with a timeout, cancel before
 * and after start, an error carried back from a worker.
 *
 * Lesson: an executor hides whether its workers are threads or processes:
 * submit() returns a future at once; done() asks without waiting; result()
 * waits, for ever or up to a timeout (then TimeoutError, and the task goes
 * on running). cancel() works only while the task is still queued: a
 * running task cannot be taken back. A task that fails hands its error back
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

static int tour(const struct lesson_ctx *c, enum pool_kind kind, int ms)
{
	struct pool_options opt = { .kind = kind, .workers = 2, .channel = CHANNEL_PIPE };
	const char *name = kind == POOL_THREADS ? "thread" : "process";
	struct task_result r = TASK_RESULT_INIT;
	struct future *f, *a1, *a2, *b;
	struct executor *ex;
	struct job_out o = { 0 };
	char err[256];
	bool done_at_once, b_cancel, a1_cancel;
	uint64_t t0;
	int rc;

	lesson_do(c, "A %s executor with 2 workers (this process is %d).", name,
		  (int)getpid());
	fflush(NULL);
	if (executor_new(&ex, &opt, err, sizeof err) != 0)
		return lesson_fail(c, "executor_new: %s", err);

	f = submit(ex, 3, ms, 0);
	done_at_once = future_done(f);
	rc = future_result(f, POOL_FOREVER, &r);
	if (rc == 0 && r.len == sizeof o)
		memcpy(&o, task_result_data(&r), sizeof o);
	lesson_claim(c, "%s: submit; done() at once: %s; result() = %d from pid "
		     "%d (%s)", name, done_at_once ? "yes" : "no", o.value, o.pid, who(o.pid));
	lesson_saw(c, "done() after result(): %s", future_done(f) ? "yes" : "no");
	future_free(f);

	f = submit(ex, 4, 5 * ms, 0);
	t0 = now_ns();
	rc = future_result(f, (int64_t)ms * 1000000 / 5, &r);
	lesson_claim(c, "%s: result(timeout=%d ms) on a %d ms task: %s after %s", name,
		     ms / 5, 5 * ms, rc == -ETIMEDOUT ? "timed out" : "returned",
		     lesson_dur((double)(now_ns() - t0)));
	future_result(f, POOL_FOREVER, &r);
	future_free(f);

	a1 = submit(ex, 5, 2 * ms, 0);
	a2 = submit(ex, 6, 2 * ms, 0);
	b = submit(ex, 7, 2 * ms, 0);
	for (t0 = now_ns(); !future_running(a1) && now_ns() - t0 < 2000000000u;)
		sleep_ns(1000000);
	a1_cancel = future_cancel(a1);
	b_cancel = future_cancel(b);
	lesson_claim(c, "%s: cancel() of a running task: %s; of a queued one: %s",
		     name, a1_cancel ? "cancelled" : "refused",
		     b_cancel ? "cancelled" : "refused");
	rc = future_result(b, POOL_FOREVER, &r);
	lesson_saw(c, "the cancelled future: cancelled() = %s, result() = %s",
		   future_cancelled(b) ? "yes" : "no", rc == -ECANCELED ? "CancelledError" : "a value");
	future_result(a1, POOL_FOREVER, &r);
	future_result(a2, POOL_FOREVER, &r);
	future_free(a1);
	future_free(a2);
	future_free(b);

	f = submit(ex, -1, 0, 1);
	rc = future_exception(f, POOL_FOREVER, &r);
	lesson_claim(c, "%s: exception() = %s: '%.*s'", name,
		     rc == -EDOM ? "EDOM" : strerror(-rc), (int)r.len,
		     (const char *)task_result_data(&r));
	future_free(f);

	executor_shutdown(ex, true, false);
	executor_free(ex);
	
	task_result_release(&r);
	return 0;
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
		   "argument. The error crossed a process boundary as bytes.");
	return 0;
}

const struct lesson lesson_executor = {
	.name = "executor",
	.summary = "futures: submit, done, result(timeout), cancel, exceptions",
	.seed = "002_67176fade4ba4dd9.txt",
	.run = run,
};
