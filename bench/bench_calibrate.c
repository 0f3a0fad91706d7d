/* bench_calibrate.c: what `tvp bench` measures before planning: the serial
 * time of one task of every group that computes or waits (the fastest of
 * two runs: a preempted run only ever looks slower), after sizing a
 * workload that can calibrate itself (count) to a task of the floor; and
 * the hand-off cost of every mode, from one short noop measurement each
 * through the run loop's own measure(). The estimate then rests on this
 * machine as it is now: a fork here has cost 0.3 ms on a quiet afternoon
 * and 6 ms under other builds. */
#include "bench/bench_calibrate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/capacity.h"
#include "bench/run/measure.h"
#include "bench/stats.h"
#include "bench/util.h"
#include "par/pin.h"

/* Times task 0 of g's workload at g's size twice. Returns 0 with the faster
 * time, or a negative errno with why in err. */
static int time_task(const struct bench_group *g, double *ns, char *err, size_t errlen)
{
	struct workload_inst wi = { .wl = g->wl, .size = g->size };
	const struct workload *wl = g->wl;
	double best = 0;
	int rc = 0;

	if (wl->setup && (rc = wl->setup(&wi, err, errlen)) != 0)
		return rc;
	for (int i = 0; i < 2 && rc == 0; i++) {
		struct task_result r = { 0 };
		uint64_t t0;

		if (wl->prepare && (rc = wl->prepare(&wi, err, errlen)) != 0)
			break;
		t0 = now_ns();
		rc = wl->task(&wi, 0, &r);
		if (rc == 0 && (best == 0 || (double)(now_ns() - t0) < best))
			best = (double)(now_ns() - t0);
		if (rc != 0)
			snprintf(err, errlen, "%s", r.len ? (const char *)task_result_data(&r) : strerror(-rc));
		task_result_release(&r);
	}
	if (wl->teardown)
		wl->teardown(&wi);
	*ns = best;
	return rc;
}

/* Tasks for one hand-off measurement: a few spawns, more for the rest. */
static uint64_t handoff_tasks(const struct mode *m)
{
	switch (m->family) {
	case MODE_FAMILY_SPAWN: return 16;
	case MODE_FAMILY_EXECUTOR: return 1000;
	default: return 20000;
	}
}

/* Measures the hand-off of every parallel mode at the PUs' worker count
 * into p->machine.handoff_ns, and the time around each measurement's timed
 * call into p->machine.sample_ns. Returns 0, -EINTR, or a negative errno with
 * why in err. */
static int time_handoffs(struct bench_plan *p, char *err, size_t errlen)
{
	const struct workload *noop = NULL;
	struct workload_inst wi = { 0 };
	struct pin_plan *plan = NULL;
	struct capacity cap;
	double around[BENCH_MAX_REG_MODES];
	unsigned n = 0;
	bool probed;
	int rc;

	for (size_t i = 0; i < workloads_count && !noop; i++)
		if (workloads[i]->kind == WORKLOAD_HANDOFF)
			noop = workloads[i];
	if (!noop)
		return 0;
	wi = (struct workload_inst){ .wl = noop, .size = noop->default_size(false) };
	if ((rc = pin_plan_new(&plan, "none", p->machine.pus, err, errlen)) != 0)
		return rc;
	/* Probed as the run loop probes, so that the time around each timed
	 * call is what a sample of the run will cost around it. */
	probed = capacity_init(&cap, NULL, 0, 0) == 0;
	for (size_t i = 1; i < modes_count && i < BENCH_MAX_REG_MODES && rc == 0; i++) {
		/* Over shm, as the groups measure fork pools (bench_group_channels). */
		struct cell c = { .lang = CELL_LANG_C, .wi = &wi, .mode = modes[i],
				  .workers = p->machine.pus, .tasks = handoff_tasks(modes[i]),
				  .size = wi.size, .plan = plan, .pin = "none",
				  .has_channel = modes[i]->flags & MODE_CHANNEL,
				  .channel = CHANNEL_SHM };
		struct sample s;
		uint64_t t0 = now_ns();

		rc = measure(&c, probed ? &cap : NULL, &s, err, errlen);
		if (rc == 0) {
			p->machine.handoff_ns[i] = (double)s.wall_ns / (double)c.tasks;
			around[n++] = (double)(now_ns() - t0) - (double)(s.wall_ns + s.setup_ns);
		}
		sample_release(&s);   /* a failed measurement's figures too */
	}
	/* The median: one teardown held up by the machine is not the rule. */
	qsort(around, n, sizeof around[0], stats_cmp_double);
	if (n > 0 && around[n / 2] > 0)
		p->machine.sample_ns = around[n / 2];
	if (probed)
		capacity_release(&cap);
	pin_plan_free(plan);
	return rc == -1 ? -EIO : rc;
}

/* How many PUs' worth of work a parallel measurement got just now: g's
 * task (one per PU, under the registry's thread pool) against its serial
 * time. Returns 0 and sets p->machine.delivered_pus, or a negative errno. */
static int time_delivered(struct bench_plan *p, const struct bench_group *g, char *err,
			  size_t errlen)
{
	struct workload_inst wi = { .wl = g->wl, .size = g->size };
	const struct mode *pool = NULL;
	struct pin_plan *plan = NULL;
	struct sample s;
	struct cell c;
	int rc;

	for (size_t i = 1; i < modes_count && !pool; i++)
		if (modes[i]->family == MODE_FAMILY_POOL && !(modes[i]->flags & MODE_FORKS))
			pool = modes[i];
	if (!pool || g->task_ns <= 0 || g->wl->setup)
		return 0;
	if ((rc = pin_plan_new(&plan, "none", p->machine.pus, err, errlen)) != 0)
		return rc;
	c = (struct cell){ .lang = CELL_LANG_C, .wi = &wi, .mode = pool, .workers = p->machine.pus,
			   .tasks = p->machine.pus, .size = wi.size, .plan = plan, .pin = "none" };
	rc = measure(&c, NULL, &s, err, errlen);
	if (rc == 0) {
		double got = g->task_ns * p->machine.pus / (double)s.wall_ns;

		p->machine.delivered_pus = got < 1 ? 1 : got > p->machine.pus ? p->machine.pus : got;
	}
	sample_release(&s);
	pin_plan_free(plan);
	return rc == -1 ? -EIO : rc;
}

int bench_calibrate(struct bench_plan *p, char *err, size_t errlen)
{
	int rc;

	if ((rc = time_handoffs(p, err, errlen)) != 0)
		return rc;
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i].wl->kind == WORKLOAD_HANDOFF)
			p->groups[i].source = BENCH_COST_MEASURED;
	for (size_t i = 0; i < p->n_groups; i++) {
		struct bench_group *g = &p->groups[i];
		char why[400] = "";
		double ns;

		if (!g->measure_task)
			continue;
		if (g->wl->calibrate && g->wl->kind == WORKLOAD_CPU)
			g->size = g->wl->calibrate(BENCH_FLOOR_NS);
		if ((rc = time_task(g, &ns, why, sizeof why)) != 0) {
			snprintf(err, errlen, "workload %s: %s", g->name, why[0] ? why : strerror(-rc));
			return rc;
		}
		if (ns > 0) {
			g->task_ns = ns;
			g->source = BENCH_COST_MEASURED;
		}
		if (tvp_interrupted)
			return -EINTR;
	}
	/* The first CPU group that needs no set-up (count) says what the PUs
	 * deliver together. */
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i].wl->kind == WORKLOAD_CPU && !p->groups[i].wl->setup)
			return time_delivered(p, &p->groups[i], err, errlen);
	return 0;
}
