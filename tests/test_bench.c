/* test_bench.c: `tvp bench`: the planner as pure functions (machines of 2
 * and 128 PUs given as numbers, budgets, the estimate's arithmetic, every
 * group's arguments accepted by `tvp run`'s parser), then the command line
 * under synthetic topologies. */
#include <check.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_argv.h"
#include "bench/bench_plan.h"
#include "bench/run_options.h"
#include "testutil.h"

/* A plan for m with every computing or waiting task taking task_ns (what
 * bench_calibrate would have found); transfer tasks keep their nominal
 * times. */
static void plan(struct bench_plan *p, unsigned pus, bool can_bind, bool quick, double task_ns)
{
	struct bench_machine m = { .pus = pus, .cores = pus, .can_bind = can_bind };
	struct bench_settings s;

	bench_settings_default(&s, quick);
	bench_plan_init(p, &m, &s);
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i].wl->kind == WORKLOAD_CPU || p->groups[i].wl->kind == WORKLOAD_WAIT) {
			p->groups[i].task_ns = task_ns;
			p->groups[i].source = BENCH_COST_MEASURED;
		}
	bench_plan_fit(p);
}

static const struct bench_group *find(const struct bench_plan *p, const char *name)
{
	for (size_t i = 0; i < p->n_groups; i++)
		if (strcmp(p->groups[i].name, name) == 0)
			return &p->groups[i];
	ck_abort_msg("no group '%s'", name);
	return NULL;
}

