/* report.c: `tvp report`, the summary of a results file a user reads first:
 * the machine, per workload the best mode at each worker count with its
 * speedup, the warnings grouped by cause, and findings computed from the
 * data (and from an overhead file when there is one).
 *
 * DESIGN
 * Every finding is a comparison of medians, and each one prints the numbers
 * it rests on. A comparison is only stated as a difference when the two 95%
 * confidence intervals of the medians do not overlap; otherwise the finding
 * says the data do not separate them. (Disjoint intervals are a conservative
 * test: overlapping ones can still hide a real difference, which `tvp
 * compare`'s U test is for; the report errs on the side of claiming less.)
 * Nothing here is written in advance: a finding that has no data is left
 * out, not filled with a guess.
 */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/commands.h"
#include "bench/resdoc.h"
#include "bench/util.h"

/* One cell, with the figures the report compares. */
struct ref {
	const json_t *c;
	const char *workload, *mode, *kind, *pin;
	long long workers, size, tasks;
	double med, lo, hi, speedup;
	char label[160];    /* "thread-pool", "fork-pool/shm", "thread-pool (python)" */
};

struct report {
	struct resdoc doc;
	struct ref *refs;
	size_t n;
	unsigned cores, pus;
	size_t findings;
	FILE *out;
};

static void fill_ref(struct ref *r, const json_t *c)
{
	const char *ch = resdoc_str(c, "channel", NULL), *lang = resdoc_str(c, "lang", "c");

	r->c = c;
	r->workload = resdoc_str(c, "workload", "?");
	r->mode = resdoc_str(c, "mode", "?");
	r->kind = resdoc_str(c, "kind", "?");
	r->pin = resdoc_str(c, "pin", "none");
	r->workers = json_integer_value(json_object_get(c, "workers"));
	r->size = json_integer_value(json_object_get(c, "size"));
	r->tasks = json_integer_value(json_object_get(c, "tasks"));
	r->med = resdoc_stat(c, "median");
	r->lo = resdoc_stat(c, "ci95_lo");
	r->hi = resdoc_stat(c, "ci95_hi");
	r->speedup = resdoc_num(c, "speedup");
	snprintf(r->label, sizeof r->label, "%s%s%s%s", r->mode, ch ? "/" : "", ch ? ch : "",
		 strcmp(lang, "c") ? " (python)" : "");
}

static bool measured(const struct ref *r)
{
	return r->med > 0 && !isnan(r->med) && resdoc_stat(r->c, "n") > 0;
}

/* The medians' intervals are apart: a is faster than b, or slower. */
static bool apart(const struct ref *a, const struct ref *b)
{
	return a->hi < b->lo || b->hi < a->lo;
}

static const char *dur(char *buf, size_t len, double ns)
{
	format_duration(buf, len, ns);
	return buf;
}

