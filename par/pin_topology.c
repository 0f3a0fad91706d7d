/* pin_topology.c: the machine's topology for placement, loaded once with
 * hwloc (see pin.h).
 *
 * DESIGN
 * The topology is loaded once, before any worker exists, into two copies:
 * `machine`, the whole machine (loaded with INCLUDE_DISALLOWED so that `tvp
 * topo` can show CPUs this process may not use), and `topo`, the same
 * restricted with hwloc_topology_restrict() to the allowed set: the CPUs the
 * cgroup allows (hwloc's allowed cpuset) AND, when the topology is this
 * machine's, the current binding of the calling (main) thread
 * (hwloc_get_cpubind with HWLOC_CPUBIND_THREAD: what `taskset -c 1` set
 * before exec, and what every worker would inherit). Every plan is
 * made from `topo`, so a policy can never name a CPU the process may not
 * use, and logical indexes (pu:0, core:0) count allowed objects only.
 */
#include "par/pin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static hwloc_topology_t topo;     /* restricted to the allowed CPUs */
static hwloc_topology_t machine;  /* everything */

int pin_topology_load(char *err, size_t errlen)
{
	hwloc_bitmap_t allowed = NULL, binding = NULL;
	int rc = 0;

	if (topo)
		return 0;
	if (hwloc_topology_init(&machine) < 0) {
		rc = -errno;
		snprintf(err, errlen, "hwloc_topology_init: %s", strerror(errno));
		machine = NULL;
		return rc;
	}
	hwloc_topology_set_flags(machine, HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED);
	/* hwloc drops instruction caches by default; tvp topo shows them. */
	hwloc_topology_set_icache_types_filter(machine, HWLOC_TYPE_FILTER_KEEP_ALL);
	if (hwloc_topology_load(machine) < 0) {
		rc = errno ? -errno : -EINVAL;
		snprintf(err, errlen, "hwloc_topology_load: %s (check HWLOC_SYNTHETIC / HWLOC_XMLFILE)",
			 strerror(-rc));
		goto out_destroy_machine;
	}

	allowed = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(machine));
	hwloc_bitmap_and(allowed, allowed, hwloc_topology_get_topology_cpuset(machine));
	/* The binding of a synthetic or XML machine means nothing: hwloc would
	 * answer with this machine's CPUs, or with dummy ones. The calling
	 * thread's binding, not the union over the process's threads: it is
	 * the mask workers and children inherit, and a runtime's helper thread
	 * (a sanitizer's, say) may have been started before a taskset-like
	 * restriction and kept a wider mask. */
	if (hwloc_topology_is_thissystem(machine)) {
		binding = hwloc_bitmap_alloc();
		if (hwloc_get_cpubind(machine, binding, HWLOC_CPUBIND_THREAD) == 0 &&
		    !hwloc_bitmap_iszero(binding))
			hwloc_bitmap_and(allowed, allowed, binding);
	}
	if (hwloc_bitmap_iszero(allowed)) {
		rc = -ENODEV;
		snprintf(err, errlen, "hwloc finds no CPU this process may use");
		goto out_free_sets;
	}
	if (hwloc_topology_dup(&topo, machine) < 0) {
		rc = -errno;
		snprintf(err, errlen, "hwloc_topology_dup: %s", strerror(errno));
		topo = NULL;
		goto out_free_sets;
	}
	if (!hwloc_bitmap_isequal(allowed, hwloc_topology_get_topology_cpuset(topo)) &&
	    hwloc_topology_restrict(topo, allowed, 0) < 0) {
		rc = -errno;
		snprintf(err, errlen, "hwloc_topology_restrict: %s", strerror(errno));
		goto out_destroy_topo;
	}
	hwloc_bitmap_free(binding);
	hwloc_bitmap_free(allowed);
	return 0;

out_destroy_topo:
	hwloc_topology_destroy(topo);
	topo = NULL;
out_free_sets:
	hwloc_bitmap_free(binding);
	hwloc_bitmap_free(allowed);
out_destroy_machine:
	hwloc_topology_destroy(machine);
	machine = NULL;
	return rc;
}

void pin_topology_free(void)
{
	if (topo)
		hwloc_topology_destroy(topo);
	if (machine)
		hwloc_topology_destroy(machine);
	topo = machine = NULL;
}

hwloc_topology_t pin_topology(void)
{
	return topo;
}

hwloc_topology_t pin_machine_topology(void)
{
	return machine;
}

hwloc_const_cpuset_t pin_allowed_cpuset(void)
{
	return topo ? hwloc_topology_get_topology_cpuset(topo) : NULL;
}

bool pin_topology_is_this_system(void)
{
	return topo && hwloc_topology_is_thissystem(topo);
}

bool pin_can_bind_threads(void)
{
	return pin_topology_is_this_system() &&
	       hwloc_topology_get_support(topo)->cpubind->set_thisthread_cpubind;
}

bool pin_can_bind_processes(void)
{
	return pin_topology_is_this_system() &&
	       hwloc_topology_get_support(topo)->cpubind->set_thisproc_cpubind;
}
