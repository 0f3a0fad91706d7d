/* overhead.c: `tvp overhead`: what a thread and a process really cost on
 * this machine: creation, wake-up, IPC bandwidth and memory, side by side,
 * with the statistics and JSON conventions of `tvp run`.
 *
 * DESIGN
 * The kernels live in bench/overhead/ (ovh.h says what one is); this file
 * selects them, calibrates them, runs them, and writes the results.
 *
 * Calibration (Google Benchmark and lmbench style). For each kernel: setup,
 * then run 1 operation as a warm-up, then grow the count from 1 (x1.4 of
 * what would reach the target, at most x10 per step) until one run takes at
 * least TARGET_NS; teardown. Kernels with a partner warm it up in setup
 * (one untimed exchange), so every sample measures a running partner. Memory kernels (OVH_ONCE)
 * measure a quantity and are not calibrated.
 *
 * Samples. `repeat` rounds; each round runs every selected kernel once, in
 * an order shuffled per round, as setup + one timed run of the calibrated
 * count + teardown. A shared machine drifts (2x within minutes has been
 * seen), so interleaving spreads the drift over every kernel alike instead
 * of letting it land on whichever ran last, and so a thread row and its
 * process row are measured minutes apart at most by chance, never
 * systematically. A sample is the time of the run divided by its count: ns
 * per operation. Its statistics are stats_compute's, as in `tvp run`.
 *
 * Threads and fork. Kernels join every thread they start before teardown
 * returns, so when the next kernel forks, tvp has one thread. After every
 * teardown the heap is trimmed (malloc_trim): the arenas of a kernel's
 * threads would otherwise stay resident and make every later fork dearer.
 *
 * Interruption. SIGINT, SIGTERM, SIGHUP... set tvp_interrupted (util.h);
 * the kernel under way finishes its run (a few milliseconds), is torn down
 * (its children reaped), and what was measured is written with
 * "interrupted": true; exit status 128 + the signal (130 for SIGINT).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/commands.h"
#include "bench/env.h"
#include "bench/overhead/ovh.h"
#include "bench/progress.h"
#include "bench/results.h"
#include "bench/rounds.h"
#include "bench/stats.h"
#include "bench/util.h"

#define SCHEMA "tvp.overhead/1"
#define TARGET_NS 5000000ull          /* one sample takes at least 5 ms */
#define QUICK_TARGET_NS 1000000ull    /* --quick: 1 ms */
#define MAX_ITERS 1000000000ull
#define REPEAT_DEFAULT 15
#define REPEAT_QUICK 5
#define MAX_REPEAT 10000
#define MAX_CPUS 1024

static const char *const groups[] = { "creation", "handoff", "wakeup", "ipc", "memory" };
static const char *const pin_names[] = { "none", "same", "diff" };

struct entry {
	const struct ovh_bench *b;
	struct ovh_ctx ctx;
	uint64_t iters;               /* operations per sample */
	uint64_t ops;                 /* OVH_BATCH: the batch's size */
	double *v;                    /* [repeat]: ns per operation, or the quantity */
	double *extra[OVH_MAX_EXTRA]; /* [repeat] */
	size_t n;
	bool failed;
	char error[512];
};

