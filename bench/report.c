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
 *
 * The file's cells are read once into plain structs (report.h): what a
 * cell's mode is (its family, whether its workers are threads or processes)
 * comes from the mode registry, so a finding filters on fields, never on
 * names; a mode an older tvp wrote and this one does not know keeps the
 * kind its file recorded and takes part in no finding by family. This file
 * writes the machine and the tables; report_warnings.c the warnings,
 * report_findings.c and report_overhead.c the findings, report_html.c the
 * HTML page's pieces (every section is written as text or as HTML).
 */
#include "bench/report.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/commands.h"
#include "bench/paths.h"
#include "bench/results.h"
#include "bench/units.h"
#include "bench/util.h"

/* The kinds by name, as mode_kind_name and the files write them. */
static const char *const kind_names[] = {
	[REPORT_KIND_SERIAL] = "serial",
	[REPORT_KIND_THREAD] = "thread",
	[REPORT_KIND_PROCESS] = "process",
};

void report_cell_init(struct report_cell *r, const json_t *c)
{
	const char *lang = resdoc_str(c, "lang", "c");
	const struct mode *m;
	const char *kind;
	char mode[128];

	r->c = c;
	r->workload = resdoc_str(c, "workload", "?");
	r->mode = resdoc_str(c, "mode", "?");
	r->pin = resdoc_str(c, "pin", "none");
	/* The registry knows what a mode is; an older file may name a mode
	 * that no longer exists, and then only its recorded kind is known. */
	m = mode_find(r->mode);
	r->family = m ? (int)m->family : -1;
	kind = m ? mode_kind_name(m) : resdoc_str(c, "kind", "?");
	r->kind = REPORT_KIND_OTHER;
	for (size_t k = 0; k < ARRAY_SIZE(kind_names); k++)
		if (!strcmp(kind, kind_names[k]))
			r->kind = (enum report_kind)k;
	r->workers = json_integer_value(json_object_get(c, "workers"));
	r->size = json_integer_value(json_object_get(c, "size"));
	r->tasks = json_integer_value(json_object_get(c, "tasks"));
	r->med = resdoc_stat(c, "median");
	r->lo = resdoc_stat(c, "ci95_lo");
	r->hi = resdoc_stat(c, "ci95_hi");
	r->speedup = resdoc_num(c, "speedup");
	r->start = resdoc_cell_start(c);
	snprintf(r->label, sizeof r->label, "%s%s", resdoc_mode_label(c, mode, sizeof mode),
		 strcmp(lang, "c") ? " (python)" : "");
}

bool report_measured(const struct report_cell *r)
{
	return r->med > 0 && !isnan(r->med) && resdoc_stat(r->c, "n") > 0;
}

bool report_apart(const struct report_cell *a, const struct report_cell *b)
{
	return a->hi < b->lo || b->hi < a->lo;
}

const char *report_dur(char *buf, size_t len, double ns)
{
	return units_time(buf, len, ns);
}

static void print_machine(struct report *R)
{
	const json_t *root = R->doc.root, *host = json_object_get(root, "host");
	const json_t *tool = json_object_get(root, "tool"), *cfg = json_object_get(root, "config");
	const json_t *load = json_object_get(host, "load_average");
	const char *gov = resdoc_str(host, "cpu_governor", NULL);

	static const char *const what[] = { "file", "run", "machine" };
	char line[3][1024];
	size_t len;

	snprintf(line[0], sizeof line[0], "%s", R->doc.path);
	snprintf(line[1], sizeof line[1], "%s, tvp %s (%s)%s%s", resdoc_str(root, "created", "?"),
		 resdoc_str(tool, "version", "?"), resdoc_str(tool, "git_revision", "?"),
		 json_is_true(json_object_get(cfg, "quick")) ? ", quick run (small sizes)" : "",
		 json_is_true(json_object_get(root, "interrupted")) ? ", INTERRUPTED (partial)" : "");
	len = (size_t)snprintf(line[2], sizeof line[2], "%s: %s; %lld package(s), %u cores, %u PUs, "
			       "%lld NUMA node(s); %s", resdoc_str(host, "hostname", "?"),
			       resdoc_str(host, "cpu_model", "?"),
			       (long long)json_integer_value(json_object_get(host, "packages")), R->cores,
			       R->pus, (long long)json_integer_value(json_object_get(host, "numa_nodes")),
			       resdoc_str(host, "kernel", "?"));
	if (gov && len < sizeof line[2])
		len += (size_t)snprintf(line[2] + len, sizeof line[2] - len, "; governor %s", gov);
	if (json_is_array(load) && json_array_size(load) > 0 && len < sizeof line[2])
		snprintf(line[2] + len, sizeof line[2] - len, "; load %.2f at the start",
			 json_number_value(json_array_get(load, 0)));
	if (!R->html) {
		fprintf(R->out, "tvp report: %s\nrun:     %s\nmachine: %s\n", line[0], line[1], line[2]);
		return;
	}
	for (size_t i = 0; i < 3; i++) {
		fprintf(R->out, "<p class=\"meta\"><b>%s:</b> ", what[i]);
		report_html_text(R->out, line[i]);
		fputs("</p>\n", R->out);
	}
}

