/* compare.c: `tvp compare OLD.json NEW.json`, two results (or two overhead)
 * files cell by cell: how much each cell changed, with a confidence
 * interval, on a machine that may itself have changed between the runs.
 *
 * DESIGN
 * Matching. Cells are matched on what identifies them (workload, mode,
 * workers, size, pin, channel, lang, start: resdoc_cell_key) by sorting both
 * files' keys and walking them together: O(n log n) (pairwise search took
 * 227 s for 10,000 cells).
 *
 * The change of a cell is a ratio: NEW's times over OLD's. The two runs'
 * samples are not paired (round r of one run has nothing to do with round r
 * of the other), so the ratio is the Hodges-Lehmann shift of the log times,
 * the median of every log(new_j / old_i), with the interval that inverts
 * the Mann-Whitney U test (mw_shift): distribution-free, exact for small
 * samples, at a coverage we state (3 against 3 reaches 90% at most; the CI
 * printed says so). It is the U test that compare always used, turned into
 * an estimate with an interval; on log times a shift is a ratio, which is
 * what a slowdown is (a bootstrap would need more samples than a quick run
 * has to be trusted, and its coverage at 3 or 5 samples is unknown). The
 * verdict is paired_verdict's on that interval: within 1 +- 5% is
 * "equivalent", beyond 1 a real change, straddling the band "not
 * significant" (never "same": a wide interval has not shown sameness).
 *
 * The machine. Each run records a single-thread reference loop next to its
 * samples (samples[].ref_ns_per_iter; reference.best_ns_per_iter where there
 * are none). When the two runs' median references differ by more than
 * COMPARE_MACHINE_BAND, the machine itself ran at another speed, and NEW's
 * times are divided by the factor (unless --no-normalise), which the output
 * says. 10%: the reference moves by up to 7% within one run on the noisy
 * 2-vCPU VMs we build on (0.27-0.31 ns/iter), so a larger move is the
 * machine's. A tvp.results/2 run also records the cores the machine
 * delivered around each sample (samples[].capacity) and flags contended
 * samples; contended samples are left out while at least
 * COMPARE_MIN_CLEAN clean ones remain, and a fall in the median capacity
 * is reported (a lost core slows parallel cells, not the single-thread
 * reference, so it cannot be divided out; the output says the changes of
 * parallel cells may be the machine's).
 *
 * Overhead entries without samples fall back to their medians' confidence
 * intervals: apart means real.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/cli.h"
#include "bench/commands.h"
#include "bench/mannwhitney.h"
#include "bench/paths.h"
#include "bench/paired.h"
#include "bench/resdoc.h"
#include "bench/units.h"
#include "bench/util.h"

/* The machine changed when the reference moved by more than this share. */
#define COMPARE_MACHINE_BAND 0.10
/* Contended samples are left out while this many clean ones remain (3
 * against 3 is the least a U interval can use). */
#define COMPARE_MIN_CLEAN 3

enum verdict { V_EQUIV, V_NOT_SIG, V_SLOWER, V_FASTER, V_FEW, V_NONE, V_COUNT };

static const char *const verdict_text[] = {
	[V_EQUIV] = "equivalent",
	[V_NOT_SIG] = "not significant",
	[V_SLOWER] = "SLOWER",
	[V_FASTER] = "FASTER",
	[V_FEW] = "? too few samples to tell",
	[V_NONE] = "? no samples",
};

/* What the two runs' machines did. */
struct machine {
	double ref[2];       /* median reference ns per iteration; NAN unknown */
	double cap[2];       /* median delivered cores (/2); NAN unknown */
	double factor;       /* NEW's times are divided by it (1: not) */
};

struct pair {
	const json_t *old, *new_;
	double m_old, m_new;
	double change;       /* NEW / OLD - 1 of the metric (times or rates) */
	double lo, hi;       /* its CI, as changes; NAN without one */
	double level;        /* the CI's coverage */
	size_t left_out;     /* contended samples left out, both sides */
	enum verdict v;
	char label[200], how[96];
};

/* A key of one file's entry, for matching. */
struct keyed {
	char key[512];
	size_t index;
	const json_t *e;
	const json_t *match;     /* the other file's entry with this key */
};

