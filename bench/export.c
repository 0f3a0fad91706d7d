/* export.c: `tvp export`, a results or overhead file as a flat table (CSV,
 * TSV or Markdown), one row per cell or per sample: what gnuplot,
 * spreadsheets and Markdown reports read.
 *
 * DESIGN
 * The column order is part of the interface (documented in --help, checked
 * by the tests): scripts may read columns by name from the header row, but a
 * column is never moved or removed, only appended. Numbers are written in the
 * shortest form that reads back as exactly the same double, so a table
 * carries the same figures as the JSON; a null or absent value is an empty
 * field. The gnuplot scripts read TSV restricted with --where, so the
 * selection logic lives here, in C, once.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/cli.h"
#include "bench/commands.h"
#include "bench/export_md.h"
#include "bench/paths.h"
#include "bench/resdoc.h"
#include "bench/results.h"
#include "bench/units.h"
#include "bench/util.h"

enum format { FMT_CSV, FMT_TSV, FMT_MD };

static const char *const cell_cols[] = {
	"workload", "mode", "kind", "lang", "workers", "tasks", "size", "size_unit", "pin",
	"channel", "series", "n", "median_ns", "ci95_lo_ns", "ci95_hi_ns", "min_ns", "max_ns",
	"mean_ns", "stddev_ns", "mad_ns", "ci_level", "outliers", "setup_ns_median", "speedup",
	"efficiency", "rate_key", "rate", "verified", "warnings", "error", "size_label",
	/* tvp.results/2 (empty for /1): the paired speedup's CI and coverage. */
	"speedup_ci95_lo", "speedup_ci95_hi", "speedup_ci_level", "efficiency_ci95_lo",
	"efficiency_ci95_hi", "rounds", "converged", "start", NULL,
};

/* A cell's identifying columns (and "start", last), repeated on its sample rows. */
#define CELL_ID_COLS 11

static const char *const sample_cols[] = {
	"workload", "mode", "kind", "lang", "workers", "tasks", "size", "size_unit", "pin",
	"channel", "series", "sample", "wall_ns", "setup_ns", "user_ns", "sys_ns",
	"children_user_ns", "children_sys_ns", "voluntary_ctxsw", "involuntary_ctxsw",
	"minor_faults", "major_faults", "max_rss_kb", "children_max_rss_kb", "ref_ns_per_iter",
	"drift", "outlier",
	/* tvp.results/2 (empty for /1). */
	"round", "capacity", "contended", "probe_ns", "start", NULL,
};

static const char *const ovh_cols[] = {
	"name", "group", "kind", "unit", "size_bytes", "workers", "n", "median", "ci95_lo", "ci95_hi",
	"min", "max", "mean", "stddev", "mad", "ci_level", "outliers", NULL,
};

static const char *const ovh_sample_cols[] = {
	"name", "group", "kind", "unit", "size_bytes", "workers", "sample", "value", NULL,
};

static const char *const host_cols[] = {
	"schema", "hostname", "cpu_model", "packages", "cores", "pus", "numa_nodes", "kernel",
	"created", "tool_version", "git_revision", "quick", NULL,
};

struct table {
	const char *const *cols;
	size_t ncols;
	char **row;               /* the row being built: ncols strings or NULL */
	/* --where filters: column index and wanted text. */
	size_t nwhere;
	size_t *where_col;
	const char **where_val;
	enum format fmt;
	FILE *out;
	size_t rows;
};

static size_t col_index(const struct table *t, const char *name)
{
	for (size_t i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i], name) == 0)
			return i;
	return (size_t)-1;
}

static void set_str(struct table *t, const char *col, const char *v)
{
	size_t i = col_index(t, col);

	if (i == (size_t)-1)
		abort();  /* a column name misspelt in this file */
	free(t->row[i]);
	t->row[i] = v ? xstrdup(v) : NULL;
}

static void set_num(struct table *t, const char *col, double v)
{
	char buf[40];

	if (isnan(v)) {
		set_str(t, col, NULL);
		return;
	}
	resdoc_format_double(buf, sizeof buf, v);
	set_str(t, col, buf);
}

/* A JSON member as text: integers exactly, reals round-tripping, booleans as
 * true/false, strings as is, null or absent as an empty field. */
