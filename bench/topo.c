/* topo.c: `tvp topo`: the machine as hwloc sees it, which of its CPUs this
 * process may use, and (with --pin) where each worker of a plan would run.
 * The same data as the results JSON's "topology" object (par/pin.h). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/cli.h"
#include "bench/commands.h"
#include "bench/pin_json.h"
#include "par/pin.h"
#include "bench/util.h"

#define TOPO_MAX_WORKERS 65536
#define TOPO_MAX_XML_BYTES (64ll << 20)   /* a 1000-core machine's XML is a few MiB */

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp topo [--workers N] [--pin POLICY] [--json]\n\n"
		   "Shows the machine as hwloc sees it: packages, NUMA nodes, caches, cores and\n"
		   "PUs (hardware threads), and which PUs this process may use (its cgroup and\n"
		   "taskset). With --pin, also the plan: where each of N workers would run.\n\n"
		   "options:\n"
		   "  --pin POLICY   show the placement plan for POLICY:\n%s\n"
		   "  --workers N    workers in the plan (default: the PUs this process may use)\n"
		   "  --json         print JSON instead of text\n"
		   "  --help         this text\n\n"
		   "HWLOC_SYNTHETIC=\"pack:2 core:4 pu:2\" or HWLOC_XMLFILE=FILE describe another\n"
		   "machine (plans only: nothing is bound).\n",
		pin_json_policy_help);
}

static void format_size(char *buf, size_t len, uint64_t bytes)
{
	if (bytes >= (1ull << 30) && bytes % (1ull << 30) == 0)
		snprintf(buf, len, "%llu GiB", (unsigned long long)(bytes >> 30));
	else if (bytes >= (1ull << 20) && bytes % (1ull << 20) == 0)
		snprintf(buf, len, "%llu MiB", (unsigned long long)(bytes >> 20));
	else if (bytes >= (1ull << 30))
		snprintf(buf, len, "%.1f GiB", (double)bytes / (1ull << 30));
	else if (bytes >= (1ull << 10))
		snprintf(buf, len, "%llu KiB", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, len, "%llu B", (unsigned long long)bytes);
}

/* The logical indexes, among the allowed objects of type, of those whose
 * cpuset meets set: what a user would write after pu: or core:. */
static void logical_list(hwloc_const_cpuset_t set, hwloc_obj_type_t type, char *buf, size_t len)
{
	hwloc_topology_t t = pin_topology();
	hwloc_bitmap_t idx = hwloc_bitmap_alloc();
	hwloc_obj_t o = NULL;

	while ((o = hwloc_get_next_obj_by_type(t, type, o)))
		if (hwloc_bitmap_intersects(o->cpuset, set))
			hwloc_bitmap_set(idx, o->logical_index);
	if (hwloc_bitmap_iszero(idx))
		snprintf(buf, len, "-");
	else
		hwloc_bitmap_list_snprintf(buf, len, idx);
	hwloc_bitmap_free(idx);
}

/* One object of the machine tree: "Core L#0", "PU L#1 (P#1)", "L2 L#0
 * (1 MiB)", "NUMANode L#0 (P#0 4.0 GiB)". */
static void describe(hwloc_obj_t o, char *buf, size_t len)
{
	char type[64], size[32];

	hwloc_obj_type_snprintf(type, sizeof type, o, 0);
	if (hwloc_obj_type_is_cache(o->type)) {
		format_size(size, sizeof size, o->attr->cache.size);
		snprintf(buf, len, "%s L#%u (%s)", type, o->logical_index, size);
	} else if (o->type == HWLOC_OBJ_NUMANODE) {
		format_size(size, sizeof size, o->attr->numanode.local_memory);
		snprintf(buf, len, "%s L#%u (P#%u %s)", type, o->logical_index, o->os_index, size);
	} else if (o->type == HWLOC_OBJ_PU) {
		snprintf(buf, len, "%s L#%u (P#%u)", type, o->logical_index, o->os_index);
	} else if (o->type == HWLOC_OBJ_MACHINE) {
		snprintf(buf, len, "%s", type);
	} else {
		snprintf(buf, len, "%s L#%u", type, o->logical_index);
	}
}

/* What --pin calls a machine core or PU, or that it is not allowed. */
static void pin_name(hwloc_obj_t o, char *buf, size_t len)
{
	hwloc_bitmap_t usable = hwloc_bitmap_dup(o->cpuset);
	char idx[64];

	hwloc_bitmap_and(usable, usable, pin_allowed_cpuset());
	if (hwloc_bitmap_iszero(usable)) {
		snprintf(buf, len, "not usable by this process");
	} else {
		logical_list(usable, o->type, idx, sizeof idx);
		snprintf(buf, len, "%s:%s", o->type == HWLOC_OBJ_PU ? "pu" : "core", idx);
	}
	hwloc_bitmap_free(usable);
}

