/* run_options.c: reads and checks the command line of `tvp run`. Every
 * rejection names the value and what is accepted; the caller exits 2. */
#include "bench/run_options.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/adaptive.h"
#include "bench/cli.h"
#include "bench/run_checks.h"
#include "bench/run_limits.h"
#include "bench/run_mode_opts.h"
#include "bench/pin_json.h"
#include "par/pin.h"
#include "bench/util.h"

enum {
	OPT_WORKLOAD = 256, OPT_MODE, OPT_WORKERS, OPT_TASKS, OPT_SIZE, OPT_REPEAT, OPT_WARMUP,
	OPT_OUTPUT, OPT_QUICK, OPT_QUIET, OPT_SEED, OPT_PIN, OPT_PIN_STRICT, OPT_CHANNEL,
	OPT_START,
	OPT_PYTHON, OPT_HELP, OPT_PRECISION, OPT_MIN_REPEAT, OPT_MAX_REPEAT, OPT_BUDGET, OPT_VERBOSE,
	OPT_WORKLOAD_BASE = 1000,  /* + index into the workload option table */
};
enum { OPT_MPI_HOSTS = 900, OPT_MPI_TRANSPORT };   /* the mpi mode's */

static const struct option fixed_options[] = {
	{ "workload", required_argument, NULL, OPT_WORKLOAD },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "tasks", required_argument, NULL, OPT_TASKS },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "repeat", required_argument, NULL, OPT_REPEAT },
	{ "warmup", required_argument, NULL, OPT_WARMUP },
	{ "output", required_argument, NULL, OPT_OUTPUT },
	{ "quick", no_argument, NULL, OPT_QUICK },
	{ "quiet", no_argument, NULL, OPT_QUIET },
	{ "seed", required_argument, NULL, OPT_SEED },
	{ "pin", required_argument, NULL, OPT_PIN },
	{ "pin-strict", no_argument, NULL, OPT_PIN_STRICT },
	{ "channel", required_argument, NULL, OPT_CHANNEL },
	{ "start", required_argument, NULL, OPT_START },
	{ "python", no_argument, NULL, OPT_PYTHON },
	{ "help", no_argument, NULL, OPT_HELP },
	{ "precision", required_argument, NULL, OPT_PRECISION },
	{ "min-repeat", required_argument, NULL, OPT_MIN_REPEAT },
	{ "max-repeat", required_argument, NULL, OPT_MAX_REPEAT },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "mpi-hosts", required_argument, NULL, OPT_MPI_HOSTS },
	{ "mpi-transport", required_argument, NULL, OPT_MPI_TRANSPORT },
};

/* Every workload option of every registered workload, flattened. */
struct wl_opt_ref {
	size_t workload;   /* index into workloads[] */
	size_t option;     /* index into its options table */
};

static bool fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return false;
}

/* cli_split_list, with the usage message for --what. */
static bool split_list(const char *text, const char *what, char ***items, size_t *n, char *err,
		       size_t errlen)
{
	if (cli_split_list(text, items, n))
		return true;
	return fail(err, errlen, "--%s '%s' has an empty item; give a comma-separated list", what, text);
}

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

