/* bench_print.h: printing the plan of `tvp bench`. */
#ifndef BENCH_PRINT_H
#define BENCH_PRINT_H

#include <stdio.h>

#include "bench/bench_plan.h"

/* Prints plan p (fitted: bench_plan_fit) to f: the machine (host), the
 * budget and rounds, one line per kept group with its estimate, the skipped
 * groups, and the totals; calibration says where the task times came from
 * ("one serial task of each group measured in 0.4 s"). */
void bench_print_plan(FILE *f, const struct bench_plan *p, const char *host,
		      const char *calibration);

#endif
