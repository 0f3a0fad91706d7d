/* pin_json.h: placement as the driver shows it: --pin's help text, the
 * topology summary and a plan as JSON (par/pin.h is the runtime side). */
#ifndef PIN_JSON_H
#define PIN_JSON_H

#include <jansson.h>

#include "par/pin.h"

/* Help text for --pin (several lines, no trailing newline), for the commands
 * that take the option. */
extern const char pin_json_policy_help[];

/* The topology summary the results JSON carries (a new reference, or NULL
 * when not loaded):
 *   { "this_system": bool, "packages": n, "numa_nodes": n, "cores": n,
 *     "pus": n,                          (the whole machine)
 *     "allowed_pus": "0-1",              (OS CPUs this process may use)
 *     "allowed_pu_count": n, "allowed_cores": n,
 *     "caches": [ { "level": 1, "type": "data"|"instruction"|"unified",
 *                   "size_bytes": n, "count": n }, ... ],
 *     "cpu_model": "..." }               (only when hwloc knows it) */
json_t *pin_json_topology(void);

/* The plan as JSON (a new reference): { "policy": ..., "workers": n,
 * "wraps": bool, "cpusets": ["0", "1", ...] } ("cpusets" is empty for none). */
json_t *pin_json_plan(const struct pin_plan *p);

#endif