bool run_parse_workers(const char *text, unsigned pus, unsigned **out, size_t *n, char *err,
		       size_t errlen)
{
	static const char accepted[] =
		"accepted: counts from 1 to 4096 as a list (1,2,4), ranges (1-8) or auto";
	char **items;
	size_t count;
	unsigned *w = NULL;
	size_t nw = 0;

	*out = NULL;
	*n = 0;
	if (!split_list(text, "workers", &items, &count, err, errlen))
		return false;
	for (size_t i = 0; i < count; i++) {
		uint64_t lo, hi;
		char *dash = strchr(items[i], '-');

		if (strcmp(items[i], "auto") == 0) {
			for (uint64_t k = 1; k <= 2ull * pus && k <= RUN_MAX_WORKERS; k *= 2) {
				w = xrealloc(w, (nw + 1) * sizeof *w);
				w[nw++] = (unsigned)k;
			}
			continue;
		}
		if (dash) {
			*dash = '\0';
			if (!cli_parse_uint(items[i], 1, RUN_MAX_WORKERS, &lo) ||
			    !cli_parse_uint(dash + 1, 1, RUN_MAX_WORKERS, &hi) || hi < lo) {
				*dash = '-';
				fail(err, errlen, "--workers: bad range '%s'; %s", items[i], accepted);
				goto bad;
			}
		} else if (!cli_parse_uint(items[i], 1, RUN_MAX_WORKERS, &lo)) {
			fail(err, errlen, "--workers: '%s' is not a worker count; %s", items[i], accepted);
			goto bad;
		} else {
			hi = lo;
		}
		for (uint64_t k = lo; k <= hi; k++) {
			w = xrealloc(w, (nw + 1) * sizeof *w);
			w[nw++] = (unsigned)k;
		}
	}
	cli_free_list(items, count);
	qsort(w, nw, sizeof *w, cmp_unsigned);
	*n = 0;
	for (size_t i = 0; i < nw; i++)
		if (*n == 0 || w[*n - 1] != w[i])
			w[(*n)++] = w[i];
	*out = w;
	return true;
bad:
	cli_free_list(items, count);
	free(w);
	return false;
}

static bool parse_workloads(struct run_options *o, const char *text, char *err, size_t errlen)
{
	char **items;
	size_t n;

	if (!split_list(text, "workload", &items, &n, err, errlen))
		return false;
	free(o->workloads);
	o->workloads = NULL;
	o->n_workloads = 0;
	for (size_t i = 0; i < n; i++) {
		bool all = strcmp(items[i], "all") == 0;
		const struct workload *wl = all ? NULL : workload_find(items[i]);

		if (!all && !wl) {
			char names[512] = "";
			for (size_t k = 0; k < workloads_count; k++)
				snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
					 k ? ", " : "", workloads[k]->name);
			fail(err, errlen, "unknown workload '%s'; accepted: %s, all", items[i], names);
			cli_free_list(items, n);
			return false;
		}
		for (size_t k = 0; k < workloads_count; k++) {
			bool dup = false;
			if (!all && workloads[k] != wl)
				continue;
			for (size_t j = 0; j < o->n_workloads; j++)
				dup |= o->workloads[j].wl == workloads[k];
			if (dup)
				continue;
			o->workloads = xrealloc(o->workloads, (o->n_workloads + 1) * sizeof *o->workloads);
			memset(&o->workloads[o->n_workloads], 0, sizeof *o->workloads);
			o->workloads[o->n_workloads++].wl = workloads[k];
		}
	}
	cli_free_list(items, n);
	return true;
}

static bool parse_modes(struct run_options *o, const char *text, char *err, size_t errlen)
{
	char **items;
	size_t n;

	if (!split_list(text, "mode", &items, &n, err, errlen))
		return false;
	free(o->modes);
	o->modes = NULL;
	o->n_modes = 0;
	for (size_t i = 0; i < n; i++) {
		bool all = strcmp(items[i], "all") == 0;
		const struct mode *m = all ? NULL : mode_find(items[i]);

		if (!all && !m) {
			char names[512] = "";
			for (size_t k = 0; k < modes_count; k++)
				snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s",
					 k ? ", " : "", modes[k]->name);
			fail(err, errlen, "unknown mode '%s'; accepted: %s, all", items[i], names);
			cli_free_list(items, n);
			return false;
		}
		for (size_t k = 0; k < modes_count; k++) {
			bool dup = false;
			if (!all && modes[k] != m)
				continue;
			for (size_t j = 0; j < o->n_modes; j++)
				dup |= o->modes[j] == modes[k];
			if (!dup) {
				o->modes = xrealloc(o->modes, (o->n_modes + 1) * sizeof *o->modes);
				o->modes[o->n_modes++] = modes[k];
			}
		}
	}
	cli_free_list(items, n);
	return true;
}