void report_section(struct report *R, const char *name, const char *title, bool list)
{
	if (!R->html) {
		fprintf(R->out, "\n%s\n", name);
		return;
	}
	/* The section's name as its anchor: report.html#warnings. */
	fputs("<h2 id=\"", R->out);
	for (const char *p = name; *p; p++)
		fputc(*p == ' ' ? '-' : *p, R->out);
	fputs("\">", R->out);
	report_html_text(R->out, title);
	fputs(list ? "</h2>\n<ul>\n" : "</h2>\n", R->out);
}

void report_section_end(struct report *R, bool list)
{
	if (R->html && list)
		fputs("</ul>\n", R->out);
}

void report_item(struct report *R, const char *fmt, ...)
{
	char text[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	if (!R->html) {
		fprintf(R->out, "  %s\n", text);
		return;
	}
	fputs("<li>", R->out);
	report_html_text(R->out, text);
	fputs("</li>\n", R->out);
}

bool report_has_str(const char **v, size_t n, const char *s)
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

void report_instances(struct report *R)
{
	long long next = 0;

	for (size_t i = 0; i < R->n; i++) {
		struct report_cell *r = &R->cells[i];

		r->inst = -1;
		for (size_t k = 0; k < i && r->inst < 0; k++) {
			const struct report_cell *q = &R->cells[k];

			if (!strcmp(q->workload, r->workload) && q->size == r->size && q->tasks == r->tasks)
				r->inst = q->inst;
		}
		if (r->inst < 0)
			r->inst = next++;
	}
}

size_t report_worker_counts(const struct report *R, const char *w, long long inst, long long *out)
{
	size_t n = 0;

	for (size_t i = 0; i < R->n; i++) {
		const struct report_cell *r = &R->cells[i];
		bool dup = false;
		if (strcmp(r->workload, w) || r->inst != inst || strcmp(r->pin, "none"))
			continue;
		for (size_t k = 0; k < n; k++)
			dup |= out[k] == r->workers;
		if (!dup)
			out[n++] = r->workers;
	}
	qsort(out, n, sizeof *out, cmp_ll);
	return n;
}

/* A best-mode row of the HTML table: the text table's columns. */
static void html_row(struct report *R, long long workers, const struct report_cell *bst,
		     const struct report_cell *next)
{
	char w[24], med[32], lo[32], hi[32], ci[72], sp[24], nx[256];

	snprintf(w, sizeof w, "%lld", workers);
	snprintf(ci, sizeof ci, "%s – %s", report_dur(lo, sizeof lo, bst->lo), report_dur(hi, sizeof hi, bst->hi));
	snprintf(sp, sizeof sp, "%.2fx", bst->speedup);
	if (next)
		snprintf(nx, sizeof nx, "%s %s (%s)", next->label, report_dur(med, sizeof med, next->med),
			 report_apart(bst, next) ? "CIs apart" : "CIs overlap: a tie");
	else
		snprintf(nx, sizeof nx, "-");
	report_html_row(R, "td", (const char *[]){ w, bst->label, report_dur(med, sizeof med, bst->med), ci, sp, nx },
			6, 0x1d);
}

static void print_table(struct report *R, const char *w, long long inst)
{
	long long *ws = xcalloc(R->n + 1, sizeof *ws);
	size_t nw = report_worker_counts(R, w, inst, ws);
	const struct report_cell *any = NULL;
	char a[32], b[32], c[32], d[32], sz[UNITS_LEN], head[256];
	static const char *const cols[] = { "workers", "best mode", "median", "95% CI of the median",
					    "speedup", "next best" };

	for (size_t i = 0; i < R->n && !any; i++)
		if (!strcmp(R->cells[i].workload, w) && R->cells[i].inst == inst)
			any = &R->cells[i];
	/* A size the workload ignores (noop) is left out. */
	if (strcmp(units_size(sz, sizeof sz, any->size, resdoc_str(any->c, "size_unit", "")), "-"))
		snprintf(head, sizeof head, "%s, size %s, %lld tasks per measurement (pin none)", w, sz, any->tasks);
	else
		snprintf(head, sizeof head, "%s, %lld tasks per measurement (pin none)", w, any->tasks);
	if (R->html) {
		fputs("<h3>", R->out);
		report_html_text(R->out, head);
		fputs("</h3>\n<table>\n", R->out);
		report_html_row(R, "th", cols, 6, 0x1d);
	} else {
		fprintf(R->out, "\n%s\n  %7s  %-22s %10s  %-21s %8s  %s\n", head, cols[0], cols[1], cols[2],
			cols[3], cols[4], cols[5]);
	}
	for (size_t k = 0; k < nw; k++) {
		const struct report_cell *bst = report_best(R, w, inst, ws[k], REPORT_KINDS_ALL, "none",
							   REPORT_ANY_FAMILY), *next = NULL;
		if (!bst && R->html) {
			snprintf(a, sizeof a, "%lld", ws[k]);
			report_html_row(R, "td", (const char *[]){ a, "(no measured cell)" }, 2, 1);
			continue;
		}
		if (!bst) {
			fprintf(R->out, "  %7lld  (no measured cell)\n", ws[k]);
			continue;
		}
		for (size_t i = 0; i < R->n; i++) {
			const struct report_cell *r = &R->cells[i];
			if (r != bst && report_measured(r) && !strcmp(r->workload, w) && r->inst == inst &&
			    r->workers == ws[k] && !strcmp(r->pin, "none") && (!next || r->med < next->med))
				next = r;
		}
		if (R->html) {
			html_row(R, ws[k], bst, next);
			continue;
		}
		fprintf(R->out, "  %7lld  %-22s %10s  %9s - %-9s %7.2fx  ", ws[k], bst->label,
			report_dur(a, sizeof a, bst->med), report_dur(b, sizeof b, bst->lo), report_dur(c, sizeof c, bst->hi),
			bst->speedup);
		if (next)
			fprintf(R->out, "%s %s (%s)\n", next->label, report_dur(d, sizeof d, next->med),
				report_apart(bst, next) ? "CIs apart" : "CIs overlap: a tie");
		else
			fprintf(R->out, "-\n");
	}
	if (R->html)
		fputs("</table>\n", R->out);
	free(ws);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp report [FILE.json] [--overhead FILE.json | --overhead none] [--html FILE]\n\n"
		   "Summarises a results file (tvp run): the machine; per workload and size the\n"
		   "best mode at each worker count with its median, CI and speedup; the warnings\n"
		   "grouped by cause; and findings computed from the data. A difference is only\n"
		   "claimed where the 95%% confidence intervals of the medians are apart.\n\n"
		   "  --overhead FILE   also read an overhead file (tvp overhead) for the costs of\n"
		   "                    creating, handing off and waking; by default the file\n"
		   "                    overhead-latest.json beside FILE is used when it exists\n"
		   "  --overhead none   do not look for one\n"
		   "  --html FILE       write the report as one self-contained HTML page instead\n"
		   "                    (findings, tables, every chart as inline SVG, warnings;\n"
		   "                    large type, for a projector or a colleague); - for stdout\n"
		   "  --help            this text\n\n"
		   "FILE defaults to latest.json in the results folder (see 'tvp help').\n"
		   "FILE may also be an overhead file alone. Exit status: 0 success, 2 a bad command\n"
		   "line or a file that cannot be read (missing, not JSON, another schema).\n");
}

