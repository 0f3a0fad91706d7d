/* run_mode_opts.h: the options of `tvp run` that set how some modes work:
 * --channel and --start (lists, each value a cell of the modes that take
 * one), --mpi-hosts and --mpi-transport; and the check that every selected
 * workload can run under every selected start method. Part of
 * run_options_parse (bench/run_options.h). */
#ifndef RUN_MODE_OPTS_H
#define RUN_MODE_OPTS_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/run_options.h"

/* --channel LIST (pipe, shm) and --start LIST (fork, spawn, forkserver):
 * each item parsed once into its enum; nothing downstream sees the text.
 * True, or false with "--channel: unknown value 'x'; accepted: pipe, shm"
 * (or an empty item) in err. */
bool run_mode_opts_channels(struct run_options *o, const char *text, char *err, size_t errlen);
bool run_mode_opts_starts(struct run_options *o, const char *text, char *err, size_t errlen);

/* --mpi-hosts FILE (hosts: a readable file) or --mpi-transport sm|tcp. */
bool run_mode_opts_mpi(struct run_options *o, bool hosts, const char *arg, char *err,
		       size_t errlen);

/* After parsing: the defaults (channel shm, start fork) where not given. */
void run_mode_opts_defaults(struct run_options *o);

/* Every selected workload that would have a cell in a process mode, under
 * each start method it would run with, asked (refuse_start) whether it can
 * run there. True, or false with "workload W under MODE (start S): why"
 * in err (exit 2). */
bool run_mode_opts_check(const struct run_options *o, char *err, size_t errlen);

#endif