struct overhead {
	/* options */
	char **only;
	size_t n_only;
	bool pins[3];                 /* by enum ovh_pin */
	unsigned repeat;
	unsigned workers;
	const char *output;
	bool quick, quiet;
	/* the run */
	uint64_t target_ns;
	int cpus[MAX_CPUS];
	unsigned n_cpus;
	struct entry *entries;
	size_t n_entries;
	json_t *skipped, *warnings;
	struct progress progress;
	uint64_t seed;
	bool failed;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tvp overhead [OPTIONS]\n\n"
		"Measures what a thread and a process cost on this machine, side by side:\n"
		"creation, hand-off to pools, wake-up (ping-pong round trips), IPC bandwidth,\n"
		"memory. Each benchmark calibrates itself (a sample takes at least 5 ms),\n"
		"runs --repeat samples interleaved with the others, and reports the median\n"
		"per operation with its 95%% confidence interval, as JSON (schema\n"
		"tvp.overhead/1) and a table.\n\n"
		"options:\n"
		"  --only LIST     benchmarks to run: names (see --list), groups (creation,\n"
		"                  handoff, wakeup, ipc, memory) or all; comma-separated\n"
		"                  (default all)\n"
		"  --pin LIST      placements of the wake-up ping-pongs: none (the scheduler\n"
		"                  places both), same (both on one CPU), diff (two different\n"
		"                  CPUs); comma-separated (default none,same,diff)\n"
		"  --repeat N      samples per benchmark (default %d; %d with --quick)\n"
		"  --workers N     workers of the pools and memory benchmarks (default: the\n"
		"                  PUs this process may use)\n"
		"  --output FILE   where the JSON goes; - for stdout (default\n"
		"                  results/overhead-HOST-STAMP.json, linked from\n"
		"                  results/overhead-latest.json)\n"
		"  --quick         1 ms samples and %d repeats: a quick look\n"
		"  --list          print the benchmarks' names and exit\n"
		"  --quiet         no progress, no table\n"
		"  --help          this text\n",
		REPEAT_DEFAULT, REPEAT_QUICK, REPEAT_QUICK);
}

static int bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tvp: overhead: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return -EINVAL;
}

static bool is_group(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		if (strcmp(groups[i], s) == 0)
			return true;
	return false;
}