static void set_json(struct table *t, const char *col, const json_t *v)
{
	char buf[40];

	if (json_is_integer(v)) {
		snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
		set_str(t, col, buf);
	} else if (json_is_real(v)) {
		set_num(t, col, json_real_value(v));
	} else if (json_is_boolean(v)) {
		set_str(t, col, json_is_true(v) ? "true" : "false");
	} else if (json_is_string(v)) {
		set_str(t, col, json_string_value(v));
	} else {
		set_str(t, col, NULL);
	}
}

/* OWASP's rule against spreadsheet formula injection: a cell that starts
 * with = + - @, a tab or a carriage return is a formula to a spreadsheet
 * (`=cmd|...`). A negative number stays a number. */
static bool is_formula(const char *s)
{
	char *end;

	if (!*s || !strchr("=+-@\t\r", *s))
		return false;
	if (*s != '-')
		return true;
	strtod(s, &end);
	return end == s || *end;
}

static void put_field(const struct table *t, const char *s)
{
	FILE *f = t->out;

	if (!s)
		return;
	if (t->fmt == FMT_CSV) {
		bool formula = is_formula(s);
		if (formula || strpbrk(s, ",\"\n\r")) {
			/* A formula is quoted and prefixed with ' (shown as text). */
			fputs(formula ? "\"'" : "\"", f);
			for (const char *p = s; *p; p++) {
				if (*p == '"')
					fputc('"', f);
				fputc(*p, f);
			}
			fputc('"', f);
		} else {
			fputs(s, f);
		}
		return;
	}
	for (const char *p = s; *p; p++) {
		if (*p == '\t' || *p == '\n' || *p == '\r')
			fputc(' ', f);
		else if (t->fmt == FMT_MD && *p == '|')
			fputs("\\|", f);
		else
			fputc(*p, f);
	}
}

static void put_line(const struct table *t, char *const *vals, const char *const *names)
{
	for (size_t i = 0; i < t->ncols; i++) {
		const char *v = vals ? vals[i] : names[i];
		if (t->fmt == FMT_MD)
			fputs(i ? " | " : "| ", t->out);
		else if (i)
			fputc(t->fmt == FMT_CSV ? ',' : '\t', t->out);
		put_field(t, v);
	}
	fputs(t->fmt == FMT_MD ? " |\n" : "\n", t->out);
}

static void put_header(struct table *t)
{
	put_line(t, NULL, t->cols);
	if (t->fmt == FMT_MD) {
		for (size_t i = 0; i < t->ncols; i++)
			fputs(i ? " | ---" : "| ---", t->out);
		fputs(" |\n", t->out);
	}
}

/* Prints the row built so far if it passes the filters, then clears it. */
/* The row being built passes every --where. */
static bool where_holds(const struct table *t)
{
	for (size_t w = 0; w < t->nwhere; w++) {
		const char *v = t->row[t->where_col[w]];
		if (strcmp(v ? v : "", t->where_val[w]) != 0)
			return false;
	}
	return true;
}

static void clear_row(struct table *t)
{
	for (size_t i = 0; i < t->ncols; i++) {
		free(t->row[i]);
		t->row[i] = NULL;
	}
}

static void emit(struct table *t)
{
	if (where_holds(t)) {
		put_line(t, t->row, NULL);
		t->rows++;
	}
	clear_row(t);
}

/* The columns that identify a cell, shared by both results tables. */
static void set_cell_id(struct table *t, const json_t *c)
{
	static const char *const id[] = { "workload", "mode", "kind", "lang", "workers", "tasks",
					   "size", "size_unit", "pin", "channel", "start" };
	const char *lang = resdoc_str(c, "lang", "c");
	char series[160], mode[128];

	for (size_t i = 0; i < ARRAY_SIZE(id); i++)
		set_json(t, id[i], json_object_get(c, id[i]));
	snprintf(series, sizeof series, "%s%s%s", resdoc_mode_label(c, mode, sizeof mode),
		 strcmp(lang, "c") ? "/" : "", strcmp(lang, "c") ? lang : "");
	set_str(t, "series", series);
}

