/* test_report.c: `tvp report` on fixed fixtures: the machine, the tables,
 * the warnings, findings whose numbers come from the data (and that claim no
 * difference where the CIs overlap), the overhead file found beside the
 * results, and one clear error line for bad input. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "bench/util.h"

static char *fixture(const char *name)
{
	const char *r = getenv("TVP_ROOT");

	return xasprintf("%s/tests/fixtures/%s", r && *r ? r : ".", name);
}

static void has(const char *out, const char *s)
{
	ck_assert_msg(strstr(out, s), "the report lacks '%s':\n%s", s, out);
}

static double median_of(const char *file, const char *name)
{
	json_t *doc = json_load_file(file, 0, NULL), *e;
	size_t i;
	double m = 0;

	ck_assert(doc);
	json_array_foreach(json_object_get(doc, "results"), i, e)
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			m = json_number_value(json_object_get(json_object_get(e, "stats"), "median_ns"));
	json_decref(doc);
	return m;
}

START_TEST(findings_from_the_fixture)
{
	char *f = fixture("full.json"), *o = fixture("overhead.json"), want[200];
	struct tvp_cmd c;

	tvp_run_cli(&c, 30, "report", f, "--overhead", o, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	has(c.out, "machine: fixture-host: Test CPU");
	has(c.out, "2 cores, 2 PUs");
	/* The tables: best mode per worker count, with its speedup. */
	has(c.out, "count, size 20000000 iterations, 8 tasks per measurement");
	has(c.out, "       2  thread-pool ");
	has(c.out, "1.98x  fork-pool/shm");
	has(c.out, "CIs overlap: a tie");
	/* count: threads and processes overlap, so no winner is claimed. */
	has(c.out, "for count, threads and processes scale alike: thread-pool 1.98x and fork-pool/shm 1.97x at 2 workers (2 cores)");
	has(c.out, "so the data do not separate them");
	ck_assert(!strstr(c.out, "for count at 2 workers (2 cores), threads beat"));
	has(c.out, "for count, workers past the 2 cores neither help nor hurt measurably");
	/* sleep: far past the cores. */
	has(c.out, "for sleep, workers past the 2 cores keep helping: best 53.42x at 64 workers (thread-pool)");
	has(c.out, "for sleep at 64 workers, thread-pool is 1.58x faster than thread-spawn");
	/* transfer: per size; pinning: nothing measurable. */
	has(c.out, "for transfer at size 4194304 bytes (2 workers), a task costs processes 11.95x what it costs threads");
	has(c.out, "pinning 'scatter' made no measurable difference");
	/* Overhead: the ratio is the fixture's medians' ratio. */
	snprintf(want, sizeof want, "creating (and ending) a worker costs a process %.1fx what it costs a thread",
		 median_of(o, "fork-exit-wait") / median_of(o, "thread-create-join"));
	has(c.out, want);
	has(c.out, "pipe-roundtrip costs a thread and a process alike");
	has(c.out, "(CIs overlap)");
	/* Warnings grouped by cause. */
	has(c.out, "oversubscribed: 12 of 82 cells");
	tvp_cmd_free(&c);
	free(f);
	free(o);
}
END_TEST

START_TEST(overhead_beside_the_results)
{
	char *f = fixture("full.json"), *o = fixture("overhead.json"), *dir = tvp_tmpdir();
	char *cmd = xasprintf("cp '%s' '%s/r.json' && cp '%s' '%s/overhead-latest.json'", f, dir, o, dir);
	char *r = xasprintf("%s/r.json", dir);
	struct tvp_cmd c;

	ck_assert_int_eq(system(cmd), 0);
	tvp_run_cli(&c, 30, "report", r, NULL);
	ck_assert_int_eq(c.status, 0);
	has(c.out, "overhead (");
	has(c.out, "costs a process");
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "report", r, "--overhead", "none", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(!strstr(c.out, "overhead ("));
	tvp_cmd_free(&c);
	/* An overhead file alone. */
	tvp_run_cli(&c, 30, "report", o, NULL);
	ck_assert_int_eq(c.status, 0);
	has(c.out, "thread-create-join");
	has(c.out, "costs a process");
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(cmd);
	free(r);
	free(dir);
	free(f);
	free(o);
}
END_TEST

