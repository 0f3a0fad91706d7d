/* registry.c: every workload `tvp run --workload` knows, in --help order. */
#include "workloads/workload.h"

extern const struct workload workload_count;
extern const struct workload workload_noop;
extern const struct workload workload_sleep;
extern const struct workload workload_fileio;
extern const struct workload workload_net;
extern const struct workload workload_mixed;
extern const struct workload workload_transfer;
extern const struct workload workload_contention;

const struct workload *const workloads[] = {
	&workload_count,
	&workload_noop,
	&workload_sleep,
	&workload_fileio,
	&workload_net,
	&workload_mixed,
	&workload_transfer,
	&workload_contention,
};
const size_t workloads_count = sizeof workloads / sizeof workloads[0];
