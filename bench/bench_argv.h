/* bench_argv.h: a `tvp bench` group as a `tvp run` command line. */
#ifndef BENCH_ARGV_H
#define BENCH_ARGV_H

#include <stddef.h>

#include "bench/bench_plan.h"

/* The `tvp run` arguments of group g ("run", "--workload", ...; static or
 * into buf, valid while buf and p live): what the run loop parses into the
 * group's option set. Returns argc (at most BENCH_MAX_ARGS). */
int bench_group_argv(const struct bench_plan *p, const struct bench_group *g, char **argv,
		     char *buf, size_t buflen);

#endif