static void finding(struct report *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void finding(struct report *R, const char *fmt, ...)
{
	va_list ap;

	if (R->findings++ == 0)
		fprintf(R->out, "\nfindings\n");
	fputs("  - ", R->out);
	va_start(ap, fmt);
	vfprintf(R->out, fmt, ap);
	va_end(ap);
	fputc('\n', R->out);
}

/* The fastest measured cell matching the filters (kind NULL: any but
 * serial; "any": serial too), or NULL. */
static const struct ref *best(const struct report *R, const char *workload, long long size,
			      long long workers, const char *kind, const char *pin,
			      const char *mode_part)
{
	const struct ref *b = NULL;

	for (size_t i = 0; i < R->n; i++) {
		const struct ref *r = &R->refs[i];
		if (!measured(r) || strcmp(r->workload, workload) || r->size != size ||
		    (workers && r->workers != workers) || strcmp(r->pin, pin))
			continue;
		if (kind ? (strcmp(kind, "any") && strcmp(r->kind, kind)) : !strcmp(r->kind, "serial"))
			continue;
		if (mode_part && !strstr(r->mode, mode_part))
			continue;
		if (!b || r->med < b->med)
			b = r;
	}
	return b;
}

static void print_machine(struct report *R)
{
	const json_t *root = R->doc.root, *host = json_object_get(root, "host");
	const json_t *tool = json_object_get(root, "tool"), *cfg = json_object_get(root, "config");
	const json_t *load = json_object_get(host, "load_average");
	const char *gov = resdoc_str(host, "cpu_governor", NULL);

	fprintf(R->out, "tvp report: %s\n", R->doc.path);
	fprintf(R->out, "run:     %s, tvp %s (%s)%s%s\n", resdoc_str(root, "created", "?"),
		resdoc_str(tool, "version", "?"), resdoc_str(tool, "git_revision", "?"),
		json_is_true(json_object_get(cfg, "quick")) ? ", quick run (small sizes)" : "",
		json_is_true(json_object_get(root, "interrupted")) ? ", INTERRUPTED (partial)" : "");
	fprintf(R->out, "machine: %s: %s; %lld package(s), %u cores, %u PUs, %lld NUMA node(s); %s",
		resdoc_str(host, "hostname", "?"), resdoc_str(host, "cpu_model", "?"),
		(long long)json_integer_value(json_object_get(host, "packages")), R->cores, R->pus,
		(long long)json_integer_value(json_object_get(host, "numa_nodes")),
		resdoc_str(host, "kernel", "?"));
	if (gov)
		fprintf(R->out, "; governor %s", gov);
	if (json_is_array(load) && json_array_size(load) > 0)
		fprintf(R->out, "; load %.2f at the start", json_number_value(json_array_get(load, 0)));
	fputc('\n', R->out);
}

/* Distinct values, in order of first appearance. */
static bool seen_str(const char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* The worker counts measured for (workload, size, pin none), sorted. */
static size_t worker_counts(const struct report *R, const char *w, long long size, long long *out)
{
	size_t n = 0;

	for (size_t i = 0; i < R->n; i++) {
		const struct ref *r = &R->refs[i];
		bool dup = false;
		if (strcmp(r->workload, w) || r->size != size || strcmp(r->pin, "none"))
			continue;
		for (size_t k = 0; k < n; k++)
			dup |= out[k] == r->workers;
		if (!dup)
			out[n++] = r->workers;
	}
	qsort(out, n, sizeof *out, cmp_ll);
	return n;
}

static void print_table(struct report *R, const char *w, long long size)
{
	long long *ws = xcalloc(R->n + 1, sizeof *ws);
	size_t nw = worker_counts(R, w, size, ws);
	const struct ref *any = NULL;
	char a[32], b[32], c[32], d[32];

	for (size_t i = 0; i < R->n && !any; i++)
		if (!strcmp(R->refs[i].workload, w) && R->refs[i].size == size)
			any = &R->refs[i];
	fprintf(R->out, "\n%s, size %lld %s, %lld tasks per measurement (pin none)\n", w, size,
		resdoc_str(any->c, "size_unit", ""), any->tasks);
	fprintf(R->out, "  %7s  %-22s %10s  %-21s %8s  %s\n", "workers", "best mode", "median",
		"95% CI of the median", "speedup", "next best");
	for (size_t k = 0; k < nw; k++) {
		const struct ref *bst = best(R, w, size, ws[k], "any", "none", NULL), *next = NULL;
		if (!bst) {
			fprintf(R->out, "  %7lld  (no measured cell)\n", ws[k]);
			continue;
		}
		for (size_t i = 0; i < R->n; i++) {
			const struct ref *r = &R->refs[i];
			if (r != bst && measured(r) && !strcmp(r->workload, w) && r->size == size &&
			    r->workers == ws[k] && !strcmp(r->pin, "none") && (!next || r->med < next->med))
				next = r;
		}
		fprintf(R->out, "  %7lld  %-22s %10s  %9s - %-9s %7.2fx  ", ws[k], bst->label,
			dur(a, sizeof a, bst->med), dur(b, sizeof b, bst->lo), dur(c, sizeof c, bst->hi),
			bst->speedup);
		if (next)
			fprintf(R->out, "%s %s (%s)\n", next->label, dur(d, sizeof d, next->med),
				apart(bst, next) ? "CIs apart" : "CIs overlap: a tie");
		else
			fprintf(R->out, "-\n");
	}
	free(ws);
}

/* Warning classes: a substring of the warning and what to call it. */
static const struct {
	const char *match, *name, *meaning;
} classes[] = {
	{ "noisy", "noise", "the 95% CI of the median is wider than 10% of it" },
	{ "slower than its best", "load", "samples taken while the machine ran slow (reference loop)" },
	{ "outlier", "outliers", "samples far from the rest (modified z-score)" },
	{ "samples", "few samples", "too few samples for a reliable median" },
	{ "oversubscribed", "oversubscribed", "more workers than PUs (expected past the core count)" },
	{ "pin", "pinning", "placement was not applied as asked" },
	{ "bind", "pinning", "placement was not applied as asked" },
	{ "", "other", "" },
};

static void print_warnings(struct report *R)
{
	const json_t *w;
	size_t i, k, shown = 0;

	fprintf(R->out, "\nwarnings\n");
	json_array_foreach(json_object_get(R->doc.root, "warnings"), k, w) {
		fprintf(R->out, "  run: %s\n", json_string_value(w));
		shown++;
	}
	for (size_t cl = 0; cl < ARRAY_SIZE(classes); cl++) {
		size_t cells = 0;
		char list[400] = "";
		bool dup = false;

		for (size_t e = 0; e < cl; e++)
			dup |= !strcmp(classes[e].name, classes[cl].name);
		if (dup)
			continue;
		for (i = 0; i < R->n; i++) {
			bool hit = false;
			json_array_foreach(json_object_get(R->refs[i].c, "warnings"), k, w) {
				const char *s = json_string_value(w);
				size_t first = ARRAY_SIZE(classes) - 1;
				if (!s)
					continue;
				for (size_t e = 0; e < ARRAY_SIZE(classes); e++)
					if (strstr(s, classes[e].match)) {
						first = e;
						break;
					}
				hit |= !strcmp(classes[first].name, classes[cl].name);
			}
			if (hit) {
				char lab[200];
				size_t len = strlen(list);
				resdoc_cell_label(R->refs[i].c, false, lab, sizeof lab);
				if (cells < 4)
					snprintf(list + len, sizeof list - len, "%s%s", cells ? ", " : "", lab);
				else if (cells == 4)
					snprintf(list + len, sizeof list - len, ", ...");
				cells++;
			}
		}
		if (cells) {
			fprintf(R->out, "  %s: %zu of %zu cells%s%s (%s)\n", classes[cl].name, cells, R->n,
				classes[cl].meaning[0] ? ": " : "", classes[cl].meaning, list);
			shown++;
		}
	}
	for (i = 0; i < R->n; i++) {
		const char *e = resdoc_str(R->refs[i].c, "error", NULL);
		char lab[200];
		if (e || json_is_false(json_object_get(R->refs[i].c, "verified"))) {
			resdoc_cell_label(R->refs[i].c, false, lab, sizeof lab);
			fprintf(R->out, "  error: %s: %s\n", lab, e ? e : "not verified");
			shown++;
		}
	}
	if (!shown)
		fprintf(R->out, "  none\n");
}

/* The worker count to compare modes at: the core count if measured, else
 * the largest measured below it, else the smallest above 1. 0: none. */
static long long compare_at(const struct report *R, const char *w, long long size)
{
	long long *ws = xcalloc(R->n + 1, sizeof *ws), at = 0;
	size_t nw = worker_counts(R, w, size, ws);

	for (size_t k = 0; k < nw; k++)
		if (ws[k] > 1 && ws[k] <= (long long)R->cores)
			at = ws[k];
	for (size_t k = 0; k < nw && !at; k++)
		if (ws[k] > 1)
			at = ws[k];
	free(ws);
	return at;
}

static void find_threads_vs_processes(struct report *R, const char *w, long long size)
{
	long long at = compare_at(R, w, size);
	const struct ref *t, *p;
	char a[32], b[32], c[32], d[32];

	if (!at)
		return;
	t = best(R, w, size, at, "thread", "none", NULL);
	p = best(R, w, size, at, "process", "none", NULL);
	if (!t || !p)
		return;
	if (!apart(t, p))
		finding(R, "on this machine, for %s, threads and processes scale alike: %s %.2fx and %s "
			   "%.2fx at %lld workers (%u cores); their 95%% CIs overlap (%s-%s and %s-%s), so "
			   "the data do not separate them",
			w, t->label, t->speedup, p->label, p->speedup, at, R->cores, dur(a, 32, t->lo),
			dur(b, 32, t->hi), dur(c, 32, p->lo), dur(d, 32, p->hi));
	else {
		const struct ref *f = t->med < p->med ? t : p, *s = f == t ? p : t;
		finding(R, "for %s at %lld workers (%u cores), %s beat %s by %.2fx: %s %.2fx against %s "
			   "%.2fx (medians %s and %s, CIs apart)",
			w, at, R->cores, f == t ? "threads" : "processes", f == t ? "processes" : "threads",
			s->med / f->med, f->label, f->speedup, s->label, s->speedup, dur(a, 32, f->med),
			dur(b, 32, s->med));
	}
}

static void find_past_cores(struct report *R, const char *w, long long size)
{
	long long *ws = xcalloc(R->n + 1, sizeof *ws);
	size_t nw = worker_counts(R, w, size, ws);
	long long at = compare_at(R, w, size), top = nw ? ws[nw - 1] : 0;
	const struct ref *a, *b;

	free(ws);
	if (!at || top <= (long long)R->cores || top <= at)
		return;
	a = best(R, w, size, at, NULL, "none", NULL);
	b = best(R, w, size, top, NULL, "none", NULL);
	if (!a || !b)
		return;
	if (b->hi < a->lo)
		finding(R, "for %s, workers past the %u cores keep helping: best %.2fx at %lld workers "
			   "(%s) against %.2fx at %lld (%s)",
			w, R->cores, b->speedup, top, b->label, a->speedup, at, a->label);
	else if (a->hi < b->lo)
		finding(R, "for %s, workers past the %u cores cost time: best %.2fx at %lld workers (%s) "
			   "against %.2fx at %lld (%s); CIs apart",
			w, R->cores, b->speedup, top, b->label, a->speedup, at, a->label);
	else
		finding(R, "for %s, workers past the %u cores neither help nor hurt measurably: best "
			   "%.2fx at %lld workers (%s), %.2fx at %lld (%s); CIs overlap",
			w, R->cores, a->speedup, at, a->label, b->speedup, top, b->label);
}

static void find_pool_vs_spawn(struct report *R, const char *w, long long size)
{
	static const char *const kinds[] = { "thread", "process" };
	long long *ws = xcalloc(R->n + 1, sizeof *ws);
	size_t nw = worker_counts(R, w, size, ws);
	long long top = nw ? ws[nw - 1] : 0;
	char a[32], b[32];

	free(ws);
	for (size_t k = 0; k < ARRAY_SIZE(kinds) && top > 1; k++) {
		const struct ref *pool = best(R, w, size, top, kinds[k], "none", "pool");
		const struct ref *spawn = best(R, w, size, top, kinds[k], "none", "spawn");
		if (!pool || !spawn)
			continue;
		if (!apart(pool, spawn))
			finding(R, "for %s at %lld workers, a %s pool and a %s per task cost alike: %s %s "
				   "and %s %s (CIs overlap)",
				w, top, kinds[k], kinds[k], pool->label, dur(a, 32, pool->med), spawn->label,
				dur(b, 32, spawn->med));
		else
			finding(R, "for %s at %lld workers, %s is %.2fx faster than %s: %s against %s "
				   "(CIs apart)",
				w, top, pool->med < spawn->med ? pool->label : spawn->label,
				fmax(pool->med, spawn->med) / fmin(pool->med, spawn->med),
				pool->med < spawn->med ? spawn->label : pool->label,
				dur(a, 32, fmin(pool->med, spawn->med)), dur(b, 32, fmax(pool->med, spawn->med)));
	}
}

static bool several_sizes(const struct report *R, const char *w)
{
	long long first = -1;

	for (size_t i = 0; i < R->n; i++)
		if (!strcmp(R->refs[i].workload, w)) {
			if (first >= 0 && R->refs[i].size != first)
				return true;
			first = R->refs[i].size;
		}
	return false;
}

/* For a workload measured at several sizes: threads against processes at
 * the smallest and the largest size, per task. */
static void find_sizes(struct report *R, const char *w)
{
	long long lo = -1, hi = -1;
	const long long *sz[2] = { &lo, &hi };

	for (size_t i = 0; i < R->n; i++)
		if (!strcmp(R->refs[i].workload, w)) {
			if (lo < 0 || R->refs[i].size < lo)
				lo = R->refs[i].size;
			if (R->refs[i].size > hi)
				hi = R->refs[i].size;
		}
	if (lo == hi)
		return;
	for (size_t k = 0; k < 2; k++) {
		long long at = compare_at(R, w, *sz[k]);
		const struct ref *t = at ? best(R, w, *sz[k], at, "thread", "none", NULL) : NULL;
		const struct ref *p = at ? best(R, w, *sz[k], at, "process", "none", NULL) : NULL;
		char a[32], b[32];
		if (!t || !p)
			continue;
		if (!apart(t, p))
			finding(R, "for %s at size %lld %s (%lld workers), threads and processes cost alike "
				   "per task: %s %s, %s %s (CIs overlap)",
				w, *sz[k], resdoc_str(t->c, "size_unit", ""), at, t->label,
				dur(a, 32, t->med / (double)t->tasks), p->label,
				dur(b, 32, p->med / (double)p->tasks));
		else
			finding(R, "for %s at size %lld %s (%lld workers), a task costs processes %.2fx what "
				   "it costs threads: %s %s against %s %s per task (CIs apart)",
				w, *sz[k], resdoc_str(t->c, "size_unit", ""), at, p->med / t->med, p->label,
				dur(a, 32, p->med / (double)p->tasks), t->label,
				dur(b, 32, t->med / (double)t->tasks));
	}
}

static void find_pinning(struct report *R, const char *w, long long size)
{
	const char *pins[8];
	size_t np = 0;

	for (size_t i = 0; i < R->n && np < ARRAY_SIZE(pins); i++)
		if (!strcmp(R->refs[i].workload, w) && R->refs[i].size == size &&
		    !seen_str(pins, np, R->refs[i].pin))
			pins[np++] = R->refs[i].pin;
	for (size_t k = 0; k < np; k++) {
		long long at = 0;
		size_t same = 0, differ = 0;
		const struct ref *bigp = NULL, *bign = NULL;
		if (!strcmp(pins[k], "none"))
			continue;
		for (size_t i = 0; i < R->n; i++) {
			const struct ref *r = &R->refs[i];
			if (!strcmp(r->workload, w) && r->size == size && !strcmp(r->pin, pins[k]) &&
			    r->workers <= (long long)R->cores && r->workers > at)
				at = r->workers;
		}
		for (size_t i = 0; i < R->n && at; i++) {
			const struct ref *p = &R->refs[i], *n = NULL;
			if (strcmp(p->workload, w) || p->size != size || strcmp(p->pin, pins[k]) ||
			    p->workers != at || !measured(p))
				continue;
			for (size_t j = 0; j < R->n; j++) {
				const struct ref *q = &R->refs[j];
				if (!strcmp(q->workload, w) && q->size == size && !strcmp(q->pin, "none") &&
				    q->workers == at && !strcmp(q->label, p->label) && measured(q))
					n = q;
			}
			if (!n)
				continue;
			if (apart(p, n)) {
				differ++;
				if (!bigp || fabs(p->med / n->med - 1) > fabs(bigp->med / bign->med - 1)) {
					bigp = p;
					bign = n;
				}
			} else {
				same++;
			}
		}
		if (differ == 0 && same > 0)
			finding(R, "for %s at %lld workers, pinning '%s' made no measurable difference: %zu "
				   "mode(s) compared with unpinned, every 95%% CI overlapping",
				w, at, pins[k], same);
		else if (differ > 0)
			finding(R, "for %s at %lld workers, pinning '%s' changed %zu of %zu mode(s); the "
				   "largest: %s %.2fx pinned against %.2fx unpinned (CIs apart)",
				w, at, pins[k], differ, differ + same, bigp->label, bigp->speedup, bign->speedup);
	}
}

/* Overhead: the table and the thread-against-process pairs. */
static const json_t *ovh_find(const struct resdoc *o, const char *name, bool prefix)
{
	const json_t *e;
	size_t i, len = strlen(name);

	json_array_foreach(o->results, i, e) {
		const char *n = resdoc_str(e, "name", "");
		if (!strcmp(n, name) || (prefix && !strncmp(n, name, len) && n[len] == '-'))
			return e;
	}
	return NULL;
}

/* "pipe-roundtrip-" -> "pipe-roundtrip", "handoff--pool" -> "handoff-pool". */
static void tidy_name(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++)
		if (!(*r == '-' && (w == s || w[-1] == '-')))
			*w++ = *r;
	while (w > s && w[-1] == '-')
		w--;
	*w = '\0';
}

static void ovh_pair(struct report *R, const json_t *t, const json_t *p, const char *what)
{
	double tm = resdoc_stat(t, "median"), pm = resdoc_stat(p, "median");
	double tl = resdoc_stat(t, "ci95_lo"), th = resdoc_stat(t, "ci95_hi");
	double pl = resdoc_stat(p, "ci95_lo"), ph = resdoc_stat(p, "ci95_hi");
	const char *unit = resdoc_str(t, "unit", "");
	char a[32], b[32];

	if (!(tm > 0) || !(pm > 0) || strcmp(unit, resdoc_str(p, "unit", "")))
		return;
	if (strcmp(unit, "ns")) {
		snprintf(a, sizeof a, "%.4g %s", tm, unit);
		snprintf(b, sizeof b, "%.4g %s", pm, unit);
	} else {
		format_duration(a, sizeof a, tm);
		format_duration(b, sizeof b, pm);
	}
	if (th >= pl && ph >= tl)
		finding(R, "%s costs a thread and a process alike: %s %s and %s %s (CIs overlap)", what,
			resdoc_str(t, "name", "?"), a, resdoc_str(p, "name", "?"), b);
	else
		finding(R, "%s costs a process %.1fx what it costs a thread: %s %s against %s %s (CIs apart)",
			what, pm / tm, resdoc_str(p, "name", "?"), b, resdoc_str(t, "name", "?"), a);
}

static void overhead_table(struct report *R, const struct resdoc *o)
{
	const json_t *e;
	size_t i;

	{
		fprintf(R->out, "\noverhead (%s)\n  %-34s %-10s %-8s %12s  %s\n", o->path, "operation",
			"group", "kind", "median", "95% CI");
		json_array_foreach(o->results, i, e) {
			double m = resdoc_stat(e, "median"), lo = resdoc_stat(e, "ci95_lo"),
			       hi = resdoc_stat(e, "ci95_hi");
			const char *unit = resdoc_str(e, "unit", "");
			char a[32], b[32], c[32];
			if (!strcmp(unit, "ns")) {
				dur(a, 32, m);
				dur(b, 32, lo);
				dur(c, 32, hi);
			} else {
				snprintf(a, 32, "%.4g %s", m, unit);
				snprintf(b, 32, "%.4g", lo);
				snprintf(c, 32, "%.4g", hi);
			}
			fprintf(R->out, "  %-34s %-10s %-8s %12s  %s - %s\n", resdoc_str(e, "name", "?"),
				resdoc_str(e, "group", "-"), resdoc_str(e, "kind", "-"), a, b, c);
		}
	}
}

static void overhead_findings(struct report *R, const struct resdoc *o)
{
	const json_t *t, *p;
	size_t i;

	t = ovh_find(o, "thread-create-join", false);
	p = ovh_find(o, "fork-exit-wait", false);
	if (t && p)
		ovh_pair(R, t, p, "creating (and ending) a worker");
	/* Every other pair whose names differ by thread -> process or fork. */
	json_array_foreach(o->results, i, t) {
		const char *n = resdoc_str(t, "name", ""), *at = strstr(n, "thread");
		static const char *const other[] = { "process", "fork" };
		if (!at || !strcmp(n, "thread-create-join"))
			continue;
		for (size_t k = 0; k < ARRAY_SIZE(other); k++) {
			char name[200], what[200];
			snprintf(name, sizeof name, "%.*s%s%s", (int)(at - n), n, other[k], at + 6);
			if ((p = ovh_find(o, name, true)) && p != t) {
				snprintf(what, sizeof what, "%.*s%s", (int)(at - n), n, at + 6);
				tidy_name(what);
				ovh_pair(R, t, p, what[0] ? what : n);
				break;
			}
		}
	}
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp report FILE.json [--overhead FILE.json | --overhead none]\n\n"
		   "Summarises a results file (tvp run): the machine; per workload and size the\n"
		   "best mode at each worker count with its median, CI and speedup; the warnings\n"
		   "grouped by cause; and findings computed from the data. A difference is only\n"
		   "claimed where the 95%% confidence intervals of the medians are apart.\n\n"
		   "  --overhead FILE   also read an overhead file (tvp overhead) for the costs of\n"
		   "                    creating, handing off and waking; by default the file\n"
		   "                    overhead-latest.json beside FILE is used when it exists\n"
		   "  --overhead none   do not look for one\n"
		   "  --help            this text\n\n"
		   "FILE may also be an overhead file alone. Exit status: 0 success, 2 a bad command\n"
		   "line or a file that cannot be read (missing, not JSON, another schema).\n");
}

