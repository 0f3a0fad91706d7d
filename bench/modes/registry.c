/* registry.c: every mode `tvp run --mode` knows; serial first, the baseline. */
#include "bench/modes/mode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/util.h"
#include "par/shared_mem.h"

extern const struct mode mode_serial;
extern const struct mode mode_thread_spawn;
extern const struct mode mode_thread_pool;
extern const struct mode mode_executor_thread;
extern const struct mode mode_fork_spawn;
extern const struct mode mode_fork_pool;
extern const struct mode mode_executor_fork;
extern const struct mode mode_omp;
extern const struct mode mode_mpi;

const struct mode *const modes[] = {
	&mode_serial,
	&mode_thread_spawn,
	&mode_thread_pool,
	&mode_executor_thread,
	&mode_fork_spawn,
	&mode_fork_pool,
	&mode_executor_fork,
#ifdef TVP_HAVE_OMP   /* built with -fopenmp (the Makefile's OpenMP block) */
	&mode_omp,
#endif
#ifdef TVP_HAVE_MPI   /* tvp-mpi-worker built (Open MPI installed) */
	&mode_mpi,
#endif
};
const size_t modes_count = sizeof modes / sizeof modes[0];

const struct mode *mode_find(const char *name)
{
	for (size_t i = 0; i < modes_count; i++)
		if (strcmp(modes[i]->name, name) == 0)
			return modes[i];
	return NULL;
}

const char *mode_kind_name(const struct mode *m)
{
	if (m->flags & MODE_SERIAL)
		return "serial";
	return m->flags & MODE_FORKS ? "process" : "thread";
}

/* Each array is shared memory (par/shared_mem.h), allocated before the
 * mode's setup, so a fork pool's workers (forked in setup) read the
 * arguments and write small results where they lie, as a thread pool's do:
 * a process pool that copies every result back on the parent's one core
 * measured 3-4 times the thread pool's time on a million empty tasks, and
 * that was tvp's design, not a property of processes. A fork per task
 * copies no page table entries for a shared mapping, as it did none for
 * the MADV_DONTFORK private arrays this replaced. */
static void *map_array(size_t bytes)
{
	unsigned char *p = pool_shared_alloc(bytes ? bytes : 1);
	volatile unsigned char *b = p;

	if (!p) {
		fprintf(stderr, "tvp: out of memory mapping %zu bytes\n", bytes);
		abort();
	}
	/* Write every page now: a fresh mapping's first touches are page
	 * faults, which must not be timed. (Zero is what the page holds.) */
	for (size_t i = 0; i < bytes; i += 4096)
		b[i] = 0;
	return p;
}

void mode_run_alloc_arrays(struct mode_run *m, uint64_t tasks)
{
	m->tasks = tasks;
	m->status = map_array(tasks * sizeof *m->status);
	m->results = map_array(tasks * sizeof *m->results);
}

void mode_run_free_wstats(struct mode_run *m)
{
	free(m->wstats);
	m->wstats = NULL;
	m->n_wstats = 0;
}

void mode_run_free_arrays(struct mode_run *m)
{
	for (uint64_t i = 0; i < m->tasks && m->results; i++)
		task_result_release(&m->results[i]);
	if (m->status)
		pool_shared_free(m->status, m->tasks ? m->tasks * sizeof *m->status : 1);
	if (m->results)
		pool_shared_free(m->results, m->tasks ? m->tasks * sizeof *m->results : 1);
	m->status = NULL;
	m->results = NULL;
}
