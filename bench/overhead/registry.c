/* registry.c: every kernel `tvp overhead` knows, one line per kernel file,
 * in --list order (see ovh.h). */
#include "bench/overhead/ovh.h"

#include <string.h>

#include "bench/util.h"

extern const struct ovh_bench ovh_create_benches[], ovh_handoff_benches[], ovh_wakeup_benches[],
	ovh_ipc_benches[], ovh_memory_benches[];
extern const size_t ovh_create_benches_count, ovh_handoff_benches_count, ovh_wakeup_benches_count,
	ovh_ipc_benches_count, ovh_memory_benches_count;

static const struct ovh_set sets[] = {
	{ ovh_create_benches, &ovh_create_benches_count },
	{ ovh_handoff_benches, &ovh_handoff_benches_count },
	{ ovh_wakeup_benches, &ovh_wakeup_benches_count },
	{ ovh_ipc_benches, &ovh_ipc_benches_count },
	{ ovh_memory_benches, &ovh_memory_benches_count },
};

size_t ovh_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
		n += *sets[i].count;
	return n;
}

const struct ovh_bench *ovh_get(size_t i)
{
	for (size_t k = 0; k < ARRAY_SIZE(sets); k++) {
		if (i < *sets[k].count)
			return &sets[k].benches[i];
		i -= *sets[k].count;
	}
	return NULL;
}

const struct ovh_bench *ovh_find(const char *name)
{
	for (size_t i = 0, n = ovh_count(); i < n; i++)
		if (strcmp(ovh_get(i)->name, name) == 0)
			return ovh_get(i);
	return NULL;
}
