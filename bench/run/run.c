/* run.c: `tvp run` and the run loop behind it (run.h): the cell matrix of
 * one or several specs, interleaved rounds of measurements, summaries, then
 * the table and the JSON.
 *
 * DESIGN
 * A pipeline of plain data. The options are parsed once (run_options.h) into
 * one spec (`tvp bench` builds several); the topology was loaded by main
 * before them; every spec's placement plans are built once (cells_plan), so
 * a bad policy is a usage error before anything runs.
 * measure() turns one measurement of a cell into a struct sample
 * (bench/run/measure.c says what is timed); summary_compute() reduces a
 * cell's samples to a struct cell_summary; the JSON (document.c) and the
 * tables (table.c) are written from summaries and never read back.
 *
 * Order. Warm-ups first, then rounds (bench/run/schedule.h): each round
 * measures every cell of the groups that still need one, in an order
 * shuffled by --seed. A noisy shared machine drifts (the same loop has been
 * seen at 0.34 and 0.68 ns per iteration minutes apart); interleaving
 * spreads that drift over every mode alike instead of letting it land on
 * whichever mode happened to run last. Every sample records its group's
 * round, so a cell's sample pairs with its baseline's of the same round
 * (bench/run/pairing.h). A group stops when its speedups are within
 * --precision, at --max-repeat, or when the next round would end past
 * --budget (bench/adaptive.h).
 *
 * Capacity. The probe (bench/capacity.h) is set up before any worker exists
 * and runs around every sample (measure.c); after each round, and once more
 * at the end against the run's final bests, every sample's contended flag is
 * recomputed, so the pairs leave out what the machine took.
 *
 * Threads and fork. The loop itself never starts a thread, and every mode's
 * teardown joins its threads, so when the next cell forks, the process has
 * one thread (mode.h).
 *
 * Interruption. SIGINT, SIGTERM, SIGHUP... set tvp_interrupted (util.h);
 * modes stop between tasks and the measurement under way is dropped; the
 * loop then tears everything down, writes what was measured with
 * "interrupted": true, and exits 128 + the signal (130 for SIGINT).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/commands.h"
#include "bench/env.h"
#include "bench/progress.h"
#include "bench/results.h"
#include "bench/capacity.h"
#include "bench/run/cells.h"
#include "bench/run/document.h"
#include "bench/run/measure.h"
#include "bench/run/pairing.h"
#include "bench/run/python_cells.h"
#include "bench/run/resume.h"
#include "bench/run/run.h"
#include "bench/run/schedule.h"
#include "bench/run/summary.h"
#include "bench/run/table.h"
#include "bench/run_options.h"
#include "bench/util.h"
#include "par/pin.h"

struct run {
	const struct run_common *common;
	struct cell_matrix m;
	struct capacity cap;          /* the probe around every sample */
	bool have_cap;
	uint64_t t0;                  /* the run's start: the budget counts from it */
	enum adaptive_stop stop;      /* why the rounds ended */
	struct progress progress;
	struct warnings warnings;     /* run-level */
	uint64_t seed;
	bool failed;
	bool warned_unbound;
	struct run_journal jr;        /* bench/run/resume.h */
	bool no_document;             /* refused before measuring: write nothing */
};

/* Without --pin-strict a worker that could not be bound runs unpinned: one
 * line per run says so (the samples record "pinned": false and the cell's
 * warnings count them). */
static void warn_unbound(struct run *r, const struct cell *c, const struct sample *s)
{
	for (unsigned i = 0; i < s->n_workers && !r->warned_unbound; i++) {
		const struct worker_stats *w = &s->workers[i];
		char cpus[96];

		if (w->pinned != 0)
			continue;
		pin_plan_cpuset_text(c->plan, i, cpus, sizeof cpus);
		progress_end(&r->progress);
		fprintf(stderr, "tvp: warning: cannot bind worker %u (%s) to CPUs %s: %s; "
			"such workers run unpinned and record \"pinned\": false\n", i,
			mode_kind_name(c->mode), cpus,
			w->bind_errno ? strerror(w->bind_errno) : "reason not reported");
		r->warned_unbound = true;
	}
}

