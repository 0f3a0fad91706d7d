/* registry.c: every workload `tvp run --workload` knows, in --help order. */
#include "workload.h"

extern const struct workload workload_count;

const struct workload *const workloads[] = {
	&workload_count,
};
const size_t workloads_count = sizeof workloads / sizeof workloads[0];