static bool workers_are(const struct bench_group *g, const unsigned *want, size_t n)
{
	if (g->n_workers != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (g->workers[i] != want[i])
			return false;
	return true;
}

static void assert_within_budget(const struct bench_plan *p)
{
	ck_assert(p->min_ns <= 0.8 * (double)p->settings.budget_ns);
	ck_assert(p->estimate_ns <= (double)p->settings.budget_ns);
	ck_assert(p->estimate_ns >= p->min_ns);
	ck_assert(p->max_ns >= p->min_ns);
}

START_TEST(two_pus_full)
{
	static const unsigned cpu[] = { 1, 2, 4 }, io[] = { 1, 2, 4, 8, 16, 32, 64 };
	struct bench_plan p;
	size_t transfer = 0, noop = 0;

	plan(&p, 2, true, false, 10e6);
	ck_assert(workers_are(find(&p, "count"), cpu, 3));
	ck_assert(find(&p, "count")->scatter);
	ck_assert(workers_are(find(&p, "sleep"), io, 7));
	ck_assert(!find(&p, "sleep")->scatter);
	for (size_t i = 0; i < p.n_groups; i++) {
		const struct bench_group *g = &p.groups[i];

		ck_assert_msg(g->fit != BENCH_FIT_SKIPPED, "%s skipped on 2 PUs", g->name);
		if (g->wl->kind == WORKLOAD_CPU)
			ck_assert_msg(g->fit == BENCH_FIT_FULL, "%s trimmed on 2 PUs", g->name);
		ck_assert(g->modes[0]->flags & MODE_SERIAL);
		ck_assert_uint_eq(g->tasks % g->workers[g->n_workers - 1], 0);
		if (g->wl->kind == WORKLOAD_CPU || g->wl->kind == WORKLOAD_WAIT)
			ck_assert_msg(g->shortest_ns >= BENCH_FLOOR_NS, "%s: %g", g->name, g->shortest_ns);
		if (g->wl->kind == WORKLOAD_TRANSFER) {
			transfer++;
			ck_assert(g->both_channels);
		}
		if (g->wl->kind == WORKLOAD_HANDOFF) {
			noop++;
			/* One family per group, with its own task count. */
			for (size_t k = 2; k < g->n_modes; k++)
				ck_assert(g->modes[k]->family == g->modes[1]->family);
		}
	}
	ck_assert_uint_eq(transfer, 4);
	ck_assert_uint_eq(noop, 3);
	ck_assert_uint_lt(find(&p, "noop spawn")->tasks, find(&p, "noop executor")->tasks);
	ck_assert_uint_lt(find(&p, "noop executor")->tasks, find(&p, "noop pool")->tasks);
	ck_assert_uint_eq(find(&p, "transfer 64 B")->size, 64);
	ck_assert_uint_eq(find(&p, "transfer 4 MiB")->size, 4u << 20);
	assert_within_budget(&p);
}
END_TEST

START_TEST(two_pus_quick_and_no_binding)
{
	struct bench_plan p;

	plan(&p, 2, true, true, 10e6);
	ck_assert(!find(&p, "count")->scatter);   /* quick: none only */
	ck_assert_uint_eq(find(&p, "sleep")->workers[find(&p, "sleep")->n_workers - 1], 16);
	ck_assert_uint_eq(p.settings.budget_ns, BENCH_QUICK_BUDGET_NS);
	assert_within_budget(&p);
	plan(&p, 2, false, false, 10e6);
	for (size_t i = 0; i < p.n_groups; i++)
		ck_assert(!p.groups[i].scatter);
}
END_TEST

START_TEST(many_pus_trims_to_the_budget)
{
	static const unsigned cpu[] = { 1, 128, 256 };
	struct bench_plan p;
	const struct bench_group *count;
	const struct bench_group *sleep;
	size_t kept = 0;

	plan(&p, 128, true, false, 10e6);
	count = find(&p, "count");
	/* Trimmed: 1 worker would cost as much as serial, 6 times over. */
	ck_assert(workers_are(count, cpu, 3) || workers_are(count, cpu + 1, 2));
	ck_assert(count->fit != BENCH_FIT_SKIPPED);
	ck_assert_uint_eq(count->tasks % 256, 0);
	/* At least the floor on the 128 PUs at once. */
	ck_assert(find(&p, "count")->shortest_ns >= BENCH_FLOOR_NS);
	sleep = find(&p, "sleep");
	ck_assert(sleep->fit == BENCH_FIT_SKIPPED ||
		  sleep->workers[sleep->n_workers - 1] <= 256);
	for (size_t i = 0; i < p.n_groups; i++)
		kept += p.groups[i].fit != BENCH_FIT_SKIPPED;
	ck_assert_uint_gt(kept, 0);
	ck_assert_uint_lt(kept, p.n_groups);   /* 10 ms tasks x 256: not all fit */
	assert_within_budget(&p);
}
END_TEST

START_TEST(a_tiny_budget_skips_what_does_not_fit)
{
	struct bench_machine m = { .pus = 2, .cores = 2, .can_bind = true };
	struct bench_settings s;
	struct bench_plan p;

	bench_settings_default(&s, false);
	s.budget_ns = 1000000;   /* 1 ms: nothing fits */
	bench_plan_init(&p, &m, &s);
	bench_plan_fit(&p);
	for (size_t i = 0; i < p.n_groups; i++)
		ck_assert(p.groups[i].fit == BENCH_FIT_SKIPPED);
	ck_assert(p.min_ns == 0 && p.estimate_ns == 0);
}
END_TEST

/* One round by hand: serial and thread-pool at 1, 2, 4 workers on 2 PUs,
 * 4 tasks of 10 ms: serial 40 ms; thread-pool 40, 20, 20 ms (4 workers
 * share 2 PUs) plus 25 ns per task handed over and 0.1 ms per thread
 * started; every measurement 20 ms around its timed call. */
START_TEST(estimate_arithmetic)
{
	struct bench_machine m = { .pus = 2, .cores = 2 };
	struct bench_group g = { .wl = workload_find("count"), .n_modes = 2,
				 .workers = { 1, 2, 4 }, .n_workers = 3, .tasks = 4, .task_ns = 10e6 };
	double shortest, want;

	g.modes[0] = mode_find("serial");
	g.modes[1] = mode_find("thread-pool");
	want = (40e6 + 20e6) + (40e6 + 100 + 0.1e6 + 20e6) + (20e6 + 100 + 0.2e6 + 20e6) +
	       (20e6 + 100 + 0.4e6 + 20e6);
	ck_assert_double_eq_tol(bench_estimate_round(&m, &g, &shortest), want, 1);
	ck_assert_double_eq_tol(shortest, 20e6 + 100, 1);
	g.scatter = true;   /* every parallel cell twice */
	ck_assert_double_eq_tol(bench_estimate_round(&m, &g, &shortest), 2 * want - 60e6, 1);
	m.sample_ns = 30e6;   /* measured: replaces the nominal 20 ms, 7 times */
	ck_assert_double_eq_tol(bench_estimate_round(&m, &g, &shortest), 2 * want + 7 * 10e6 - 60e6, 1);
}
END_TEST

/* Every group is a `tvp run` command line its parser accepts. */
START_TEST(every_group_parses_as_a_run)
{
	struct bench_plan p;

	plan(&p, 2, true, false, 10e6);
	for (size_t i = 0; i < p.n_groups; i++) {
		struct run_options o;
		char *argv[BENCH_MAX_ARGS + 1], buf[1024], err[512] = "";
		int argc = bench_group_argv(&p, &p.groups[i], argv, buf, sizeof buf);

		ck_assert_msg(run_options_parse(&o, 2, argc, argv, err, sizeof err) == 0, "%s: %s",
			      p.groups[i].name, err);
		ck_assert_uint_eq(o.tasks, p.groups[i].tasks);
		ck_assert_uint_eq(o.n_workers, p.groups[i].n_workers);
		ck_assert_uint_eq(o.workloads[0].sizes[0], p.groups[i].size);
		/* Fork pools over shm, tvp run's default; pipe too only where
		 * the channel is what the group compares; no --channel where
		 * no mode reads one. */
		if (!bench_group_channels(&p.groups[i])) {
			ck_assert(!o.channel_given);
			for (size_t k = 0; k < o.n_modes; k++)
				ck_assert(!(o.modes[k]->flags & MODE_CHANNEL));
		} else if (p.groups[i].wl->kind == WORKLOAD_TRANSFER) {
			ck_assert_uint_eq(o.n_channels, 2);
		} else {
			ck_assert_uint_eq(o.n_channels, 1);
			ck_assert_int_eq(o.channels[0], CHANNEL_SHM);
		}
		run_options_release(&o);
	}
}
END_TEST

START_TEST(cli_plan_on_128_pus)
{
	struct tvp_cmd c;

	setenv("HWLOC_SYNTHETIC", "pack:2 core:32 pu:2", 1);
	/* A budget nothing needs trimming for: what fits a smaller one depends
	 * on the calibration, which a loaded or sanitized machine slows. */
	tvp_run_cli(&c, 60, "bench", "--plan", "--budget", "86400s", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %.300s", c.status, c.err);
	ck_assert_msg(strstr(c.out, "64 cores, 128 PUs"), "%s", c.out);
	ck_assert(strstr(c.out, "128,256"));
	ck_assert(strstr(c.out, "cannot bind"));
	ck_assert(strstr(c.out, "Estimate:"));
	tvp_cmd_free(&c);
	setenv("HWLOC_SYNTHETIC", "pack:1 core:2 pu:1", 1);
	tvp_run_cli(&c, 60, "bench", "--quick", "--plan", "--budget", "90s", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %.300s", c.status, c.err);
	ck_assert_msg(strstr(c.out, "2 cores, 2 PUs"), "%s", c.out);
	ck_assert(strstr(c.out, "budget 90 s"));
	ck_assert(strstr(c.out, "\n  count "));   /* what fits depends on the load: see plan tests */
	tvp_cmd_free(&c);
	/* The budget reads as tvp run's does: minutes too. */
	tvp_run_cli(&c, 60, "bench", "--quick", "--plan", "--budget", "2m", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %.300s", c.status, c.err);
	ck_assert_msg(strstr(c.out, "budget 2.0 min"), "%s", c.out);
	tvp_cmd_free(&c);
	unsetenv("HWLOC_SYNTHETIC");
}
END_TEST

/* A real run, as small as the planner makes it: one results file that
 * reads back, with the groups that fitted. */
START_TEST(a_tiny_real_run_writes_one_file)
{
	char *dir = tvp_tmpdir(), path[4096];
	struct tvp_cmd c;
	json_t *doc, *results;

	snprintf(path, sizeof path, "%s/r.json", dir);
	tvp_run_cli(&c, 110, "bench", "--quick", "--budget", "2s", "--output", path, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %.300s", c.status, c.err);
	ck_assert(strstr(c.err, "Estimate:"));     /* the plan, printed first */
	doc = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	ck_assert(strncmp(json_string_value(json_object_get(doc, "schema")), "tvp.results/", 12) == 0);
	results = json_object_get(doc, "results");
	ck_assert_uint_gt(json_array_size(results), 0);
	json_decref(doc);
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(dir);
}
END_TEST

static const struct {
	const char *args[4];
	const char *says;
} bad[] = {
	{ { "--budget", "0s" }, "--budget" },
	{ { "--budget", "ten" }, "--budget" },
	{ { "--budget", "25h" }, "accepted: a duration from 1s to 24h" },
	{ { "--bogus" }, "unknown option '--bogus'" },
	{ { "--plan", "extra" }, "unexpected argument 'extra'" },
	{ { "--output", "a.json", "--out", "d" }, "--output and --out" },
};

START_TEST(bad_options_exit_2)
{
	const char *const *a = bad[_i].args;
	struct tvp_cmd c;

	tvp_run_cli(&c, 30, "bench", a[0], a[1], a[2], a[3], NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: bench: ", bad[_i].says);
	tvp_cmd_free(&c);
}
END_TEST

static Suite *bench_suite(void)
{
	Suite *s = suite_create("bench");
	TCase *plan_tc = tvp_tcase(s, "plan", 30);
	TCase *cli = tvp_tcase(s, "cli", 120);

	tcase_add_test(plan_tc, two_pus_full);
	tcase_add_test(plan_tc, two_pus_quick_and_no_binding);
	tcase_add_test(plan_tc, many_pus_trims_to_the_budget);
	tcase_add_test(plan_tc, a_tiny_budget_skips_what_does_not_fit);
	tcase_add_test(plan_tc, estimate_arithmetic);
	tcase_add_test(plan_tc, every_group_parses_as_a_run);
	tcase_add_test(cli, cli_plan_on_128_pus);
	tcase_add_test(cli, a_tiny_real_run_writes_one_file);
	tcase_add_loop_test(cli, bad_options_exit_2, 0, sizeof bad / sizeof bad[0]);
	return s;
}

TVP_TEST_MAIN(bench_suite)
