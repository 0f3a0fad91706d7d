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

/* The fork pools' channels of group g: "pipe,shm" where the channel is what
 * the group compares (transfer), else "shm", tvp run's default: the bench
 * measures the best process pool tvp has, as it does the best thread pool
 * (a million empty tasks cost a fork pool 2.7 times a thread pool's time
 * over a pipe, 0.93 times over shm: README). NULL for a group without a
 * mode that takes a channel (tvp run refuses a --channel nothing reads). */
const char *bench_group_channels(const struct bench_group *g);

#endif