static int cmp_keyed(const void *a, const void *b)
{
	return strcmp(((const struct keyed *)a)->key, ((const struct keyed *)b)->key);
}

static struct keyed *keys_of(const struct resdoc *d)
{
	size_t n = json_array_size(d->results), i;
	struct keyed *k = xcalloc(n + 1, sizeof *k);
	const json_t *e;

	json_array_foreach(d->results, i, e) {
		resdoc_cell_key(e, k[i].key, sizeof k[i].key);
		k[i].index = i;
		k[i].e = e;
	}
	qsort(k, n, sizeof *k, cmp_keyed);
	return k;
}

/* Sets each entry's match by walking both sorted lists together. */
static void match_keys(struct keyed *a, size_t na, struct keyed *b, size_t nb)
{
	size_t i = 0, j = 0;

	while (i < na && j < nb) {
		int c = strcmp(a[i].key, b[j].key);
		if (c == 0) {
			a[i].match = b[j].e;
			b[j].match = a[i].e;
		}
		i += c <= 0;
		j += c >= 0;
	}
}

static int cmp_index(const void *a, const void *b)
{
	size_t x = ((const struct keyed *)a)->index, y = ((const struct keyed *)b)->index;

	return (x > y) - (x < y);
}

/* Compares entries by workload, then size. */
static int cmp_workload_size(const void *a, const void *b)
{
	const json_t *x = *(const json_t *const *)a, *y = *(const json_t *const *)b;
	int c = strcmp(resdoc_str(x, "workload", ""), resdoc_str(y, "workload", ""));
	json_int_t sx = json_integer_value(json_object_get(x, "size"));
	json_int_t sy = json_integer_value(json_object_get(y, "size"));

	return c ? c : (sx > sy) - (sx < sy);
}

/* True when a workload has cells of several sizes in either file: then the
 * labels must name the size. Sorted, so O(n log n). */
static bool sizes_vary(const struct resdoc *a, const struct resdoc *b)
{
	const struct resdoc *d[2] = { a, b };
	bool vary = false;

	for (int k = 0; k < 2 && !vary; k++) {
		size_t n = json_array_size(d[k]->results), i;
		const json_t **e = xcalloc(n + 1, sizeof *e);
		for (i = 0; i < n; i++)
			e[i] = json_array_get(d[k]->results, i);
		qsort(e, n, sizeof *e, cmp_workload_size);
		for (i = 1; i < n && !vary; i++)
			vary = !strcmp(resdoc_str(e[i], "workload", ""), resdoc_str(e[i - 1], "workload", "")) &&
			       cmp_workload_size(&e[i], &e[i - 1]) != 0;
		free(e);
	}
	return vary;
}

/* Higher is better for rates (an overhead entry in B/s), lower for times. */
static bool higher_is_better(const json_t *e)
{
	const char *unit = resdoc_str(e, "unit", "ns");

	return strstr(unit, "/s") != NULL;
}

static void machine_read(struct machine *m, const struct resdoc *d, bool normalise)
{
	for (int k = 0; k < 2; k++) {
		m->ref[k] = resdoc_sample_median(&d[k], "ref_ns_per_iter");
		if (!isfinite(m->ref[k]))
			m->ref[k] = resdoc_num(json_object_get(d[k].root, "reference"), "best_ns_per_iter");
		m->cap[k] = resdoc_sample_median(&d[k], "capacity");
	}
	m->factor = 1;
	if (normalise && m->ref[0] > 0 && m->ref[1] > 0 &&
	    fabs(m->ref[1] / m->ref[0] - 1) > COMPARE_MACHINE_BAND)
		m->factor = m->ref[1] / m->ref[0];
}