/* The row of results cell c. */
static void fill_cell(struct table *t, const json_t *c)
{
	static const char *const stat[] = { "median", "ci95_lo", "ci95_hi", "min", "max", "mean",
				     "stddev", "mad" };
	char key[64];
	double rate;
	const char *rk = resdoc_rate(c, &rate);
	const json_t *st = json_object_get(c, "stats");

	set_cell_id(t, c);
	set_json(t, "n", json_object_get(st, "n"));
	for (size_t k = 0; k < ARRAY_SIZE(stat); k++) {
		snprintf(key, sizeof key, "%s_ns", stat[k]);
		set_json(t, key, json_object_get(st, key));
	}
	set_json(t, "ci_level", json_object_get(st, "ci_level"));
	set_json(t, "outliers", json_object_get(st, "outliers"));
	set_json(t, "setup_ns_median", json_object_get(c, "setup_ns_median"));
	set_json(t, "speedup", json_object_get(c, "speedup"));
	set_json(t, "efficiency", json_object_get(c, "efficiency"));
	set_str(t, "rate_key", rk);
	set_num(t, "rate", rate);
	set_json(t, "verified", json_object_get(c, "verified"));
	snprintf(key, sizeof key, "%zu", json_array_size(json_object_get(c, "warnings")));
	set_str(t, "warnings", key);
	set_json(t, "error", json_object_get(c, "error"));
	set_str(t, "size_label", units_size(key, sizeof key, json_integer_value(json_object_get(c, "size")),
					    resdoc_str(c, "size_unit", "")));
	set_json(t, "speedup_ci95_lo", json_array_get(json_object_get(c, "speedup_ci95"), 0));
	set_json(t, "speedup_ci95_hi", json_array_get(json_object_get(c, "speedup_ci95"), 1));
	set_json(t, "speedup_ci_level", json_object_get(c, "ci_level"));
	set_json(t, "efficiency_ci95_lo", json_array_get(json_object_get(c, "efficiency_ci95"), 0));
	set_json(t, "efficiency_ci95_hi", json_array_get(json_object_get(c, "efficiency_ci95"), 1));
	set_json(t, "rounds", json_object_get(c, "rounds"));
	set_json(t, "converged", json_object_get(c, "converged"));
}

static void export_cells(struct table *t, const struct resdoc *d)
{
	const json_t *c;
	size_t i;

	json_array_foreach(d->results, i, c) {
		fill_cell(t, c);
		emit(t);
	}
}

static void export_samples(struct table *t, const struct resdoc *d)
{
	const json_t *c, *s;
	size_t i, k;

	json_array_foreach(d->results, i, c) {
		json_array_foreach(json_object_get(c, "samples"), k, s) {
			char idx[24];

			for (size_t col = CELL_ID_COLS + 1; col < t->ncols; col++)
				set_json(t, t->cols[col], json_object_get(s, t->cols[col]));
			set_cell_id(t, c);   /* after: "start" is the cell's, at the end */
			snprintf(idx, sizeof idx, "%zu", k);
			set_str(t, "sample", idx);
			emit(t);
		}
	}
}

static void set_ovh_id(struct table *t, const json_t *e)
{
	static const char *const id[] = { "name", "group", "kind", "unit", "size_bytes", "workers" };

	for (size_t i = 0; i < ARRAY_SIZE(id); i++)
		set_json(t, id[i], json_object_get(e, id[i]));
}

/* The row of overhead entry e. */
static void fill_ovh(struct table *t, const json_t *e)
{
	static const char *const stat[] = { "n", "median", "ci95_lo", "ci95_hi", "min", "max", "mean",
					     "stddev", "mad", "ci_level", "outliers" };

	set_ovh_id(t, e);
	for (size_t k = 0; k < ARRAY_SIZE(stat); k++)
		set_num(t, stat[k], resdoc_stat(e, stat[k]));
}

static void export_overhead(struct table *t, const struct resdoc *d)
{
	const json_t *e;
	size_t i;

	json_array_foreach(d->results, i, e) {
		fill_ovh(t, e);
		emit(t);
	}
}

/* export_md's filter: --where on the entry's flat row. */
static bool md_keep(void *ctx, const json_t *entry)
{
	struct table *t = ctx;
	bool keep;

	(t->cols == cell_cols ? fill_cell : fill_ovh)(t, entry);
	keep = where_holds(t);
	clear_row(t);
	return keep;
}

static void export_overhead_samples(struct table *t, const struct resdoc *d)
{
	const json_t *e;
	size_t i;

	json_array_foreach(d->results, i, e) {
		size_t n;
		double *x = resdoc_samples(e, &n);

		for (size_t k = 0; k < n; k++) {
			char idx[24];
			set_ovh_id(t, e);
			snprintf(idx, sizeof idx, "%zu", k);
			set_str(t, "sample", idx);
			set_num(t, "value", x[k]);
			emit(t);
		}
		free(x);
	}
}

