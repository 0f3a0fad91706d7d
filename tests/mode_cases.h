/* mode_cases.h: running one mode on a workload instance in the test process,
 * as the run loop does (arrays from mode_run_alloc_arrays, setup, execute,
 * teardown), for the tests that compare every mode with serial. */
#ifndef MODE_CASES_H
#define MODE_CASES_H

#include <string.h>

#include "bench/modes/mode.h"
#include "testutil.h"
#include "workloads/workload.h"

struct outcome {
	int *status;
	struct task_result *results;
	uint64_t tasks;
	uint64_t tasks_in_stats;    /* tasks the workers' statistics add up to */
	unsigned n_wstats;
};

/* Runs mode name (channel: for modes that take one, else ignored) with
 * workers workers over tasks tasks of wi; fails the test if the mode fails
 * or leaves a child behind. Free o with free_outcome. */
static inline void run_mode(const char *name, const char *channel, struct workload_inst *wi,
			    unsigned workers, uint64_t tasks, struct outcome *o)
{
	const struct mode *md = mode_find(name);
	struct mode_run m;
	int rc;

	ck_assert_msg(md != NULL, "mode %s is not registered", name);
	memset(&m, 0, sizeof m);
	m.wi = wi;
	m.workers = workers;
	m.channel = md->flags & MODE_CHANNEL ? channel : NULL;
	mode_run_alloc_arrays(&m, tasks);
	rc = md->setup ? md->setup(&m) : 0;
	ck_assert_msg(rc == 0, "%s setup: %s", name, m.err);
	rc = md->execute(&m);
	ck_assert_msg(rc == 0, "%s execute: %d %s", name, rc, m.err);
	o->tasks_in_stats = 0;
	for (unsigned i = 0; i < m.n_wstats; i++)
		o->tasks_in_stats += m.wstats[i].tasks;
	o->n_wstats = m.n_wstats;
	if (md->teardown)
		md->teardown(&m);
	o->status = m.status;
	o->results = m.results;
	o->tasks = tasks;
	tvp_assert_no_children();
}

static inline void free_outcome(struct outcome *o)
{
	struct mode_run m;

	memset(&m, 0, sizeof m);
	m.tasks = o->tasks;
	m.status = o->status;
	m.results = o->results;
	mode_run_free_arrays(&m);
}

#endif