int cmd_report(int argc, char **argv)
{
	const char *file = NULL, *ovh_path = NULL;
	bool no_ovh = false;
	struct report R;
	struct resdoc ovh;
	char err[600], *auto_path = NULL;
	const char **wl;
	size_t nwl = 0;
	bool have_ovh = false;
	int status = 0;

	memset(&R, 0, sizeof R);
	memset(&ovh, 0, sizeof ovh);
	R.out = stdout;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--overhead") && i + 1 < argc) {
			ovh_path = argv[++i];
			no_ovh = !strcmp(ovh_path, "none");
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "tvp: report: unknown option or missing argument '%s'; accepted: "
					"--overhead FILE|none, --help\n", argv[i]);
			return 2;
		} else if (!file) {
			file = argv[i];
		} else {
			fprintf(stderr, "tvp: report: one results file only ('%s' and '%s' given; tvp "
					"compare compares two)\n", file, argv[i]);
			return 2;
		}
	}
	if (!file) {
		fprintf(stderr, "tvp: report: no input file; usage: tvp report FILE.json [--overhead FILE]\n");
		return 2;
	}
	if (resdoc_load(&R.doc, file, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: report: %s\n", err);
		return 2;
	}
	if (!no_ovh && !ovh_path && R.doc.kind == RESDOC_RESULTS) {
		char *copy = xstrdup(file);
		auto_path = xasprintf("%s/overhead-latest.json", dirname(copy));
		free(copy);
		if (access(auto_path, R_OK) == 0)
			ovh_path = auto_path;
	}
	if (!no_ovh && ovh_path && R.doc.kind == RESDOC_RESULTS) {
		if (resdoc_load(&ovh, ovh_path, err, sizeof err) != 0) {
			fprintf(stderr, "tvp: report: --overhead: %s\n", err);
			status = 2;
			goto out;
		}
		if (ovh.kind != RESDOC_OVERHEAD) {
			fprintf(stderr, "tvp: report: --overhead: '%s' is a results file, not an overhead "
					"file (schema %s)\n", ovh_path, RESDOC_OVERHEAD_SCHEMA);
			status = 2;
			goto out;
		}
		have_ovh = true;
	}
	{
		const json_t *host = json_object_get(R.doc.root, "host");
		R.cores = (unsigned)json_integer_value(json_object_get(host, "cores"));
		R.pus = (unsigned)json_integer_value(json_object_get(host, "pus"));
		if (!R.cores)
			R.cores = R.pus ? R.pus : 1;
	}
	print_machine(&R);
	if (R.doc.kind == RESDOC_OVERHEAD) {
		overhead_table(&R, &R.doc);
		overhead_findings(&R, &R.doc);
		if (!R.findings)
			fprintf(R.out, "\nfindings\n  (none: no thread and process measurements to pair)\n");
		goto out;
	}
	R.n = json_array_size(R.doc.results);
	R.refs = xcalloc(R.n + 1, sizeof *R.refs);
	for (size_t i = 0; i < R.n; i++)
		fill_ref(&R.refs[i], json_array_get(R.doc.results, i));
	wl = xcalloc(R.n + 1, sizeof *wl);
	for (size_t i = 0; i < R.n; i++)
		if (!seen_str(wl, nwl, R.refs[i].workload))
			wl[nwl++] = R.refs[i].workload;
	if (R.n == 0)
		fprintf(R.out, "\n(no cells: the run measured nothing)\n");
	for (size_t k = 0; k < nwl; k++) {
		long long done[64];
		size_t nd = 0;
		for (size_t i = 0; i < R.n && nd < ARRAY_SIZE(done); i++) {
			bool dup = false;
			if (strcmp(R.refs[i].workload, wl[k]))
				continue;
			for (size_t j = 0; j < nd; j++)
				dup |= done[j] == R.refs[i].size;
			if (!dup) {
				done[nd++] = R.refs[i].size;
				print_table(&R, wl[k], R.refs[i].size);
			}
		}
	}
	print_warnings(&R);
	if (have_ovh)
		overhead_table(&R, &ovh);
	for (size_t k = 0; k < nwl; k++) {
		long long size = -1;
		/* The largest size stands for the workload; find_sizes covers the rest. */
		for (size_t i = 0; i < R.n; i++)
			if (!strcmp(R.refs[i].workload, wl[k]) && R.refs[i].size > size)
				size = R.refs[i].size;
		/* With several sizes, find_sizes compares threads and processes. */
		if (!several_sizes(&R, wl[k]))
			find_threads_vs_processes(&R, wl[k], size);
		find_past_cores(&R, wl[k], size);
		find_pool_vs_spawn(&R, wl[k], size);
		find_sizes(&R, wl[k]);
		find_pinning(&R, wl[k], size);
	}
	if (have_ovh)
		overhead_findings(&R, &ovh);
	if (!R.findings)
		fprintf(R.out, "\nfindings\n  (none: the file has no parallel mode to compare with serial"
			       " or with each other)\n");
	free(wl);
out:
	if (fflush(R.out) != 0 && status == 0) {
		fprintf(stderr, "tvp: report: cannot write the report: %s\n", strerror(errno));
		status = 1;
	}
	free(auto_path);
	free(R.refs);
	resdoc_release(&ovh);
	resdoc_release(&R.doc);
	return status;
}
