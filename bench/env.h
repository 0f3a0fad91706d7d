/* env.h: what the results JSON says about the machine and the build, read
 * once at the start of a run. */
#ifndef ENV_H
#define ENV_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The host: hostname, kernel, cpu_model, packages, cores, pus, numa_nodes,
 * caches (from hwloc), memory, cpu governor and frequency where readable,
 * load average, ASLR. A new reference. Call before any worker exists, after
 * the topology is loaded (without one, the hwloc figures are left out). */
json_t *env_host_json(void);

/* The build: compiler and version, CFLAGS, sanitizer. A new reference. */
json_t *env_build_json(void);

/* The tool: name, version, git revision. A new reference. */
json_t *env_tool_json(void);

/* Processing units this process may run on (at least 1): from the topology
 * main loaded (pin_topology_load); 1 when none is loaded. */
unsigned env_pus(void);

/* The 1-minute load average, or -1 if unreadable. */
double env_load1(void);

/* Now, as ISO 8601 UTC into buf: "2026-11-21T05:30:00Z", or with compact
 * "20261121T053000Z" (for file names). */
void env_utc_stamp(char *buf, size_t len, bool compact);

#endif
