/* pin.c: binding workers to their place and recording where they ran (see
 * pin.h; the topology is pin_topology.c, plans pin_plan.c).
 *
 * DESIGN
 * Binding: a thread binds itself with HWLOC_CPUBIND_THREAD (flags 0 would
 * rebind every thread of the process on Linux). A forked worker binds itself
 * in the child with HWLOC_CPUBIND_PROCESS. The parent never binds: a mask is
 * inherited across fork, so a parent bound to worker 0's CPU would pass it
 * to every later child and helper thread. A failure prints nothing: it is
 * recorded in worker_stats (pinned 0, bind_errno), and the caller decides
 * whether it is a warning or an error (--pin-strict).
 *
 * Proof: pin_note_cpu() samples hwloc_get_last_cpu_location (thread scope)
 * and accumulates the CPUs seen in worker_stats.ran_on as list text; the
 * pools instead set bits with pin_cpu_bits_note() in a lock-free bitmap
 * (shared memory for a forked worker) and turn it into the same text with
 * pin_cpu_bits_take(), so the record survives the trip from a forked
 * worker as plain bytes.
 */
#include "par/pin.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "par/pin_impl.h"

static int bind_worker(const struct pin_plan *p, unsigned worker, struct worker_stats *ws,
		       int flags)
{
	hwloc_topology_t topo = pin_topology();
	hwloc_const_cpuset_t set = pin_plan_cpuset(p, worker);
	hwloc_bitmap_t got;
	int rc;

	ws->bound[0] = '\0';
	ws->bind_errno = 0;
	if (!set) {
		ws->pinned = -1;
		return 0;
	}
	if (!pin_topology_is_this_system())
		rc = -ENOSYS;   /* not loaded, or synthetic / XML: nothing to bind to */
	else if (hwloc_set_cpubind(topo, set, flags) < 0)
		rc = errno ? -errno : -EINVAL;
	else
		rc = 0;
	if (rc < 0) {
		ws->pinned = 0;
		ws->bind_errno = -rc;
		return rc;
	}
	/* Record the binding the OS now reports, not merely the request. */
	got = hwloc_bitmap_alloc();
	if (hwloc_get_cpubind(topo, got, flags) != 0)
		hwloc_bitmap_copy(got, set);
	hwloc_bitmap_list_snprintf(ws->bound, sizeof ws->bound, got);
	hwloc_bitmap_free(got);
	ws->pinned = 1;
	return 0;
}

int pin_bind_thread(const struct pin_plan *p, unsigned worker, struct worker_stats *ws)
{
	return bind_worker(p, worker, ws, HWLOC_CPUBIND_THREAD);
}

int pin_bind_process(const struct pin_plan *p, unsigned worker, struct worker_stats *ws)
{
	return bind_worker(p, worker, ws, HWLOC_CPUBIND_PROCESS);
}

int pin_bind_process_cpus(const char *cpus, struct worker_stats *ws)
{
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	cpu_set_t mask;
	int cpu, rc = 0;

	ws->bound[0] = '\0';
	ws->bind_errno = 0;
	ws->pinned = -1;
	if (!cpus[0])
		goto out_free;
	CPU_ZERO(&mask);
	if (hwloc_bitmap_list_sscanf(set, cpus) < 0 || hwloc_bitmap_iszero(set))
		rc = -EINVAL;
	hwloc_bitmap_foreach_begin(cpu, set) {
		if (cpu < CPU_SETSIZE)
			CPU_SET(cpu, &mask);
	} hwloc_bitmap_foreach_end();
	if (rc == 0 && sched_setaffinity(0, sizeof mask, &mask) < 0)
		rc = -errno;
	if (rc == 0 && sched_getaffinity(0, sizeof mask, &mask) == 0) {
		hwloc_bitmap_zero(set);
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
			if (CPU_ISSET(cpu, &mask))
				hwloc_bitmap_set(set, (unsigned)cpu);
	}
	ws->pinned = rc == 0;
	ws->bind_errno = -rc;
	if (rc == 0)
		hwloc_bitmap_list_snprintf(ws->bound, sizeof ws->bound, set);
out_free:
	hwloc_bitmap_free(set);
	return rc;
}

/* Whether CPU cpu is in list text such as "0,2,4-7", without allocating. */
static bool list_has(const char *s, unsigned cpu)
{
	while (*s) {
		unsigned lo, hi;

		if (!pin_read_range(&s, &lo, &hi))
			return false;
		if (cpu >= lo && cpu <= hi)
			return true;
		if (*s == ',')
			s++;
		else if (*s)
			return false;
	}
	return false;
}

void pin_note_cpu(struct worker_stats *ws)
{
	int cpu = -1;
	hwloc_bitmap_t seen;

	if (pin_topology_is_this_system()) {
		hwloc_bitmap_t where = hwloc_bitmap_alloc();

		if (hwloc_get_last_cpu_location(pin_topology(), where, HWLOC_CPUBIND_THREAD) == 0)
			cpu = hwloc_bitmap_first(where);
		hwloc_bitmap_free(where);
	}
	if (cpu < 0)
		cpu = sched_getcpu();
	if (cpu < 0 || list_has(ws->ran_on, (unsigned)cpu))
		return;
	seen = hwloc_bitmap_alloc();
	if (ws->ran_on[0])
		hwloc_bitmap_list_sscanf(seen, ws->ran_on);
	hwloc_bitmap_set(seen, (unsigned)cpu);
	hwloc_bitmap_list_snprintf(ws->ran_on, sizeof ws->ran_on, seen);
	hwloc_bitmap_free(seen);
}

bool pin_ran_outside(const struct worker_stats *ws)
{
	hwloc_bitmap_t bound, ran;
	bool outside;

	if (ws->pinned != 1 || !ws->bound[0] || !ws->ran_on[0])
		return false;
	bound = hwloc_bitmap_alloc();
	ran = hwloc_bitmap_alloc();
	outside = hwloc_bitmap_list_sscanf(bound, ws->bound) == 0 &&
		  hwloc_bitmap_list_sscanf(ran, ws->ran_on) == 0 &&
		  !hwloc_bitmap_isincluded(ran, bound);
	hwloc_bitmap_free(bound);
	hwloc_bitmap_free(ran);
	return outside;
}

static void format_cpu_bits(const uint64_t *words, char *buf, size_t len)
{
	size_t used = 0;
	int start = -1;

	buf[0] = '\0';
	for (int c = 0; c <= PIN_CPU_WORDS * 64; c++) {
		bool on = c < PIN_CPU_WORDS * 64 && (words[c / 64] >> (c % 64) & 1);

		if (on && start < 0)
			start = c;
		if (!on && start >= 0) {
			int n = start == c - 1 ?
				snprintf(buf + used, len - used, "%s%d", used ? "," : "", start) :
				snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", start,
					 c - 1);

			if (n < 0 || (size_t)n >= len - used)
				return;
			used += (size_t)n;
			start = -1;
		}
	}
}

void pin_cpu_bits_note(_Atomic uint64_t *words)
{
	int cpu = sched_getcpu();

	if (cpu >= 0 && cpu < PIN_CPU_WORDS * 64)
		atomic_fetch_or_explicit(&words[cpu / 64], 1ull << (cpu % 64), memory_order_relaxed);
}

void pin_cpu_bits_take(_Atomic uint64_t *words, char *buf, size_t len)
{
	uint64_t seen[PIN_CPU_WORDS];

	for (int k = 0; k < PIN_CPU_WORDS; k++)
		seen[k] = atomic_exchange_explicit(&words[k], 0, memory_order_relaxed);
	format_cpu_bits(seen, buf, len);
}
