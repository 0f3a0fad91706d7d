/* omp.c: the `omp` mode: an OpenMP thread team (libgomp) runs the tasks in a
 * `parallel for schedule(dynamic) num_threads(WORKERS)` loop, the way HPC
 * codes share a loop among a process's cores.
 *
 * Lesson: OpenMP is a thread pool the compiler writes for you. The team is
 * made at the first parallel region and kept for the next ones, so a region
 * costs a wake-up and a barrier, not thread creations; schedule(dynamic)
 * hands out one iteration at a time from a shared counter, as a pool's queue
 * does. Compare its ns/task with thread-pool's.
 *
 * DESIGN
 * The team lives in the tvp process, so tasks write their results in place
 * as thread-pool's do (no bytes copied), and it must be gone before any
 * later cell forks: tvp's fork pools refuse to fork while other threads
 * exist, and libgomp keeps its team (detached threads) alive after a region.
 * So:
 *   setup (not timed) runs one empty region of WORKERS threads: libgomp
 *   creates the team there, and each thread binds itself with the --pin plan
 *   (pin_bind_thread, as pool threads do; OMP_PLACES and OMP_PROC_BIND are
 *   not used, so one plan places every mode) and records the binding in its
 *   worker_stats;
 *   execute (timed) is the parallel loop; each thread counts its tasks, busy
 *   time and CPUs; Ctrl-C is seen between tasks (an OpenMP loop cannot be
 *   left early, so the remaining iterations return at once) -> -EINTR;
 *   teardown releases the team with omp_pause_resource_all(omp_pause_hard)
 *   (OpenMP 5.0; libgomp frees its thread pool), then waits until
 *   /proc/self/status counts one thread again (the detached threads finish
 *   exiting a moment after the pause returns), for at most TEAM_EXIT_NS,
 *   and gives the calling thread back the CPUs it had before setup.
 * The calling thread is the team's thread 0, so the plan binds it too; left
 * bound, every thread and process tvp made afterwards inherited its one PU:
 * in `tvp run --workload count --mode serial,thread-pool,omp --pin
 * none,scatter --workers 2` the unpinned thread-pool and omp ran at 1.00x
 * and 0.98x (2.03x without omp in the run), and make bench's unpinned count
 * cells, which follow omp@scatter ones, found pinning "51-96% faster".
 * Only this file is compiled with -fopenmp (see the Makefile's OpenMP block).
 */
#include "bench/modes/mode.h"
#include "bench/modes/omp_team.h"

#ifdef _OPENMP   /* the Makefile compiles this file with -fopenmp when cc has it */
#include <errno.h>
#include <omp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/util.h"
#include "par/pin.h"
#include "par/proc.h"

#define TEAM_EXIT_NS 2000000000ull   /* a team that does not end: a bug, not noise */

struct omp_state {
	struct task_arg *args;
	cpu_set_t caller_cpus;          /* the calling thread's, before setup */
	bool have_caller_cpus;
};

/* Gives the calling thread back the CPUs it had before setup. */
static void restore_caller(struct omp_state *st)
{
	if (st && st->have_caller_cpus)
		sched_setaffinity(0, sizeof st->caller_cpus, &st->caller_cpus);
}

static void note_thread(struct worker_stats *ws)
{
	ws->pid = (int32_t)getpid();
	ws->tid = (int32_t)syscall(SYS_gettid);
}

static int omp_setup(struct mode_run *m)
{
	struct omp_state *st = xcalloc(1, sizeof *st);
	int nthreads = (int)(m->workers ? m->workers : 1);
	int got = 0;

	m->wstats = xcalloc((size_t)nthreads, sizeof *m->wstats);
	m->n_wstats = (unsigned)nthreads;
	st->args = xmalloc(m->tasks * sizeof *st->args);
	/* pid 0: the calling thread only, which the region below binds. */
	st->have_caller_cpus = sched_getaffinity(0, sizeof st->caller_cpus, &st->caller_cpus) == 0;
	for (uint64_t i = 0; i < m->tasks; i++)
		st->args[i] = (struct task_arg){ .wi = m->wi, .index = i };
	/* Dynamic adjustment would let libgomp give fewer threads than asked. */
	omp_set_dynamic(0);
#pragma omp parallel num_threads(nthreads)
	{
		struct worker_stats *ws = &m->wstats[omp_get_thread_num()];

		note_thread(ws);
		pin_bind_thread(m->pin, (unsigned)omp_get_thread_num(), ws);
#pragma omp single
		got = omp_get_num_threads();
	}
	m->state = st;
	if (got != nthreads) {
		snprintf(m->err, sizeof m->err, "OpenMP gave %d threads, %d asked for", got, nthreads);
		omp_team_release();
		restore_caller(st);
		free(st->args);
		free(st);
		m->state = NULL;
		return -EAGAIN;
	}
	return 0;
}

static int omp_execute(struct mode_run *m)
{
	struct omp_state *st = m->state;
	int nthreads = (int)m->n_wstats;
	int64_t tasks = (int64_t)m->tasks;
	int interrupted = 0;

#pragma omp parallel num_threads(nthreads)
	{
		struct worker_stats *ws = &m->wstats[omp_get_thread_num()];

		note_thread(ws);
		pin_note_cpu(ws);
#pragma omp for schedule(dynamic) nowait
		for (int64_t i = 0; i < tasks; i++) {
			uint64_t t0;

			if (tvp_interrupted) {
#pragma omp atomic write
				interrupted = 1;
				continue;
			}
			t0 = now_ns();
			m->status[i] = workload_run_task(&st->args[i], sizeof st->args[i], &m->results[i]);
			ws->busy_ns += now_ns() - t0;
			ws->tasks++;
		}
		pin_note_cpu(ws);
	}
	return interrupted ? -EINTR : 0;
}

int omp_team_release(void)
{
	omp_pause_resource_all(omp_pause_hard);
	if (proc_threads_settle(1, TEAM_EXIT_NS) <= 1)
		return 0;
	fprintf(stderr, "tvp: omp: the OpenMP team is still alive %.1f s after release\n",
		TEAM_EXIT_NS / 1e9);
	return -EBUSY;
}

static void omp_teardown(struct mode_run *m)
{
	struct omp_state *st = m->state;

	omp_team_release();
	restore_caller(st);
	if (st)
		free(st->args);
	free(st);
	m->state = NULL;
	mode_run_free_wstats(m);
}

const struct mode mode_omp = {
	.name = "omp",
	.summary = "an OpenMP team of WORKERS threads runs the tasks in a parallel for, schedule(dynamic) (libgomp)",
	.family = MODE_FAMILY_POOL,
	.flags = 0,
	.setup = omp_setup,
	.execute = omp_execute,
	.teardown = omp_teardown,
};
#endif
