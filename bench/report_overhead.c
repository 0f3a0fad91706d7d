/* report_overhead.c: the overhead section of `tvp report`: the table of an
 * overhead file (tvp overhead) and the findings that pair what an operation
 * costs a thread with what it costs a process, found by their names
 * (thread-create-join and fork-exit-wait; "...-thread..." and
 * "...-process..." or "...-fork..."), then the start methods: each entry
 * held against another (its "versus": a spawn pool's start-up against
 * posix_spawn of /bin/true twice, its hand-off against a fork pool's), with
 * issue 14's target where it has one. */
#include "bench/report.h"

#include <string.h>

#include "bench/units.h"
#include "bench/util.h"

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
	const char *unit = resdoc_stats_unit(t);
	char a[UNITS_LEN], b[UNITS_LEN];

	if (!(tm > 0) || !(pm > 0) || strcmp(unit, resdoc_stats_unit(p)))
		return;
	units_value(a, sizeof a, tm, unit);
	units_value(b, sizeof b, pm, unit);
	if (th >= pl && ph >= tl)
		report_finding(R, "%s costs a thread and a process alike: %s %s and %s %s (CIs overlap)", what,
			resdoc_str(t, "name", "?"), a, resdoc_str(p, "name", "?"), b);
	else
		report_finding(R, "%s costs a process %.1fx what it costs a thread: %s %s against %s %s (CIs apart)",
			what, pm / tm, resdoc_str(p, "name", "?"), b, resdoc_str(t, "name", "?"), a);
}

/* The start group as one table (when the file has it): a row per way a
 * pool's worker starts, a column per measurement, each the median of
 * start-<what>-<row>; then the references (posix_spawn of /bin/true and a
 * spawned worker of tvp that exits at once, twice each). */
static void start_table(struct report *R, const struct resdoc *o)
{
	static const char *const rows[] = { "thread", "fork", "spawn", "forkserver" };
	static const char *const what[] = { "pool", "handoff", "batch", "memory" };
	static const char *const cols[] = { "start method (pool of 2)", "start-up", "hand-off",
					    "batch, per task", "PSS per idle worker" };
	const json_t *ref = ovh_find(o, "start-posix-spawn-true-2", false);
	char cell[4][UNITS_LEN], lo[UNITS_LEN], hi[UNITS_LEN];

	if (!ovh_find(o, "start-pool-fork", false))
		return;
	if (R->html) {
		fputs("<h3 id=\"start-methods\">Start methods</h3>\n<table>\n", R->out);
		report_html_row(R, "th", cols, 5, 0x1e);
	} else {
		fprintf(R->out, "\n  %-26s %10s %10s %16s %20s\n", cols[0], cols[1], cols[2], cols[3],
			cols[4]);
	}
	for (size_t r = 0; r < ARRAY_SIZE(rows); r++) {
		for (size_t w = 0; w < ARRAY_SIZE(what); w++) {
			char name[64];
			const json_t *e;

			snprintf(name, sizeof name, "start-%s-%s", what[w], rows[r]);
			if ((e = ovh_find(o, name, false)))
				resdoc_entry_text(e, cell[w], lo, hi, UNITS_LEN);
			else
				snprintf(cell[w], UNITS_LEN, "-");
		}
		if (R->html)
			report_html_row(R, "td", (const char *[]){ rows[r], cell[0], cell[1], cell[2], cell[3] },
					5, 0x1e);
		else
			fprintf(R->out, "  %-26s %10s %10s %16s %20s\n", rows[r], cell[0], cell[1], cell[2],
				cell[3]);
	}
	if (R->html)
		fputs("</table>\n", R->out);
	if (!ref)
		return;
	resdoc_entry_text(ref, cell[0], lo, hi, UNITS_LEN);
	snprintf(cell[1], UNITS_LEN, "-");
	if ((ref = ovh_find(o, "start-spawn-worker-2", false)))
		resdoc_entry_text(ref, cell[1], lo, hi, UNITS_LEN);
	fprintf(R->out, R->html ? "<p>For reference, twice: posix_spawn of /bin/true %s, spawn_worker of tvp %s</p>\n"
				: "  for reference, twice: posix_spawn of /bin/true %s, spawn_worker of tvp %s\n",
		cell[0], cell[1]);
}

void report_overhead_table(struct report *R, const struct resdoc *o)
{
	const json_t *e;
	size_t i;

	static const char *const cols[] = { "operation", "group", "kind", "median", "95% CI" };

	if (R->html) {
		fputs("<h2 id=\"overhead\">What a thread and a process cost</h2>\n<p class=\"meta\">", R->out);
		report_html_text(R->out, o->path);
		fputs("</p>\n<table>\n", R->out);
		report_html_row(R, "th", cols, 5, 0x18);
	} else {
		fprintf(R->out, "\noverhead (%s)\n  %-34s %-10s %-8s %12s  %s\n", o->path, cols[0], cols[1],
			cols[2], cols[3], cols[4]);
	}
	json_array_foreach(o->results, i, e) {
		char a[UNITS_LEN], b[UNITS_LEN], c[UNITS_LEN], ci[2 * UNITS_LEN + 8];
		const char *name = resdoc_str(e, "name", "?"), *group = resdoc_str(e, "group", "-");
		const char *kind = resdoc_str(e, "kind", "-");

		resdoc_entry_text(e, a, b, c, UNITS_LEN);
		if (R->html) {
			snprintf(ci, sizeof ci, "%s – %s", b, c);
			report_html_row(R, "td", (const char *[]){ name, group, kind, a, ci }, 5, 0x18);
		} else {
			fprintf(R->out, "  %-34s %-10s %-8s %12s  %s - %s\n", name, group, kind, a, b, c);
		}
	}
	if (R->html)
		fputs("</table>\n", R->out);
	start_table(R, o);
}

