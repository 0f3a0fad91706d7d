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
#include <sys/resource.h>
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

/* Four tasks, one way, timed: the two fastest of `reps` runs (a third run
 * may be slowed by anything; two that agree are a measurement), and
 * for Python the CPU time the interpreter and its children used over the
 * wall time of the whole run (1.0: one core busy throughout). */
struct timing {
	uint64_t best_ns, next_ns;  /* the fastest run and the second fastest */
	double cpu_per_wall;
};

static void add_run(struct timing *t, uint64_t ns)
{
	if (!t->best_ns || ns < t->best_ns) {
		t->next_ns = t->best_ns;
		t->best_ns = ns;
	} else if (!t->next_ns || ns < t->next_ns) {
		t->next_ns = ns;
	}
}

static double cpu_children_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_CHILDREN, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Runs `python3 count.py --mode MODE --tasks 4 --workers 4 --size N` and
 * returns its first wall time (0 on failure, with why in err); the CPU time
 * of the interpreter and its children over the run's wall time goes into
 * *cpu_per_wall (-1: unknown). */
static uint64_t py_run(const char *script, const char *mode, uint64_t n, bool *gil,
		       double *cpu_per_wall, char *err, size_t errlen)
{
	char size[32];
	const char *args[] = { "--mode", mode, "--tasks", "4", "--workers", "4", "--size", size, NULL };
	uint64_t wall = 0, t0 = now_ns();
	double cpu0 = cpu_children_s();
	json_t *j, *w;

	snprintf(size, sizeof size, "%llu", (unsigned long long)n);
	if (python_run_json(script, args, &j, err, errlen) != 0)
		return 0;
	t0 = now_ns() - t0;
	*cpu_per_wall = (cpu_children_s() - cpu0) / ((double)t0 / 1e9);
	w = json_array_get(json_object_get(j, "wall_ns"), 0);
	if (json_is_integer(w) && json_integer_value(w) > 0 &&
	    json_is_true(json_object_get(j, "results_ok"))) {
		wall = (uint64_t)json_integer_value(w);
		/* A run shorter than the time it reports did not do that work
		 * here (a stand-in interpreter): its CPU time means nothing. */
		if (t0 < wall)
			*cpu_per_wall = -1;
		*gil = !json_is_false(json_object_get(json_object_get(j, "python"), "gil"));
	} else {
		snprintf(err, errlen, "%s printed no usable JSON", script);
	}
	json_decref(j);
	return wall;
}

static void table_row(const struct lesson_ctx *c, const char *lang, const struct timing *t)
{
	lesson_saw(c, "%-8s %11s %11s %11s", lang, lesson_dur((double)t[SERIAL].best_ns),
		   lesson_dur((double)t[THREADS].best_ns), lesson_dur((double)t[PROCESSES].best_ns));
}

static double speedup(const struct timing *t, int way)
{
	return t[way].best_ns ? (double)t[SERIAL].best_ns / (double)t[way].best_ns : 0;
}

/* Below this, a task is mostly start-up cost and timer noise. */
#define MIN_TASK_NS 5000000u
/* The two fastest runs of one way further apart than this are too noisy. */
#define MAX_SPREAD 1.5

/* Whether a language's timings can carry a conclusion; if not, says why. */
static bool conclusive(const struct lesson_ctx *c, const char *lang, const struct timing *t)
{
	double spread = 1;

	if (t[SERIAL].best_ns < TASKS * (uint64_t)MIN_TASK_NS) {
		lesson_claim(c, "conclusion: %s: too small to conclude (%s for "
			     "%d tasks; a task needs %s or more)", lang,
			     lesson_dur((double)t[SERIAL].best_ns), TASKS,
			     lesson_dur(MIN_TASK_NS));
		return false;
	}
	for (int w = 0; w < NWAYS; w++)
		if ((double)t[w].next_ns / (double)t[w].best_ns > spread)
			spread = (double)t[w].next_ns / (double)t[w].best_ns;
	/* Threads cannot beat serial on less than one core's CPU time: if
	 * they seem to, the serial runs were slowed by something else. (Below
	 * half a core the run was not CPU-bound at all: nothing to judge.) */
	if (speedup(t, THREADS) >= 1.1 && t[THREADS].cpu_per_wall >= 0.5 &&
	    t[THREADS].cpu_per_wall <= 1.15) {
		lesson_claim(c, "conclusion: %s: too noisy to conclude (threads "
			     "looked %.2fx faster than serial on one core's CPU "
			     "time)", lang, speedup(t, THREADS));
		return false;
	}
	if (spread > MAX_SPREAD) {
		lesson_claim(c, "conclusion: %s: too noisy to conclude (the two "
			     "best runs of one way differed by %.1fx; is the machine "
			     "busy?)", lang, spread);
		return false;
	}
	return true;
}

static const char *verdict(double s)
{
	return s >= 1.3 ? "faster than serial" : s >= 1.1 ? "a little faster than serial"
		: s >= 0.9 ? "no faster than serial" : "slower than serial";
}

/* The conclusion for one language, computed from its speed-ups. */
static bool conclude(const struct lesson_ctx *c, const char *lang, const struct timing *t)
{
	if (!conclusive(c, lang, t))
		return false;
	lesson_claim(c, "conclusion: %s threads %s (%.2fx); processes %s (%.2fx)", lang,
		     verdict(speedup(t, THREADS)), speedup(t, THREADS),
		     verdict(speedup(t, PROCESSES)), speedup(t, PROCESSES));
	return true;
}

/* The one-minute load average (/proc/loadavg), or -1. */
static double load_average(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	double load = -1;

	if (f) {
		if (fscanf(f, "%lf", &load) != 1)
			load = -1;
		fclose(f);
	}
	return load;
}

