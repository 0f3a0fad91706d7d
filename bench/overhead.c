/* overhead.c: `tvp overhead`: what a thread and a process really cost on
 * this machine: creation, wake-up, IPC bandwidth and memory, side by side,
 * with the statistics and JSON conventions of `tvp run`.
 *
 * DESIGN
 * The kernels live in bench/overhead/ (ovh.h says what one is). This file
 * reads the options and writes the document; overhead_run.c selects,
 * calibrates and samples the kernels; overhead_json.c writes each one's
 * entry and the table (overhead.h holds what they share).
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
#include "bench/overhead.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/commands.h"
#include "bench/env.h"
#include "bench/results.h"
#include "bench/units.h"
#include "bench/util.h"

#define SCHEMA "tvp.overhead/1"
#define TARGET_NS 5000000ull          /* one sample takes at least 5 ms */
#define QUICK_TARGET_NS 1000000ull    /* --quick: 1 ms */
#define REPEAT_DEFAULT 15
#define REPEAT_QUICK 5
#define MAX_REPEAT 10000

static void usage(FILE *f)
{
	fprintf(f,
		"usage: tvp overhead [OPTIONS]\n\n"
		"Measures what a thread and a process cost on this machine, side by side:\n"
		"creation, hand-off to pools, wake-up (ping-pong round trips), IPC bandwidth,\n"
		"memory, and a process pool by start method (fork, spawn, forkserver) beside\n"
		"a thread pool. Each benchmark calibrates itself (a sample takes at least\n"
		"5 ms), runs --repeat samples interleaved with the others, and reports the\n"
		"median per operation with its 95%% confidence interval, as JSON (schema\n"
		"tvp.overhead/1) and a table.\n\n"
		"options:\n"
		"  --only LIST     benchmarks to run: names (see --list), groups (creation,\n"
		"                  handoff, wakeup, ipc, memory, start) or all;\n"
		"                  comma-separated (default all)\n"
		"  --pin LIST      placements of the wake-up ping-pongs: none (the scheduler\n"
		"                  places both), same (both on one CPU), diff (two different\n"
		"                  CPUs); comma-separated (default none,same,diff)\n"
		"  -r, --repeat N  samples per benchmark (default %d; %d with --quick)\n"
		"  -w, --workers N workers of the pools and memory benchmarks (default: the\n"
		"                  PUs this process may use)\n"
		"  -o, --output FILE where the JSON goes; - for stdout (default\n"
		"                  results/overhead-HOST-STAMP.json, linked from\n"
		"                  results/overhead-latest.json)\n"
		"  -q, --quick     1 ms samples and %d repeats: a quick look\n"
		"  --list          print the benchmarks' names and exit\n"
		"  --quiet         no progress, no table\n"
		"  -h, --help      this text\n",
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

static int unknown_name(const char *item)
{
	fprintf(stderr, "tvp: overhead: --only: unknown benchmark '%s'; accepted: ", item);
	for (size_t i = 0, n = ovh_count(); i < n; i++)
		fprintf(stderr, "%s%s", i ? ", " : "", ovh_get(i)->name);
	fprintf(stderr, "; or a group: ");
	for (int g = 0; g < OVH_GROUP_COUNT; g++)
		fprintf(stderr, "%s, ", ovh_group_name((enum ovh_group)g));
	fprintf(stderr, "all\n");
	return -EINVAL;
}

/* --only: names, groups or all, into o->only (as given), o->only_groups and
 * o->only_named. Returns 0 or -EINVAL after a message. */
static int parse_only(struct overhead *o, const char *text)
{
	cli_free_list(o->only, o->n_only);
	o->only_groups = 0;
	o->n_named = 0;
	if (!cli_split_list(text, &o->only, &o->n_only))
		return bad("--only '%s' has an empty item; give a comma-separated list of names (see --list)",
			   text);
	o->only_named = xrealloc(o->only_named, o->n_only * sizeof *o->only_named);
	for (size_t i = 0; i < o->n_only; i++) {
		const struct ovh_bench *b = ovh_find(o->only[i]);
		int g = ovh_group_find(o->only[i]);

		if (strcmp(o->only[i], "all") == 0)
			o->only_groups = (1u << OVH_GROUP_COUNT) - 1;
		else if (g >= 0)
			o->only_groups |= 1u << g;
		else if (b)
			o->only_named[o->n_named++] = b;
		else
			return unknown_name(o->only[i]);
	}
	return 0;
}

/* --pin: a list of none, same, diff into o->pins. Returns 0 or -EINVAL
 * after a message. */
static int parse_pins(struct overhead *o, const char *text)
{
	char **items;
	size_t n;
	int rc = 0;

	if (!cli_split_list(text, &items, &n))
		return bad("--pin '%s' has an empty item; accepted: a comma-separated list of none, same, diff",
			   text);
	memset(o->pins, 0, sizeof o->pins);
	for (size_t i = 0; i < n && rc == 0; i++) {
		int p = ovh_pin_find(items[i]);
		if (p < 0)
			rc = bad("--pin '%s' is not accepted; accepted: a comma-separated list of none, same, diff",
				 items[i]);
		else
			o->pins[p] = true;
	}
	cli_free_list(items, n);
	return rc;
}

/* Returns 0 to run, 1 when done (--help, --list), -EINVAL after a message. */
static int parse_options(struct overhead *o, int argc, char **argv)
{
	/* The common ones have run's short letters too. */
	enum { OPT_REPEAT = 'r', OPT_OUTPUT = 'o', OPT_WORKERS = 'w', OPT_QUICK = 'q',
	       OPT_ONLY = 256, OPT_PIN, OPT_LIST, OPT_QUIET };
	static const struct option longopts[] = {
		{ "only", required_argument, NULL, OPT_ONLY },
		{ "repeat", required_argument, NULL, OPT_REPEAT },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "pin", required_argument, NULL, OPT_PIN },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "quiet", no_argument, NULL, OPT_QUIET },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_parser p = { "overhead", NULL, longopts, usage, false, "r:o:w:q" };
	uint64_t v;
	int c, rc;
	bool list = false;

	o->pins[OVH_PIN_NONE] = o->pins[OVH_PIN_SAME] = o->pins[OVH_PIN_DIFF] = true;
	while ((c = cli_next(&p, argc, argv)) > 0) {
		switch (c) {
		case OPT_ONLY:
			if ((rc = parse_only(o, optarg)) != 0)
				return rc;
			break;
		case OPT_PIN:
			if ((rc = parse_pins(o, optarg)) != 0)
				return rc;
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
		}
	}
	if (c < 0)
		return c == CLI_HELP ? 1 : -EINVAL;
	if (optind < argc)
		return bad("unexpected argument '%s' (see 'tvp overhead --help')", argv[optind]);
	if (list) {
		for (size_t i = 0, cnt = ovh_count(); i < cnt; i++) {
			const struct ovh_bench *b = ovh_get(i);
			const char *why = ovh_absent(b);

			printf("%-34s %-9s %-8s %s", b->name, ovh_group_name(b->group),
			       ovh_kind_name(b->kind), b->summary);
			if (why)
				printf(" [%s]", why);
			putchar('\n');
		}
		return 1;
	}
	if (!o->repeat)
		o->repeat = o->quick ? REPEAT_QUICK : REPEAT_DEFAULT;
	if (!o->workers)
		o->workers = env_pus();
	return 0;
}

static void options_release(struct overhead *o)
{
	cli_free_list(o->only, o->n_only);
	free(o->only_named);
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
		options_release(&o);
		return rc < 0 ? 2 : 0;
	}
	if (results_open(&out, o.output, "overhead-", err, sizeof err) != 0) {
		fprintf(stderr, "tvp: overhead: --output: %s\n", err);
		options_release(&o);
		return 2;
	}
	util_catch_interrupts();
	o.target_ns = o.quick ? QUICK_TARGET_NS : TARGET_NS;
	o.seed = now_ns() ^ ((uint64_t)getpid() << 32);
	o.n_cpus = ovh_allowed_cpus(o.cpus, OVERHEAD_MAX_CPUS);
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
	overhead_run_build(&o);
	/* Reading the topology (env_host_json) leaves freed heap behind, and so
	 * does every kernel whose threads allocate (each gets a malloc arena):
	 * give it back here and after every teardown, so that a fork measures
	 * tvp's live memory and not what an earlier kernel left in its arenas
	 * (20 MiB after the executor batch made fork-exit-wait 5x dearer). */
	malloc_trim(0);
	if (o.n_skipped_diff)
		results_warn(o.warnings, "%zu wake-up benchmarks on two different CPUs skipped: only 1 PU is allowed",
		     o.n_skipped_diff);
	if (!o.quiet)
		fprintf(stderr, "tvp: overhead: %zu benchmarks x (calibration + %u samples)\n",
			o.n_entries, o.repeat);
	if (overhead_run_all(&o) == -EINTR) {
		fprintf(stderr, "tvp: interrupted (%s); writing what was measured\n",
			util_interrupt_name());
		status = util_interrupt_status();
	} else if (o.failed) {
		status = 1;
	}

	results = json_array();
	for (size_t i = 0; i < o.n_entries; i++)
		json_array_append_new(results, overhead_json_entry(&o, &o.entries[i]));
	doc = json_object();
	json_object_set_new(doc, "schema", json_string(SCHEMA));
	json_object_set_new(doc, "tool", env_tool_json());
	json_object_set_new(doc, "created", json_string(created));
	json_object_set_new(doc, "duration_s", json_real(units_round_seconds((double)(now_ns() - t0) / 1e9)));
	json_object_set_new(doc, "interrupted", json_boolean(status > 128));
	json_object_set_new(doc, "host", host);
	json_object_set_new(doc, "build", build);
	json_object_set_new(doc, "config", overhead_json_config(&o));
	json_object_set_new(doc, "warnings", o.warnings);
	json_object_set_new(doc, "skipped", o.skipped);
	json_object_set_new(doc, "results", results);
	snprintf(path, sizeof path, "%s", results_path(out));
	if (!o.quiet) {
		size_t i;
		json_t *w;

		overhead_json_print_table(strcmp(path, "-") == 0 ? stderr : stdout, &o, results);
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
	overhead_run_free(&o);
	options_release(&o);
	return status;
}
