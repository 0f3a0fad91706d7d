/* report_findings.c: the findings of `tvp report`: threads against
 * processes, workers past the cores, a pool against a worker per task, small
 * sizes against large, pinned against unpinned. Each prints the numbers it
 * rests on. In a file with rounds (tvp.results/2) a comparison of two cells
 * is paired (report_paired.c says how); in one without (/1) it compares the
 * medians' own intervals (report.c's DESIGN says when a difference is
 * claimed) and says that it is unpaired. */
#include "bench/report.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "bench/units.h"
#include "bench/util.h"

/* What an unpaired finding (a /1 file) says of itself. */
#define UNPAIRED " [unpaired: the file has no rounds]"

const struct report_cell *report_best(const struct report *R, const char *workload,
				      long long inst, long long workers, unsigned kinds,
				      const char *pin, int family)
{
	const struct report_cell *b = NULL;

	for (size_t i = 0; i < R->n; i++) {
		const struct report_cell *r = &R->cells[i];
		if (!report_measured(r) || strcmp(r->workload, workload) || r->inst != inst ||
		    (workers && r->workers != workers) || strcmp(r->pin, pin))
			continue;
		if (!(kinds & REPORT_KINDS(r->kind)))
			continue;
		if (family != REPORT_ANY_FAMILY && r->family != family)
			continue;
		if (!b || r->med < b->med)
			b = r;
	}
	return b;
}

void report_finding(struct report *R, const char *fmt, ...)
{
	va_list ap;
	char text[1024];

	if (R->findings++ == 0)
		report_section(R, "findings", "Findings", true);
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	report_item(R, "%s%s", R->html ? "" : "- ", text);
}

/* The worker count to compare modes at: the core count if measured, else
 * the largest measured below it, else the smallest above 1. 0: none. */
static long long compare_at(const struct report *R, const char *w, long long inst)
{
	long long *ws = xcalloc(R->n + 1, sizeof *ws), at = 0;
	size_t nw = report_worker_counts(R, w, inst, ws);

	for (size_t k = 0; k < nw; k++)
		if (ws[k] > 1 && ws[k] <= (long long)R->cores)
			at = ws[k];
	for (size_t k = 0; k < nw && !at; k++)
		if (ws[k] > 1)
			at = ws[k];
	free(ws);
	return at;
}

static void find_threads_vs_processes(struct report *R, const struct report_inst *in)
{
	const char *w = in->w;
	long long inst = in->id;
	long long at = compare_at(R, w, inst);
	const struct report_cell *t, *p;
	char a[32], b[32], c[32], d[32], text[600];

	if (!at)
		return;
	t = report_best(R, w, inst, at, REPORT_KINDS(REPORT_KIND_THREAD), "none",
			REPORT_ANY_FAMILY);
	p = report_best(R, w, inst, at, REPORT_KINDS(REPORT_KIND_PROCESS), "none",
			REPORT_ANY_FAMILY);
	if (!t || !p)
		return;
	if (report_paired(t, t->label, p, p->label, text, sizeof text))
		report_finding(R, "for %s at %lld workers (%u cores), threads against processes: %s", in->name, at,
			       R->cores, text);
	else if (!report_apart(t, p))
		report_finding(R, "on this machine, for %s, threads and processes are not told apart: %s %.2fx and %s "
			   "%.2fx at %lld workers (%u cores); their %d%% CIs overlap (%s-%s and %s-%s), so "
			   "the data do not separate them" UNPAIRED,
			in->name, t->label, t->speedup, p->label, p->speedup, at, R->cores, report_ci_pct(t, p),
			report_dur(a, 32, t->lo), report_dur(b, 32, t->hi), report_dur(c, 32, p->lo),
			report_dur(d, 32, p->hi));
	else {
		const struct report_cell *f = t->med < p->med ? t : p, *s = f == t ? p : t;
		report_finding(R, "for %s at %lld workers (%u cores), %s beat %s by %.2fx: %s %.2fx against %s "
			   "%.2fx (medians %s and %s, CIs apart)" UNPAIRED,
			in->name, at, R->cores, f == t ? "threads" : "processes", f == t ? "processes" : "threads",
			s->med / f->med, f->label, f->speedup, s->label, s->speedup, report_dur(a, 32, f->med),
			report_dur(b, 32, s->med));
	}
}

