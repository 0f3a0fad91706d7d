/* bench_calibrate.h: measuring the task times `tvp bench` plans from. */
#ifndef BENCH_CALIBRATE_H
#define BENCH_CALIBRATE_H

#include <stddef.h>

#include "bench/bench_plan.h"

/* Measures the hand-off of every parallel mode (a short noop measurement
 * at the PUs' worker count) into p->machine; then, for every group marked
 * measure_task, sizes a self-calibrating CPU workload to a task of the
 * floor and times one task serially (set-up and teardown around it, not
 * timed) as the group's task time (source MEASURED). Call after
 * bench_plan_init, while the process has one thread and the topology is
 * loaded, then bench_plan_fit. Returns 0, -EINTR when interrupted, or a
 * negative errno with what failed in err. */
int bench_calibrate(struct bench_plan *p, char *err, size_t errlen);

#endif