static void export_host(struct table *t, const struct resdoc *d)
{
	static const char *const hk[] = { "hostname", "cpu_model", "packages", "cores", "pus",
					  "numa_nodes", "kernel" };
	const json_t *host = json_object_get(d->root, "host");
	const json_t *tool = json_object_get(d->root, "tool");

	set_json(t, "schema", json_object_get(d->root, "schema"));
	for (size_t i = 0; i < ARRAY_SIZE(hk); i++)
		set_json(t, hk[i], json_object_get(host, hk[i]));
	set_json(t, "created", json_object_get(d->root, "created"));
	set_json(t, "tool_version", json_object_get(tool, "version"));
	set_json(t, "git_revision", json_object_get(tool, "git_revision"));
	set_json(t, "quick", json_object_get(json_object_get(d->root, "config"), "quick"));
	emit(t);
}

static void list_cols(FILE *f, const char *const *cols)
{
	for (size_t i = 0; cols[i]; i++)
		fprintf(f, "%s%s", i ? (i % 8 ? ", " : ",\n      ") : "      ", cols[i]);
	fputc('\n', f);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp export [FILE.json] [-f csv|tsv|md] [--samples | --host]\n"
		   "                  [--where COLUMN=VALUE]... [--output FILE]\n\n"
		   "Writes a results file (tvp run) or an overhead file (tvp overhead) as a flat\n"
		   "table with a header row: one row per cell (default) or per sample. Numbers are\n"
		   "written so that they read back exactly; a null is an empty field. FILE\n"
		   "defaults to latest.json in the results folder (see 'tvp help').\n\n"
		   "  -f, --format F    csv (default; RFC 4180 quoting), tsv, or md: Markdown for\n"
		   "                    people, per workload and size a table of mode, workers,\n"
		   "                    median, 95%% CI, speedup and relative (1.00 = the fastest);\n"
		   "                    with --samples or --host, md is the flat table below\n"
		   "  --samples         one row per sample instead of per cell\n"
		   "  --host            one row describing the machine and the run\n"
		   "  --where COL=VAL   keep rows whose COL is exactly VAL (repeatable: all must hold)\n"
		   "  -o, --output FILE write there instead of stdout\n"
		   "  -h, --help        this text\n\n"
		   "Columns, in this order (new columns are only ever appended):\n"
		   "  results, per cell:\n");
	list_cols(f, cell_cols);
	fprintf(f, "    series is the chart line: mode, /channel, +start when not fork, /lang when\n"
		   "    not c; start is the start method (empty: the mode takes none); rate is the\n"
		   "    workload's own figure, named by rate_key (ns_per_iter, mb_per_s, ...);\n"
		   "    warnings is how many the cell has; size_label is the size for people\n"
		   "    (\"20M iterations\", \"4 MiB\", \"5 ms\"; \"-\" when ignored).\n"
		   "  results, per sample (--samples):\n");
	list_cols(f, sample_cols);
	fprintf(f, "  overhead, per entry (figures in the entry's unit):\n");
	list_cols(f, ovh_cols);
	fprintf(f, "  overhead, per sample (--samples):\n");
	list_cols(f, ovh_sample_cols);
	fprintf(f, "  --host:\n");
	list_cols(f, host_cols);
	fprintf(f, "\nExit status: 0 success (also when --where keeps no row), 1 the output\n"
		   "could not be written, 2 a bad command line or an unreadable input file.\n");
}

static size_t count_cols(const char *const *cols)
{
	size_t n = 0;

	while (cols[n])
		n++;
	return n;
}

struct export_options {
	const char *file, *output;
	char *latest;             /* the default file, freed at the end */
	enum format fmt;
	bool samples, host;
	const char **where;       /* [nwhere]: COLUMN=VALUE, checked against the table later */
	size_t nwhere;
};