static void find_past_cores(struct report *R, const struct report_inst *in)
{
	const char *w = in->w;
	long long inst = in->id;
	long long *ws = xcalloc(R->n + 1, sizeof *ws);
	size_t nw = report_worker_counts(R, w, inst, ws);
	long long at = compare_at(R, w, inst), top = nw ? ws[nw - 1] : 0;
	const struct report_cell *a, *b;
	char an[200], bn[200], text[600];

	free(ws);
	if (!at || top <= (long long)R->cores || top <= at)
		return;
	a = report_best(R, w, inst, at, REPORT_KINDS_PARALLEL, "none", REPORT_ANY_FAMILY);
	b = report_best(R, w, inst, top, REPORT_KINDS_PARALLEL, "none", REPORT_ANY_FAMILY);
	if (!a || !b)
		return;
	snprintf(an, sizeof an, "%s x%lld", a->label, at);
	snprintf(bn, sizeof bn, "%s x%lld", b->label, top);
	if (report_paired(b, bn, a, an, text, sizeof text))
		report_finding(R, "for %s, workers past the %u cores, the best at each: %s", in->name, R->cores, text);
	else if (b->hi < a->lo)
		report_finding(R, "for %s, workers past the %u cores keep helping: best %.2fx at %lld workers "
			   "(%s) against %.2fx at %lld (%s)" UNPAIRED,
			in->name, R->cores, b->speedup, top, b->label, a->speedup, at, a->label);
	else if (a->hi < b->lo)
		report_finding(R, "for %s, workers past the %u cores cost time: best %.2fx at %lld workers (%s) "
			   "against %.2fx at %lld (%s); CIs apart" UNPAIRED,
			in->name, R->cores, b->speedup, top, b->label, a->speedup, at, a->label);
	else
		report_finding(R, "for %s, workers past the %u cores neither help nor hurt measurably: best "
			   "%.2fx at %lld workers (%s), %.2fx at %lld (%s); CIs overlap" UNPAIRED,
			in->name, R->cores, a->speedup, at, a->label, b->speedup, top, b->label);
}

static void find_pool_vs_spawn(struct report *R, const struct report_inst *in)
{
	const char *w = in->w;
	long long inst = in->id;
	static const struct {
		enum report_kind kind;
		const char *name;
	} kinds[] = { { REPORT_KIND_THREAD, "thread" }, { REPORT_KIND_PROCESS, "process" } };
	long long *ws = xcalloc(R->n + 1, sizeof *ws);
	size_t nw = report_worker_counts(R, w, inst, ws);
	long long top = nw ? ws[nw - 1] : 0;
	char a[32], b[32], text[600];

	free(ws);
	for (size_t k = 0; k < ARRAY_SIZE(kinds) && top > 1; k++) {
		unsigned kind = REPORT_KINDS(kinds[k].kind);
		const struct report_cell *pool = report_best(R, w, inst, top, kind, "none", MODE_FAMILY_POOL);
		const struct report_cell *spawn = report_best(R, w, inst, top, kind, "none", MODE_FAMILY_SPAWN);
		if (!pool || !spawn)
			continue;
		if (report_paired(pool, pool->label, spawn, spawn->label, text, sizeof text))
			report_finding(R, "for %s at %lld workers, a %s pool against a %s per task: %s", in->name, top,
				       kinds[k].name, kinds[k].name, text);
		else if (!report_apart(pool, spawn))
			report_finding(R, "for %s at %lld workers, a %s pool and a %s per task are not told apart: %s %s "
				   "and %s %s (CIs overlap)" UNPAIRED,
				in->name, top, kinds[k].name, kinds[k].name, pool->label, report_dur(a, 32, pool->med),
				spawn->label,
				report_dur(b, 32, spawn->med));
		else
			report_finding(R, "for %s at %lld workers, %s is %.2fx faster than %s: %s against %s "
				   "(CIs apart)" UNPAIRED,
				in->name, top, pool->med < spawn->med ? pool->label : spawn->label,
				fmax(pool->med, spawn->med) / fmin(pool->med, spawn->med),
				pool->med < spawn->med ? spawn->label : pool->label,
				report_dur(a, 32, fmin(pool->med, spawn->med)), report_dur(b, 32, fmax(pool->med, spawn->med)));
	}
}

static bool several_sizes(const struct report *R, const char *w)
{
	long long first = -1;

	for (size_t i = 0; i < R->n; i++)
		if (!strcmp(R->cells[i].workload, w)) {
			if (first >= 0 && R->cells[i].size != first)
				return true;
			first = R->cells[i].size;
		}
	return false;
}