/* The run's clock: its start plus the time it has run, a resumed run's
 * first part included (resume.h). */
static uint64_t clock_now(void *ctx)
{
	struct run *r = ctx;

	return r->t0 + resume_elapsed_ns(&r->jr);
}

/* Measures cell c once (schedule.h's step), or takes the measurement from
 * the journal of a run being resumed; journals it. A failure is reported at
 * once and the cell is skipped from then on; what the failed measurement
 * recorded (a workload's failure counters) is kept for the document. */
static int step(void *ctx, struct cell *c, unsigned round, bool record)
{
	struct run *r = ctx;
	struct capacity *cap = r->have_cap ? &r->cap : NULL;
	struct sample s;
	char label[128], err[sizeof c->error];
	uint64_t t0 = resume_elapsed_ns(&r->jr);
	int rc;

	progress_step(&r->progress, cell_label(c, label, sizeof label));
	rc = resume_replay(&r->jr, &r->m, c, round, record, cap, &s, err, sizeof err);
	if (rc == -ENOENT) {
		rc = measure(c, cap, &s, err, sizeof err);
		resume_record(&r->jr, &r->m, c, round, record, t0, resume_elapsed_ns(&r->jr), rc, &s, err);
	}
	if (rc == 0) {
		warn_unbound(r, c, &s);
		s.round = round;
		if (record)
			samples_push(&c->samples, &s);
		sample_release(&s);
	} else if (rc == -1) {
		c->failed = true;
		snprintf(c->error, sizeof c->error, "%s", err);
		c->failed_sample = s;
		progress_end(&r->progress);
		fprintf(stderr, "tvp: %s: %s\n", label, c->error);
		r->failed = true;
	}
	return rc == -EINTR ? -EINTR : 0;
}

static void flag_contended(void *ctx)
{
	struct run *r = ctx;

	if (r->have_cap)
		pairing_flag(&r->m, &r->cap);
}

static void show_eta(void *ctx, uint64_t eta_ns)
{
	progress_eta(&((struct run *)ctx)->progress, eta_ns);
}

/* Runs warm-ups and the adaptive rounds over the C cells. Returns 0, or
 * -EINTR when interrupted. */
static int run_rounds(struct run *r)
{
	const struct run_common *c = r->common;
	uint64_t rng = r->seed, steps = 0;
	struct schedule s = {
		.m = &r->m, .warmup = c->warmup, .rng = &rng, .start_ns = r->t0, .now = clock_now,
		.step = step, .after_round = flag_contended, .eta = show_eta, .ctx = r,
		.lim = { .precision = c->precision, .min_rounds = c->min_repeat,
			 /* no precision: nothing to go on for past the minimum */
			 .max_rounds = c->precision > 0 ? c->max_repeat : c->min_repeat,
			 .budget_ns = c->budget_ns, .hard_budget = c->hard_budget },
	};
	unsigned short_groups = 0, fewest = c->min_repeat;
	int rc;

	for (size_t i = 0; i < r->m.n_cells; i++)
		steps += r->m.cells[i].lang == CELL_LANG_C;
	progress_start(&r->progress, steps * (c->warmup + c->min_repeat), !c->quiet);
	rc = schedule_run(&s);
	r->stop = s.stop;
	for (size_t i = 0; i < r->m.n_groups; i++) {
		const struct cell *b = &r->m.cells[r->m.groups[i].first];

		if (b->lang == CELL_LANG_C && b->rounds < c->min_repeat && rc == 0) {
			short_groups++;
			fewest = b->rounds < fewest ? b->rounds : fewest;
		}
	}
	if (short_groups)
		warnings_add(&r->warnings, "budget: %u of %zu groups got fewer than the minimum %u rounds "
			     "(down to %u): the machine ran slower than planned; their intervals are wider",
			     short_groups, r->m.n_groups, c->min_repeat, fewest);
	flag_contended(r);
	progress_end(&r->progress);
	return rc;
}

