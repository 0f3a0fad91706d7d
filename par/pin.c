/* pin.c: placement with hwloc: the topology, plans for --pin, binding
 * workers, and recording where they ran (see pin.h).
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
 *
 * Policies become one cpuset per worker:
 *   compact  the i-th PU in logical order. hwloc numbers PUs depth-first, so
 *            logical order fills the PUs of a core, then the next core, then
 *            the next package (OpenMP's close).
 *   scatter  hwloc_distrib(root, n) splits n workers over the tree in
 *            proportion to each subtree's PUs: packages first, then cores,
 *            then PUs; each resulting set is singlified to its first PU, so
 *            with fewer workers than cores each worker has its own core
 *            (OpenMP's spread).
 *   pu:L     the listed PUs; core:L the listed cores' full cpusets.
 * With more workers than places a plan wraps: worker i takes place
 * i % places (for scatter, the distribution of min(workers, PUs)).
 *
 * Binding: a thread binds itself with HWLOC_CPUBIND_THREAD (flags 0 would
 * rebind every thread of the process on Linux). A forked worker binds itself
 * in the child with HWLOC_CPUBIND_PROCESS. The parent never binds: a mask is
 * inherited across fork, so a parent bound to worker 0's CPU would pass it
 * to every later child and helper thread. Failures warn once per process
 * tree: the flag lives in a MAP_SHARED page so forked workers share it.
 *
 * Proof: pin_note_cpu() samples hwloc_get_last_cpu_location (thread scope)
 * and accumulates the CPUs seen in worker_stats.ran_on as list text, so the
 * record survives the trip from a forked worker as plain bytes.
 */
#include "par/pin.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "par/sys.h"

enum policy { POLICY_NONE, POLICY_COMPACT, POLICY_SCATTER, POLICY_PUS, POLICY_CORES };

struct pin_plan {
	enum policy policy;
	char *name;              /* canonical policy text */
	unsigned workers;
	bool wraps;
	hwloc_bitmap_t *sets;    /* [workers]; NULL for none */
};

static hwloc_topology_t topo;     /* restricted to the allowed CPUs */
static hwloc_topology_t machine;  /* everything */
static bool strict;
static _Atomic int warned_here;
static _Atomic int *warned = &warned_here;   /* MAP_SHARED once loaded */

