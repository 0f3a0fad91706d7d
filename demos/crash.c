/* crash.c: the `crash` lesson: a task that segfaults in a pool of
 * processes fails alone and the pool goes on; the same task in a pool of
 * threads takes the whole process down.
 *
 * Lesson: a segfault is the kernel killing a process for touching memory
 * it does not own. In a process pool only the worker that ran the bad task
 * dies: the pool sees its death, fails that one task (tvp names the signal),
 * starts a replacement and carries on, and every other result arrives. In a
 * thread pool the bad task runs inside the program itself, so the program
 * dies with it, every thread and every result. That isolation is what
 * processes buy with their higher costs. To survive telling the second half,
 * the lesson runs the thread pool inside a child process and watches it die.
 * Python's multiprocessing.Pool is not so careful: when a worker is killed
 * it starts a new one but the task is simply never answered, and the map
 * waits for ever (CPython issue 66587); its ProcessPoolExecutor declares
 * the whole pool broken instead. When python3 is there, the lesson shows
 * both, with the wait cut off.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "par/pool.h"
#include "bench/util.h"

#define TASKS 6
#define BAD 3                   /* the task that crashes */

struct job {
	int index;
	int sleep_ms;
};

static int work(const void *arg, size_t len, struct task_result *out)
{
	const struct job *j = arg;
	int sq = j->index * j->index;

	sleep_ns((uint64_t)j->sleep_ms * 1000000u);
	if (j->index == BAD) {
		volatile int *volatile nowhere = NULL;
		struct rlimit no_core = { 0, 0 };

		setrlimit(RLIMIT_CORE, &no_core);    /* no core file left behind */
		*nowhere = 1;                        /* SIGSEGV */
	}
	task_result_set(out, &sq, sizeof sq);
	return 0;
}

static void make_jobs(struct job *jobs, int ms)
{
	for (int i = 0; i < TASKS; i++)   /* the bad one waits, so others finish */
		jobs[i] = (struct job){ i, i == BAD ? ms : ms / 4 };
}

static int process_pool(const struct lesson_ctx *c, int ms)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = 2, .channel = CHANNEL_PIPE };
	struct task_result res[TASKS], r = TASK_RESULT_INIT;
	struct job jobs[TASKS], again = { 7, 0 };
	int status[TASKS], ok = 0, rc;
	char err[256];
	struct pool *p;

	lesson_do(c, "A pool of 2 worker processes maps %d tasks; task %d "
		  "writes through a NULL pointer.", TASKS, BAD);
	make_jobs(jobs, ms);
	for (int i = 0; i < TASKS; i++)
		res[i] = (struct task_result)TASK_RESULT_INIT;
	fflush(NULL);
	if (pool_new(&p, &opt, err, sizeof err) != 0)
		return lesson_fail(c, "pool_new: %s", err);
	if (pool_map(p, work, jobs, sizeof jobs[0], TASKS, 1, res, status) != 0) {
		pool_free(p);
		return lesson_fail(c, "map failed");
	}
	for (int i = 0; i < TASKS; i++) {
		if (i == BAD)
			lesson_claim(c, "process pool: task %d failed alone: %.*s", i,
				     (int)res[i].len, (const char *)task_result_data(&res[i]));
		else
			ok += status[i] == 0;
		task_result_release(&res[i]);
	}
	lesson_claim(c, "process pool: other workers' results: %d of %d present",
		     ok, TASKS - 1);
	rc = pool_apply(p, work, &again, sizeof again, &r);
	lesson_claim(c, "process pool goes on: a new task after the crash %s",
		     rc == 0 ? "succeeded" : "failed");
	task_result_release(&r);
	pool_free(p);
	return 0;
}

static void count_result(void *ud, const struct task_result *r)
{
	int fd = *(int *)ud;
	char byte = 1;

	write_full(fd, &byte, 1);
}

/* The child: a thread pool running the same tasks, reporting each result
 * through fd as it comes. Never returns. */
static void thread_pool_child(int fd, int ms)
{
	struct pool_options opt = { .kind = POOL_THREADS, .workers = 2 };
	struct pool_async *as[TASKS];
	struct job jobs[TASKS];
	struct rlimit no_core = { 0, 0 };
	char err[256];
	struct pool *p;

	setrlimit(RLIMIT_CORE, &no_core);
	make_jobs(jobs, ms);
	if (pool_new(&p, &opt, err, sizeof err) != 0)
		_exit(2);
	for (int i = 0; i < TASKS; i++)
		as[i] = pool_apply_async(p, work, &jobs[i], sizeof jobs[i], count_result, NULL,
					 &fd, 0);
	for (int i = 0; i < TASKS; i++)
		pool_async_wait(as[i], POOL_FOREVER);
	_exit(0);                        /* never reached: task 3 kills us */
}