/* The first instance of workload w at size (report_instances). */
static long long inst_of_size(const struct report *R, const char *w, long long size)
{
	for (size_t i = 0; i < R->n; i++)
		if (!strcmp(R->cells[i].workload, w) && R->cells[i].size == size)
			return R->cells[i].inst;
	return -1;
}

/* For a workload measured at several sizes: threads against processes at
 * the smallest and the largest size, per task. */
static void find_sizes(struct report *R, const char *w)
{
	long long lo = -1, hi = -1;
	const long long *sz[2] = { &lo, &hi };

	for (size_t i = 0; i < R->n; i++)
		if (!strcmp(R->cells[i].workload, w)) {
			if (lo < 0 || R->cells[i].size < lo)
				lo = R->cells[i].size;
			if (R->cells[i].size > hi)
				hi = R->cells[i].size;
		}
	if (lo == hi)
		return;
	for (size_t k = 0; k < 2; k++) {
		long long inst = inst_of_size(R, w, *sz[k]);
		long long at = compare_at(R, w, inst);
		const struct report_cell *t = at ? report_best(R, w, inst, at, REPORT_KINDS(REPORT_KIND_THREAD),
							   "none", REPORT_ANY_FAMILY) : NULL;
		const struct report_cell *p = at ? report_best(R, w, inst, at, REPORT_KINDS(REPORT_KIND_PROCESS),
							   "none", REPORT_ANY_FAMILY) : NULL;
		char a[32], b[32], sb[UNITS_LEN], text[600];
		if (!t || !p)
			continue;
		units_size(sb, sizeof sb, *sz[k], resdoc_str(t->c, "size_unit", ""));
		if (report_paired(t, t->label, p, p->label, text, sizeof text))
			report_finding(R, "for %s at size %s (%lld workers), threads against processes: %s",
				       w, sb, at, text);
		else if (!report_apart(t, p))
			report_finding(R, "for %s at size %s (%lld workers), threads and processes are not told apart "
				   "per task: %s %s, %s %s (CIs overlap)" UNPAIRED,
				w, sb, at, t->label,
				report_dur(a, 32, t->med / (double)t->tasks), p->label,
				report_dur(b, 32, p->med / (double)p->tasks));
		else
			report_finding(R, "for %s at size %s (%lld workers), a task costs processes %.2fx what "
				   "it costs threads: %s %s against %s %s per task (CIs apart)" UNPAIRED,
				w, sb, at, p->med / t->med, p->label,
				report_dur(a, 32, p->med / (double)p->tasks), t->label,
				report_dur(b, 32, t->med / (double)t->tasks));
	}
}