/* A mode this tvp does not know (an older or newer file): its cells are
 * reported with the kind their file records, and no finding that asks for
 * a mode's family (pool against spawn) takes them for one. */
START_TEST(unknown_mode_in_an_old_file)
{
	char *f = fixture("full.json"), *dir = tvp_tmpdir(), *r = xasprintf("%s/r.json", dir);
	json_t *doc = json_load_file(f, 0, NULL), *cell;
	struct tvp_cmd c;
	size_t i;

	ck_assert(doc);
	json_array_foreach(json_object_get(doc, "results"), i, cell)
		if (!strcmp(json_string_value(json_object_get(cell, "mode")), "thread-pool"))
			json_object_set_new(cell, "mode", json_string("thread-pool-v0"));
	ck_assert_int_eq(json_dump_file(doc, r, 0), 0);
	json_decref(doc);
	tvp_run_cli(&c, 30, "report", r, "--overhead", "none", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	has(c.out, "       2  thread-pool-v0 ");
	has(c.out, "for count, threads and processes scale alike: thread-pool-v0 1.98x and fork-pool/shm");
	ck_assert_msg(!strstr(c.out, "thread-pool-v0 is") && !strstr(c.out, "for sleep at 64 workers"),
		      "a family finding took the unknown mode:\n%s", c.out);
	/* Pool against spawn still, where both modes are known. */
	has(c.out, "for count at 8 workers, fork-pool/shm is 1.03x faster than fork-spawn");
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(r);
	free(dir);
	free(f);
}
END_TEST

START_TEST(a_real_quick_run)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/q.json", dir);
	struct tvp_cmd c;

	tvp_run_cli(&c, 120, "run", "--quick", "--workers", "1,2", "--repeat", "3", "--quiet", "--output",
		    out, NULL);
	ck_assert_msg(c.status == 0, "run: %s", c.err);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "report", out, NULL);
	ck_assert_msg(c.status == 0, "report: %s", c.err);
	has(c.out, "machine: ");
	has(c.out, "count, size ");
	has(c.out, "\nfindings\n");
	has(c.out, "\nwarnings\n");
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
	tvp_assert_no_children();
}
END_TEST

START_TEST(bad_input)
{
	char *m = fixture("malformed.json"), *s = fixture("schema2.json"), *ok = fixture("old.json");
	struct {
		const char *a, *b, *c;
		const char *says;
	} cases[] = {
		{ m, NULL, NULL, "not valid JSON" },
		{ s, NULL, NULL, "schema 'tvp.results/99'" },
		{ "/nonexistent/r.json", NULL, NULL, "cannot read" },
		{ ok, "--overhead", ok, "is a results file, not an overhead file" },
		{ ok, "--overhead", "/nonexistent/o.json", "cannot read" },
		{ ok, "--bogus", NULL, "--bogus" },
		{ ok, ok, NULL, "one results file only" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tvp_cmd c;
		tvp_run_cli(&c, 30, "report", cases[i].a, cases[i].b, cases[i].c, NULL);
		ck_assert_msg(c.status == 2, "case %zu: exit %d (%s)", i, c.status, c.err);
		ck_assert(!c.core);
		ck_assert_msg(strncmp(c.err, "tvp: report: ", 13) == 0, "'%s'", c.err);
		ck_assert_msg(strchr(c.err, '\n') == c.err + strlen(c.err) - 1, "one line: '%s'", c.err);
		ck_assert_msg(strstr(c.err, cases[i].says), "'%s' lacks '%s'", c.err, cases[i].says);
		ck_assert_str_eq(c.out, "");
		tvp_cmd_free(&c);
	}
	free(m);
	free(s);
	free(ok);
}
END_TEST

static Suite *report_suite(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tvp_tcase(s, "fixtures", 60);

	tcase_add_test(tc, findings_from_the_fixture);
	tcase_add_test(tc, overhead_beside_the_results);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, unknown_mode_in_an_old_file);
	tc = tvp_tcase(s, "run", 180);
	tcase_add_test(tc, a_real_quick_run);
	return s;
}

TVP_TEST_MAIN(report_suite)
