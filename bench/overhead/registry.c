/* registry.c: every kernel `tvp overhead` knows, one line per kernel file,
 * in --list order (see ovh.h), and the names of groups, kinds and units. */
#include "bench/overhead/ovh.h"

#include <string.h>

#include "bench/util.h"

extern const struct ovh_bench ovh_create_benches[], ovh_handoff_benches[], ovh_wave_benches[],
	ovh_wakeup_benches[],
	ovh_ipc_benches[], ovh_memory_benches[], ovh_start_benches[], ovh_omp_benches[],
	ovh_mpi_benches[];
extern const size_t ovh_create_benches_count, ovh_handoff_benches_count, ovh_wave_benches_count,
	ovh_wakeup_benches_count,
	ovh_ipc_benches_count, ovh_memory_benches_count, ovh_start_benches_count,
	ovh_omp_benches_count, ovh_mpi_benches_count;

/* The OpenMP and Open MPI kernels are listed whether or not they were built
 * (ovh_absent says why not), so a run without them says so. */
static const struct ovh_set sets[] = {
	{ ovh_create_benches, &ovh_create_benches_count },
	{ ovh_handoff_benches, &ovh_handoff_benches_count },
	{ ovh_wave_benches, &ovh_wave_benches_count },
	{ ovh_wakeup_benches, &ovh_wakeup_benches_count },
	{ ovh_ipc_benches, &ovh_ipc_benches_count },
	{ ovh_memory_benches, &ovh_memory_benches_count },
	{ ovh_start_benches, &ovh_start_benches_count },
	{ ovh_omp_benches, &ovh_omp_benches_count },
	{ ovh_mpi_benches, &ovh_mpi_benches_count },
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

/* TVP_HAVE_OMP: built with -fopenmp (the Makefile's OpenMP block, never
 * under TSan); TVP_HAVE_MPI: tvp-mpi-worker built (Open MPI installed). */
const char *ovh_absent(const struct ovh_bench *b)
{
#ifndef TVP_HAVE_OMP
	if (b->flags & OVH_NEEDS_OMP)
		return strstr(TVP_SAN, "thread") ? "not built: no OpenMP in a TSan build"
						 : "not built: the compiler has no OpenMP";
#endif
#ifndef TVP_HAVE_MPI
	if (b->flags & OVH_NEEDS_MPI)
		return "not built: Open MPI not found";
#endif
	return NULL;
}

static const char *const group_names[] = {
	[OVH_GROUP_CREATION] = "creation", [OVH_GROUP_HANDOFF] = "handoff",
	[OVH_GROUP_WAKEUP] = "wakeup",     [OVH_GROUP_IPC] = "ipc",
	[OVH_GROUP_MEMORY] = "memory",     [OVH_GROUP_START] = "start",
};

const char *ovh_group_name(enum ovh_group g)
{
	return group_names[g];
}

static int find_name(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}

int ovh_group_find(const char *name)
{
	return find_name(group_names, ARRAY_SIZE(group_names), name);
}

static const char *const pin_names[] = {
	[OVH_PIN_NONE] = "none", [OVH_PIN_SAME] = "same", [OVH_PIN_DIFF] = "diff",
};

const char *ovh_pin_name(enum ovh_pin p)
{
	return pin_names[p];
}

int ovh_pin_find(const char *name)
{
	return find_name(pin_names, ARRAY_SIZE(pin_names), name);
}

const char *ovh_kind_name(enum ovh_kind k)
{
	static const char *const names[] = {
		[OVH_KIND_THREAD] = "thread", [OVH_KIND_PROCESS] = "process", [OVH_KIND_NONE] = "none",
	};

	return names[k];
}

const char *ovh_unit_name(enum ovh_unit u)
{
	static const char *const names[] = {
		[OVH_UNIT_NS] = "ns", [OVH_UNIT_BYTES_PER_S] = "bytes_per_s", [OVH_UNIT_BYTES] = "bytes",
	};

	return names[u];
}
