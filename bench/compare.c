/* compare.c: `tvp compare OLD.json NEW.json`, two results (or two overhead)
 * files cell by cell: the change in median and whether it is real.
 *
 * DESIGN
 * Cells are matched on what identifies them (workload, mode, workers, size,
 * pin, channel, lang: resdoc_cell_key). For each pair, a two-sided
 * Mann-Whitney U test on the samples' wall_ns decides, as Google Benchmark's
 * compare.py does: a change is real when p < alpha (0.05 by default). The U
 * test assumes nothing about the shape of the samples, which suits skewed
 * benchmark times. With few samples no data can reach p < alpha (three
 * against three: p >= 0.1); the verdict then says so instead of "same".
 * Overhead entries without samples fall back to their medians' 95%
 * confidence intervals: apart means real.
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
#include "bench/resdoc.h"
#include "bench/units.h"
#include "bench/util.h"

enum verdict { V_SAME, V_SLOWER, V_FASTER, V_FEW, V_NONE };

static const char *const verdict_text[] = {
	[V_SAME] = "same (no significant change)",
	[V_SLOWER] = "SLOWER",
	[V_FASTER] = "FASTER",
	[V_FEW] = "? too few samples to tell",
	[V_NONE] = "? no samples",
};

struct pair {
	const json_t *old, *new_;
	double m_old, m_new, change_pct, p;
	enum verdict v;
	char label[200], how[96];
};

static const json_t *find_key(const struct resdoc *d, const char *key)
{
	const json_t *e;
	size_t i;
	char k[512];

	json_array_foreach(d->results, i, e) {
		resdoc_cell_key(e, k, sizeof k);
		if (!strcmp(k, key))
			return e;
	}
	return NULL;
}

/* True when a workload has cells of several sizes in either file: then the
 * labels must name the size. */
static bool sizes_vary(const struct resdoc *a, const struct resdoc *b)
{
	const struct resdoc *d[2] = { a, b };

	for (int k = 0; k < 2; k++) {
		const json_t *e, *f;
		size_t i, j;
		json_array_foreach(d[k]->results, i, e)
			json_array_foreach(d[k]->results, j, f)
				if (!strcmp(resdoc_str(e, "workload", ""), resdoc_str(f, "workload", "")) &&
				    json_integer_value(json_object_get(e, "size")) !=
					    json_integer_value(json_object_get(f, "size")))
					return true;
	}
	return false;
}

/* Higher is better for rates (an overhead entry in B/s), lower for times. */
static bool higher_is_better(const json_t *e)
{
	const char *unit = resdoc_str(e, "unit", "ns");

	return strstr(unit, "/s") != NULL;
}

static void judge(struct pair *pr, double alpha)
{
	size_t no, nn;
	double *xo = resdoc_samples(pr->old, &no), *xn = resdoc_samples(pr->new_, &nn);
	bool worse;

	pr->m_old = resdoc_stat(pr->old, "median");
	pr->m_new = resdoc_stat(pr->new_, "median");
	pr->change_pct = pr->m_old > 0 ? 100 * (pr->m_new / pr->m_old - 1) : NAN;
	worse = higher_is_better(pr->old) ? pr->m_new < pr->m_old : pr->m_new > pr->m_old;
	pr->p = NAN;
	if (no && nn) {
		struct mw_result r;
		mw_test(xo, no, xn, nn, &r);
		pr->p = r.p;
		snprintf(pr->how, sizeof pr->how, "U test, %zu vs %zu samples%s", no, nn,
			 r.exact ? ", exact" : "");
		if (r.p < alpha)
			pr->v = worse ? V_SLOWER : V_FASTER;
		else if (r.min_p >= alpha)
			pr->v = V_FEW;
		else
			pr->v = V_SAME;
	} else {
		double ol = resdoc_stat(pr->old, "ci95_lo"), oh = resdoc_stat(pr->old, "ci95_hi");
		double nl = resdoc_stat(pr->new_, "ci95_lo"), nh = resdoc_stat(pr->new_, "ci95_hi");
		if (isnan(ol) || isnan(nl)) {
			pr->v = V_NONE;
		} else {
			snprintf(pr->how, sizeof pr->how, "no samples: 95%% CIs of the medians");
			pr->v = (oh < nl || nh < ol) ? (worse ? V_SLOWER : V_FASTER) : V_SAME;
		}
	}
	free(xo);
	free(xn);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp compare [[OLD.json] NEW.json] [--fail-above PCT] [--alpha A]\n\n"
		   "Compares two results files (or two overhead files) cell by cell, matching\n"
		   "workload, mode, workers, size, pin, channel and language. For each pair: the\n"
		   "medians, the change, and a two-sided Mann-Whitney U test on the samples'\n"
		   "wall_ns (exact for small samples without ties, else the normal approximation\n"
		   "with tie correction). A change is real (SLOWER or FASTER) when p < alpha; with\n"
		   "too few samples for any p to go below alpha the verdict says so.\n\n"
		   "Without files: the two newest results files in the results folder (see\n"
		   "'tvp help'), the older as OLD; with one file: that file against latest.json.\n\n"
		   "  --fail-above PCT  exit 1 when a real slowdown exceeds PCT percent (for CI)\n"
		   "  --alpha A         significance level (default 0.05)\n"
		   "  --help            this text\n\n"
		   "Exit status: 0 done (and no regression above PCT), 1 a real regression above\n"
		   "PCT, 2 a bad command line or a file that cannot be read.\n");
}

