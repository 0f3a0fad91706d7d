/* measure.h: one measurement of one C cell, into a struct sample. */
#ifndef RUN_MEASURE_H
#define RUN_MEASURE_H

#include <stddef.h>

#include "bench/run/cells.h"
#include "bench/run/sample.h"

struct capacity;

/* Measures cell c once (see DESIGN in measure.c), probing the machine's
 * capacity with cap before and after (NULL: not probed). Returns 0 with *out filled
 * (round 0; free with sample_release, or hand it to samples_push), -EINTR
 * when interrupted (*out zeroed), or -1 when the cell failed, with why in
 * err ("MODE: ...", "NAME: prepare: ...", "wrong result: ...") and in *out
 * what the failed measurement recorded when it got as far as running (its
 * times, usage and the workload's counters, which say how it failed), else
 * zeros: release it with sample_release too. Call only while the process
 * has one thread. */
int measure(const struct cell *c, struct capacity *cap, struct sample *out, char *err,
	    size_t errlen);

#endif