/* Calls fn on every thread/process pair of o: thread-create-join with
 * fork-exit-wait, then every pair whose names differ by thread -> process
 * or fork; what names the operation. */
static void each_pair(struct report *R, const struct resdoc *o,
		      void (*fn)(struct report *R, const json_t *t, const json_t *p, const char *what))
{
	const json_t *t, *p;
	size_t i;

	t = ovh_find(o, "thread-create-join", false);
	p = ovh_find(o, "fork-exit-wait", false);
	if (t && p)
		fn(R, t, p, "creating (and ending) a worker");
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
				fn(R, t, p, what[0] ? what : n);
				break;
			}
		}
	}
}

/* What a run says of a target "e at most target x v": met or missed when
 * the CIs (v's scaled by target) are apart, else undecided. */
static const char *verdict(const json_t *e, const json_t *v, double target)
{
	if (resdoc_stat(e, "ci95_hi") <= target * resdoc_stat(v, "ci95_lo"))
		return "met (CIs apart)";
	if (resdoc_stat(e, "ci95_lo") > target * resdoc_stat(v, "ci95_hi"))
		return "missed (CIs apart)";
	return resdoc_num(e, "ratio") <= target ? "met by the medians, but the CIs overlap"
						: "missed by the medians, but the CIs overlap";
}

/* An entry against the one it names in "versus" (tvp overhead computed
 * the ratio of their medians), with its target when it has one. */
static void versus_finding(struct report *R, const struct resdoc *o, const json_t *e)
{
	const char *vs = resdoc_str(e, "versus", NULL), *unit = resdoc_stats_unit(e);
	double ratio = resdoc_num(e, "ratio"), target = resdoc_num(e, "target_ratio");
	const json_t *v = vs ? ovh_find(o, vs, false) : NULL;
	char a[UNITS_LEN], b[UNITS_LEN];

	if (!v || !(ratio > 0))
		return;
	units_value(a, sizeof a, resdoc_stat(e, "median"), unit);
	units_value(b, sizeof b, resdoc_stat(v, "median"), unit);
	if (target > 0)
		report_finding(R, "%s costs %.2fx %s (%s against %s, medians): issue 14's target, at most %.2gx, %s",
			       resdoc_str(e, "name", "?"), ratio, vs, a, b, target, verdict(e, v, target));
	else
		report_finding(R, "%s costs %.2fx %s (%s against %s, medians)", resdoc_str(e, "name", "?"),
			       ratio, vs, a, b);
}

void report_overhead_findings(struct report *R, const struct resdoc *o)
{
	const json_t *e;
	size_t i;

	each_pair(R, o, ovh_pair);
	json_array_foreach(o->results, i, e)
		versus_finding(R, o, e);
}

/* One row of the HTML pairs table: the operation, each median with its CI,
 * and how many times the thread's cost the process's is. */
static void pair_row(struct report *R, const json_t *t, const json_t *p, const char *what)
{
	char tm[UNITS_LEN], tl[UNITS_LEN], th[UNITS_LEN], pm[UNITS_LEN], pl[UNITS_LEN], ph[UNITS_LEN];
	char a[3 * UNITS_LEN + 8], b[3 * UNITS_LEN + 8], ratio[UNITS_LEN + 8];
	double tv = resdoc_stat(t, "median"), pv = resdoc_stat(p, "median");

	if (!(tv > 0) || !(pv > 0) || strcmp(resdoc_stats_unit(t), resdoc_stats_unit(p)))
		return;
	resdoc_entry_text(t, tm, tl, th, UNITS_LEN);
	resdoc_entry_text(p, pm, pl, ph, UNITS_LEN);
	snprintf(a, sizeof a, "%s (%s – %s)", tm, tl, th);
	snprintf(b, sizeof b, "%s (%s – %s)", pm, pl, ph);
	snprintf(ratio, sizeof ratio, "%sx", units_ratio(tm, sizeof tm, pv / tv));
	report_html_row(R, "td", (const char *[]){ what, a, b, ratio }, 4, 0x8);
}

void report_overhead_pairs(struct report *R, const struct resdoc *o)
{
	static const char *const cols[] = { "operation", "thread: median (95% CI)",
					    "process: median (95% CI)", "process / thread" };

	if (!R->html)
		return;
	fputs("<h2 id=\"thread-vs-process\">Threads against processes</h2>\n<table>\n", R->out);
	report_html_row(R, "th", cols, 4, 0x8);
	each_pair(R, o, pair_row);
	fputs("</table>\n", R->out);
}