struct compare_options {
	const char *files[2];
	char *owned[2];          /* the defaults, freed at the end */
	double fail_above, alpha;
};

/* Returns 0 to compare, 1 when done (--help), or 2 after a message. */
static int parse_options(struct compare_options *o, int argc, char **argv)
{
	enum { OPT_FAIL_ABOVE = 256, OPT_ALPHA };
	static const struct option longopts[] = {
		{ "fail-above", required_argument, NULL, OPT_FAIL_ABOVE },
		{ "alpha", required_argument, NULL, OPT_ALPHA },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_parser p = { "compare", "--fail-above PCT, --alpha A, --help", longopts, usage, false, NULL };
	size_t nfiles = 0;
	int c;

	o->fail_above = NAN;
	o->alpha = 0.05;
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

int cmd_compare(int argc, char **argv)
{
	struct compare_options opt = { .alpha = 0.05 };
	const char *const *files = opt.files;
	struct resdoc d[2];
	struct pair *pairs = NULL;
	size_t np = 0, count[5] = { 0 }, only[2] = { 0 }, regress = 0;
	bool with_size;
	char err[600];
	const json_t *e;
	size_t i;
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
	pairs = xcalloc(json_array_size(d[0].results) + 1, sizeof *pairs);
	json_array_foreach(d[0].results, i, e) {
		char key[512];
		const json_t *n;

		resdoc_cell_key(e, key, sizeof key);
		if (!(n = find_key(&d[1], key)))
			continue;
		pairs[np].old = e;
		pairs[np].new_ = n;
		resdoc_cell_label(e, with_size, pairs[np].label, sizeof pairs[np].label);
		judge(&pairs[np], opt.alpha);
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
	printf("a change is real when the two-sided Mann-Whitney U test gives p < %g\n\n", opt.alpha);
	printf("%-44s %11s %11s %9s %8s  %s\n", "cell", "old median", "new median", "change", "p",
	       "verdict");
	for (size_t k = 0; k < np; k++) {
		struct pair *pr = &pairs[k];
		char a[UNITS_LEN], b[UNITS_LEN], p[16], ch[16];
		/* The medians are in the stats' unit (a bandwidth entry's stats
		 * are the time per message). */
		const char *unit = resdoc_stats_unit(pr->old);

		units_value(a, sizeof a, pr->m_old, unit);
		units_value(b, sizeof b, pr->m_new, unit);
		snprintf(p, sizeof p, isnan(pr->p) ? "-" : (pr->p < 0.001 ? "%.1e" : "%.3f"), pr->p);
		snprintf(ch, sizeof ch, isnan(pr->change_pct) ? "-" : "%+.1f%%", pr->change_pct);
		printf("%-44s %11s %11s %9s %8s  %s%s", pr->label, a, b, ch, p,
		       pr->v == V_SLOWER || pr->v == V_FASTER ? "** " : "", verdict_text[pr->v]);
		if (pr->how[0])
			printf("  [%s]", pr->how);
		putchar('\n');
		count[pr->v]++;
		if (pr->v == V_SLOWER && !isnan(opt.fail_above) && fabs(pr->change_pct) > opt.fail_above)
			regress++;
	}
	for (int k = 0; k < 2; k++) {
		const struct resdoc *me = &d[k], *other = &d[1 - k];
		json_array_foreach(me->results, i, e) {
			char key[512], lab[200];
			resdoc_cell_key(e, key, sizeof key);
			if (find_key(other, key))
				continue;
			resdoc_cell_label(e, with_size, lab, sizeof lab);
			printf("only in %s: %s\n", k ? "new" : "old", lab);
			only[k]++;
		}
	}
	printf("\nsummary: %zu slower, %zu faster, %zu unchanged, %zu undecided (too few or no "
	       "samples), %zu only in old, %zu only in new\n",
	       count[V_SLOWER], count[V_FASTER], count[V_SAME], count[V_FEW] + count[V_NONE], only[0],
	       only[1]);
	if (!isnan(opt.fail_above)) {
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
	free(pairs);
	resdoc_release(&d[0]);
	resdoc_release(&d[1]);
	return status;
}