/* Returns 0 to export, 1 when done (--help), or 2 after a message. */
static int parse_options(struct export_options *o, int argc, char **argv)
{
	enum { OPT_FORMAT = 'f', OPT_OUTPUT = 'o', OPT_SAMPLES = 256, OPT_HOST, OPT_WHERE };
	static const struct option longopts[] = {
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "samples", no_argument, NULL, OPT_SAMPLES },
		{ "host", no_argument, NULL, OPT_HOST },
		{ "where", required_argument, NULL, OPT_WHERE },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_parser p = { "export", "-f/--format, --samples, --host, --where, -o/--output, -h/--help",
				longopts, usage, false, "f:o:" };
	static const char *const formats[] = { [FMT_CSV] = "csv", [FMT_TSV] = "tsv", [FMT_MD] = "md" };
	size_t k;
	int c;

	o->where = xcalloc((size_t)argc + 1, sizeof *o->where);
	while ((c = cli_next(&p, argc, argv)) > 0) {
		switch (c) {
		case OPT_FORMAT:
			for (k = 0; k < ARRAY_SIZE(formats) && strcmp(optarg, formats[k]); k++)
				;
			if (k == ARRAY_SIZE(formats))
				return cli_usage_error("export: --format '%s' is not accepted; accepted: "
						       "csv, tsv, md", optarg);
			o->fmt = (enum format)k;
			break;
		case OPT_SAMPLES:
			o->samples = true;
			break;
		case OPT_HOST:
			o->host = true;
			break;
		case OPT_WHERE:
			o->where[o->nwhere++] = optarg;
			break;
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		}
	}
	if (c < 0)
		return cli_stop(c);
	for (int i = optind; i < argc; i++) {
		if (o->file)
			return cli_usage_error("export: one input file only ('%s' and '%s' given)", o->file,
					       argv[i]);
		o->file = argv[i];
	}
	if (!o->file && !(o->file = o->latest = paths_default_input("export")))
		return 2;
	if (o->samples && o->host)
		return cli_usage_error("export: --samples and --host exclude each other");
	return 0;
}

int cmd_export(int argc, char **argv)
{
	struct export_options o = { .fmt = FMT_CSV };
	struct results_text file = { 0 };
	const char *output;
	struct resdoc d;
	struct table t;
	char err[600];
	int status;

	memset(&t, 0, sizeof t);
	status = parse_options(&o, argc, argv);
	if (status != 0) {
		free(o.where);
		free(o.latest);
		return status == 1 ? 0 : status;
	}
	output = o.output;
	t.fmt = o.fmt;
	if (resdoc_load(&d, o.file, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: export: %s\n", err);
		free(o.where);
		free(o.latest);
		return 2;
	}
	if (o.host)
		t.cols = host_cols;
	else if (d.kind == RESDOC_RESULTS)
		t.cols = o.samples ? sample_cols : cell_cols;
	else
		t.cols = o.samples ? ovh_sample_cols : ovh_cols;
	t.ncols = count_cols(t.cols);
	t.row = xcalloc(t.ncols, sizeof *t.row);
	t.where_col = xcalloc(o.nwhere ? o.nwhere : 1, sizeof *t.where_col);
	t.where_val = xcalloc(o.nwhere ? o.nwhere : 1, sizeof *t.where_val);
	for (size_t w = 0; w < o.nwhere; w++) {
		const char *eq = strchr(o.where[w], '=');
		char name[64];
		size_t len = eq ? (size_t)(eq - o.where[w]) : 0;

		snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1),
			 o.where[w]);
		t.where_col[w] = eq ? col_index(&t, name) : (size_t)-1;
		if (t.where_col[w] == (size_t)-1) {
			fprintf(stderr, "tvp: export: --where '%s' is not accepted: expected COLUMN=VALUE with "
					"a column of this table (see tvp export --help)\n", o.where[w]);
			status = 2;
			goto out;
		}
		t.where_val[w] = eq + 1;
	}
	t.nwhere = o.nwhere;
	/* Written whole at the end, to stdout or over the file (results.h). */
	if (results_text_open(&file, output ? output : "-", err, sizeof err) != 0) {
		fprintf(stderr, "tvp: export: --output: %s\n", err);
		status = 2;
		goto out;
	}
	t.out = file.f;
	if (t.fmt == FMT_MD && !o.host && !o.samples) {
		/* Markdown per cell is for people: the compact tables. */
		(d.kind == RESDOC_RESULTS ? export_md_results : export_md_overhead)(t.out, &d, md_keep, &t);
	} else {
		put_header(&t);
		if (o.host)
			export_host(&t, &d);
		else if (d.kind == RESDOC_RESULTS)
			(o.samples ? export_samples : export_cells)(&t, &d);
		else
			(o.samples ? export_overhead_samples : export_overhead)(&t, &d);
	}
	if (results_text_commit(&file, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: export: %s\n", err);
		status = 1;
	}
out:
	results_text_abort(&file);
	free(t.where_col);
	free(t.where_val);
	free(t.row);
	free(o.where);
	free(o.latest);
	resdoc_release(&d);
	return status;
}
