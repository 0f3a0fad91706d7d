/* env.c: describes the machine and the build for the results JSON.
 *
 * Topology figures come from the topology placement uses (par/pin.h),
 * restricted to what this process may use, so a run under taskset or in a
 * small cgroup reports the machine it really had. Nothing here loads it: main
 * does, once, for the commands that measure (bench/main.c).
 */
#include "bench/env.h"

#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "gitrev.h"
#include "par/pin.h"
#include "bench/util.h"

#ifndef TVP_CFLAGS
#define TVP_CFLAGS "unknown"
#endif
#ifndef TVP_SAN
#define TVP_SAN ""
#endif

/* Reads the first line of a small file into buf, without its newline.
 * Returns buf, or NULL if the file is unreadable. */
static char *read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return NULL;
	if (!fgets(buf, (int)len, f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf;
}

static void cpuinfo_model(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		char *colon = strchr(line, ':');
		if (colon && strncmp(line, "model name", 10) == 0) {
			colon++;
			colon += strspn(colon, " \t");
			colon[strcspn(colon, "\n")] = '\0';
			for (size_t n = strlen(colon); n > 0 && (colon[n - 1] == ' ' || colon[n - 1] == '\t');)
				colon[--n] = '\0';
			snprintf(buf, len, "%s", colon);
			break;
		}
	}
	fclose(f);
}

static json_t *caches_json(hwloc_topology_t t)
{
	static const hwloc_obj_type_t types[] = {
		HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE,
		HWLOC_OBJ_L4CACHE, HWLOC_OBJ_L5CACHE,
	};
	json_t *a = json_array();

	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		int n = hwloc_get_nbobjs_by_type(t, types[i]);
		hwloc_obj_t o;
		json_t *c;

		if (n <= 0)
			continue;
		o = hwloc_get_obj_by_type(t, types[i], 0);
		c = json_object();
		json_object_set_new(c, "level", json_integer((json_int_t)o->attr->cache.depth));
		json_object_set_new(c, "type", json_string(o->attr->cache.type == HWLOC_OBJ_CACHE_DATA ? "data" :
							   o->attr->cache.type == HWLOC_OBJ_CACHE_UNIFIED ? "unified" :
							   "instruction"));
		json_object_set_new(c, "size_bytes", json_integer((json_int_t)o->attr->cache.size));
		json_object_set_new(c, "count", json_integer(n));
		json_array_append_new(a, c);
	}
	return a;
}

static int count_type(hwloc_topology_t t, hwloc_obj_type_t type)
{
	int n = hwloc_get_nbobjs_by_type(t, type);

	return n > 0 ? n : 1;
}

/* The topology placement uses (par/pin.h), restricted to the CPUs this
 * process may use: the one main loaded, or NULL when none was. */
static hwloc_topology_t topology(void)
{
	return pin_topology();
}

unsigned env_pus(void)
{
	hwloc_topology_t t = topology();

	return t ? (unsigned)count_type(t, HWLOC_OBJ_PU) : 1;
}

double env_load1(void)
{
	double l[1];

	return getloadavg(l, 1) == 1 ? l[0] : -1;
}

json_t *env_host_json(void)
{
	json_t *h = json_object(), *load = json_array();
	hwloc_topology_t t;
	struct utsname u;
	char buf[512];
	double l[3];
	long pages = sysconf(_SC_PHYS_PAGES), psize = sysconf(_SC_PAGESIZE);

	if (gethostname(buf, sizeof buf) == 0) {
		buf[sizeof buf - 1] = '\0';
		json_object_set_new(h, "hostname", json_string(buf));
	}
	if (uname(&u) == 0) {
		snprintf(buf, sizeof buf, "%s %s", u.sysname, u.release);
		json_object_set_new(h, "kernel", json_string(buf));
		json_object_set_new(h, "arch", json_string(u.machine));
	}
	cpuinfo_model(buf, sizeof buf);
	json_object_set_new(h, "cpu_model", json_string(buf));
	if ((t = topology())) {
		json_object_set_new(h, "packages", json_integer(count_type(t, HWLOC_OBJ_PACKAGE)));
		json_object_set_new(h, "cores", json_integer(count_type(t, HWLOC_OBJ_CORE)));
		json_object_set_new(h, "pus", json_integer(count_type(t, HWLOC_OBJ_PU)));
		json_object_set_new(h, "numa_nodes", json_integer(count_type(t, HWLOC_OBJ_NUMANODE)));
		json_object_set_new(h, "caches", caches_json(t));
	}
	if (pages > 0 && psize > 0)
		json_object_set_new(h, "memory_bytes", json_integer((json_int_t)pages * psize));
	json_object_set_new(h, "cpu_governor",
			    read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof buf)
				    ? json_string(buf) : json_null());
	if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", buf, sizeof buf))
		json_object_set_new(h, "cpu_mhz", json_real(atof(buf) / 1000.0));
	else
		json_object_set_new(h, "cpu_mhz", json_null());
	if (getloadavg(l, 3) == 3)
		for (int i = 0; i < 3; i++)
			json_array_append_new(load, json_real(l[i]));
	json_object_set_new(h, "load_average", load);
	json_object_set_new(h, "aslr", read_line("/proc/sys/kernel/randomize_va_space", buf, sizeof buf)
					       ? json_integer(atoi(buf)) : json_null());
	return h;
}

json_t *env_build_json(void)
{
	json_t *b = json_object();

#if defined(__clang__)
	json_object_set_new(b, "compiler", json_string("clang " __clang_version__));
#elif defined(__GNUC__)
	json_object_set_new(b, "compiler", json_string("gcc " __VERSION__));
#else
	json_object_set_new(b, "compiler", json_string("unknown"));
#endif
	json_object_set_new(b, "cflags", json_string(TVP_CFLAGS));
	json_object_set_new(b, "sanitizer", json_string(TVP_SAN));
	json_object_set_new(b, "hwloc", json_string(HWLOC_VERSION));
	json_object_set_new(b, "jansson", json_string(JANSSON_VERSION));
	return b;
}

json_t *env_tool_json(void)
{
	return json_pack("{s:s, s:s, s:s}", "name", "tvp", "version", TVP_VERSION,
			 "git_revision", TVP_GIT_REV);
}

void env_utc_stamp(char *buf, size_t len, bool compact)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	if (compact)
		strftime(buf, len, "%Y%m%dT%H%M%SZ", &tm);
	else
		strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