static void machine_print(const struct machine *m, bool normalise)
{
	double r = m->ref[1] / m->ref[0];

	if (!(m->ref[0] > 0 && m->ref[1] > 0))
		printf("machine: no reference figures in both files: times compared as measured\n");
	else if (fabs(r - 1) <= COMPARE_MACHINE_BAND)
		printf("machine: reference %.3f vs %.3f ns/iter (within %.0f%%): times compared as measured\n",
		       m->ref[0], m->ref[1], 100 * COMPARE_MACHINE_BAND);
	else
		printf("machine: the machine ran %.2fx %s in NEW (reference %.3f vs %.3f ns/iter); %s\n",
		       r > 1 ? r : 1 / r, r > 1 ? "slower" : "faster", m->ref[0], m->ref[1],
		       normalise ? "NEW times normalised by it" : "times NOT normalised (--no-normalise)");
	if (m->cap[0] > 0 && m->cap[1] > 0 && fabs(m->cap[1] / m->cap[0] - 1) > COMPARE_MACHINE_BAND)
		printf("machine: it delivered %.2f cores in NEW against %.2f in OLD (median capacity): "
		       "changes of parallel cells may be the machine's\n", m->cap[1], m->cap[0]);
}

/* The samples of e divided by `by`, as log values: contended ones left out
 * while at least COMPARE_MIN_CLEAN clean ones remain (*left_out counts
 * them, and any sample that is not positive). NULL with *n = 0 when there
 * are none. */
static double *log_samples(const json_t *e, double by, size_t *n, size_t *left_out)
{
	const json_t *a = json_object_get(e, "samples"), *s;
	double *x = resdoc_samples(e, n);
	size_t i, clean = 0, k = 0;
	bool *cont;

	if (!x)
		return NULL;
	cont = xcalloc(*n, sizeof *cont);
	/* resdoc_samples keeps every numeric wall_ns in order; a /2 sample
	 * always has one. */
	if (json_array_size(a) == *n)
		json_array_foreach(a, i, s)
			cont[i] = json_is_true(json_object_get(s, "contended"));
	for (i = 0; i < *n; i++)
		clean += !cont[i];
	for (i = 0; i < *n; i++)
		if ((clean < COMPARE_MIN_CLEAN || !cont[i]) && x[i] > 0)
			x[k++] = log(x[i] / by);
	*left_out += *n - k;
	*n = k;
	free(cont);
	return x;
}

static void judge(struct pair *pr, double alpha, double factor)
{
	size_t no, nn;
	bool rate = higher_is_better(pr->old);
	double *xo = log_samples(pr->old, 1, &no, &pr->left_out);
	double *xn = log_samples(pr->new_, rate ? 1 / factor : factor, &nn, &pr->left_out);
	struct mw_shift sh;

	pr->m_old = resdoc_stat(pr->old, "median");
	pr->m_new = resdoc_stat(pr->new_, "median") / (rate ? 1 / factor : factor);
	pr->change = pr->m_old > 0 ? pr->m_new / pr->m_old - 1 : NAN;
	pr->lo = pr->hi = NAN;
	if (no && nn && mw_shift(xo, no, xn, nn, alpha, &sh) == 0) {
		/* The speed ratio paired_verdict judges: > 1 when NEW is faster. */
		struct paired p = { .n = no < nn ? no : nn, .ci_level = sh.level };
		struct paired_finding f;
		p.ratio = exp(rate ? sh.shift : -sh.shift);
		p.ci_lo = exp(rate ? sh.lo : -sh.hi);
		p.ci_hi = exp(rate ? sh.hi : -sh.lo);
		paired_verdict(&p, PAIRED_BAND, &f);
		pr->change = expm1(sh.shift);
		pr->lo = expm1(sh.lo);
		pr->hi = expm1(sh.hi);
		pr->level = sh.level;
		snprintf(pr->how, sizeof pr->how, "%zu vs %zu samples", no, nn);
		if (sh.level < 1 - alpha - 1e-9)
			pr->v = V_FEW;
		else
			pr->v = f.verdict == PAIRED_EQUIVALENT ? V_EQUIV : f.verdict == PAIRED_FASTER
				? V_FASTER : f.verdict == PAIRED_SLOWER ? V_SLOWER : V_NOT_SIG;
	} else {
		double ol = resdoc_stat(pr->old, "ci95_lo"), oh = resdoc_stat(pr->old, "ci95_hi");
		double nl = resdoc_stat(pr->new_, "ci95_lo"), nh = resdoc_stat(pr->new_, "ci95_hi");
		bool worse = rate ? pr->m_new < pr->m_old : pr->m_new > pr->m_old;
		if (isnan(ol) || isnan(nl)) {
			pr->v = V_NONE;
		} else {
			snprintf(pr->how, sizeof pr->how, "no samples: CIs of the medians");
			pr->v = (oh < nl || nh < ol) ? (worse ? V_SLOWER : V_FASTER) : V_NOT_SIG;
		}
	}
	free(xo);
	free(xn);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp compare [[OLD.json] NEW.json] [--fail-above PCT] [--alpha A] [--no-normalise]\n\n"
		   "Compares two results files (or two overhead files) cell by cell, matching\n"
		   "workload, mode, workers, size, pin, channel, language and start method (a\n"
		   "cell without one ran fork). For each pair: the medians and the change,\n"
		   "NEW / OLD - 1, estimated as the Hodges-Lehmann shift of the log times with\n"
		   "its distribution-free confidence interval (the Mann-Whitney U test\n"
		   "inverted; its real coverage is printed). A change is\n"
		   "real (SLOWER or FASTER) when the interval leaves 1 +- 5%% on one side,\n"
		   "equivalent when it lies within it, and not significant otherwise; with too\n"
		   "few samples for a 1 - A interval the verdict says so.\n\n"
		   "When the two runs' reference loops (ns per iteration) differ by more than\n"
		   "10%%, the machine itself ran at another speed: NEW's times are divided by\n"
		   "that factor, and the output says so. Contended samples (tvp.results/2) are\n"
		   "left out while 3 clean ones remain; a fall in delivered cores is reported.\n\n"
		   "Without files: the two newest results files in the results folder (see\n"
		   "'tvp help'), the older as OLD; with one file: that file against latest.json.\n\n"
		   "  --fail-above PCT  exit 1 when a real slowdown exceeds PCT percent (for CI)\n"
		   "  --alpha A         1 - the intervals' coverage (default 0.05)\n"
		   "  --no-normalise    compare times as measured, whatever the reference says\n"
		   "  --help            this text\n\n"
		   "Exit status: 0 done (and no regression above PCT), 1 a real regression above\n"
		   "PCT or no cell matched, 2 a bad command line or a file that cannot be read.\n");
}

