/* export_md.c: compact Markdown tables of a results or overhead file
 * (export_md.h). */
#include "bench/export_md.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/units.h"
#include "bench/util.h"

/* s with '|' escaped, for a table cell (names come from the file). */
static const char *esc(char *buf, size_t len, const char *s)
{
	size_t k = 0;

	for (; *s && k + 3 < len; s++) {
		if (*s == '|')
			buf[k++] = '\\';
		buf[k++] = *s;
	}
	buf[k] = '\0';
	return buf;
}

/* Cells a and b belong to one table: same workload, size and pin. */
static bool same_table(const json_t *a, const json_t *b)
{
	return !strcmp(resdoc_str(a, "workload", ""), resdoc_str(b, "workload", "")) &&
	       json_integer_value(json_object_get(a, "size")) == json_integer_value(json_object_get(b, "size")) &&
	       !strcmp(resdoc_str(a, "pin", "none"), resdoc_str(b, "pin", "none"));
}

static void heading(FILE *f, const json_t *c)
{
	char sz[UNITS_LEN];
	const char *unit = resdoc_str(c, "size_unit", "");

	fprintf(f, "### %s", resdoc_str(c, "workload", "?"));
	if (strcmp(units_size(sz, sizeof sz, json_integer_value(json_object_get(c, "size")), unit), "-"))
		fprintf(f, ", size %s", sz);
	fprintf(f, ", %lld tasks (pin %s)\n\n", (long long)json_integer_value(json_object_get(c, "tasks")),
		resdoc_str(c, "pin", "none"));
	fprintf(f, "| Mode | Workers | Median | 95%% CI | Speedup | Relative |\n"
		   "|:---|---:|---:|---:|---:|---:|\n");
}

/* One table: the kept cells in rows[0..n), fastest median first found. */
static void table(FILE *f, const json_t **rows, size_t n)
{
	double best = INFINITY;

	for (size_t i = 0; i < n; i++) {
		double m = resdoc_stat(rows[i], "median");
		if (m > 0 && m < best)
			best = m;
	}
	heading(f, rows[0]);
	for (size_t i = 0; i < n; i++) {
		const json_t *c = rows[i];
		const char *lang = resdoc_str(c, "lang", "c");
		double m = resdoc_stat(c, "median"), sp = resdoc_num(c, "speedup");
		char med[UNITS_LEN], lo[UNITS_LEN], hi[UNITS_LEN], r[UNITS_LEN], mode[160], ml[128];

		units_time(med, sizeof med, m);
		units_time(lo, sizeof lo, resdoc_stat(c, "ci95_lo"));
		units_time(hi, sizeof hi, resdoc_stat(c, "ci95_hi"));
		fprintf(f, "| %s%s | %lld | %s | %s – %s | ",
			esc(mode, sizeof mode, resdoc_mode_label(c, ml, sizeof ml)),
			strcmp(lang, "c") ? " (python)" : "",
			(long long)json_integer_value(json_object_get(c, "workers")), med, lo, hi);
		fprintf(f, "%s%s | ", isnan(sp) ? "–" : units_ratio(r, sizeof r, sp), isnan(sp) ? "" : "x");
		fprintf(f, "%s |\n", m > 0 && isfinite(best) ? units_ratio(r, sizeof r, m / best) : "–");
	}
	fputc('\n', f);
}

void export_md_results(FILE *f, const struct resdoc *d, export_md_keep keep, void *ctx)
{
	size_t n = json_array_size(d->results), nrows;
	const json_t **rows = xcalloc(n + 1, sizeof *rows);
	bool *done = xcalloc(n + 1, sizeof *done);

	/* Tables in order of first appearance; within one, the file's order. */
	for (size_t i = 0; i < n; i++) {
		const json_t *first = json_array_get(d->results, i);
		if (done[i])
			continue;
		nrows = 0;
		for (size_t j = i; j < n; j++) {
			const json_t *c = json_array_get(d->results, j);
			if (done[j] || !same_table(first, c))
				continue;
			done[j] = true;
			if (keep(ctx, c))
				rows[nrows++] = c;
		}
		if (nrows)
			table(f, rows, nrows);
	}
	free(done);
	free(rows);
}

void export_md_overhead(FILE *f, const struct resdoc *d, export_md_keep keep, void *ctx)
{
	const json_t *e;
	size_t i;

	fprintf(f, "| Operation | Group | Kind | Median | 95%% CI |\n|:---|:---|:---|---:|---:|\n");
	json_array_foreach(d->results, i, e) {
		char med[UNITS_LEN], lo[UNITS_LEN], hi[UNITS_LEN], name[200];
		if (!keep(ctx, e))
			continue;
		resdoc_entry_text(e, med, lo, hi, UNITS_LEN);
		fprintf(f, "| %s | %s | %s | %s | %s – %s |\n", esc(name, sizeof name, resdoc_str(e, "name", "?")),
			resdoc_str(e, "group", "-"), resdoc_str(e, "kind", "-"), med, lo, hi);
	}
}
