/* run_checks.h: checks of `tvp run`'s options that look at several at once
 * (a workload's option against the selected workloads and modes), made
 * once the command line is parsed (bench/run_options.c), so that a plan
 * that cannot run is a usage error, not a failure after measuring. */
#ifndef RUN_CHECKS_H
#define RUN_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/run_options.h"

/* Workload option --name was given value: some selected workload must
 * take it (else it would be ignored without a word: `--dir` with count).
 * (A value a mode cannot serve, such as --lock private with processes, is
 * the workload's refuse_start: bench/run_mode_opts.h.) Returns true, or
 * false with a one-line message in err that says what is accepted. */
bool run_checks_workload_option(const struct run_options *o, const char *name, const char *value,
				char *err, size_t errlen);

#endif