/* ---- The topology ------------------------------------------------------ */

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
	if (warned == &warned_here) {
		void *page = mmap(NULL, sizeof(_Atomic int), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (page != MAP_FAILED) {
			warned = page;
			atomic_store(warned, atomic_load(&warned_here));
		}
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
	if (warned != &warned_here) {
		atomic_store(&warned_here, atomic_load(warned));
		munmap((void *)warned, sizeof(_Atomic int));
		warned = &warned_here;
	}
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

/* ---- Plans ------------------------------------------------------------- */

/* Reads a decimal number at *s (digits only), advancing *s. Values past
 * INT_MAX saturate there (they name no object anyway). False if no digit. */
static bool read_index(const char **s, unsigned *out)
{
	unsigned long v = 0;

	if (!isdigit((unsigned char)**s))
		return false;
	while (isdigit((unsigned char)**s)) {
		v = v * 10 + (unsigned long)(**s - '0');
		if (v > INT_MAX)
			v = INT_MAX;
		(*s)++;
	}
	*out = (unsigned)v;
	return true;
}

/* Parses LIST (after "pu:" / "core:") into indexes, each below nobj.
 * Returns 0 with *idx (malloc'd) and *n set, or -EINVAL with err set. */
static int parse_list(const char *policy, const char *list, const char *kind, unsigned nobj,
		      unsigned **idx, unsigned *n, char *err, size_t errlen)
{
	const char *s = list;
	unsigned cap = 8, count = 0;
	unsigned *v;

	if (nobj == 0) {
		snprintf(err, errlen, "%s: hwloc sees no %s on this machine; use compact or scatter",
			 policy, strcmp(kind, "pu") == 0 ? "PUs" : "cores");
		return -EINVAL;
	}
	if (!*s) {
		snprintf(err, errlen, "%s needs a list of %s indexes, e.g. %s:0,2,4-7 (this process may use %s:0-%u)",
			 policy, kind, kind, kind, nobj - 1);
		return -EINVAL;
	}
	v = xmalloc(cap * sizeof *v);
	for (;;) {
		const char *entry = s;
		unsigned lo, hi;

		if (!read_index(&s, &lo))
			goto bad_entry;
		hi = lo;
		if (*s == '-') {
			s++;
			if (!read_index(&s, &hi))
				goto bad_entry;
			if (hi < lo) {
				snprintf(err, errlen, "%s: the range %u-%u is backwards; write %s:%u-%u",
					 policy, lo, hi, kind, hi, lo);
				goto out_free;
			}
		}
		if (*s != ',' && *s != '\0') {
			s = entry;
			goto bad_entry;
		}
		if (hi >= nobj) {
			char may[32];
			if (nobj == 1)
				snprintf(may, sizeof may, "%s:0", kind);
			else
				snprintf(may, sizeof may, "%s:0-%u", kind, nobj - 1);
			snprintf(err, errlen, "%s:%u does not exist: this process may use %s "
				 "(logical indexes; 'tvp topo' shows them)", kind, hi, may);
			goto out_free;
		}
		for (unsigned i = lo; i <= hi; i++) {
			if (count == cap)
				v = xrealloc(v, (cap *= 2) * sizeof *v);
			v[count++] = i;
		}
		if (*s == '\0')
			break;
		s++;
		continue;

bad_entry:
		s = entry;
		if (*s == ',' || *s == '\0')
			snprintf(err, errlen, "%s: empty entry in the list; a list looks like %s:0,2,4-7",
				 policy, kind);
		else
			snprintf(err, errlen, "%s: '%.*s' is not a %s index or range; a list looks like %s:0,2,4-7",
				 policy, (int)strcspn(s, ","), s, kind, kind);
		goto out_free;
	}
	*idx = v;
	*n = count;
	return 0;

out_free:
	free(v);
	return -EINVAL;
}

static void plan_set(struct pin_plan *p, unsigned i, hwloc_const_cpuset_t set)
{
	p->sets[i] = hwloc_bitmap_dup(set);
}

/* Worker i on the (i % npu)-th PU in logical order. */
static void plan_compact(struct pin_plan *p)
{
	unsigned npu = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);

	for (unsigned i = 0; i < p->workers; i++)
		plan_set(p, i, hwloc_get_obj_by_type(topo, HWLOC_OBJ_PU, i % npu)->cpuset);
}

static void plan_scatter(struct pin_plan *p)
{
	unsigned npu = (unsigned)hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
	unsigned m = p->workers < npu ? p->workers : npu;
	hwloc_obj_t root = hwloc_get_root_obj(topo);
	hwloc_bitmap_t *d = xcalloc(m, sizeof *d);

	hwloc_distrib(topo, &root, 1, d, m, INT_MAX, 0);
	for (unsigned i = 0; i < m; i++)
		hwloc_bitmap_singlify(d[i]);   /* one PU: a worker never migrates */
	for (unsigned i = 0; i < p->workers; i++)
		plan_set(p, i, d[i % m]);
	for (unsigned i = 0; i < m; i++)
		hwloc_bitmap_free(d[i]);
	free(d);
}

static void plan_list(struct pin_plan *p, hwloc_obj_type_t type, const unsigned *idx, unsigned n)
{
	for (unsigned i = 0; i < p->workers; i++)
		plan_set(p, i, hwloc_get_obj_by_type(topo, type, idx[i % n])->cpuset);
}

/* Whether two workers' sets overlap: one pass, keeping their union. */
static bool sets_overlap(hwloc_bitmap_t *sets, unsigned n)
{
	hwloc_bitmap_t seen = hwloc_bitmap_alloc();
	bool overlap = false;

	for (unsigned i = 0; i < n && !overlap; i++) {
		overlap = hwloc_bitmap_intersects(seen, sets[i]);
		hwloc_bitmap_or(seen, seen, sets[i]);
	}
	hwloc_bitmap_free(seen);
	return overlap;
}

static const char *after_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

int pin_plan_new(struct pin_plan **out, const char *policy, unsigned workers,
		 char *err, size_t errlen)
{
	struct pin_plan *p;
	const char *list = NULL;
	enum policy pol;
	unsigned *idx = NULL, n = 0;
	int rc;

	*out = NULL;
	if (!policy)
		policy = "none";
	if (strcmp(policy, "none") == 0)
		pol = POLICY_NONE;
	else if (strcmp(policy, "compact") == 0 || strcmp(policy, "close") == 0)
		pol = POLICY_COMPACT;
	else if (strcmp(policy, "scatter") == 0 || strcmp(policy, "spread") == 0)
		pol = POLICY_SCATTER;
	else if ((list = after_prefix(policy, "pu:")))
		pol = POLICY_PUS;
	else if ((list = after_prefix(policy, "core:")))
		pol = POLICY_CORES;
	else {
		snprintf(err, errlen, "unknown pin policy '%s'; accepted: none, compact (close), "
			 "scatter (spread), pu:LIST, core:LIST (LIST like 0,2,4-7)", policy);
		return -EINVAL;
	}
	if (workers == 0) {
		snprintf(err, errlen, "a plan needs at least 1 worker");
		return -EINVAL;
	}

	p = xcalloc(1, sizeof *p);
	p->policy = pol;
	p->workers = workers;
	p->name = xstrdup(pol == POLICY_NONE ? "none" : pol == POLICY_COMPACT ? "compact" :
			  pol == POLICY_SCATTER ? "scatter" : policy);
	if (pol == POLICY_NONE) {
		*out = p;
		return 0;
	}
	if ((rc = pin_topology_load(err, errlen)) < 0)
		goto out_free_plan;
	if (pol == POLICY_PUS || pol == POLICY_CORES) {
		hwloc_obj_type_t type = pol == POLICY_PUS ? HWLOC_OBJ_PU : HWLOC_OBJ_CORE;
		int nobj = hwloc_get_nbobjs_by_type(topo, type);

		rc = parse_list(policy, list, pol == POLICY_PUS ? "pu" : "core",
				nobj > 0 ? (unsigned)nobj : 0, &idx, &n, err, errlen);
		if (rc < 0)
			goto out_free_plan;
		p->sets = xcalloc(workers, sizeof *p->sets);
		plan_list(p, type, idx, n);
		free(idx);
	} else {
		p->sets = xcalloc(workers, sizeof *p->sets);
		if (pol == POLICY_COMPACT)
			plan_compact(p);
		else
			plan_scatter(p);
	}
	p->wraps = sets_overlap(p->sets, workers);
	*out = p;
	return 0;

out_free_plan:
	pin_plan_free(p);
	return rc;
}

int pin_policies_split(const char *text, char ***items, size_t *n, char *err, size_t errlen)
{
	char **v = NULL;
	size_t count = 0;
	const char *s = text;

	*items = NULL;
	*n = 0;
	for (;;) {
		size_t len = strcspn(s, ",");

		if (len == 0) {
			snprintf(err, errlen, "--pin '%s' has an empty item; give policies separated by "
				 "commas, e.g. none,compact,pu:0,2", text);
			pin_policies_free(v, count);
			return -EINVAL;
		}
		if (isdigit((unsigned char)*s)) {
			/* more of the pu:/core: list before it */
			char *prev = count ? v[count - 1] : NULL;

			if (!prev || (!after_prefix(prev, "pu:") && !after_prefix(prev, "core:"))) {
				snprintf(err, errlen, "--pin '%s': '%.*s' is not a policy; a list of PUs "
					 "or cores is written pu:0,2,4-7 or core:0-3", text, (int)len, s);
				pin_policies_free(v, count);
				return -EINVAL;
			}
			v[count - 1] = xasprintf("%s,%.*s", prev, (int)len, s);
			free(prev);
		} else {
			v = xrealloc(v, (count + 1) * sizeof *v);
			v[count++] = xasprintf("%.*s", (int)len, s);
		}
		if (s[len] == '\0')
			break;
		s += len + 1;
	}
	*items = v;
	*n = count;
	return 0;
}

void pin_policies_free(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

void pin_plan_free(struct pin_plan *p)
{
	if (!p)
		return;
	if (p->sets)
		for (unsigned i = 0; i < p->workers; i++)
			hwloc_bitmap_free(p->sets[i]);
	free(p->sets);
	free(p->name);
	free(p);
}

const char *pin_plan_policy(const struct pin_plan *p)
{
	return p ? p->name : "none";
}

bool pin_plan_is_none(const struct pin_plan *p)
{
	return !p || p->policy == POLICY_NONE;
}

unsigned pin_plan_workers(const struct pin_plan *p)
{
	return p ? p->workers : 0;
}

bool pin_plan_wraps(const struct pin_plan *p)
{
	return p && p->wraps;
}

hwloc_const_cpuset_t pin_plan_cpuset(const struct pin_plan *p, unsigned worker)
{
	if (pin_plan_is_none(p))
		return NULL;
	return p->sets[worker % p->workers];
}

void pin_plan_cpuset_text(const struct pin_plan *p, unsigned worker, char *buf, size_t len)
{
	hwloc_const_cpuset_t set = pin_plan_cpuset(p, worker);

	if (len == 0)
		return;
	buf[0] = '\0';
	if (set)
		hwloc_bitmap_list_snprintf(buf, len, set);
}

/* ---- Binding ----------------------------------------------------------- */

void pin_set_strict(bool s)
{
	strict = s;
}

bool pin_is_strict(void)
{
	return strict;
}

static void report_failure(unsigned worker, const char *set, const char *how, const char *why)
{
	if (strict)
		fprintf(stderr, "tvp: cannot bind worker %u (%s) to CPUs %s: %s (--pin-strict)\n",
			worker, how, set, why);
	else if (atomic_exchange(warned, 1) == 0)
		fprintf(stderr, "tvp: warning: cannot bind worker %u (%s) to CPUs %s: %s; "
			"such workers run unpinned and record \"pinned\": false\n",
			worker, how, set, why);
}

static int bind_worker(const struct pin_plan *p, unsigned worker, struct worker_stats *ws,
		       int flags, const char *how)
{
	hwloc_const_cpuset_t set = pin_plan_cpuset(p, worker);
	char text[sizeof ws->bound];
	const char *why;
	int rc;

	ws->bound[0] = '\0';
	if (!set) {
		ws->pinned = -1;
		return 0;
	}
	hwloc_bitmap_list_snprintf(text, sizeof text, set);
	if (!pin_topology_is_this_system()) {
		rc = -ENOSYS;
		why = topo ? "the topology is not this machine's (HWLOC_SYNTHETIC or HWLOC_XMLFILE is set)"
			   : "the topology is not loaded";
	} else if (hwloc_set_cpubind(topo, set, flags) < 0) {
		rc = errno ? -errno : -EINVAL;
		why = strerror(-rc);
	} else {
		/* Record the binding the OS now reports, not merely the request. */
		hwloc_bitmap_t got = hwloc_bitmap_alloc();

		if (hwloc_get_cpubind(topo, got, flags) == 0)
			hwloc_bitmap_list_snprintf(ws->bound, sizeof ws->bound, got);
		else
			snprintf(ws->bound, sizeof ws->bound, "%s", text);
		hwloc_bitmap_free(got);
		ws->pinned = 1;
		return 0;
	}
	ws->pinned = 0;
	report_failure(worker, text, how, why);
	return rc;
}

int pin_bind_thread(const struct pin_plan *p, unsigned worker, struct worker_stats *ws)
{
	return bind_worker(p, worker, ws, HWLOC_CPUBIND_THREAD, "thread");
}

int pin_bind_process(const struct pin_plan *p, unsigned worker, struct worker_stats *ws)
{
	return bind_worker(p, worker, ws, HWLOC_CPUBIND_PROCESS, "process");
}

/* Whether CPU cpu is in list text such as "0,2,4-7", without allocating. */
static bool list_has(const char *s, unsigned cpu)
{
	while (*s) {
		unsigned lo, hi;

		if (!read_index(&s, &lo))
			return false;
		hi = lo;
		if (*s == '-') {
			s++;
			if (!read_index(&s, &hi))
				return false;
		}
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

		if (hwloc_get_last_cpu_location(topo, where, HWLOC_CPUBIND_THREAD) == 0)
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