static void find_pinning(struct report *R, const struct report_inst *in)
{
	const char *w = in->w;
	long long inst = in->id;
	const char *pins[8];
	size_t np = 0;

	for (size_t i = 0; i < R->n && np < ARRAY_SIZE(pins); i++)
		if (!strcmp(R->cells[i].workload, w) && R->cells[i].inst == inst &&
		    !report_has_str(pins, np, R->cells[i].pin))
			pins[np++] = R->cells[i].pin;
	for (size_t k = 0; k < np; k++) {
		long long at = 0;
		size_t same = 0, differ = 0;
		const struct report_cell *bigp = NULL, *bign = NULL;
		char pn[200], text[600];
		if (!strcmp(pins[k], "none"))
			continue;
		for (size_t i = 0; i < R->n; i++) {
			const struct report_cell *r = &R->cells[i];
			if (!strcmp(r->workload, w) && r->inst == inst && !strcmp(r->pin, pins[k]) &&
			    r->workers <= (long long)R->cores && r->workers > at)
				at = r->workers;
		}
		for (size_t i = 0; i < R->n && at; i++) {
			const struct report_cell *p = &R->cells[i], *n = NULL;
			if (strcmp(p->workload, w) || p->inst != inst || strcmp(p->pin, pins[k]) ||
			    p->workers != at || !report_measured(p))
				continue;
			for (size_t j = 0; j < R->n; j++) {
				const struct report_cell *q = &R->cells[j];
				if (!strcmp(q->workload, w) && q->inst == inst && !strcmp(q->pin, "none") &&
				    q->workers == at && !strcmp(q->label, p->label) && report_measured(q))
					n = q;
			}
			if (!n)
				continue;
			snprintf(pn, sizeof pn, "%s@%s", p->label, pins[k]);
			if (report_paired(p, pn, n, n->label, text, sizeof text)) {
				report_finding(R, "for %s at %lld workers, pinned '%s' against unpinned: %s", in->name, at,
					       pins[k], text);
				continue;
			}
			if (report_apart(p, n)) {
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
			report_finding(R, "for %s at %lld workers, pinning '%s' made no measurable difference: %zu "
				   "mode(s) compared with unpinned, every CI overlapping" UNPAIRED,
				in->name, at, pins[k], same);
		else if (differ > 0)
			report_finding(R, "for %s at %lld workers, pinning '%s' changed %zu of %zu mode(s); the "
				   "largest: %s %.2fx pinned against %.2fx unpinned (CIs apart)" UNPAIRED,
				in->name, at, pins[k], differ, differ + same, bigp->label, bigp->speedup, bign->speedup);
	}
}

/* t is s's twin under fork: the same cell in every other respect. */
static bool fork_twin(const struct report_cell *t, const struct report_cell *s)
{
	return !t->start && report_measured(t) && !strcmp(t->workload, s->workload) &&
	       t->inst == s->inst && t->workers == s->workers && !strcmp(t->pin, s->pin) &&
	       !strcmp(t->mode, s->mode) &&
	       !strcmp(resdoc_str(t->c, "channel", "-"), resdoc_str(s->c, "channel", "-")) &&
	       !strcmp(resdoc_str(t->c, "lang", "c"), resdoc_str(s->c, "lang", "c"));
}

/* Each start method other than fork against fork, mode by mode, at the
 * largest worker count: what starting workers afresh (spawn) or from a
 * server (forkserver) costs once the pool is up, or per task for
 * fork-spawn. */
static void find_start_methods(struct report *R, const struct report_inst *in)
{
	const char *w = in->w;
	long long inst = in->id;
	long long *ws = xcalloc(R->n + 1, sizeof *ws);
	size_t nw = report_worker_counts(R, w, inst, ws);
	long long top = nw ? ws[nw - 1] : 0;
	char text[600];

	free(ws);
	for (size_t i = 0; i < R->n; i++) {
		const struct report_cell *s = &R->cells[i], *f = NULL;

		if (!s->start || strcmp(s->workload, w) || s->inst != inst || s->workers != top ||
		    strcmp(s->pin, "none") || !report_measured(s))
			continue;
		for (size_t k = 0; k < R->n && !f; k++)
			if (fork_twin(&R->cells[k], s))
				f = &R->cells[k];
		if (f && report_paired(s, s->label, f, f->label, text, sizeof text))
			report_finding(R, "for %s at %lld workers, workers started by %s against fork: %s",
				       in->name, top, s->start, text);
	}
}

void report_findings(struct report *R, const char *w)
{
	long long size = -1;

	/* The largest size stands for the workload; find_sizes covers the rest.
	 * Each of its instances (task counts: report_instances) on its own. */
	for (size_t i = 0; i < R->n; i++)
		if (!strcmp(R->cells[i].workload, w) && R->cells[i].size > size)
			size = R->cells[i].size;
	for (size_t i = 0; i < R->n; i++) {
		struct report_inst in = { .w = w, .id = R->cells[i].inst };
		bool seen = false, several = false;

		if (strcmp(R->cells[i].workload, w) || R->cells[i].size != size)
			continue;
		for (size_t k = 0; k < i; k++)
			seen |= R->cells[k].inst == in.id;
		if (seen)
			continue;
		for (size_t k = 0; k < R->n; k++)
			several |= !strcmp(R->cells[k].workload, w) && R->cells[k].size == size &&
				   R->cells[k].inst != in.id;
		if (several)
			snprintf(in.name, sizeof in.name, "%s (%lld tasks)", w, R->cells[i].tasks);
		else
			snprintf(in.name, sizeof in.name, "%s", w);
		/* With several sizes, find_sizes compares threads and processes. */
		if (!several_sizes(R, w))
			find_threads_vs_processes(R, &in);
		if (compare_at(R, w, in.id))
			report_speedup_finding(R, &in, compare_at(R, w, in.id));
		report_amdahl_findings(R, &in, R->usable_pus);
		find_past_cores(R, &in);
		find_pool_vs_spawn(R, &in);
		find_start_methods(R, &in);
		find_pinning(R, &in);
	}
	find_sizes(R, w);
}
