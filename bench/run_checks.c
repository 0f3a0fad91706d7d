/* run_checks.c: checks across `tvp run`'s options (run_checks.h). */
#include "bench/run_checks.h"

#include <stdio.h>
#include <string.h>

static bool selected(const struct run_options *o, const struct workload *wl)
{
	for (size_t i = 0; i < o->n_workloads; i++)
		if (o->workloads[i].wl == wl)
			return true;
	return false;
}

bool run_checks_workload_option(const struct run_options *o, const char *name, const char *value,
				char *err, size_t errlen)
{
	const struct workload *owner = NULL;
	bool used = false;

	for (size_t i = 0; i < workloads_count; i++)
		for (const struct workload_option *wo = workloads[i]->options; wo && wo->name; wo++) {
			if (strcmp(wo->name, name) != 0)
				continue;
			owner = owner ? owner : workloads[i];
			if (!selected(o, workloads[i]))
				continue;
			used = true;
		}
	if (!used)
		snprintf(err, errlen, "--%s is an option of workload %s, which is not selected; "
			 "accepted: add it to --workload", name, owner ? owner->name : "?");
	return used;
}
