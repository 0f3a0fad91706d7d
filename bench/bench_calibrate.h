/* bench_calibrate.h: measuring the task times `tvp bench` plans from. */
#ifndef BENCH_CALIBRATE_H
#define BENCH_CALIBRATE_H

#include <stddef.h>

#include "bench/bench_plan.h"

/* For every group of p marked measure_task: sizes a self-calibrating CPU
 * workload to a task of the floor (half of it with --quick), then times one
 * task serially (set-up and teardown around it, not timed) and records it
 * as the group's task time (source MEASURED). Call after bench_plan_init,
 * before any worker exists, then bench_plan_fit. Returns 0, -EINTR when
 * interrupted, or a negative errno with "workload NAME: why" in err. */
int bench_calibrate(struct bench_plan *p, char *err, size_t errlen);

#endif
