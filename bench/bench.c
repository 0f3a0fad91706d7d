/* bench.c: `tvp bench`, what `make bench` runs: plans the default suite
 * from this machine's topology and a budget, prints the plan, then
 * measures every group interleaved in one run and writes one results file.
 *
 * DESIGN
 * Plan, then one run. The planner (bench_plan.h) lays out the groups from
 * the registries of workloads and modes and the PUs this process may use;
 * bench_calibrate times one serial task of each group that computes or
 * waits, so the estimate rests on this machine as it is now; the planner
 * then sets task counts (every measurement lasts at least the floor) and
 * keeps the groups whose minimum rounds fit the budget. Each group becomes
 * one `tvp run` option set, parsed by run_options_parse like a command line
 * (so a group is exactly what `tvp run` with those options would measure),
 * and run_execute (bench/run/run.h) measures them all as one matrix: every
 * round visits the groups' cells in one shuffled order, more rounds go to
 * the groups whose speedups are not yet within the precision, and the
 * budget stops it. Ctrl-C stops the run loop, which writes what was
 * measured.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/adaptive.h"
#include "bench/bench_calibrate.h"
#include "bench/bench_argv.h"
#include "bench/bench_plan.h"
#include "bench/bench_print.h"
#include "bench/cli.h"
#include "bench/commands.h"
#include "bench/env.h"
#include "bench/results.h"
#include "bench/run/run.h"
#include "bench/run_limits.h"
#include "bench/run_options.h"
#include "bench/util.h"
#include "par/pin.h"

struct bench_opts {
	bool quick, plan_only;
	uint64_t budget_ns;        /* 0: the default */
	const char *output;        /* --output FILE */
	const char *out_dir;       /* --out DIR: DIR/results.json */
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp bench [--quick] [--budget DURATION] [--plan] [--output FILE | --out DIR]\n\n"
		   "Measures the default suite, planned from this machine's topology within a\n"
		   "budget: every workload at 1 worker, the PUs and twice the PUs (waiting ones up\n"
		   "to 32 x the PUs), transfer sizes from 64 B to 4 MiB over pipes and shared\n"
		   "memory (fork pools go over shared memory everywhere else), pinning none\n"
		   "against scatter where the machine binds, and the noop hand-off of every mode\n"
		   "family. Prints the plan first, then runs every group interleaved in one run\n"
		   "and writes one results file.\n\n"
		   "  --quick            a smaller plan in about a minute (default budget 45 s)\n"
		   "  --budget DURATION  the whole run, 1s to 24h, such as 300s or 5m (default 420s: make bench\n"
		   "                     then ends within 10 minutes with tvp overhead and the report;\n"
		   "                     a slow machine gets fewer rounds, at least 3, with a warning)\n"
		   "  --plan             print the plan and its estimate, measure nothing\n"
		   "  --output FILE      the results file (default results/bench-HOST-STAMP.json,\n"
		   "                     then linked from results/latest.json; - for stdout)\n"
		   "  --out DIR          write DIR/results.json (DIR is made if missing)\n");
}

/* Returns 0 to go on, 1 after --help, 2 after a usage error. */
static int parse(struct bench_opts *o, int argc, char **argv)
{
	enum { OPT_QUICK = 256, OPT_BUDGET, OPT_PLAN, OPT_OUTPUT, OPT_OUT };
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "budget", required_argument, NULL, OPT_BUDGET },
		{ "plan", no_argument, NULL, OPT_PLAN },
		{ "output", required_argument, NULL, OPT_OUTPUT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_parser p = { "bench", "--quick, --budget DURATION, --plan, --output FILE, --out DIR",
				longopts, usage, false, NULL };
	char err[256];
	int c;

	while ((c = cli_next(&p, argc, argv)) > 0) {
		switch (c) {
		case OPT_QUICK: o->quick = true; break;
		case OPT_PLAN: o->plan_only = true; break;
		case OPT_OUTPUT: o->output = optarg; break;
		case OPT_OUT: o->out_dir = optarg; break;
		case OPT_BUDGET:
			if (!run_limits_parse_budget(optarg, 1000000000ull, 86400000000000ull,
						     &o->budget_ns, err, sizeof err))
				return cli_usage_error("bench: %s", err);
			break;
		}
	}
	if (c < 0)
		return cli_stop(c);
	if (optind < argc)
		return cli_usage_error("bench: unexpected argument '%s' (see 'tvp bench --help')",
				       argv[optind]);
	if (o->output && o->out_dir)
		return cli_usage_error("bench: --output and --out both name the results file; "
				       "accepted: one of them");
	return 0;
}

static void machine_from_topology(struct bench_machine *m)
{
	hwloc_topology_t t = pin_topology();
	int cores = t ? hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE) : 0;

	m->pus = env_pus();
	m->cores = cores > 0 ? (unsigned)cores : m->pus;
	m->can_bind = pin_can_bind_threads() && pin_can_bind_processes();
}

/* The results path: --output, DIR/results.json, or
 * results/bench-HOST-STAMP.json (*is_default set). Returns a malloc'd path,
 * or NULL with err set. */