/* Every cell's summary, baselines first (each group starts with its own). */
static struct cell_summary *summarise(const struct cell_matrix *m)
{
	struct cell_summary *sums = xcalloc(m->n_cells ? m->n_cells : 1, sizeof *sums);

	for (size_t i = 0; i < m->n_cells; i++) {
		const struct cell *c = &m->cells[i];

		summary_compute(&sums[i], c, c->baseline ? &sums[c->baseline - m->cells] : NULL);
	}
	return sums;
}

/* Writes the table, the warnings and the document; returns the exit status
 * (status, or 1 when the document could not be written), and ends the
 * journal (removed once the document is written). */
static int finish(struct run *r, struct results_out *out, const struct document_meta *meta,
		  const struct cell_summary *sums, int status)
{
	json_t *doc = document_json(r->common, &r->m, sums, meta);
	char err[512], path[4096];

	if (!r->common->quiet || r->failed) {
		FILE *tf = strcmp(results_path(out), "-") == 0 ? stderr : stdout;
		bool tables = !r->common->quiet && !r->common->brief;

		if (tables)
			table_print(tf, sums, r->m.n_cells);
		table_print_warnings(stderr, &r->warnings, sums, r->m.n_cells, r->common->verbose);
		if (tables)
			table_print_summary(tf, sums, r->m.n_cells);
	}
	snprintf(path, sizeof path, "%s", results_path(out));
	if (results_commit(out, doc, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: %s: %s\n", r->common->command, err);
		if (status == 0)
			status = 1;
		resume_end(&r->jr, false);
	} else {
		if (!r->common->quiet && strcmp(path, "-") != 0)
			fprintf(stderr, "tvp: results written to %s\n", path);
		resume_end(&r->jr, true);
	}
	json_decref(doc);
	return status;
}

/* One line: what will run, and under which limits. */
static void print_plan(const struct run *r)
{
	const struct run_common *c = r->common;
	char rounds[32], budget[32] = "none";

	if (c->min_repeat == c->max_repeat)
		snprintf(rounds, sizeof rounds, "%u", c->min_repeat);
	else
		snprintf(rounds, sizeof rounds, "%u-%u", c->min_repeat, c->max_repeat);
	if (c->budget_ns)
		format_duration(budget, sizeof budget, (double)c->budget_ns);
	fprintf(stderr, "tvp: %zu cells in %zu groups x (%u warm-up + %s rounds), precision %.3g%%, budget %s, seed %" PRIu64 "\n",
		r->m.n_cells, r->m.n_groups, c->warmup, rounds, 100 * c->precision, budget, r->seed);
}

static bool python_replay(void *ctx, struct cell *c)
{
	struct run *r = ctx;

	return resume_python_replay(&r->jr, &r->m, c);
}

static void python_record(void *ctx, const struct cell *c)
{
	struct run *r = ctx;

	resume_python_record(&r->jr, &r->m, c);
}

/* Measures everything, for output (results.h) and a run that started at
 * created; returns the exit status so far. */
static int measure_all(struct run *r, const struct results_out *out, const char *created)
{
	struct python_cells_journal pj = { .replay = python_replay, .record = python_record, .ctx = r };
	struct resume_run journaled = { .c = r->common, .m = &r->m, .cap = r->have_cap ? &r->cap : NULL,
					.seed = r->seed, .created = created,
					.output = results_path(out), .in_place = results_in_place(out) };
	char err[700];
	int rc;

	if (cells_setup_instances(&r->m, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: %s\n", err);
		return 1;
	}
	cells_build(&r->m, r->common->python);
	if (resume_begin(&r->jr, &journaled, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: %s: %s\n", r->common->command, err);
		r->no_document = true;
		return 2;
	}
	if (!r->common->quiet)
		print_plan(r);
	rc = run_rounds(r);
	if (rc == 0 && r->common->python)
		rc = python_cells_run(&r->m, r->common->min_repeat, &r->warnings, &r->failed, &pj);
	if (rc == -EINTR) {
		fprintf(stderr, "tvp: interrupted (%s); writing what was measured\n",
			util_interrupt_name());
		return util_interrupt_status();
	}
	return r->failed ? 1 : 0;
}

void run_common_from_options(struct run_common *c, const struct run_options *o)
{
	*c = (struct run_common){ .command = "run", .output = o->output, .seed = o->seed,
				  .seed_given = o->seed_given, .warmup = o->warmup,
				  .min_repeat = o->min_repeat, .max_repeat = o->max_repeat,
				  .precision = o->precision, .budget_ns = o->budget_ns,
				  .quiet = o->quiet, .verbose = o->verbose, .python = o->python };
}

int run_execute(const struct run_options *specs, size_t n, const struct run_common *c)
{
	struct run r;
	struct results_out *out = NULL;
	struct document_meta meta = { 0 };
	struct cell_summary *sums;
	json_t *host, *build;
	char err[512], created[32];
	uint64_t t0 = now_ns();
	double load;
	int rc, status;

	memset(&r, 0, sizeof r);
	r.common = c;
	r.t0 = t0;
	r.jr.real_t0 = t0;
	if ((rc = cells_plan(&r.m, specs, n, err, sizeof err)) != 0) {
		fprintf(stderr, "tvp: %s: --pin: %s\n", c->command, err);
		status = rc == -EINVAL ? 2 : 1;
		goto out_release;
	}
	if (results_open(&out, c->output, "", err, sizeof err) != 0) {
		fprintf(stderr, "tvp: %s: --output: %s\n", c->command, err);
		status = 2;
		goto out_release;
	}
	util_catch_interrupts();
	/* Before any worker exists: the probe's threads must be its only ones. */
	r.have_cap = capacity_init(&r.cap, NULL, 0, 0) == 0;
	if (!r.have_cap)
		warnings_add(&r.warnings, "no capacity probe: contended samples cannot be told");
	r.seed = c->seed_given ? c->seed : now_ns() ^ ((uint64_t)getpid() << 32);
	if (c->created)
		snprintf(created, sizeof created, "%s", c->created);
	else
		env_utc_stamp(created, sizeof created, false);
	host = env_host_json();
	build = env_build_json();
	load = env_load1();
	if (load >= 0.5 * env_pus())
		warnings_add(&r.warnings, "the machine was busy at the start: load average %.2f on %u PUs",
			     load, env_pus());
	if (TVP_SAN[0])
		warnings_add(&r.warnings, "built with -fsanitize=%s: times are not representative", TVP_SAN);

	status = measure_all(&r, out, created);
	cells_teardown_instances(&r.m);
	if (r.no_document) {
		results_abort(out);
		resume_end(&r.jr, false);
		goto out_free_meta;
	}
	meta = (struct document_meta){ .host = host, .build = build, .created = created,
				       .interrupted = status > 128,
				       .duration_s = (double)resume_elapsed_ns(&r.jr) / 1e9, .seed = r.seed,
				       .best_ref = summary_best_reference(r.m.cells, r.m.n_cells),
				       .warnings = &r.warnings, .cap = r.have_cap ? &r.cap : NULL,
				       .stop = r.stop };
	sums = summarise(&r.m);
	status = finish(&r, out, &meta, sums, status);
	for (size_t i = 0; i < r.m.n_cells; i++)
		summary_release(&sums[i]);
	free(sums);
out_free_meta:
	json_decref(host);
	json_decref(build);
	warnings_release(&r.warnings);
	if (r.have_cap)
		capacity_release(&r.cap);
out_release:
	cells_release(&r.m);
	return status;
}

int cmd_run(int argc, char **argv)
{
	struct run_options opt;
	struct run_common common;
	char err[512];
	int rc, status;

	if (resume_asked(argc, argv))
		return resume_main(argc, argv);
	rc = run_options_parse(&opt, env_pus(), argc, argv, err, sizeof err);
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "tvp: run: %s\n", err);
		status = rc < 0 ? 2 : 0;
	} else {
		run_common_from_options(&common, &opt);
		common.argc = argc;
		common.argv = argv;
		status = run_execute(&opt, 1, &common);
	}
	run_options_release(&opt);
	return status;
}