struct compare_options {
	const char *files[2];
	char *owned[2];          /* the defaults, freed at the end */
	double fail_above, alpha;
	bool normalise;
};

/* Returns 0 to compare, 1 when done (--help), or 2 after a message. */
static int parse_options(struct compare_options *o, int argc, char **argv)
{
	enum { OPT_FAIL_ABOVE = 256, OPT_ALPHA, OPT_NO_NORMALISE };
	static const struct option longopts[] = {
		{ "fail-above", required_argument, NULL, OPT_FAIL_ABOVE },
		{ "alpha", required_argument, NULL, OPT_ALPHA },
		{ "no-normalise", no_argument, NULL, OPT_NO_NORMALISE },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_parser p = { "compare", "--fail-above PCT, --alpha A, --no-normalise, --help", longopts,
				usage, false, NULL };
	size_t nfiles = 0;
	int c;

	o->fail_above = NAN;
	o->alpha = 0.05;
	o->normalise = true;
	while ((c = cli_next(&p, argc, argv)) > 0) {
		switch (c) {
		case OPT_FAIL_ABOVE:
			if (!cli_parse_double(optarg, 0, 1e9, &o->fail_above))
				return cli_usage_error("compare: --fail-above '%s' is not accepted; accepted: a "
						       "percentage, 0 or more (10 = fail on a real slowdown "
						       "above 10%%)", optarg);
			break;
		case OPT_ALPHA:
			if (!cli_parse_double(optarg, 1e-12, 0.5, &o->alpha))
				return cli_usage_error("compare: --alpha '%s' is not accepted; accepted: a "
						       "number above 0 and at most 0.5 (default 0.05)", optarg);
			break;
		case OPT_NO_NORMALISE:
			o->normalise = false;
			break;
		}
	}
	if (c < 0)
		return cli_stop(c);
	for (int i = optind; i < argc; i++) {
		if (nfiles == 2)
			return cli_usage_error("compare: two files only (OLD.json NEW.json); '%s' is a "
					       "third", argv[i]);
		o->files[nfiles++] = argv[i];
	}
	if (nfiles == 1) {
		if (!(o->files[1] = o->owned[1] = paths_default_input("compare")))
			return 2;
	} else if (nfiles == 0) {
		char *dir = paths_results_dir();
		if (paths_newest_two(&o->owned[0], &o->owned[1]) != 0) {
			fprintf(stderr, "tvp: compare: no files given, and fewer than two results files in "
					"%s; usage: tvp compare [[OLD.json] NEW.json]\n", dir);
			free(dir);
			return 2;
		}
		free(dir);
		o->files[0] = o->owned[0];
		o->files[1] = o->owned[1];
	}
	return 0;
}

/* A value in the metric's unit: a duration for ns, else a number. */
/* A median in its stats' unit (a bandwidth entry's stats are the time per
 * message). */
static void format_value(char *buf, size_t len, const json_t *e, double v)
{
	units_value(buf, len, v, resdoc_stats_unit(e));
}

static void print_pair(const struct pair *pr)
{
	char a[UNITS_LEN], b[UNITS_LEN], ch[16], ci[48], verdict[64];

	format_value(a, sizeof a, pr->old, pr->m_old);
	format_value(b, sizeof b, pr->new_, pr->m_new);
	snprintf(ch, sizeof ch, isnan(pr->change) ? "-" : "%+.1f%%", 100 * pr->change);
	if (isnan(pr->lo))
		snprintf(ci, sizeof ci, "-");
	else
		snprintf(ci, sizeof ci, "%+.1f%% .. %+.1f%% (%d%%)", 100 * pr->lo, 100 * pr->hi,
			 pr->level >= 0.95 ? 95 : (int)floor(pr->level * 100 + 1e-9));
	if (pr->v == V_EQUIV)
		snprintf(verdict, sizeof verdict, "equivalent (within %.0f%%)",
			 ceil(100 * fmax(fabs(pr->lo), fabs(pr->hi)) - 1e-9));
	else
		snprintf(verdict, sizeof verdict, "%s%s", pr->v == V_SLOWER || pr->v == V_FASTER ? "** " : "",
			 verdict_text[pr->v]);
	printf("%-44s %11s %11s %8s  %-28s %s", pr->label, a, b, ch, ci, verdict);
	if (pr->left_out)
		printf("  [%s, %zu contended left out]", pr->how, pr->left_out);
	else if (pr->how[0])
		printf("  [%s]", pr->how);
	putchar('\n');
}

/* The geometric mean of NEW / OLD over the pairs with an estimate. */
static void print_summary(const struct pair *pairs, size_t np, const size_t *count, const size_t *only,
			  double factor)
{
	double sum = 0;
	size_t n = 0;

	for (size_t k = 0; k < np; k++)
		if (!isnan(pairs[k].lo)) {
			sum += log1p(pairs[k].change);
			n++;
		}
	printf("\nsummary: %zu slower, %zu faster, %zu equivalent, %zu not significant, %zu undecided "
	       "(too few or no samples), %zu only in old, %zu only in new\n",
	       count[V_SLOWER], count[V_FASTER], count[V_EQUIV], count[V_NOT_SIG],
	       count[V_FEW] + count[V_NONE], only[0], only[1]);
	if (n)
		printf("geometric mean of NEW / OLD over %zu matched cell(s): %.3f (%+.1f%%)%s\n", n,
		       exp(sum / (double)n), 100 * expm1(sum / (double)n),
		       factor != 1 ? ", NEW normalised by the reference" : "");
}

int cmd_compare(int argc, char **argv)
{
	struct compare_options opt = { .alpha = 0.05 };
	const char *const *files = opt.files;
	struct resdoc d[2];
	struct keyed *keys[2] = { NULL, NULL };
	struct pair *pairs = NULL;
	struct machine m;
	size_t np = 0, n[2], count[V_COUNT] = { 0 }, only[2] = { 0 }, regress = 0;
	bool with_size;
	char err[600];
	int status = 0;

	memset(d, 0, sizeof d);
	status = parse_options(&opt, argc, argv);
	if (status != 0) {
		status = status == 1 ? 0 : status;
		goto out;
	}
	for (int k = 0; k < 2; k++)
		if (resdoc_load(&d[k], files[k], err, sizeof err) != 0) {
			fprintf(stderr, "tvp: compare: %s\n", err);
			status = 2;
			goto out;
		}
	if (d[0].kind != d[1].kind) {
		fprintf(stderr, "tvp: compare: '%s' and '%s' are of different kinds (a results file and "
				"an overhead file); compare like with like\n", files[0], files[1]);
		status = 2;
		goto out;
	}
	with_size = sizes_vary(&d[0], &d[1]);
	for (int k = 0; k < 2; k++) {
		n[k] = json_array_size(d[k].results);
		keys[k] = keys_of(&d[k]);
	}
	match_keys(keys[0], n[0], keys[1], n[1]);
	/* Back to each file's own order for printing. */
	for (int k = 0; k < 2; k++)
		qsort(keys[k], n[k], sizeof *keys[k], cmp_index);
	machine_read(&m, d, opt.normalise);
	pairs = xcalloc(n[0] + 1, sizeof *pairs);
	for (size_t i = 0; i < n[0]; i++) {
		if (!keys[0][i].match)
			continue;
		pairs[np].old = keys[0][i].e;
		pairs[np].new_ = keys[0][i].match;
		resdoc_cell_label(pairs[np].old, with_size, pairs[np].label, sizeof pairs[np].label);
		judge(&pairs[np], opt.alpha, m.factor);
		np++;
	}

	{
		const json_t *h0 = json_object_get(d[0].root, "host"), *h1 = json_object_get(d[1].root, "host");
		printf("tvp compare: %s (old, %s) -> %s (new, %s)\n", files[0],
		       resdoc_str(d[0].root, "created", "?"), files[1], resdoc_str(d[1].root, "created", "?"));
		if (strcmp(resdoc_str(h0, "hostname", ""), resdoc_str(h1, "hostname", "")) ||
		    strcmp(resdoc_str(h0, "cpu_model", ""), resdoc_str(h1, "cpu_model", "")))
			printf("note: different machines (%s, %s): changes may be the machine's\n",
			       resdoc_str(h0, "hostname", "?"), resdoc_str(h1, "hostname", "?"));
	}
	machine_print(&m, opt.normalise);
	printf("change = NEW / OLD - 1 (Hodges-Lehmann, log times) with its CI; a change is real when "
	       "the CI at %g%% leaves 1 +- %.0f%%\n\n", 100 * (1 - opt.alpha), 100 * PAIRED_BAND);
	printf("%-44s %11s %11s %8s  %-28s %s\n", "cell", "old median", "new median", "change",
	       "CI of the change", "verdict");
	for (size_t k = 0; k < np; k++) {
		print_pair(&pairs[k]);
		count[pairs[k].v]++;
		if (pairs[k].v == V_SLOWER && !isnan(opt.fail_above) &&
		    fabs(100 * pairs[k].change) > opt.fail_above)
			regress++;
	}
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < n[k]; i++) {
			char lab[200];
			if (keys[k][i].match)
				continue;
			resdoc_cell_label(keys[k][i].e, with_size, lab, sizeof lab);
			printf("only in %s: %s\n", k ? "new" : "old", lab);
			only[k]++;
		}
	print_summary(pairs, np, count, only, m.factor);
	if (np == 0) {
		fflush(stdout);
		fprintf(stderr, "tvp: compare: no cell of '%s' matches one of '%s' (same workload, "
				"mode, workers, size, pin, channel, language and start)\n", files[1], files[0]);
		status = 1;
	} else if (!isnan(opt.fail_above)) {
		if (regress) {
			printf("FAIL: %zu real slowdown(s) above %g%%\n", regress, opt.fail_above);
			status = 1;
		} else {
			printf("pass: no real slowdown above %g%%\n", opt.fail_above);
		}
	}
	if (fflush(stdout) != 0 && status == 0) {
		fprintf(stderr, "tvp: compare: cannot write: %s\n", strerror(errno));
		status = 1;
	}
out:
	free(opt.owned[0]);
	free(opt.owned[1]);
	free(keys[0]);
	free(keys[1]);
	free(pairs);
	resdoc_release(&d[0]);
	resdoc_release(&d[1]);
	return status;
}
