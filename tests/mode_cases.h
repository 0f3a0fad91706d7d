/* mode_cases.h: running one mode on a workload instance in the test process,
 * as the run loop does (arrays from mode_run_alloc_arrays, setup, ready,
 * execute, collect, teardown), for the tests that compare every mode with
 * serial. */
#ifndef MODE_CASES_H
#define MODE_CASES_H

#include <stdbool.h>
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

/* Runs mode md (channel: for modes that take one, else ignored) with
 * workers workers over tasks tasks of wi; fails the test if the mode fails
 * or leaves a child behind. Free o with free_outcome. */
static inline void run_mode(const struct mode *md, enum channel_kind channel,
			    struct workload_inst *wi, unsigned workers, uint64_t tasks,
			    struct outcome *o)
{
	const char *name = md->name;
	struct mode_run m;
	int rc;

	memset(&m, 0, sizeof m);
	m.wi = wi;
	m.workers = workers;
	m.channel = channel;
	mode_run_alloc_arrays(&m, tasks);
	rc = md->setup ? md->setup(&m) : 0;
	ck_assert_msg(rc == 0, "%s setup: %s", name, m.err);
	rc = md->ready ? md->ready(&m) : 0;
	ck_assert_msg(rc == 0, "%s ready: %s", name, m.err);
	rc = md->execute(&m);
	ck_assert_msg(rc == 0, "%s execute: %d %s", name, rc, m.err);
	if (md->collect)
		md->collect(&m);
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


/* Checks every mode that modes_match(md) selects against serial on workload
 * wname at size, with 1, 3 and 8 workers (fewer and more than cores), on
 * both channels for the modes that take one: task for task, the same status
 * and result bytes; the workers' statistics account for every task. */
static inline void check_modes_vs_serial(const char *wname, const char *size, uint64_t tasks,
					 bool (*modes_match)(const struct mode *md))
{
	static const unsigned worker_counts[] = { 1, 3, 8 };
	static const enum channel_kind channels[] = { CHANNEL_PIPE, CHANNEL_SHM };
	const struct workload *wl = workload_find(wname);
	struct workload_inst wi = { 0 };
	struct outcome serial;
	size_t checked = 0;
	char err[256];

	ck_assert_msg(wl != NULL, "workload %s is not registered", wname);
	wi.wl = wl;
	ck_assert_msg(wl->parse_size(size, &wi.size, err, sizeof err), "%s", err);
	if (wl->setup)
		ck_assert_int_eq(wl->setup(&wi, err, sizeof err), 0);
	run_mode(modes[0], CHANNEL_PIPE, &wi, 1, tasks, &serial);
	ck_assert(modes[0]->flags & MODE_SERIAL);
	for (uint64_t i = 0; i < tasks; i++) {
		ck_assert_int_eq(serial.status[i], 0);
		ck_assert_msg(wl->verify(&wi, i, &serial.results[i], err, sizeof err), "%s", err);
	}
	for (size_t k = 0; k < modes_count; k++) {
		const struct mode *md = modes[k];
		size_t n_ch = md->flags & MODE_CHANNEL ? 2 : 1;

		if (!modes_match(md))
			continue;
		checked++;
		for (size_t ch = 0; ch < n_ch; ch++)
			for (size_t w = 0; w < sizeof worker_counts / sizeof worker_counts[0]; w++) {
				struct outcome o;
				size_t bad = 0;

				run_mode(md, channels[ch], &wi, worker_counts[w], tasks, &o);
				/* A process pool may list replaced workers too. */
				if (md->flags & MODE_FORKS)
					ck_assert_uint_ge(o.n_wstats, worker_counts[w]);
				else
					ck_assert_uint_eq(o.n_wstats, worker_counts[w]);
				ck_assert_uint_eq(o.tasks_in_stats, tasks);
				for (uint64_t i = 0; i < tasks; i++)
					bad += o.status[i] != serial.status[i] ||
					       o.results[i].len != serial.results[i].len ||
					       memcmp(task_result_data(&o.results[i]),
						      task_result_data(&serial.results[i]),
						      serial.results[i].len) != 0;
				ck_assert_msg(bad == 0, "%s %s/%s x%u: %zu tasks differ from serial", wname,
					      md->name, n_ch > 1 ? (ch ? "shm" : "pipe") : "-",
					      worker_counts[w], bad);
				free_outcome(&o);
			}
	}
	ck_assert_msg(checked > 0, "no mode was checked");
	free_outcome(&serial);
	if (wl->teardown)
		wl->teardown(&wi);
	tvp_assert_no_children();
}

#endif