struct report_options {
	const char *file, *ovh_path, *html;
	char *latest;            /* the default file, freed at the end */
	bool no_ovh;
};

/* Returns 0 to report, 1 when done (--help), or 2 after a message. */
static int parse_options(struct report_options *o, int argc, char **argv)
{
	enum { OPT_OVERHEAD = 256, OPT_HTML };
	static const struct option longopts[] = {
		{ "overhead", required_argument, NULL, OPT_OVERHEAD },
		{ "html", required_argument, NULL, OPT_HTML },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_parser p = { "report", "--overhead FILE|none, --html FILE, --help", longopts, usage, false, NULL };
	int c;

	while ((c = cli_next(&p, argc, argv)) > 0) {
		switch (c) {
		case OPT_OVERHEAD:
			o->ovh_path = optarg;
			o->no_ovh = !strcmp(optarg, "none");
			break;
		case OPT_HTML:
			o->html = optarg;
			break;
		}
	}
	if (c < 0)
		return cli_stop(c);
	for (int i = optind; i < argc; i++) {
		if (o->file)
			return cli_usage_error("report: one results file only ('%s' and '%s' given; tvp "
					       "compare compares two)", o->file, argv[i]);
		o->file = argv[i];
	}
	if (!o->file && !(o->file = o->latest = paths_default_input("report")))
		return 2;
	return 0;
}

/* Loads the overhead file to report beside a results file: the one named,
 * else overhead-latest.json beside the results if it exists. Returns 0 with
 * *have set (false: none), or 2 after a message. */
static int load_overhead(struct resdoc *ovh, const struct report_options *o, bool *have)
{
	char err[600], *auto_path = NULL;
	const char *path = o->ovh_path;
	int status = 0;

	*have = false;
	if (o->no_ovh)
		return 0;
	if (!path) {
		char *copy = xstrdup(o->file);
		auto_path = xasprintf("%s/overhead-latest.json", dirname(copy));
		free(copy);
		if (access(auto_path, R_OK) == 0)
			path = auto_path;
	}
	if (!path)
		goto out;
	if (resdoc_load(ovh, path, err, sizeof err) != 0) {
		status = cli_usage_error("report: --overhead: %s", err);
	} else if (ovh->kind != RESDOC_OVERHEAD) {
		status = cli_usage_error("report: --overhead: '%s' is a results file, not an overhead "
					 "file (schema %s)", path, RESDOC_OVERHEAD_SCHEMA);
	} else {
		*have = true;
	}
out:
	free(auto_path);
	return status;
}

static void print_tables(struct report *R, const char **wl, size_t nwl)
{
	if (R->n == 0)
		report_item(R, "(no cells: the run measured nothing)");
	for (size_t k = 0; k < nwl; k++) {
		long long done[64];
		size_t nd = 0;
		for (size_t i = 0; i < R->n && nd < ARRAY_SIZE(done); i++) {
			bool dup = false;
			if (strcmp(R->cells[i].workload, wl[k]))
				continue;
			for (size_t j = 0; j < nd; j++)
				dup |= done[j] == R->cells[i].inst;
			if (!dup) {
				done[nd++] = R->cells[i].inst;
				print_table(R, wl[k], R->cells[i].inst);
			}
		}
	}
}

static void print_findings(struct report *R, const char **wl, size_t nwl, const struct resdoc *ovh)
{
	for (size_t k = 0; k < nwl; k++)
		report_findings(R, wl[k]);
	if (ovh)
		report_overhead_findings(R, ovh);
	if (!R->findings) {
		report_section(R, "findings", "Findings", true);
		report_item(R, "(none: the file has no parallel mode to compare with serial or with each other)");
	}
	report_section_end(R, true);
}

/* The results file's report. Text: a table per workload and size, the
 * warnings, the overhead table, then the findings. HTML, for a reader who
 * starts at the top: the findings first, the tables, the charts, the
 * warnings, the overhead table. */
static void report_results(struct report *R, const struct resdoc *ovh)
{
	const char **wl = xcalloc(R->n + 1, sizeof *wl);
	size_t nwl = 0;

	for (size_t i = 0; i < R->n; i++)
		if (!report_has_str(wl, nwl, R->cells[i].workload))
			wl[nwl++] = R->cells[i].workload;
	if (R->html) {
		print_findings(R, wl, nwl, ovh);
		report_section(R, "best modes", "Best mode at each worker count", false);
		print_tables(R, wl, nwl);
		report_html_charts(R, R->doc.path, ovh ? ovh->path : NULL);
	} else {
		print_tables(R, wl, nwl);
	}
	report_warnings(R);
	if (ovh) {
		report_overhead_pairs(R, ovh);
		report_overhead_table(R, ovh);
	}
	if (!R->html)
		print_findings(R, wl, nwl, ovh);
	free(wl);
}

int cmd_report(int argc, char **argv)
{
	struct report_options opt = { 0 };
	struct report R = { .out = stdout };
	struct resdoc ovh = { 0 };
	struct results_text file = { 0 };
	const json_t *host;
	char err[600];
	bool have_ovh = false;
	int status;

	status = parse_options(&opt, argc, argv);
	if (status != 0) {
		free(opt.latest);
		return status == 1 ? 0 : status;
	}
	if (resdoc_load(&R.doc, opt.file, err, sizeof err) != 0) {
		free(opt.latest);
		return cli_usage_error("report: %s", err);
	}
	if (R.doc.kind == RESDOC_RESULTS && (status = load_overhead(&ovh, &opt, &have_ovh)) != 0)
		goto out;
	host = json_object_get(R.doc.root, "host");
	R.cores = (unsigned)json_integer_value(json_object_get(host, "cores"));
	R.pus = (unsigned)json_integer_value(json_object_get(host, "pus"));
	if (!R.cores)
		R.cores = R.pus ? R.pus : 1;
	if (opt.html && strcmp(opt.html, "-")) {
		if (results_text_open(&file, opt.html, err, sizeof err) != 0) {
			status = cli_usage_error("report: --html: %s", err);
			goto out;
		}
		R.out = file.f;
	}
	if ((R.html = opt.html != NULL))
		report_html_begin(&R, "tvp report");
	R.usable_pus = (unsigned)json_integer_value(
		json_object_get(json_object_get(R.doc.root, "topology"), "allowed_pu_count"));
	if (!R.usable_pus)
		R.usable_pus = R.pus ? R.pus : R.cores;
	print_machine(&R);
	if (R.doc.kind == RESDOC_OVERHEAD) {
		if (R.html) {
			report_overhead_findings(&R, &R.doc);
			report_overhead_pairs(&R, &R.doc);
		}
		report_overhead_table(&R, &R.doc);
		if (!R.html)
			report_overhead_findings(&R, &R.doc);
		if (!R.findings) {
			report_section(&R, "findings", "Findings", true);
			report_item(&R, "(none: no thread and process measurements to pair)");
		}
		report_section_end(&R, true);
		goto out;
	}
	R.n = json_array_size(R.doc.results);
	R.cells = xcalloc(R.n + 1, sizeof *R.cells);
	for (size_t i = 0; i < R.n; i++)
		report_cell_init(&R.cells[i], json_array_get(R.doc.results, i));
	report_instances(&R);
	report_results(&R, have_ovh ? &ovh : NULL);
out:
	if (R.html && status == 0)
		report_html_end(&R);
	if (R.out == stdout && fflush(R.out) != 0 && status == 0) {
		fprintf(stderr, "tvp: report: cannot write the report: %s\n", strerror(errno));
		status = 1;
	}
	if (R.out != stdout && status == 0) {
		if (results_text_commit(&file, err, sizeof err) != 0) {
			fprintf(stderr, "tvp: report: %s\n", err);
			status = 1;
		} else {
			fprintf(stderr, "tvp report: %s\n", opt.html);
		}
	}
	results_text_abort(&file);
	free(R.cells);
	free(opt.latest);
	resdoc_release(&ovh);
	resdoc_release(&R.doc);
	return status;
}