/* Resolves --size for each selected workload: an item "NAME=SIZE" applies to
 * workload NAME only; plain items apply to every workload without its own. */
static bool resolve_sizes(struct run_options *o, const char *text, char *err, size_t errlen)
{
	char **items = NULL;
	size_t n = 0;
	bool ok = false;

	if (text && !split_list(text, "size", &items, &n, err, errlen))
		return false;
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(items[i], '=');
		if (eq && !workload_find((*eq = '\0', items[i]))) {
			fail(err, errlen, "--size '%s=%s': no workload is called '%s'", items[i], eq + 1,
			     items[i]);
			goto out;
		}
		if (eq)
			*eq = '=';
	}
	for (size_t w = 0; w < o->n_workloads; w++) {
		struct run_workload *rw = &o->workloads[w];
		size_t nlen = strlen(rw->wl->name);
		bool own = false;

		for (size_t i = 0; i < n; i++)
			own |= strncmp(items[i], rw->wl->name, nlen) == 0 && items[i][nlen] == '=';
		for (size_t i = 0; i < n; i++) {
			const char *t = items[i], *eq = strchr(t, '=');
			uint64_t v = 0;

			if (eq && !(strncmp(t, rw->wl->name, nlen) == 0 && t[nlen] == '='))
				continue;
			if (!eq && own)
				continue;
			if (eq)
				t = eq + 1;
			if (strcmp(t, "auto") != 0 &&
			    !rw->wl->parse_size(t, &v, err + 0, errlen)) {
				char why[256];
				snprintf(why, sizeof why, "%s", err);
				fail(err, errlen, "--size for workload %s: %s; accepted: %s", rw->wl->name,
				     why, rw->wl->size_help);
				goto out;
			}
			rw->sizes = xrealloc(rw->sizes, (rw->n_sizes + 1) * sizeof *rw->sizes);
			rw->sizes[rw->n_sizes++] = v;
		}
		if (rw->n_sizes == 0) {
			rw->sizes = xmalloc(sizeof *rw->sizes);
			/* Quick runs use the small default; full runs calibrate
			 * where the workload can (0 means auto). */
			rw->sizes[0] = o->quick || !rw->wl->calibrate ? rw->wl->default_size(o->quick) : 0;
			rw->n_sizes = 1;
		}
	}
	ok = true;
out:
	cli_free_list(items, n);
	return ok;
}

