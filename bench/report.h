/* report.h: the parts of `tvp report` (bench/report*.c) share this: a
 * results file read once into plain cells (struct report_cell), the queries
 * every finding asks of them, and the sections each file writes.
 *
 * report.c reads the command line and the files and writes the machine, the
 * tables and the warnings; report_findings.c the findings on the cells;
 * report_overhead.c the overhead table and its thread-against-process pairs.
 * Nothing here is used outside those files. */
#ifndef REPORT_H
#define REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bench/modes/mode.h"
#include "bench/resdoc.h"

/* What a cell's workers are, read once from the mode registry (or, for a
 * mode this tvp does not know, from the file's "kind"). */
enum report_kind {
	REPORT_KIND_SERIAL,
	REPORT_KIND_THREAD,
	REPORT_KIND_PROCESS,
	REPORT_KIND_OTHER,     /* neither known nor recorded */
};

/* Sets of kinds, for report_best. */
#define REPORT_KINDS(k) (1u << (k))
#define REPORT_KINDS_PARALLEL                                                                   \
	(REPORT_KINDS(REPORT_KIND_THREAD) | REPORT_KINDS(REPORT_KIND_PROCESS) |                  \
	 REPORT_KINDS(REPORT_KIND_OTHER))
#define REPORT_KINDS_ALL (REPORT_KINDS_PARALLEL | REPORT_KINDS(REPORT_KIND_SERIAL))

/* report_best's family filter that any family passes (a mode this tvp does
 * not know has no family and passes only this). */
#define REPORT_ANY_FAMILY (-1)

/* One cell, with the figures the report compares. */
struct report_cell {
	const json_t *c;
	const char *workload, *mode, *pin;
	enum report_kind kind;
	int family;                  /* enum mode_family, or -1: an unknown mode */
	long long workers, size, tasks;
	long long inst;              /* which (workload, size, tasks) instance: cells
					compare only within one (report_instances) */
	double med, lo, hi, speedup;
	char label[160];             /* "thread-pool", "fork-pool/shm+spawn", "thread-pool (python)" */
	const char *start;           /* a start method other than fork, or NULL (resdoc_cell_start) */
};

struct report {
	struct resdoc doc;
	struct report_cell *cells;
	size_t n;
	unsigned cores, pus;
	unsigned usable_pus;         /* topology.allowed_pu_count, else pus */
	size_t findings;             /* written so far */
	FILE *out;
	bool html;                   /* write HTML (report_html.c), not text */
};

/* Fills cell from a results cell c (borrowed: c must outlive it). */
void report_cell_init(struct report_cell *cell, const json_t *c);

/* s is one of v[0..n): for lists of distinct values in order of first
 * appearance. */
bool report_has_str(const char **v, size_t n, const char *s);

/* The cell has a positive median and samples. */
bool report_measured(const struct report_cell *r);

/* The medians' 95% intervals are apart: one is faster than the other. */
bool report_apart(const struct report_cell *a, const struct report_cell *b);

/* format_duration into buf, returning buf (for printf arguments). */
const char *report_dur(char *buf, size_t len, double ns);

/* Writes one finding (the "findings" heading before the first). */
void report_finding(struct report *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Numbers the (workload, size, tasks) instances of R's cells (their inst):
 * cells are compared only within one. A bench measures a workload at one
 * size with several task counts (noop: a pool group of a million tasks, an
 * executor group and a spawn group of far fewer), and medians of different
 * task counts are not comparable. */
void report_instances(struct report *R);

/* The fastest measured cell of workload's instance inst with pin whose kind
 * is in kinds (REPORT_KINDS...) and whose family is family (or
 * REPORT_ANY_FAMILY); workers 0: any count. NULL when there is none. */
const struct report_cell *report_best(const struct report *R, const char *workload,
				      long long inst, long long workers, unsigned kinds,
				      const char *pin, int family);

/* The worker counts measured for (workload, inst, pin none), sorted, into
 * out (room for R->n entries); returns how many. */
size_t report_worker_counts(const struct report *R, const char *w, long long inst, long long *out);

/* The warnings section (report_warnings.c). */
void report_warnings(struct report *R);
/* Cell a against base b by their per-round ratios, in one sentence into
 * buf (paired_describe's, plus contended rounds left out or kept and a cell
 * that did not converge), a_name and b_name naming them. Returns false, buf
 * untouched, when either cell has no rounds (a tvp.results/1 file). */
bool report_paired(const struct report_cell *a, const char *a_name, const struct report_cell *b,
		   const char *b_name, char *buf, size_t len);

/* The real coverage of a's and b's median CIs, the lower, in percent
 * rounded down (75 for 3 samples; 95 for a /1 cell without ci_level). */
int report_ci_pct(const struct report_cell *a, const struct report_cell *b);

/* What findings are about: one instance of a workload (report_instances),
 * and what they call it, the workload's name with " (N tasks)" when its
 * size has several instances (the bench's noop groups). */
struct report_inst {
	const char *w;
	long long id;
	char name[96];
};

/* Paired findings (report_paired.c): the fastest cell at `at` workers
 * against serial; Amdahl's serial fraction of each mode where the fit on
 * worker counts up to pus (the usable PUs) is good (bench/amdahl.h). */
void report_speedup_finding(struct report *R, const struct report_inst *in, long long at);
void report_amdahl_findings(struct report *R, const struct report_inst *in, unsigned pus);

/* Every finding on workload w's cells. */
void report_findings(struct report *R, const char *w);

/* report_html.c: the pieces of the HTML page. The text escaped for HTML;
 * the page's head (title, stylesheet) and its end; a table row of n cells
 * in tag ("td" or "th"), cell i right-aligned when bit i of numeric is set;
 * the charts of file (and ovh, or none when NULL) drawn by this binary's
 * `tvp plot -f svg` and embedded (returns 0, or a negative errno when a
 * chart could not be read; a plot that draws nothing is said on the page). */
void report_html_text(FILE *f, const char *s);
void report_html_begin(struct report *R, const char *title);
void report_html_end(struct report *R);
void report_html_row(struct report *R, const char *tag, const char *const *cells, size_t n,
		     unsigned numeric);
int report_html_charts(struct report *R, const char *file, const char *ovh);

/* Opens a section: "\nNAME\n" in text, <h2>Title</h2> (and <ul> when
 * list) in HTML; report_section_end closes the list. */
void report_section(struct report *R, const char *name, const char *title, bool list);
void report_section_end(struct report *R, bool list);

/* One item of a section: "  TEXT" (text) or <li>TEXT</li> (HTML). */
void report_item(struct report *R, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The overhead section: the table of o's entries, and the findings that
 * pair a thread's cost with a process's. */
void report_overhead_table(struct report *R, const struct resdoc *o);
void report_overhead_findings(struct report *R, const struct resdoc *o);

/* HTML only (nothing in text): a table of the same pairs as the findings,
 * thread beside process, with the ratio of their medians. */
void report_overhead_pairs(struct report *R, const struct resdoc *o);

#endif