/* Prints o and its descendants, one per line, lstopo's way: a chain of
 * objects with one child each (L2 + L1d + Core + PU) shares one line. */
static void print_tree(hwloc_obj_t o, int indent)
{
	char line[512] = "", part[128], note[160] = "";
	size_t used = 0;
	bool unusable = false;
	hwloc_obj_t m;

	for (;;) {
		describe(o, part, sizeof part);
		used += (size_t)snprintf(line + used, sizeof line - used, "%s%s", used ? " + " : "", part);
		if (used >= sizeof line)
			used = sizeof line - 1;
		if ((o->type == HWLOC_OBJ_CORE || o->type == HWLOC_OBJ_PU) && !unusable) {
			size_t n = strlen(note);
			unusable = !hwloc_bitmap_intersects(o->cpuset, pin_allowed_cpuset());
			pin_name(o, part, sizeof part);
			snprintf(note + n, sizeof note - n, "%s%s", n ? ", " : "", part);
		}
		if (o->arity != 1 || o->memory_arity != 0 || o->type == HWLOC_OBJ_MACHINE)
			break;
		o = o->children[0];
	}
	if (note[0])
		printf("%*s%-*s  %s\n", indent, "", indent < 56 ? 56 - indent : 0, line, note);
	else
		printf("%*s%s\n", indent, "", line);
	for (m = o->memory_first_child; m; m = m->next_sibling) {
		describe(m, part, sizeof part);
		printf("%*s%s\n", indent + 2, "", part);
	}
	for (unsigned i = 0; i < o->arity; i++)
		print_tree(o->children[i], indent + 2);
}