void run_options_usage(FILE *f)
{
	fprintf(f,
		"usage: tvp run [OPTIONS]\n\n"
		"Runs workloads under modes, several times each, and writes every measurement\n"
		"as JSON plus a table. Lists are comma-separated; each combination is a cell.\n\n"
		"  --workload LIST   workloads (default count; all = every one):\n");
	for (size_t i = 0; i < workloads_count; i++)
		fprintf(f, "                      %-11s %s\n", workloads[i]->name, workloads[i]->summary);
	fprintf(f, "  --mode LIST       modes (default all); serial always runs as the baseline:\n");
	for (size_t i = 0; i < modes_count; i++)
		fprintf(f, "                      %-15s %s\n", modes[i]->name, modes[i]->summary);
	fprintf(f,
		"  --workers LIST    worker counts: 1,2,4 or ranges 1-8 or auto (default auto:\n"
		"                    powers of two up to twice the PUs this process may use)\n"
		"  --tasks N         tasks per measurement (default: the workload's; for count,\n"
		"                    one per worker of the largest worker count)\n"
		"  --size LIST       size of one task, in the workload's unit, or auto (count:\n"
		"                    calibrate one task to about 0.2 s); NAME=SIZE applies to\n"
		"                    one workload only\n"
		"  --precision PCT   target relative half-width of every speedup's interval\n"
		"                    (default 3%%): rounds go on until it is met\n"
		"  --min-repeat N    rounds every cell gets (default 6; --quick 5)\n"
		"  --max-repeat N    rounds no cell exceeds (default 30; --quick 5)\n"
		"  --budget DURATION the whole run's time (90s, 10m, 1h; default none): no\n"
		"                    round is started that would end past it\n"
		"  --repeat N        exactly N rounds (= --min-repeat N --max-repeat N)\n"
		"  --warmup N        unrecorded runs per cell first (default 1)\n"
		"  --pin LIST        placement policies, each a cell (default none):\n"
		"%s\n"
		"  --pin-strict      a failed binding is an error, not a warning\n"
		"  --channel LIST    fork-pool and executor-fork channels: pipe, shm (default shm)\n"
		"  --start LIST      how process workers start (fork-spawn, fork-pool,\n"
		"                    executor-fork): fork, spawn, forkserver (default fork)\n"
		"  --output FILE     JSON results (default results/HOST-STAMP.json, linked\n"
		"                    from results/latest.json); - for stdout\n"
		"  --resume JOURNAL  finish a run that died before writing its JSON, from its\n"
		"                    journal (no other option but --output, to write elsewhere)\n"
		"  --seed N          seed for the shuffled order of cells (default: from time)\n"
		"  --quick           small sizes: a smoke run in seconds\n"
		"  --quiet           no progress bar and no table\n"
		"  --verbose         every cell's warnings, one line each\n"
		"  --python          add Python cells (count, sleep, net, transfer) run by python3\n"
		"  --help            this text\n", pin_json_policy_help);
	fprintf(f,
		"  --mpi-hosts FILE  mpi mode: an Open MPI hostfile (this host first: rank 0\n"
		"                    talks to tvp); default: this machine only\n"
		"  --mpi-transport T mpi mode: sm (shared memory, default) or tcp\n");
	for (size_t i = 0; i < workloads_count; i++)
		for (const struct workload_option *wo = workloads[i]->options; wo && wo->name; wo++) {
			char flag[64];
			snprintf(flag, sizeof flag, "--%s %s", wo->name, wo->arg);
			fprintf(f, "  %-17s %s\n  %-17s (%s%s%s)\n", flag, wo->help, "", workloads[i]->name,
				wo->def && *wo->def ? "; default " : "", wo->def ? wo->def : "");
		}
	fprintf(f, "\nShort forms: -w for --workers, -m --mode, -o --output, -r --repeat, -q --quick.\n");
	fprintf(f, "\nExit status: 0 success, 1 a failure while running (a wrong result, a mode\n"
		   "that failed), 2 a bad command line, 128+N interrupted by signal N (130 for\n"
		   "Ctrl-C, 129 for a hang-up; results so far written).\n");
}

