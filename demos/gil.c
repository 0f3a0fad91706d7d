/* gil.c: the `gil` lesson: the seeds' experiment, four tasks of the
 * counting loop run serially, in threads and in processes, in C and in
 * Python side by side.
 *
 * Lesson: the seed timed four tasks each counting to a billion in Python:
 * one thread or four threads took over 4 minutes, four processes 1.5. The
 * reason is CPython's global interpreter lock: only the thread holding it
 * runs bytecode, so four counting threads take turns on one core (and pay
 * for handing the lock around). Processes each have their own interpreter
 * and lock, and run on every core. C has no such lock: its threads and its
 * processes both use every core, so for CPU-bound C code threads are as
 * good as processes, and cheaper to start. The Python half runs the
 * reference scripts in workloads/python/ with this machine's python3.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "workloads/count.h"
#include "demos/lesson.h"
#include "bench/python.h"
#include "bench/util.h"

#define TASKS 4

enum { SERIAL, THREADS, PROCESSES, NWAYS };
static const char *const way_names[NWAYS] = { "serial", "threads", "processes" };
/* The tvp mode names the Python scripts take for the seed's three ways. */
static const char *const py_modes[NWAYS] = { "serial", "thread-spawn", "fork-spawn" };

static void *count_thread(void *arg)
{
	count_loop(*(uint64_t *)arg);
	return NULL;
}

/* Four tasks of count_loop(n), one way; returns the wall time, 0 on failure. */
static uint64_t c_run(const struct lesson_ctx *c, int way, uint64_t n)
{
	pthread_t t[TASKS];
	pid_t p[TASKS];
	uint64_t t0 = now_ns();
	int st, ok = 1;

	for (int i = 0; i < TASKS; i++) {
		if (way == SERIAL)
			count_loop(n);
		else if (way == THREADS)
			ok &= pthread_create(&t[i], NULL, count_thread, &n) == 0;
		else if ((p[i] = lesson_fork(c)) == 0)
			_exit(count_loop(n) == n ? 0 : 1);
		else
			ok &= p[i] > 0;
	}
	for (int i = 0; i < TASKS; i++) {
		if (way == THREADS)
			pthread_join(t[i], NULL);
		else if (way == PROCESSES && p[i] > 0)
			ok &= lesson_wait(p[i], &st, -1) == p[i] && st == 0;
	}
	return ok ? now_ns() - t0 : 0;
}

/* Runs `python3 count.py --mode MODE --tasks 4 --workers 4 --size N` and
 * returns its first wall time (0 on failure, with why in err). */
static uint64_t py_run(const char *script, const char *mode, uint64_t n, bool *gil, char *err,
		       size_t errlen)
{
	char size[32];
	const char *args[] = { "--mode", mode, "--tasks", "4", "--workers", "4", "--size", size, NULL };
	uint64_t wall = 0;
	json_t *j, *w;

	snprintf(size, sizeof size, "%llu", (unsigned long long)n);
	if (python_run_json(script, args, &j, err, errlen) != 0)
		return 0;
	w = json_array_get(json_object_get(j, "wall_ns"), 0);
	if (json_is_integer(w) && json_is_true(json_object_get(j, "results_ok"))) {
		wall = (uint64_t)json_integer_value(w);
		*gil = !json_is_false(json_object_get(json_object_get(j, "python"), "gil"));
	} else {
		snprintf(err, errlen, "%s printed no usable JSON", script);
	}
	json_decref(j);
	return wall;
}

static void table_row(const struct lesson_ctx *c, const char *lang, const uint64_t *t)
{
	lesson_saw(c, "%-8s %11s %11s %11s", lang, lesson_dur((double)t[SERIAL]),
		   lesson_dur((double)t[THREADS]), lesson_dur((double)t[PROCESSES]));
}

static double speedup(const uint64_t *t, int way)
{
	return t[way] ? (double)t[SERIAL] / (double)t[way] : 0;
}

static int run(const struct lesson_ctx *c)
{
	uint64_t target_ns = c->quick ? 20000000u : 500000000u;
	uint64_t tc[NWAYS] = { 0 }, tp[NWAYS] = { 0 }, nc, np, t0;
	char *script = python_script_path("count.py"), err[256] = "";
	bool gil = true, have_py = true;
	int rc = 1;

	lesson_title(c, "gil", "threads vs processes, C vs Python");
	lesson_do(c, "The seed's experiment: %d tasks each count from 0 to N, "
		  "serially, in %d threads, in %d processes. Seed (Python, 10^9 "
		  "each): threads over 4 min, processes 1.5 min.", TASKS, TASKS, TASKS);

	/* Size both languages so one task takes about target_ns here. */
	t0 = now_ns();
	count_loop(20000000);
	nc = (uint64_t)(20000000.0 * (double)target_ns / (double)(now_ns() - t0 + 1));
	np = c->quick ? 200000 : 1000000;
	t0 = py_run(script, "serial", np, &gil, err, sizeof err);
	if (t0)                         /* that was 4 tasks: scale from one */
		np = (uint64_t)((double)np * (double)target_ns / ((double)t0 / TASKS));
	lesson_saw(c, "N = %llu for C and %llu for Python: about %s per task each",
		   (unsigned long long)nc, (unsigned long long)np, lesson_dur((double)target_ns));

	for (int w = 0; w < NWAYS; w++)
		if (!(tc[w] = c_run(c, w, nc))) {
			lesson_fail(c, "C %s: %s", way_names[w], strerror(errno));
			goto out;
		}
	for (int w = 0; w < NWAYS && have_py; w++)
		if (!(tp[w] = py_run(script, py_modes[w], np, &gil, err, sizeof err)))
			have_py = false;

	lesson_saw(c, "%-8s %11s %11s %11s", "", "serial", "threads", "processes");
	table_row(c, "C", tc);
	if (have_py)
		table_row(c, "Python", tp);
	lesson_claim(c, "C threads speed-up over serial: %.2fx (processes %.2fx)",
		     speedup(tc, THREADS), speedup(tc, PROCESSES));
	if (have_py) {
		lesson_claim(c, "Python threads speed-up over serial: %.2fx "
			     "(processes %.2fx)", speedup(tp, THREADS), speedup(tp, PROCESSES));
		lesson_claim(c, "Python threads / processes time: %.2fx here; the "
			     "seed's: over 2.7x (4+ min / 1.5 min)",
			     (double)tp[THREADS] / (double)(tp[PROCESSES] ? tp[PROCESSES] : 1));
		lesson_why(c, "%s", gil ?
			   "CPython's threads take turns holding the GIL, so four "
			   "of them count no faster than one; four processes have "
			   "four interpreters and use every core. C threads have no "
			   "such lock and scale like processes. The speed-up is "
			   "bounded by the cores this machine has free." :
			   "this python3 runs without a GIL (free-threaded build): "
			   "its threads can scale like C's.");
	} else {
		lesson_saw(c, "Python part skipped: %s (script %s)", err, script);
	}
	rc = 0;
out:
	free(script);
	return rc;
}

const struct lesson lesson_gil = {
	.name = "gil",
	.summary = "four counting tasks: threads vs processes, C vs Python",
	.seed = "002_67176fade4ba4dd9.txt",
	.run = run,
};
