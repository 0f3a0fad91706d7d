/* pin_plan.c: placement plans for --pin (none, compact, scatter, pu:LIST,
 * core:LIST) made from the loaded topology, and splitting a --pin value
 * into policies (see pin.h).
 *
 * DESIGN
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
 */
#include "par/pin.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "par/pin_impl.h"
#include "par/sys.h"

enum policy { POLICY_NONE, POLICY_COMPACT, POLICY_SCATTER, POLICY_PUS, POLICY_CORES };

struct pin_plan {
	enum policy policy;
	char *name;              /* canonical policy text */
	unsigned workers;
	bool wraps;
	hwloc_bitmap_t *sets;    /* [workers]; NULL for none */
};

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

bool pin_read_range(const char **s, unsigned *lo, unsigned *hi)
{
	if (!read_index(s, lo))
		return false;
	*hi = *lo;
	if (**s != '-')
		return true;
	(*s)++;
	return read_index(s, hi);
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

		if (!pin_read_range(&s, &lo, &hi))
			goto bad_entry;
		if (hi < lo) {
			snprintf(err, errlen, "%s: the range %u-%u is backwards; write %s:%u-%u",
				 policy, lo, hi, kind, hi, lo);
			goto out_free;
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
	unsigned npu = (unsigned)hwloc_get_nbobjs_by_type(pin_topology(), HWLOC_OBJ_PU);

	for (unsigned i = 0; i < p->workers; i++)
		plan_set(p, i, hwloc_get_obj_by_type(pin_topology(), HWLOC_OBJ_PU, i % npu)->cpuset);
}

static void plan_scatter(struct pin_plan *p)
{
	unsigned npu = (unsigned)hwloc_get_nbobjs_by_type(pin_topology(), HWLOC_OBJ_PU);
	unsigned m = p->workers < npu ? p->workers : npu;
	hwloc_obj_t root = hwloc_get_root_obj(pin_topology());
	hwloc_bitmap_t *d = xcalloc(m, sizeof *d);

	hwloc_distrib(pin_topology(), &root, 1, d, m, INT_MAX, 0);
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
		plan_set(p, i, hwloc_get_obj_by_type(pin_topology(), type, idx[i % n])->cpuset);
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
		int nobj = hwloc_get_nbobjs_by_type(pin_topology(), type);

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
