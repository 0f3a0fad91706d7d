/* pin_json.c: the driver's JSON and help text for placement: the topology
 * summary every results file carries, a plan as JSON, and --pin's help.
 * Kept out of the runtime (par/pin.c), which writes no JSON and no CLI
 * text. */
#include "bench/pin_json.h"

#include <stdlib.h>
#include <string.h>

#include "par/sys.h"

const char pin_json_policy_help[] =
	"    none            the scheduler decides (no binding)\n"
	"    compact, close  fill the PUs of one core, then the next core, then\n"
	"                    the next package\n"
	"    scatter, spread spread over packages and cores first: one worker per\n"
	"                    core while cores last (hwloc_distrib)\n"
	"    pu:LIST         worker i on the i-th listed PU, e.g. pu:0,2,4-7\n"
	"    core:LIST       worker i on the i-th listed core, e.g. core:0-3\n"
	"    LIST indexes are logical, counting only the PUs/cores this process may\n"
	"    use ('tvp topo' shows them). More workers than places wrap around.";

static const char *cache_kind(hwloc_obj_cache_type_t t)
{
	switch (t) {
	case HWLOC_OBJ_CACHE_DATA: return "data";
	case HWLOC_OBJ_CACHE_INSTRUCTION: return "instruction";
	default: return "unified";
	}
}

/* Adds one cache to the summary: caches of the same level, kind and size
 * are one entry with a count. */
static void add_cache(json_t *caches, hwloc_obj_t o)
{
	const char *kind = cache_kind(o->attr->cache.type);
	size_t i;
	json_t *c;

	json_array_foreach(caches, i, c) {
		if (json_integer_value(json_object_get(c, "level")) == (json_int_t)o->attr->cache.depth &&
		    strcmp(json_string_value(json_object_get(c, "type")), kind) == 0 &&
		    json_integer_value(json_object_get(c, "size_bytes")) == (json_int_t)o->attr->cache.size) {
			json_object_set_new(c, "count",
					    json_integer(json_integer_value(json_object_get(c, "count")) + 1));
			return;
		}
	}
	json_array_append_new(caches, json_pack("{s:I, s:s, s:I, s:I}",
						"level", (json_int_t)o->attr->cache.depth,
						"type", kind,
						"size_bytes", (json_int_t)o->attr->cache.size,
						"count", (json_int_t)1));
}

static const char *cpu_model(hwloc_topology_t t)
{
	hwloc_obj_t o = NULL;
	const char *m;

	while ((o = hwloc_get_next_obj_by_type(t, HWLOC_OBJ_PACKAGE, o)))
		if ((m = hwloc_obj_get_info_by_name(o, "CPUModel")))
			return m;
	return hwloc_obj_get_info_by_name(hwloc_get_root_obj(t), "CPUModel");
}

json_t *pin_json_topology(void)
{
	hwloc_topology_t topo = pin_topology(), machine = pin_machine_topology();
	static const hwloc_obj_type_t cache_types[] = {
		HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L1ICACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L2ICACHE,
		HWLOC_OBJ_L3CACHE, HWLOC_OBJ_L3ICACHE, HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
	};
	json_t *j, *caches;
	const char *model;
	char *allowed;

	if (!topo)
		return NULL;
	caches = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(cache_types); i++) {
		hwloc_obj_t o = NULL;
		while ((o = hwloc_get_next_obj_by_type(machine, cache_types[i], o)))
			add_cache(caches, o);
	}
	hwloc_bitmap_list_asprintf(&allowed, pin_allowed_cpuset());
	j = json_pack("{s:b, s:i, s:i, s:i, s:i, s:s, s:i, s:i, s:o}",
		      "this_system", hwloc_topology_is_thissystem(machine),
		      "packages", hwloc_get_nbobjs_by_type(machine, HWLOC_OBJ_PACKAGE),
		      "numa_nodes", hwloc_get_nbobjs_by_type(machine, HWLOC_OBJ_NUMANODE),
		      "cores", hwloc_get_nbobjs_by_type(machine, HWLOC_OBJ_CORE),
		      "pus", hwloc_get_nbobjs_by_type(machine, HWLOC_OBJ_PU),
		      "allowed_pus", allowed,
		      "allowed_pu_count", hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU),
		      "allowed_cores", hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE),
		      "caches", caches);
	free(allowed);
	if ((model = cpu_model(machine))) {
		/* hwloc passes on the CPUID string as is, trailing blanks too. */
		int len = (int)strlen(model);
		while (len > 0 && (model[len - 1] == ' ' || model[len - 1] == '\t'))
			len--;
		json_object_set_new(j, "cpu_model", json_stringn(model, (size_t)len));
	}
	return j;
}

json_t *pin_json_plan(const struct pin_plan *p)
{
	json_t *sets = json_array();

	if (!pin_plan_is_none(p))
		for (unsigned i = 0; i < pin_plan_workers(p); i++) {
			char *t;
			hwloc_bitmap_list_asprintf(&t, pin_plan_cpuset(p, i));
			json_array_append_new(sets, json_string(t));
			free(t);
		}
	return json_pack("{s:s, s:i, s:b, s:o}", "policy", pin_plan_policy(p),
			 "workers", (int)pin_plan_workers(p), "wraps", pin_plan_wraps(p),
			 "cpusets", sets);
}