static char *results_name(const struct bench_opts *o, bool *is_default, char *err, size_t errlen)
{
	char host[128] = "host", stamp[32];

	*is_default = false;
	if (o->output)
		return xstrdup(o->output);
	if (o->out_dir) {
		if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "--out: cannot make '%s': %s", o->out_dir, strerror(errno));
			return NULL;
		}
		return xasprintf("%s/results.json", o->out_dir);
	}
	if (mkdir("results", 0777) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make 'results': %s", strerror(errno));
		return NULL;
	}
	gethostname(host, sizeof host - 1);
	for (char *s = host; *s; s++)
		if (*s == '/' || *s == ' ')
			*s = '_';
	env_utc_stamp(stamp, sizeof stamp, true);
	*is_default = true;
	return xasprintf("results/bench-%s-%s.json", host, stamp);
}

/* The text of one group's arguments: a spec keeps pointers into it (the
 * option texts it records for the JSON), so it lives as long as the specs. */
struct spec_text {
	char buf[1024];
};

/* Parses every kept group into specs[0 .. *n), their argument texts in
 * texts[] (the caller releases the specs, whatever the result, before it
 * frees texts). Returns 0, or -1 with err set (a planner bug: the run loop
 * refused its arguments). */
static int build_specs(const struct bench_plan *p, struct run_options *specs,
		       struct spec_text *texts, size_t *n, char *err, size_t errlen)
{
	for (size_t i = 0; i < p->n_groups; i++) {
		const struct bench_group *g = &p->groups[i];
		char *argv[BENCH_MAX_ARGS + 1], why[400];
		int argc;

		if (g->fit == BENCH_FIT_SKIPPED)
			continue;
		argc = bench_group_argv(p, g, argv, texts[*n].buf, sizeof texts[*n].buf);
		if (run_options_parse(&specs[(*n)++], p->machine.pus, argc, argv, why, sizeof why) != 0) {
			snprintf(err, errlen, "internal error: group %s: %s", g->name, why);
			return -1;
		}
	}
	return 0;
}

int cmd_bench(int argc, char **argv)
{
	struct bench_opts o = { 0 };
	struct bench_settings s;
	struct bench_machine m;
	struct bench_plan *p = xcalloc(1, sizeof *p);
	struct run_options *specs = NULL;
	struct spec_text *texts = NULL;
	struct run_common common;
	char err[512], host[128] = "host", calib[160];
	char *path = NULL;
	bool is_default;
	uint64_t t0 = now_ns();
	size_t n = 0;
	int status = 0, rc;

	if ((rc = parse(&o, argc, argv)) != 0) {
		status = rc == 1 ? 0 : rc;
		goto out;
	}
	bench_settings_default(&s, o.quick);
	if (o.budget_ns)
		s.budget_ns = o.budget_ns;
	machine_from_topology(&m);
	bench_plan_init(p, &m, &s);
	util_catch_interrupts();
	if ((rc = bench_calibrate(p, err, sizeof err)) != 0) {
		if (rc == -EINTR) {
			status = util_interrupt_status();
			goto out;
		}
		fprintf(stderr, "tvp: bench: %s\n", err);
		status = 1;
		goto out;
	}
	bench_plan_fit(p);
	snprintf(calib, sizeof calib, "every mode's hand-off and one serial task of each group, "
		 "measured in %.1f s (the rest nominal)",
		 (double)(now_ns() - t0) / 1e9);
	gethostname(host, sizeof host - 1);
	bench_print_plan(o.plan_only ? stdout : stderr, p, host, calib);
	if (o.plan_only)
		goto out;

	specs = xcalloc(p->n_groups, sizeof *specs);
	texts = xcalloc(p->n_groups, sizeof *texts);
	if (build_specs(p, specs, texts, &n, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: bench: %s\n", err);
		status = 1;
		goto out;
	}
	if (!(path = results_name(&o, &is_default, err, sizeof err))) {
		fprintf(stderr, "tvp: bench: %s\n", err);
		status = 2;
		goto out;
	}
	common = (struct run_common){
		.command = "bench", .output = path, .warmup = s.warmup,
		.min_repeat = s.min_rounds, .max_repeat = s.max_rounds,
		.precision = ADAPTIVE_PRECISION, .budget_ns = s.budget_ns, .hard_budget = true,
		/* Hundreds of cells: the per-group tables and findings of tvp
		 * report say it better than a row each (make bench prints them). */
		.brief = true,
	};
	status = run_execute(specs, n, &common);
	if (is_default && access(path, F_OK) == 0)
		results_link_latest(path, "");
	fprintf(stderr, "tvp: bench: done in %.0f s (planned about %.0f s)\n",
		(double)(now_ns() - t0) / 1e9, (p->estimate_ns + 0.0) / 1e9);
	if (strcmp(path, "-") != 0 && access(path, F_OK) == 0)
		fprintf(stderr, "tvp: bench: the tables and findings: tvp report %s\n", path);
out:
	for (size_t i = 0; i < n; i++)
		run_options_release(&specs[i]);
	free(specs);
	free(texts);
	free(path);
	free(p);
	return status;
}