static const char *plural(int n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

static void print_summary(json_t *t)
{
	int packages = (int)json_integer_value(json_object_get(t, "packages"));
	int numa = (int)json_integer_value(json_object_get(t, "numa_nodes"));
	int cores = (int)json_integer_value(json_object_get(t, "cores"));
	int pus = (int)json_integer_value(json_object_get(t, "pus"));
	int allowed = (int)json_integer_value(json_object_get(t, "allowed_pu_count"));
	const char *model = json_string_value(json_object_get(t, "cpu_model"));
	json_t *c;
	size_t i;
	char all[256];

	printf("machine: %d %s, %d NUMA %s, %d %s, %d %s%s%s%s%s\n",
	       packages, plural(packages, "package", "packages"), numa, plural(numa, "node", "nodes"),
	       cores, plural(cores, "core", "cores"), pus, plural(pus, "PU", "PUs"),
	       model ? " (" : "", model ? model : "", model ? ")" : "",
	       json_is_true(json_object_get(t, "this_system")) ? "" :
	       " [not this machine: HWLOC_SYNTHETIC or HWLOC_XMLFILE]");
	printf("caches:");
	json_array_foreach(json_object_get(t, "caches"), i, c) {
		const char *type = json_string_value(json_object_get(c, "type"));
		char size[32];

		format_size(size, sizeof size, (uint64_t)json_integer_value(json_object_get(c, "size_bytes")));
		printf("%s L%d%s %s x%d", i ? "," : "", (int)json_integer_value(json_object_get(c, "level")),
		       strcmp(type, "data") == 0 ? "d" : strcmp(type, "instruction") == 0 ? "i" : "",
		       size, (int)json_integer_value(json_object_get(c, "count")));
	}
	printf("%s\n", json_array_size(json_object_get(t, "caches")) ? "" : " (hwloc reports none)");
	logical_list(pin_allowed_cpuset(), HWLOC_OBJ_PU, all, sizeof all);
	printf("this process may use %d of %d PUs: OS CPUs %s (--pin pu:%s)\n", allowed, pus,
	       json_string_value(json_object_get(t, "allowed_pus")), all);
}

static void print_plan(const struct pin_plan *p)
{
	unsigned n = pin_plan_workers(p);

	printf("\nplan: --pin %s, %u %s\n", pin_plan_policy(p), n, n == 1 ? "worker" : "workers");
	if (pin_plan_is_none(p)) {
		printf("  not pinned: the scheduler places every worker\n");
		return;
	}
	printf("  %-8s %-14s %-10s %s\n", "worker", "OS CPUs", "pu", "core");
	for (unsigned i = 0; i < n; i++) {
		hwloc_const_cpuset_t set = pin_plan_cpuset(p, i);
		char cpus[96], pu[96], core[96];

		pin_plan_cpuset_text(p, i, cpus, sizeof cpus);
		logical_list(set, HWLOC_OBJ_PU, pu, sizeof pu);
		logical_list(set, HWLOC_OBJ_CORE, core, sizeof core);
		printf("  %-8u %-14s %-10s %s\n", i, cpus, pu, core);
	}
	if (pin_plan_wraps(p))
		printf("note: the plan wraps around: more workers than places, so some share a PU\n");
}

static json_t *plan_json(const struct pin_plan *p)
{
	json_t *j = pin_json_plan(p), *placement = json_array();

	if (!pin_plan_is_none(p))
		for (unsigned i = 0; i < pin_plan_workers(p); i++) {
			hwloc_const_cpuset_t set = pin_plan_cpuset(p, i);
			char cpus[96], pu[96], core[96];

			pin_plan_cpuset_text(p, i, cpus, sizeof cpus);
			logical_list(set, HWLOC_OBJ_PU, pu, sizeof pu);
			logical_list(set, HWLOC_OBJ_CORE, core, sizeof core);
			json_array_append_new(placement, json_pack("{s:i, s:s, s:s, s:s}", "worker", (int)i,
								   "cpuset", cpus, "pus", pu, "cores", core));
		}
	json_object_set_new(j, "placement", placement);
	return j;
}

struct topo_options {
	const char *policy;
	unsigned workers;        /* 0: the PUs this process may use */
	bool json;
};

/* Returns 0 to show, 1 when done (--help), or 2 after a message. */
static int parse_options(struct topo_options *o, int argc, char **argv)
{
	enum { OPT_PIN = 256, OPT_WORKERS, OPT_JSON };
	static const struct option longopts[] = {
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_parser p = { "topo", "--workers N, --pin POLICY, --json, --help", longopts, usage, false, NULL };
	uint64_t v;
	int c;

	while ((c = cli_next(&p, argc, argv)) > 0) {
		switch (c) {
		case OPT_PIN:
			o->policy = optarg;
			break;
		case OPT_WORKERS:
			if (!cli_parse_uint(optarg, 1, TOPO_MAX_WORKERS, &v))
				return cli_usage_error("topo: --workers '%s': expected a whole number from 1 "
						       "to %d", optarg, TOPO_MAX_WORKERS);
			o->workers = (unsigned)v;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		}
	}
	if (c < 0)
		return cli_stop(c);
	if (optind < argc)
		return cli_usage_error("topo: unexpected argument '%s'; accepted: --workers N, --pin "
				       "POLICY, --json, --help", argv[optind]);
	if (o->workers && !o->policy)
		return cli_usage_error("topo: --workers needs --pin POLICY (the plan to show)");
	return 0;
}

int topo_check_env(char *err, size_t errlen)
{
	const char *xml = getenv("HWLOC_XMLFILE");
	const char *accepted = "accepted: an XML file of at most 64 MiB written by lstopo";
	struct stat st;

	if (!xml || !*xml)
		return 0;
	if (stat(xml, &st) != 0) {
		snprintf(err, errlen, "HWLOC_XMLFILE=%s: %s; %s", xml, strerror(errno), accepted);
		return -EINVAL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > TOPO_MAX_XML_BYTES) {
		snprintf(err, errlen, "HWLOC_XMLFILE=%s: %s; %s", xml,
			 S_ISREG(st.st_mode) ? "larger than 64 MiB" : "not a regular file", accepted);
		return -EINVAL;
	}
	return 0;
}

int cmd_topo(int argc, char **argv)
{
	struct topo_options o = { 0 };
	struct pin_plan *plan = NULL;
	json_t *topology;
	char err[256];
	int rc;

	rc = parse_options(&o, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : rc;

	if (topo_check_env(err, sizeof err) != 0) {
		fprintf(stderr, "tvp: topo: %s\n", err);
		return 2;
	}
	if ((rc = pin_topology_load(err, sizeof err)) < 0) {
		fprintf(stderr, "tvp: topo: %s\n", err);
		return 1;
	}
	if (o.policy) {
		if (!o.workers)
			o.workers = (unsigned)hwloc_get_nbobjs_by_type(pin_topology(), HWLOC_OBJ_PU);
		if ((rc = pin_plan_new(&plan, o.policy, o.workers, err, sizeof err)) < 0) {
			fprintf(stderr, "tvp: topo: --pin: %s\n", err);
			pin_topology_free();
			return rc == -EINVAL ? 2 : 1;
		}
	}

	topology = pin_json_topology();
	if (o.json) {
		json_t *out = json_pack("{s:o}", "topology", topology);

		if (plan)
			json_object_set_new(out, "plan", plan_json(plan));
		json_dumpf(out, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(out);
	} else {
		print_summary(topology);
		printf("\n");
		print_tree(hwloc_get_root_obj(pin_machine_topology()), 0);
		if (plan)
			print_plan(plan);
		json_decref(topology);
	}
	pin_plan_free(plan);
	pin_topology_free();
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "tvp: topo: writing the output: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}