static int unknown_name(const char *item)
{
	fprintf(stderr, "tvp: overhead: --only: unknown benchmark '%s'; accepted: ", item);
	for (size_t i = 0, n = ovh_count(); i < n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", ovh_get(i)->name);
	fprintf(stderr, "; or a group: ");
	for (size_t i = 0; i < ARRAY_SIZE(groups); i++)
		fprintf(stderr, "%s, ", groups[i]);
	fprintf(stderr, "all\n");
	return -EINVAL;
}

/* Returns 0 to run, 1 when done (--help, --list), -EINVAL after a message. */
static int parse_options(struct overhead *o, int argc, char **argv)
{
	enum { OPT_ONLY = 256, OPT_REPEAT, OPT_OUTPUT, OPT_PIN, OPT_WORKERS, OPT_QUICK, OPT_LIST,
	       OPT_QUIET, OPT_HELP };
	static const struct option longopts[] = {
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	char **items;
	size_t n;
	uint64_t v;
	int c;
	bool list = false;

	o->pins[OVH_PIN_NONE] = o->pins[OVH_PIN_SAME] = o->pins[OVH_PIN_DIFF] = true;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ONLY:
			cli_free_list(o->only, o->n_only);
			o->only = NULL;
			o->n_only = 0;
			if (!cli_split_list(optarg, &o->only, &o->n_only))
				return bad("--only '%s' has an empty item; give a comma-separated list of names (see --list)",
					   optarg);
			for (size_t i = 0; i < o->n_only; i++)
				if (strcmp(o->only[i], "all") && !is_group(o->only[i]) && !ovh_find(o->only[i]))
					return unknown_name(o->only[i]);
			break;
		case OPT_PIN:
			if (!cli_split_list(optarg, &items, &n))
				return bad("--pin '%s' has an empty item; accepted: a comma-separated list of none, same, diff",
					   optarg);
			o->pins[0] = o->pins[1] = o->pins[2] = false;
			for (size_t i = 0; i < n; i++) {
				size_t k;
				for (k = 0; k < ARRAY_SIZE(pin_names); k++)
					if (strcmp(items[i], pin_names[k]) == 0)
						break;
				if (k == ARRAY_SIZE(pin_names)) {
					bad("--pin '%s' is not accepted; accepted: a comma-separated list of none, same, diff",
					    items[i]);
					cli_free_list(items, n);
					return -EINVAL;
				}
				o->pins[k] = true;
			}
			cli_free_list(items, n);
			break;
		case OPT_REPEAT:
			if (!cli_parse_uint(optarg, 1, MAX_REPEAT, &v))
				return bad("--repeat '%s' is not accepted; accepted: 1 to %d", optarg, MAX_REPEAT);
			o->repeat = (unsigned)v;
			break;
		case OPT_WORKERS:
			if (!cli_parse_uint(optarg, 1, 1024, &v))
				return bad("--workers '%s' is not accepted; accepted: 1 to 1024", optarg);
			o->workers = (unsigned)v;
			break;
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		case OPT_QUICK:
			o->quick = true;
			break;
		case OPT_LIST:
			list = true;
			break;
		case OPT_QUIET:
			o->quiet = true;
			break;
		case OPT_HELP:
			usage(stdout);
			return 1;
		case ':':
			return bad("option '%s' needs a value (see 'tvp overhead --help')", argv[optind - 1]);
		default:
			if (optopt)
				return bad("unknown option '-%c' (see 'tvp overhead --help')", optopt);
			return bad("unknown option '%s' (see 'tvp overhead --help')", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad("unexpected argument '%s' (see 'tvp overhead --help')", argv[optind]);
	if (list) {
		for (size_t i = 0, cnt = ovh_count(); i < cnt; i++) {
			const struct ovh_bench *b = ovh_get(i);
			printf("%-34s %-9s %-8s %s\n", b->name, b->group, b->kind, b->summary);
		}
		return 1;
	}
	if (!o->repeat)
		o->repeat = o->quick ? REPEAT_QUICK : REPEAT_DEFAULT;
	if (!o->workers)
		o->workers = env_pus();
	return 0;
}

static bool selected(const struct overhead *o, const struct ovh_bench *b)
{
	bool pin_ok = o->pins[b->pin];

	if (!o->only)
		return pin_ok;
	for (size_t i = 0; i < o->n_only; i++) {
		if (strcmp(o->only[i], b->name) == 0)
			return true;     /* named: runs whatever --pin says */
		if ((strcmp(o->only[i], "all") == 0 || strcmp(o->only[i], b->group) == 0) && pin_ok)
			return true;
	}
	return false;
}

static void build_entries(struct overhead *o)
{
	size_t n = ovh_count();

	o->entries = xcalloc(n, sizeof *o->entries);
	for (size_t i = 0; i < n; i++) {
		const struct ovh_bench *b = ovh_get(i);
		struct entry *e;

		if (!selected(o, b))
			continue;
		if (b->pin == OVH_PIN_DIFF && o->n_cpus < 2) {
			json_array_append_new(o->skipped,
					      json_pack("{s:s, s:s}", "name", b->name, "reason",
							"only 1 PU is allowed: no two different CPUs"));
			continue;
		}
		e = &o->entries[o->n_entries++];
		e->b = b;
		e->ctx.workers = o->workers;
		e->ctx.quick = o->quick;
		e->ctx.cpu[0] = e->ctx.cpu[1] = -1;
		if (b->pin == OVH_PIN_SAME) {
			e->ctx.cpu[0] = e->ctx.cpu[1] = o->cpus[0];
		} else if (b->pin == OVH_PIN_DIFF) {
			e->ctx.cpu[0] = o->cpus[0];
			e->ctx.cpu[1] = o->cpus[1];
		}
		e->v = xcalloc(o->repeat, sizeof *e->v);
		for (int k = 0; k < OVH_MAX_EXTRA; k++)
			e->extra[k] = xcalloc(o->repeat, sizeof *e->extra[k]);
	}
}

static void entry_failed(struct overhead *o, struct entry *e, const char *err, int rc)
{
	e->failed = true;
	snprintf(e->error, sizeof e->error, "%s", err[0] ? err : strerror(-rc));
	progress_end(&o->progress);
	fprintf(stderr, "tvp: overhead: %s: %s\n", e->b->name, e->error);
	o->failed = true;
}

/* Finds e->iters (see DESIGN). Returns 0, -EINTR, or -1 when e failed. */
static int calibrate(struct overhead *o, struct entry *e)
{
	const struct ovh_bench *b = e->b;
	char err[512] = "";
	void *state = NULL;
	uint64_t iters = 1;
	int rc;

	progress_step(&o->progress, b->name);
	if (b->flags & (OVH_ONCE | OVH_BATCH)) {
		e->iters = 1;
		return 0;
	}
	rc = b->setup(b, &e->ctx, &state, err, sizeof err);
	if (rc) {
		entry_failed(o, e, err, rc);
		return -1;
	}
	for (bool warm = true;; warm = false) {
		struct ovh_sample s = { 0 };
		double mult;

		if (tvp_interrupted) {
			rc = -EINTR;
			break;
		}
		rc = b->run(state, iters, &s, err, sizeof err);
		if (rc)
			break;
		if (warm)       /* the first run warms up: it never decides */
			continue;
		if (s.value >= (double)o->target_ns || iters >= MAX_ITERS)
			break;
		mult = s.value > 0 ? 1.4 * (double)o->target_ns / s.value : 10;
		if (mult > 10)
			mult = 10;
		iters = mult * (double)iters > (double)(iters + 1) ? (uint64_t)(mult * (double)iters)
								     : iters + 1;
		if (iters > MAX_ITERS)
			iters = MAX_ITERS;
	}
	b->teardown(state);
	malloc_trim(0);
	e->iters = iters;
	if (rc && rc != -EINTR) {
		entry_failed(o, e, err, rc);
		return -1;
	}
	return rc;
}

/* One sample of e. Returns 0, -EINTR, or -1 when e failed. */
static int sample(struct overhead *o, struct entry *e)
{
	const struct ovh_bench *b = e->b;
	struct ovh_sample s = { 0 };
	char err[512] = "";
	void *state = NULL;
	int rc;

	if (e->failed)
		return 0;
	if (tvp_interrupted)
		return -EINTR;
	progress_step(&o->progress, b->name);
	rc = b->setup(b, &e->ctx, &state, err, sizeof err);
	if (rc == 0) {
		rc = b->run(state, e->iters, &s, err, sizeof err);
		b->teardown(state);
		malloc_trim(0);
	}
	if (rc == -EINTR || (rc && tvp_interrupted))
		return -EINTR;
	if (rc) {
		entry_failed(o, e, err, rc);
		return -1;
	}
	if (b->flags & OVH_BATCH) {
		e->ops = s.ops ? s.ops : 1;
		e->v[e->n] = s.value / (double)e->ops;
	} else {
		e->v[e->n] = b->flags & OVH_ONCE ? s.value : s.value / (double)e->iters;
	}
	for (int k = 0; k < OVH_MAX_EXTRA; k++)
		e->extra[k][e->n] = s.extra[k];
	e->n++;
	return 0;
}

/* One benchmark's sample in a round; a failed sample is recorded in the
 * entry and the rounds go on. */
static int round_step(void *ctx, void *item, bool record)
{
	return sample(ctx, item) == -EINTR ? -EINTR : 0;
}

/* Calibrates, then runs the rounds. Returns 0 or -EINTR. */
static int run_all(struct overhead *o)
{
	struct entry **order = xcalloc(o->n_entries ? o->n_entries : 1, sizeof *order);
	uint64_t rng = o->seed;
	struct rounds rounds = { .items = (void **)order, .n = o->n_entries, .repeat = o->repeat,
				 .rng = &rng, .step = round_step, .ctx = o };
	int rc = 0;

	progress_start(&o->progress, (uint64_t)o->n_entries * (1 + o->repeat), !o->quiet);
	for (size_t i = 0; i < o->n_entries && rc != -EINTR; i++) {
		order[i] = &o->entries[i];
		rc = calibrate(o, &o->entries[i]);
	}
	if (rc != -EINTR)
		rc = rounds_run(&rounds);
	progress_end(&o->progress);
	free(order);
	return tvp_interrupted || rc == -EINTR ? -EINTR : 0;
}

static double median_of(const double *x, size_t n)
{
	struct stats st;

	stats_compute(x, n, &st, NULL);
	return st.median;
}

static const struct entry *find_entry(const struct overhead *o, const char *name)
{
	for (size_t i = 0; i < o->n_entries; i++)
		if (strcmp(o->entries[i].b->name, name) == 0)
			return &o->entries[i];
	return NULL;
}

static json_t *entry_json(const struct overhead *o, const struct entry *e)
{
	const struct ovh_bench *b = e->b;
	const char *su = strcmp(b->unit, "bytes") == 0 ? "bytes" : "ns";
	json_t *j = json_object(), *samples = json_array(), *w = json_array();
	struct stats st;

	stats_compute(e->v, e->n, &st, NULL);
	json_object_set_new(j, "name", json_string(b->name));
	json_object_set_new(j, "group", json_string(b->group));
	json_object_set_new(j, "kind", json_string(b->kind));
	json_object_set_new(j, "unit", json_string(b->unit));
	json_object_set_new(j, "summary", json_string(b->summary));
	json_object_set_new(j, "pin", json_string(pin_names[b->pin]));
	json_object_set_new(j, "cpus", e->ctx.cpu[0] >= 0
					     ? json_pack("[i, i]", e->ctx.cpu[0], e->ctx.cpu[1])
					     : json_null());
	json_object_set_new(j, "iterations", json_integer((json_int_t)(e->ops ? e->ops : e->iters)));
	json_object_set_new(j, "stats_unit", json_string(su));
	json_object_set_new(j, "stats", stats_json(&st, su));
	if (strcmp(b->group, "ipc") == 0) {
		bool ok = e->n && st.median > 0;
		json_object_set_new(j, "size_bytes", json_integer((json_int_t)b->bytes));
		json_object_set_new(j, "bytes_per_s", ok ? json_real((double)b->bytes * 1e9 / st.median) : json_null());
		json_object_set_new(j, "bytes_per_s_ci95_lo",
				    ok && st.ci_hi > 0 ? json_real((double)b->bytes * 1e9 / st.ci_hi) : json_null());
		json_object_set_new(j, "bytes_per_s_ci95_hi",
				    ok && st.ci_lo > 0 ? json_real((double)b->bytes * 1e9 / st.ci_lo) : json_null());
	} else if (strcmp(b->group, "creation") == 0 && b->bytes) {
		const struct entry *base = find_entry(o, "fork-exit-wait");
		double mib = (double)b->bytes / (1 << 20);

		json_object_set_new(j, "mib", json_real(mib));
		json_object_set_new(j, "added_ns_per_mib",
				    base && base->n && e->n
					    ? json_real((st.median - median_of(base->v, base->n)) / mib)
					    : json_null());
	}
	if (strcmp(b->group, "memory") == 0 || strcmp(b->group, "handoff") == 0 ||
	    strncmp(b->name, "pool-start-", 11) == 0)
		json_object_set_new(j, "workers", json_integer(e->ctx.workers));
	for (int k = 0; k < OVH_MAX_EXTRA && b->extra[k]; k++)
		json_object_set_new(j, b->extra[k], e->n ? json_real(median_of(e->extra[k], e->n)) : json_null());
	for (size_t k = 0; k < e->n; k++)
		json_array_append_new(samples, json_real(e->v[k]));
	json_object_set_new(j, "samples", samples);
	results_warn_stats(w, &st);
	json_object_set_new(j, "warnings", w);
	json_object_set_new(j, "error", e->failed ? json_string(e->error) : json_null());
	return j;
}

static void format_bytes(char *buf, size_t len, double bytes)
{
	double a = fabs(bytes);

	if (a < 1024)
		snprintf(buf, len, "%.0f B", bytes);
	else if (a < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", bytes / 1024);
	else
		snprintf(buf, len, "%.1f MiB", bytes / (1024 * 1024));
}

static void print_table(FILE *f, const struct overhead *o, json_t *results)
{
	const char *group = "";
	size_t i;
	json_t *r;

	fprintf(f, "%-34s %-8s %11s %8s  %s\n", "benchmark", "kind", "median", "ci95", "derived");
	json_array_foreach(results, i, r) {
		const struct entry *e = &o->entries[i];
		const struct ovh_bench *b = e->b;
		json_t *st = json_object_get(r, "stats");
		bool bytes = strcmp(b->unit, "bytes") == 0;
		double med = json_number_value(json_object_get(st, bytes ? "median_bytes" : "median_ns"));
		double lo = json_number_value(json_object_get(st, bytes ? "ci95_lo_bytes" : "ci95_lo_ns"));
		double hi = json_number_value(json_object_get(st, bytes ? "ci95_hi_bytes" : "ci95_hi_ns"));
		char mbuf[32], ci[24], derived[96] = "", x[32];

		if (strcmp(group, b->group) != 0) {
			group = b->group;
			fprintf(f, "-- %s\n", group);
		}
		if (e->n == 0) {
			fprintf(f, "%-34s %-8s %11s  %s\n", b->name, b->kind, "-",
				e->failed ? "FAILED" : "not measured");
			continue;
		}
		if (bytes)
			format_bytes(mbuf, sizeof mbuf, med);
		else
			format_duration(mbuf, sizeof mbuf, med);
		snprintf(ci, sizeof ci, "+-%.1f%%", med != 0 ? fabs(50 * (hi - lo) / med) : 0.0);
		if (json_is_number(json_object_get(r, "bytes_per_s"))) {
			double bps = json_number_value(json_object_get(r, "bytes_per_s"));
			if (bps >= 1e9)
				snprintf(derived, sizeof derived, "%.2f GB/s", bps / 1e9);
			else
				snprintf(derived, sizeof derived, "%.1f MB/s", bps / 1e6);
		} else if (json_is_number(json_object_get(r, "added_ns_per_mib"))) {
			snprintf(derived, sizeof derived, "%+.0f ns/MiB over fork-exit-wait",
				 json_number_value(json_object_get(r, "added_ns_per_mib")));
		} else if (b->extra[0] && json_is_number(json_object_get(r, b->extra[0]))) {
			format_bytes(x, sizeof x, json_number_value(json_object_get(r, b->extra[0])));
			snprintf(derived, sizeof derived, "%s %s", b->extra[0], x);
		}
		if (json_array_size(json_object_get(r, "warnings")))
			snprintf(derived + strlen(derived), sizeof derived - strlen(derived), "%s(%zu warning%s)",
				 derived[0] ? "  " : "", json_array_size(json_object_get(r, "warnings")),
				 json_array_size(json_object_get(r, "warnings")) > 1 ? "s" : "");
		fprintf(f, "%-34s %-8s %11s %8s  %s\n", b->name, b->kind, mbuf, ci, derived);
	}
}

static json_t *config_json(const struct overhead *o)
{
	json_t *c = json_object(), *a;

	if (o->only) {
		a = json_array();
		for (size_t i = 0; i < o->n_only; i++)
			json_array_append_new(a, json_string(o->only[i]));
		json_object_set_new(c, "only", a);
	} else {
		json_object_set_new(c, "only", json_null());
	}
	a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(pin_names); i++)
		if (o->pins[i])
			json_array_append_new(a, json_string(pin_names[i]));
	json_object_set_new(c, "pin", a);
	a = json_array();
	for (unsigned i = 0; i < o->n_cpus; i++)
		json_array_append_new(a, json_integer(o->cpus[i]));
	json_object_set_new(c, "allowed_cpus", a);
	json_object_set_new(c, "repeat", json_integer(o->repeat));
	json_object_set_new(c, "workers", json_integer(o->workers));
	json_object_set_new(c, "quick", json_boolean(o->quick));
	json_object_set_new(c, "target_sample_ns", json_integer((json_int_t)o->target_ns));
	json_object_set_new(c, "seed", json_integer((json_int_t)o->seed));
	return c;
}

int cmd_overhead(int argc, char **argv)
{
	struct overhead o;
	struct results_out *out = NULL;
	json_t *host, *build, *doc, *results;
	char err[512], created[32], path[4096];
	uint64_t t0 = now_ns();
	int rc, status = 0;

	memset(&o, 0, sizeof o);
	rc = parse_options(&o, argc, argv);
	if (rc != 0) {
		cli_free_list(o.only, o.n_only);
		return rc < 0 ? 2 : 0;
	}
	if (results_open(&out, o.output, "overhead-", err, sizeof err) != 0) {
		fprintf(stderr, "tvp: overhead: --output: %s\n", err);
		cli_free_list(o.only, o.n_only);
		return 2;
	}
	util_catch_interrupts();
	o.target_ns = o.quick ? QUICK_TARGET_NS : TARGET_NS;
	o.seed = now_ns() ^ ((uint64_t)getpid() << 32);
	o.n_cpus = ovh_allowed_cpus(o.cpus, MAX_CPUS);
	o.skipped = json_array();
	o.warnings = json_array();
	env_utc_stamp(created, sizeof created, false);
	host = env_host_json();
	build = env_build_json();
	if (env_load1() >= 0.5 * env_pus())
		results_warn(o.warnings, "the machine was busy at the start: load average %.2f on %u PUs",
		     env_load1(), env_pus());
	if (TVP_SAN[0])
		results_warn(o.warnings, "built with -fsanitize=%s: times are not representative", TVP_SAN);
	build_entries(&o);
	/* Reading the topology (env_host_json) leaves freed heap behind, and so
	 * does every kernel whose threads allocate (each gets a malloc arena):
	 * give it back here and after every teardown, so that a fork measures
	 * tvp's live memory and not what an earlier kernel left in its arenas
	 * (20 MiB after the executor batch made fork-exit-wait 5x dearer). */
	malloc_trim(0);
	if (json_array_size(o.skipped))
		results_warn(o.warnings, "%zu wake-up benchmarks on two different CPUs skipped: only 1 PU is allowed",
		     json_array_size(o.skipped));
	if (!o.quiet)
		fprintf(stderr, "tvp: overhead: %zu benchmarks x (calibration + %u samples)\n",
			o.n_entries, o.repeat);
	if (run_all(&o) == -EINTR) {
		fprintf(stderr, "tvp: interrupted (%s); writing what was measured\n",
			util_interrupt_name());
		status = util_interrupt_status();
	} else if (o.failed) {
		status = 1;
	}

	results = json_array();
	for (size_t i = 0; i < o.n_entries; i++)
		json_array_append_new(results, entry_json(&o, &o.entries[i]));
	doc = json_object();
	json_object_set_new(doc, "schema", json_string(SCHEMA));
	json_object_set_new(doc, "tool", env_tool_json());
	json_object_set_new(doc, "created", json_string(created));
	json_object_set_new(doc, "duration_s", json_real((double)(now_ns() - t0) / 1e9));
	json_object_set_new(doc, "interrupted", json_boolean(status > 128));
	json_object_set_new(doc, "host", host);
	json_object_set_new(doc, "build", build);
	json_object_set_new(doc, "config", config_json(&o));
	json_object_set_new(doc, "warnings", o.warnings);
	json_object_set_new(doc, "skipped", o.skipped);
	json_object_set_new(doc, "results", results);
	snprintf(path, sizeof path, "%s", results_path(out));
	if (!o.quiet) {
		size_t i;
		json_t *w;

		print_table(strcmp(path, "-") == 0 ? stderr : stdout, &o, results);
		fflush(stdout);
		json_array_foreach(o.warnings, i, w)
			fprintf(stderr, "warning: %s\n", json_string_value(w));
	}
	if (results_commit(out, doc, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: overhead: %s\n", err);
		if (status == 0)
			status = 1;
	} else if (!o.quiet && strcmp(path, "-") != 0) {
		fprintf(stderr, "tvp: results written to %s\n", path);
	}
	json_decref(doc);
	for (size_t i = 0; i < o.n_entries; i++) {
		free(o.entries[i].v);
		for (int k = 0; k < OVH_MAX_EXTRA; k++)
			free(o.entries[i].extra[k]);
	}
	free(o.entries);
	cli_free_list(o.only, o.n_only);
	return status;
}
