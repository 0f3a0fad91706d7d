/* bench_calibrate.c: the one measurement `tvp bench` takes before planning:
 * the serial time of one task of every group that computes or waits (the
 * fastest of two runs: a preempted run only ever looks slower), after
 * sizing a workload that can calibrate itself (count) to a task of the
 * floor. The estimate then rests on this machine as it is now, not on
 * figures from another day. */
#include "bench/bench_calibrate.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench/util.h"

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

int bench_calibrate(struct bench_plan *p, char *err, size_t errlen)
{
	uint64_t target = p->settings.quick ? BENCH_FLOOR_NS / 2 : BENCH_FLOOR_NS;

	for (size_t i = 0; i < p->n_groups; i++) {
		struct bench_group *g = &p->groups[i];
		char why[400] = "";
		double ns;
		int rc;

		if (!g->measure_task)
			continue;
		if (g->wl->calibrate && g->wl->kind == WORKLOAD_CPU)
			g->size = g->wl->calibrate(target);
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
	return 0;
}
