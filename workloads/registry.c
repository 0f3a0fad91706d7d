/* registry.c: every workload `tvp run --workload` knows, in --help order. */
#include "workload.h"

extern const struct workload workload_count;
extern const struct workload workload_noop;

const struct workload *const workloads[] = {
	&workload_count,
	&workload_noop,
};
const size_t workloads_count = sizeof workloads / sizeof workloads[0];
