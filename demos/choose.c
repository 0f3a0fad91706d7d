/* choose.c: the `choose` lesson, the closing one: a quick benchmark of the
 * CPU-bound count, the IO-bound sleep and the data-moving transfer across
 * every mode, and what it says about threads and processes on this machine.
 *
 * Lesson: the seeds end with a rule of thumb: CPU-bound work wants
 * processes (in Python, because of the GIL), IO-bound work wants threads,
 * and a server mixes them. Rather than repeat the rule, this lesson runs
 * `tvp run` (this very program, /proc/self/exe) on each kind of work,
 * reads its JSON, and states what the numbers show here: the best thread
 * mode against the best process mode (a tie, a winner, or no telling when
 * their runs overlap), and how far past the cores waiting work scales. A
 * workload this build lacks is named and skipped.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <jansson.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "bench/util.h"
#include "workloads/workload.h"

static const struct {
	const char *name, *what;
} kinds[] = {
	{ "count", "CPU-bound" },
	{ "sleep", "IO-bound (waiting)" },
	{ "transfer", "moving data back" },
};

/* Runs tvp run with the given workloads and workers; returns its JSON, or
 * NULL with why in err. */
static json_t *tvp_run(const struct lesson_ctx *c, const char *names, const char *workers,
		       char *err, size_t errlen)
{
	const char *bin = getenv("TVP_BIN");
	int fd[2], efd = memfd_create("tvp-choose-stderr", 0), st;
	char *out = NULL;
	size_t len = 0, cap = 0;
	json_t *j = NULL;
	ssize_t n;
	pid_t pid;

	if (efd < 0 || pipe(fd)) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return NULL;
	}
	pid = lesson_fork(c);
	if (pid == 0) {
		dup2(fd[1], STDOUT_FILENO);
		dup2(efd, STDERR_FILENO);
		close(fd[0]);
		close(fd[1]);
		/* Without --quick: counts of 50M (tens of ms) so that start-up
		 * and noise do not drown the difference. */
		if (c->quick)
			execl(bin && *bin ? bin : "/proc/self/exe", "tvp", "run", "--quick",
			      "--workload", names, "--workers", workers, "--repeat", "3",
			      "--quiet", "--output", "-", (char *)NULL);
		else
			execl(bin && *bin ? bin : "/proc/self/exe", "tvp", "run", "--workload",
			      names, "--workers", workers, "--repeat", "3", "--size",
			      "count=50M", "--quiet", "--output", "-", (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		if (cap - len < 4096)
			out = xrealloc(out, cap = cap * 2 + 65536);
		n = read(fd[0], out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd[0]);
	if (pid > 0 && lesson_wait(pid, &st, -1) == pid && st == 0) {
		out[len] = '\0';
		j = json_loads(out, 0, NULL);
	}
	if (!j) {
		char msg[200] = "";
		ssize_t m = pread(efd, msg, sizeof msg - 1, 0);
		msg[m > 0 ? m : 0] = '\0';
		msg[strcspn(msg, "\n")] = '\0';
		snprintf(err, errlen, "tvp run failed: %s", *msg ? msg : "no JSON");
	}
	close(efd);
	free(out);
	return j;
}

struct best {
	const char *mode;
	double median_ns, min_ns, max_ns, speedup;
};

/* The fastest cell of the given kind ("thread", "process", "serial") for
 * workload at this worker count. */
static struct best best_of(json_t *results, const char *workload, const char *kind,
			   long workers)
{
	struct best b = { NULL, 0, 0, 0, 0 };
	size_t i;
	json_t *r;

	json_array_foreach(results, i, r) {
		json_t *st = json_object_get(r, "stats");
		double med = json_number_value(json_object_get(st, "median_ns"));
		if (strcmp(json_string_value(json_object_get(r, "workload")) ?: "", workload) ||
		    strcmp(json_string_value(json_object_get(r, "kind")) ?: "", kind) ||
		    !json_is_true(json_object_get(r, "verified")) || med <= 0 ||
		    (strcmp(kind, "serial") && json_integer_value(json_object_get(r, "workers")) != workers))
			continue;
		if (!b.mode || med < b.median_ns) {
			b.mode = json_string_value(json_object_get(r, "mode"));
			b.median_ns = med;
			b.min_ns = json_number_value(json_object_get(st, "min_ns"));
			b.max_ns = json_number_value(json_object_get(st, "max_ns"));
			b.speedup = json_number_value(json_object_get(r, "speedup"));
		}
	}
	return b;
}

/* Which kind won, from this run: 1 threads, -1 processes, 0 a tie (the
 * medians within 10%), 2 no telling (the runs of the two overlap). */
static int finding(const struct lesson_ctx *c, const char *name, long pus, long workers,
		   struct best t, struct best p)
{
	double ratio = p.median_ns / t.median_ns;

	lesson_saw(c, "best thread mode:  %-15s %9s median, %.3gx serial", t.mode,
		   lesson_dur(t.median_ns), t.speedup);
	lesson_saw(c, "best process mode: %-15s %9s median, %.3gx serial", p.mode,
		   lesson_dur(p.median_ns), p.speedup);
	if (ratio > 0.9 && ratio < 1.1) {
		lesson_claim(c, "finding: %s: threads and processes tie (medians "
			     "within 10%%) at %ld workers on %ld PUs", name, workers, pus);
		return 0;
	}
	if (t.max_ns >= p.min_ns && p.max_ns >= t.min_ns) {
		lesson_claim(c, "finding: %s: no clear winner at %ld workers: the "
			     "runs overlap (threads %s to %s, processes %s to %s)", name,
			     workers, lesson_dur(t.min_ns), lesson_dur(t.max_ns),
			     lesson_dur(p.min_ns), lesson_dur(p.max_ns));
		return 2;
	}
	lesson_claim(c, "finding: %s: %s are %.1fx faster at %ld workers on %ld PUs",
		     name, ratio > 1 ? "threads" : "processes", ratio > 1 ? ratio : 1 / ratio,
		     workers, pus);
	return ratio > 1 ? 1 : -1;
}

/* Why, for one kind of work, from what this run found. */
static void explain(const struct lesson_ctx *c, const char *name, long pus, long many,
		    int won, struct best t, struct best p, struct best tm, struct best pm)
{
	if (strcmp(name, "count") == 0 && t.speedup > 0.6 * (double)pus &&
	    p.speedup > 0.6 * (double)pus)
		lesson_why(c, "C has no GIL: both kinds used the %ld PUs. Choose "
			   "by what else matters: a crash (the crash lesson), "
			   "memory, start-up cost.", pus);
	else if (strcmp(name, "count") == 0)
		lesson_why(c, "neither kind got near %ld x here: the tasks are "
			   "short%s or the machine is busy (load average: see "
			   "uptime).", pus, c->quick ? " (--quick; try without it)" : "");
	else if (strcmp(name, "sleep") == 0)
		lesson_why(c, "waiting needs no core: %ld waiters on %ld PUs ran "
			   "%.1fx faster than one. Threads are the cheaper waiter; "
			   "in Python they are the right one.", many, pus,
			   tm.speedup > pm.speedup ? tm.speedup : pm.speedup);
	else if (won == 1)
		lesson_why(c, "a thread hands its result over by pointer; a "
			   "process must copy it through a pipe or shared memory, "
			   "and the copy grows with the data.");
	else
		lesson_why(c, "a process must copy its result back, a thread need "
			   "not; at this size the copy did not decide it here.");
}

static int run(const struct lesson_ctx *c)
{
	cpu_set_t set;
	long pus = 1, many;
	char list[64] = "", workers[32], err[256];
	json_t *j, *results;
	int won;

	lesson_title(c, "choose", "when threads, when processes, here");
	if (sched_getaffinity(0, sizeof set, &set) == 0)
		pus = CPU_COUNT(&set);
	many = 4 * pus;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (workload_find(kinds[i].name))
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
				 *list ? "," : "", kinds[i].name);
		else
			lesson_saw(c, "%s: not in this build of tvp yet; skipped", kinds[i].name);
	}
	snprintf(workers, sizeof workers, "%ld,%ld", pus, many);
	lesson_do(c, "tvp run%s --workload %s --workers %s, every mode, 3 "
		  "runs each (this machine may run %ld at once). %s.",
		  c->quick ? " --quick" : "", list, workers, pus,
		  c->quick ? "A few seconds" : "About ten seconds");
	if (!(j = tvp_run(c, list, workers, err, sizeof err)))
		return lesson_fail(c, "%s", err);
	results = json_object_get(j, "results");

	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const char *name = kinds[i].name;
		struct best t = best_of(results, name, "thread", pus);
		struct best p = best_of(results, name, "process", pus);
		struct best tm = best_of(results, name, "thread", many);
		struct best pm = best_of(results, name, "process", many);

		if (!workload_find(name))
			continue;
		if (!t.mode || !p.mode || !tm.mode || !pm.mode) {
			lesson_saw(c, "%s: no verified cells to compare", name);
			continue;
		}
		lesson_do(c, "%s, %s, %ld workers:", name, kinds[i].what, pus);
		won = finding(c, name, pus, pus, t, p);
		lesson_saw(c, "at %ld workers (4 per PU): threads %.3gx, processes %.3gx",
			   many, tm.speedup, pm.speedup);
		explain(c, name, pus, many, won, t, p, tm, pm);
	}
	lesson_saw(c, "And in Python, CPU-bound work wants processes (the gil "
		   "lesson). Like nginx: a process per core for isolation and "
		   "cores, threads inside for the waiting.");
	json_decref(j);
	return 0;
}

const struct lesson lesson_choose = {
	.name = "choose",
	.summary = "closing: a quick bench says when threads, when processes",
	.seed = "002_67176fade4ba4dd9.txt",
	.run = run,
};