/* Why, from what was measured: the CPU Python's threads used, the cores. */
static void explain(const struct lesson_ctx *c, const struct timing *tc, const struct timing *tp,
		    bool have_py, bool py_ok, bool gil, long pus)
{
	double ideal = pus < TASKS ? (double)pus : TASKS, cpu = tp[THREADS].cpu_per_wall;

	if (speedup(tc, PROCESSES) >= 0.75 * ideal && speedup(tc, THREADS) >= 0.75 * ideal)
		lesson_why(c, "C has no interpreter lock: its threads and its "
			   "processes both kept the %ld cores busy.", pus);
	else
		lesson_why(c, "C reached %.1fx of a possible %.0fx: the load "
			   "average is %.1f on %ld cores, so fewer were free, or "
			   "the tasks were too short to spread.",
			   speedup(tc, THREADS) > speedup(tc, PROCESSES) ? speedup(tc, THREADS)
									: speedup(tc, PROCESSES),
			   ideal, load_average(), pus);
	if (!have_py)
		return;
	if (cpu >= 0 && cpu < 0.05)
		lesson_saw(c, "Python threads' CPU time: too small to measure");
	else if (cpu >= 0 && cpu <= 1.15)
		lesson_why(c, "Python's threads kept at most one core busy (CPU "
			   "time / wall time %.2f)%s", cpu, gil ? ": only the "
			   "thread holding the GIL runs bytecode, so four take "
			   "turns on one core, whatever the load." : ", although "
			   "this python3 says it has no GIL.");
	else if (cpu >= 0)
		lesson_why(c, "Python's threads kept %.1f cores busy on average%s", cpu,
			   gil ? ", which a GIL should not allow: look again at "
			   "this python3." : ": this python3 runs without a GIL "
			   "(free-threaded), so its threads can scale like C's.");
	if (py_ok && speedup(tp, PROCESSES) >= 1.3)
		lesson_why(c, "processes have an interpreter and a GIL each, so "
			   "they ran side by side (%.2fx).", speedup(tp, PROCESSES));
}

static int run(const struct lesson_ctx *c)
{
	uint64_t target_ns = c->quick ? 20000000u : 150000000u, nc, np, t0;
	struct timing tc[NWAYS] = { 0 }, tp[NWAYS] = { 0 };
	char *script = python_script_path("count.py"), err[256] = "";
	bool gil = true, have_py = true, py_ok = false;
	int reps = 3, rc = 1;
	long pus = sysconf(_SC_NPROCESSORS_ONLN);
	double cpu;

	lesson_title(c, "gil", "threads vs processes, C vs Python");
	lesson_do(c, "The seed's experiment: %d tasks each count from 0 to N, "
		  "serially, in %d threads, in %d processes; best of %d runs "
		  "each. Seed (Python, N = 10^9): threads over 4 min, processes "
		  "1.5 min.", TASKS, TASKS, TASKS, reps);

	/* Size both languages so one task takes about target_ns here. */
	t0 = now_ns();
	count_loop(20000000);
	nc = (uint64_t)(20000000.0 * (double)target_ns / (double)(now_ns() - t0 + 1));
	np = c->quick ? 200000 : 1000000;
	t0 = py_run(script, "serial", np, &gil, &cpu, err, sizeof err);
	if (t0)                         /* that was 4 tasks: scale from one */
		np = (uint64_t)((double)np * (double)target_ns / ((double)t0 / TASKS));
	if (np < 1)
		np = 1;
	lesson_saw(c, "N = %llu for C and %llu for Python: about %s per task each",
		   (unsigned long long)nc, (unsigned long long)np, lesson_dur((double)target_ns));

	for (int r = 0; r < reps; r++)
		for (int w = 0; w < NWAYS; w++) {
			uint64_t ns = c_run(c, w, nc);
			if (!ns) {
				lesson_fail(c, "C %s: %s", way_names[w], strerror(errno));
				goto out;
			}
			add_run(&tc[w], ns);
		}
	for (int r = 0; r < reps && have_py; r++)
		for (int w = 0; w < NWAYS && have_py; w++) {
			uint64_t ns = py_run(script, py_modes[w], np, &gil, &cpu, err, sizeof err);
			if (!(have_py = ns != 0))
				break;
			if (!tp[w].best_ns || ns < tp[w].best_ns)
				tp[w].cpu_per_wall = cpu;   /* that of the fastest run */
			add_run(&tp[w], ns);
		}

	lesson_saw(c, "%-8s %11s %11s %11s", "", "serial", "threads", "processes");
	table_row(c, "C", tc);
	if (have_py) {
		table_row(c, "Python", tp);
		if (tp[THREADS].cpu_per_wall >= 0 && tp[PROCESSES].cpu_per_wall >= 0) {
			lesson_saw(c, "Python CPU time / wall time: threads %.2f, "
				   "processes %.2f (n: n cores busy on average)",
				   tp[THREADS].cpu_per_wall, tp[PROCESSES].cpu_per_wall);
			lesson_claim(c, "Python threads CPU/wall: %.2f", tp[THREADS].cpu_per_wall);
		} else {
			lesson_saw(c, "Python CPU time: unknown (the interpreter ran "
				   "for less time than it reported)");
		}
	} else {
		lesson_saw(c, "Python part skipped: %s (script %s)", err, script);
	}
	conclude(c, "C", tc);
	if (have_py) {
		py_ok = conclude(c, "Python", tp);
		lesson_saw(c, "Python threads / processes time: %.2fx here; the "
			   "seed's: over 2.7x (4+ min / 1.5 min)",
			   (double)tp[THREADS].best_ns / (double)tp[PROCESSES].best_ns);
	}
	explain(c, tc, tp, have_py, py_ok, gil, pus > 0 ? pus : 1);
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