int run_options_parse(struct run_options *o, unsigned pus, int argc, char **argv, char *err,
		      size_t errlen)
{
	struct option *longopts;
	struct wl_opt_ref *refs = NULL;
	size_t nrefs = 0, nfixed = ARRAY_SIZE(fixed_options);
	const char *size_text = NULL;
	uint64_t v;
	unsigned min_repeat = 0, max_repeat = 0;
	int c, rc = -EINVAL;

	memset(o, 0, sizeof *o);
	o->warmup = 1;
	o->precision = ADAPTIVE_PRECISION;
	for (size_t i = 0; i < workloads_count; i++)
		for (size_t k = 0; workloads[i]->options && workloads[i]->options[k].name; k++) {
			refs = xrealloc(refs, (nrefs + 1) * sizeof *refs);
			refs[nrefs++] = (struct wl_opt_ref){ i, k };
		}
	longopts = xcalloc(nfixed + nrefs + 1, sizeof *longopts);
	memcpy(longopts, fixed_options, sizeof fixed_options);
	for (size_t i = 0; i < nrefs; i++)
		longopts[nfixed + i] = (struct option){
			workloads[refs[i].workload]->options[refs[i].option].name, required_argument, NULL,
			OPT_WORKLOAD_BASE + (int)i
		};
	/* Values of workload options, by flattened index, until the selected
	 * workloads are known. */
	const char **wl_values = xcalloc(nrefs + 1, sizeof *wl_values);
	const char *workloads_text = "count", *modes_text = "all", *workers_text = "auto";

	optind = 0;   /* glibc: reinitialise, so the parser can run twice */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":w:m:o:r:q", longopts, NULL)) != -1) {
		const char *arg = optarg;

		switch (c) {
		case OPT_WORKLOAD: workloads_text = arg; break;
		case 'm':
		case OPT_MODE: modes_text = arg; break;
		case 'w':
		case OPT_WORKERS: workers_text = arg; break;
		case OPT_SIZE: size_text = arg; break;
		case OPT_TASKS:
			if (!cli_parse_uint(arg, 1, 1000000000ull, &o->tasks)) {
				fail(err, errlen, "--tasks '%s' is not accepted; accepted: a whole number from 1 to 1000000000", arg);
				goto out;
			}
			break;
		case 'r':
		case OPT_REPEAT:
			if (!cli_parse_uint(arg, 1, 100000, &v)) {
				fail(err, errlen, "--repeat '%s' is not accepted; accepted: a whole number from 1 to 100000", arg);
				goto out;
			}
			o->repeat = (unsigned)v;
			break;
		case OPT_MIN_REPEAT:
		case OPT_MAX_REPEAT:
			if (!cli_parse_uint(arg, 1, 100000, &v)) {
				fail(err, errlen, "--%s '%s' is not accepted; accepted: a whole number from 1 to 100000",
				     c == OPT_MIN_REPEAT ? "min-repeat" : "max-repeat", arg);
				goto out;
			}
			*(c == OPT_MIN_REPEAT ? &min_repeat : &max_repeat) = (unsigned)v;
			break;
		case OPT_PRECISION:
			if (!run_limits_parse_precision(arg, &o->precision, err, errlen))
				goto out;
			break;
		case OPT_BUDGET:
			if (!run_limits_parse_budget(arg, RUN_BUDGET_MIN_NS, RUN_BUDGET_MAX_NS,
						     &o->budget_ns, err, errlen))
				goto out;
			break;
		case OPT_VERBOSE: o->verbose = true; break;
		case OPT_WARMUP:
			if (!cli_parse_uint(arg, 0, 100000, &v)) {
				fail(err, errlen, "--warmup '%s' is not accepted; accepted: a whole number from 0 to 100000", arg);
				goto out;
			}
			o->warmup = (unsigned)v;
			break;
		case OPT_SEED:
			if (!cli_parse_uint(arg, 0, UINT64_MAX, &o->seed)) {
				fail(err, errlen, "--seed '%s' is not accepted; accepted: a whole number from 0 to 2^64-1", arg);
				goto out;
			}
			o->seed_given = true;
			break;
		case 'o':
		case OPT_OUTPUT:
			if (!*arg) {
				fail(err, errlen, "--output is empty; accepted: a file path, or - for stdout");
				goto out;
			}
			o->output = arg;
			break;
		case OPT_PIN:
			/* pu:0,2,4-7 is one policy: pin_policies_split keeps a
			 * PU list whole where split_list would cut it. */
			pin_policies_free(o->pins, o->n_pins);
			o->pins = NULL;
			o->n_pins = 0;
			if (pin_policies_split(arg, &o->pins, &o->n_pins, err, errlen) != 0)
				goto out;
			break;
		case OPT_PIN_STRICT: o->pin_strict = true; break;
		case OPT_CHANNEL:
			if (!run_mode_opts_channels(o, arg, err, errlen))
				goto out;
			break;
		case OPT_START:
			if (!run_mode_opts_starts(o, arg, err, errlen))
				goto out;
			break;
		case 'q':
		case OPT_QUICK: o->quick = true; break;
		case OPT_QUIET: o->quiet = true; break;
		case OPT_PYTHON: o->python = true; break;
		case OPT_MPI_HOSTS:
		case OPT_MPI_TRANSPORT:
			if (!run_mode_opts_mpi(o, c == OPT_MPI_HOSTS, arg, err, errlen))
				goto out;
			break;
		case OPT_HELP:
			run_options_usage(stdout);
			rc = 1;
			goto out;
		case ':':
			fail(err, errlen, "option '%s' needs a value (see 'tvp run --help')", argv[optind - 1]);
			goto out;
		case '?':
			if (optopt)
				fail(err, errlen, "unknown option '-%c' (see 'tvp run --help')", optopt);
			else
				fail(err, errlen, "unknown option '%s' (see 'tvp run --help')", argv[optind - 1]);
			goto out;
		default: {
			size_t r = (size_t)(c - OPT_WORKLOAD_BASE);
			const struct workload_option *wo = &workloads[refs[r].workload]->options[refs[r].option];
			char why[256] = "";

			if (wo->check && !wo->check(arg, why, sizeof why)) {
				fail(err, errlen, "--%s '%s' is not accepted; %s", wo->name, arg, why);
				goto out;
			}
			/* Options of the same name in several workloads all
			 * take the value. */
			for (size_t k = 0; k < nrefs; k++)
				if (strcmp(workloads[refs[k].workload]->options[refs[k].option].name, wo->name) == 0)
					wl_values[k] = arg;
		}
		}
	}
	if (optind < argc) {
		fail(err, errlen, "unexpected argument '%s' (options start with --; see 'tvp run --help')",
		     argv[optind]);
		goto out;
	}
	if (!parse_workloads(o, workloads_text, err, errlen) || !parse_modes(o, modes_text, err, errlen) ||
	    !run_parse_workers(workers_text, pus, &o->workers, &o->n_workers, err, errlen) ||
	    !resolve_sizes(o, size_text, err, errlen) ||
	    !run_limits_resolve(o->repeat, min_repeat, max_repeat, o->quick, &o->min_repeat,
				&o->max_repeat, err, errlen))
		goto out;
	if (!o->pins) {
		o->pins = xcalloc(1, sizeof *o->pins);
		o->pins[0] = xstrdup("none");
		o->n_pins = 1;
	}
	run_mode_opts_defaults(o);
	for (size_t w = 0; w < o->n_workloads; w++) {
		struct run_workload *rw = &o->workloads[w];
		size_t nopts = 0;

		while (rw->wl->options && rw->wl->options[nopts].name)
			nopts++;
		rw->opt_values = xcalloc(nopts + 1, sizeof *rw->opt_values);
		for (size_t k = 0; k < nrefs; k++)
			if (workloads[refs[k].workload] == rw->wl)
				rw->opt_values[refs[k].option] = wl_values[k];
	}
	for (size_t k = 0; k < nrefs; k++)
		if (wl_values[k] && !run_checks_workload_option(
			o, workloads[refs[k].workload]->options[refs[k].option].name, wl_values[k], err,
			errlen))
			goto out;
	if (!run_mode_opts_check(o, err, errlen))
		goto out;
	o->workers_text = workers_text;
	o->size_text = size_text;
	o->mode_text = modes_text;
	o->workload_text = workloads_text;
	rc = 0;
out:
	free(wl_values);
	free(longopts);
	free(refs);
	return rc;
}

void run_options_release(struct run_options *o)
{
	for (size_t i = 0; i < o->n_workloads; i++) {
		free(o->workloads[i].sizes);
		free(o->workloads[i].opt_values);
	}
	free(o->workloads);
	free(o->modes);
	free(o->workers);
	pin_policies_free(o->pins, o->n_pins);
	free(o->channels);
	free(o->starts);
	memset(o, 0, sizeof *o);
}