static int thread_pool(const struct lesson_ctx *c, int ms)
{
	char sbuf[96], byte;
	int fd[2], st, got = 0;
	pid_t pid;

	lesson_do(c, "The same %d tasks in a pool of 2 threads, run inside a "
		  "child process so that this lesson survives to tell it.", TASKS);
	if (pipe(fd))
		return lesson_fail(c, "pipe: %s", strerror(errno));
	pid = lesson_fork(c);
	if (pid == 0) {
		close(fd[0]);
		thread_pool_child(fd[1], ms);
	}
	close(fd[1]);
	if (pid < 0) {
		close(fd[0]);
		return lesson_fail(c, "fork: %s", strerror(errno));
	}
	while (lesson_read(fd[0], &byte, 1, 10000) == 0)
		got++;
	close(fd[0]);
	lesson_wait(pid, &st, -1);
	lesson_claim(c, "thread pool: the whole process died: %s",
		     lesson_status_str(st, sbuf, sizeof sbuf));
	lesson_saw(c, "%d of %d good tasks had finished (their callbacks told "
		   "us); their results, in the child's memory, died with it",
		   got, TASKS - 1);
	lesson_why(c, "threads share one address space, so one bad pointer "
		   "ends them all; a worker process is a wall around its task.");
	return 0;
}

/* What Python's pools do when a worker dies, when there is a python3 to
 * ask: the worker running task BAD kills itself; the pool's wait is
 * bounded by wait_s, so a hang shows as a timeout. */
static void python_pools(const struct lesson_ctx *c, double wait_s)
{
	char *code = xasprintf(
		"import multiprocessing as mp, concurrent.futures as cf, os, signal\n"
		"def task(i):\n"
		"    if i == %d: os.kill(os.getpid(), signal.SIGKILL)\n"
		"    return i * i\n"
		"ctx = mp.get_context('fork')\n"
		"p = ctx.Pool(2)\n"
		"r = p.map_async(task, range(%d), chunksize=1)\n"
		"try:\n"
		"    r.get(timeout=%.1f); print('pool returned', flush=True)\n"
		"except mp.TimeoutError:\n"
		"    print('pool hung', flush=True)\n"
		"p.terminate(); p.join()\n"
		"with cf.ProcessPoolExecutor(2, mp_context=ctx) as ex:\n"
		"    try:\n"
		"        list(ex.map(task, range(%d))); print('executor returned')\n"
		"    except cf.process.BrokenProcessPool:\n"
		"        print('executor broken')\n", BAD, TASKS, wait_s, TASKS);
	char out[128];
	int rc;

	lesson_do(c, "Python's pools, same tasks, task %d's worker killed "
		  "(SIGKILL); the wait for the results is cut off after %.1f s.",
		  BAD, wait_s);
	rc = lesson_python(c, code, (int)(wait_s * 1000) + 20000, out, sizeof out);
	free(code);
	if (rc != 0) {
		lesson_saw(c, "(%s: the Python part is skipped)", rc == -ENOENT ?
			   "no python3 here" : "python3 did not finish");
		return;
	}
	if (strstr(out, "pool hung"))
		lesson_claim(c, "Python's multiprocessing.Pool: no results %.1f s "
			     "later: it hangs (CPython issue 66587)", wait_s);
	else
		lesson_claim(c, "Python's multiprocessing.Pool: the map returned "
			     "(this Python does not hang)");
	if (strstr(out, "executor broken"))
		lesson_claim(c, "Python's ProcessPoolExecutor: BrokenProcessPool, "
			     "the whole pool is unusable");
	else
		lesson_saw(c, "Python's ProcessPoolExecutor: %s", strstr(out, "executor returned")
			   ? "the map returned" : "no answer");
	lesson_why(c, "the Pool replaces the dead worker but never learns which "
		   "task died with it, so map waits for a result that will not "
		   "come; the executor gives up on the whole pool. tvp's pool "
		   "watches each worker's pid, fails only that task, and goes on.");
}

static int run(const struct lesson_ctx *c)
{
	int ms = c->quick ? 40 : 200;

	lesson_title(c, "crash", "a segfault in a process pool and a thread pool");
	if (process_pool(c, ms) || thread_pool(c, ms))
		return 1;
	python_pools(c, c->quick ? 1.0 : 3.0);
	return 0;
}

const struct lesson lesson_crash = {
	.name = "crash",
	.summary = "a segfaulting task: alone in a process, fatal in a thread",
	.seed = "002_67176fade4ba4dd9.txt, 004_7153cf8486f59d26.txt",
	.run = run,
};
