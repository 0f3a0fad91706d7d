/* test_compare.c: `tvp compare` on fixed fixtures: a 2x slower cell is
 * flagged, a 2x faster one too, noise is not, three samples against three
 * are called undecidable, unmatched cells are listed, --fail-above decides
 * the exit status, a machine that slowed is normalised, contended samples
 * are left out, no match exits 1, 20,000 cells compare in seconds, and bad
 * input gives one clear error line. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "bench/util.h"

static char *fixture(const char *name)
{
	const char *r = getenv("TVP_ROOT");

	return xasprintf("%s/tests/fixtures/%s", r && *r ? r : ".", name);
}

/* The output line that starts with prefix (a copy, without its newline). */
static char *line_of(const char *out, const char *prefix)
{
	size_t len = strlen(prefix);

	for (const char *p = out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, prefix, len) && p[len] == ' ') {
			const char *e = strchr(p, '\n');
			char *l = xmalloc((size_t)(e ? e - p : (long)strlen(p)) + 1);
			memcpy(l, p, (size_t)(e ? e - p : (long)strlen(p)));
			l[e ? e - p : (long)strlen(p)] = '\0';
			return l;
		}
	ck_abort_msg("no line starting '%s' in:\n%s", prefix, out);
	return NULL;
}

static void line_has(const char *out, const char *cell, const char *s)
{
	char *l = line_of(out, cell);

	ck_assert_msg(strstr(l, s), "line '%s' lacks '%s'", l, s);
	free(l);
}

/* Frees what a test made: its document, its directory (removed), two paths. */
static void clean_up(json_t *doc, char *dir, char *a, char *b)
{
	json_decref(doc);
	tvp_rm_rf(dir);
	free(dir);
	free(a);
	free(b);
}

START_TEST(verdicts)
{
	char *o = fixture("old.json"), *n = fixture("new.json");
	struct tvp_cmd c;

	tvp_run_cli(&c, 30, "compare", o, n, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	/* The fixture's thread-pool x2: 7 samples within 3% of 40 ms against 7
	 * within 3% of 80 ms: the change about +100%, its 95% CI far from 0. */
	line_has(c.out, "count thread-pool x2", "** SLOWER");
	line_has(c.out, "count thread-pool x2", "+99.1%");
	line_has(c.out, "count thread-pool x2", "(95%)");
	line_has(c.out, "count fork-pool/shm x2", "** FASTER");
	/* The same distribution twice: its CI lies within 1 +- 5%. */
	line_has(c.out, "count thread-pool x4", "equivalent (within");
	line_has(c.out, "count serial x1", "equivalent");
	/* 3 against 3: the widest interval covers 1 - 2/20 = 90% < 95%. */
	line_has(c.out, "count fork-spawn x2", "(90%)");
	line_has(c.out, "count fork-spawn x2", "too few samples");
	line_has(c.out, "only in old:", "thread-spawn x2");
	line_has(c.out, "only in new:", "executor-thread x2");
	ck_assert(strstr(c.out, "summary: 1 slower, 1 faster, 2 equivalent, 0 not significant, 1 undecided"));
	ck_assert(strstr(c.out, "times compared as measured"));
	ck_assert(!strstr(c.out, "same"));
	tvp_cmd_free(&c);
	/* The same file against itself: nothing is real. */
	tvp_run_cli(&c, 30, "compare", o, o, NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(!strstr(c.out, "**"));
	tvp_cmd_free(&c);
	free(o);
	free(n);
}
END_TEST

START_TEST(fail_above)
{
	char *o = fixture("old.json"), *n = fixture("new.json");
	struct tvp_cmd c;

	tvp_run_cli(&c, 30, "compare", o, n, "--fail-above", "10", NULL);
	ck_assert_int_eq(c.status, 1);
	ck_assert(strstr(c.out, "FAIL: 1 real slowdown(s) above 10%"));
	tvp_cmd_free(&c);
	/* 97% is below 150%; and the 2x faster cell is never a failure. */
	tvp_run_cli(&c, 30, "compare", o, n, "--fail-above", "150", NULL);
	ck_assert_int_eq(c.status, 0);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "compare", n, o, "--fail-above", "10", NULL);
	ck_assert_int_eq(c.status, 1);   /* reversed: fork-pool x2 is now the slowdown */
	tvp_cmd_free(&c);
	free(o);
	free(n);
}
END_TEST

/* Noise: every old sample moved by a random factor within 0.3%, well inside
 * the cells' own spread (1 to 3%): nothing is flagged. (The fixture's
 * thread-pool x4 cell, two independent draws from one distribution, is the
 * other noise case, in verdicts.) */
START_TEST(noise_is_not_flagged)
{
	char *o = fixture("old.json"), *dir = tvp_tmpdir(), *n = xasprintf("%s/noisy.json", dir);
	json_t *doc = json_load_file(o, 0, NULL), *cell, *s;
	size_t i, k;
	unsigned seed = 99;
	struct tvp_cmd c;

	ck_assert(doc);
	json_array_foreach(json_object_get(doc, "results"), i, cell)
		json_array_foreach(json_object_get(cell, "samples"), k, s) {
			double w = (double)json_integer_value(json_object_get(s, "wall_ns"));
			double f = 0.997 + 0.006 * (double)rand_r(&seed) / RAND_MAX;
			json_object_set_new(s, "wall_ns", json_integer((json_int_t)(w * f)));
		}
	ck_assert_int_eq(json_dump_file(doc, n, 0), 0);
	tvp_run_cli(&c, 30, "compare", o, n, "--fail-above", "1", NULL);
	ck_assert_msg(c.status == 0, "noise failed the comparison:\n%s", c.out);
	ck_assert_msg(!strstr(c.out, "**"), "noise flagged:\n%s", c.out);
	tvp_cmd_free(&c);
	clean_up(doc, dir, n, o);
}
END_TEST

START_TEST(overhead_files)
{
	char *o = fixture("overhead.json"), *r = fixture("old.json");
	struct tvp_cmd c;

	tvp_run_cli(&c, 30, "compare", o, o, NULL);
	ck_assert_int_eq(c.status, 0);
	line_has(c.out, "thread-create-join", "equivalent");
	line_has(c.out, "pipe-bandwidth-64K", "not significant");   /* no samples: CIs */
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "compare", o, r, NULL);
	ck_assert_int_eq(c.status, 2);
	ck_assert(strstr(c.err, "different kinds"));
	tvp_cmd_free(&c);
	free(o);
	free(r);
}
END_TEST

/* Writes doc to dir/name; returns the path (free it). */
static char *dump(json_t *doc, const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);

	ck_assert_int_eq(json_dump_file(doc, p, 0), 0);
	return p;
}

/* Multiplies every wall_ns and ref_ns_per_iter of doc by f. */
static void slow_down(json_t *doc, double f)
{
	json_t *cell, *s;
	size_t i, k;

	json_array_foreach(json_object_get(doc, "results"), i, cell)
		json_array_foreach(json_object_get(cell, "samples"), k, s) {
			double w = json_number_value(json_object_get(s, "wall_ns"));
			double r = json_number_value(json_object_get(s, "ref_ns_per_iter"));
			json_object_set_new(s, "wall_ns", json_integer((json_int_t)(w * f)));
			json_object_set_new(s, "ref_ns_per_iter", json_real(r * f));
		}
}

/* A machine 1.79x slower in NEW (the 0.293 vs 0.525 ns/iter):
 * every time and the reference scaled alike. Normalised, nothing changed;
 * with --no-normalise, everything is slower. */
START_TEST(slowed_machine_is_normalised)
{
	char *o = fixture("old.json"), *dir = tvp_tmpdir(), *n;
	json_t *doc = json_load_file(o, 0, NULL);
	struct tvp_cmd c;

	ck_assert(doc);
	slow_down(doc, 0.525 / 0.293);
	n = dump(doc, dir, "slow.json");
	tvp_run_cli(&c, 30, "compare", o, n, "--fail-above", "10", NULL);
	ck_assert_msg(c.status == 0, "exit %d:\n%s", c.status, c.out);
	/* 0.35 x 1.7918 = 0.627 */
	ck_assert_msg(strstr(c.out, "the machine ran 1.79x slower in NEW (reference 0.350 vs 0.627 ns/iter); "
				    "NEW times normalised by it"), "%s", c.out);
	ck_assert_msg(!strstr(c.out, "**"), "%s", c.out);
	ck_assert(strstr(c.out, "NEW normalised by the reference"));
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "compare", o, n, "--no-normalise", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strstr(c.out, "times NOT normalised"));
	line_has(c.out, "count serial x1", "** SLOWER");
	line_has(c.out, "count serial x1", "+79.");
	tvp_cmd_free(&c);
	clean_up(doc, dir, n, o);
}
END_TEST

/* tvp.results/2: rounds.json against itself with thread-pool x2's samples
 * in NEW 1.5x slower, except round 5, contended (capacity 1.1) in both:
 * left out (7 clean remain), the change is the clean rounds' +50%; and a
 * NEW whose median capacity fell from 2.0 to 1.1 is reported. */
START_TEST(results2_contended_and_capacity)
{
	char *o = fixture("rounds.json"), *dir = tvp_tmpdir(), *n;
	json_t *doc = json_load_file(o, 0, NULL), *cell, *s;
	size_t i, k;
	struct tvp_cmd c;

	ck_assert(doc);
	json_array_foreach(json_object_get(doc, "results"), i, cell)
		json_array_foreach(json_object_get(cell, "samples"), k, s) {
			if (strcmp(json_string_value(json_object_get(cell, "mode")), "thread-pool") ||
			    json_integer_value(json_object_get(cell, "workers")) != 2 || k == 5)
				continue;
			json_object_set_new(s, "wall_ns", json_real(1.5 * json_number_value(
				json_object_get(s, "wall_ns"))));
		}
	n = dump(doc, dir, "new2.json");
	tvp_run_cli(&c, 30, "compare", o, n, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	line_has(c.out, "count thread-pool x2", "** SLOWER");
	line_has(c.out, "count thread-pool x2", "2 contended left out");   /* one per file */
	/* The same samples twice, but two runs do not pair: the rounds'
	 * weather (up to 1.6x) spreads each side, so the interval of an
	 * unchanged cell is wide: not significant, not "same". */
	line_has(c.out, "count fork-pool/shm x2", "not significant");
	tvp_cmd_free(&c);
	json_array_foreach(json_object_get(doc, "results"), i, cell)
		json_array_foreach(json_object_get(cell, "samples"), k, s)
			json_object_set_new(s, "capacity", json_real(1.1));
	free(n);
	n = dump(doc, dir, "lost-core.json");
	tvp_run_cli(&c, 30, "compare", o, n, NULL);
	ck_assert(strstr(c.out, "it delivered 1.10 cores in NEW against 2.00 in OLD"));
	tvp_cmd_free(&c);
	clean_up(doc, dir, n, o);
}
END_TEST

START_TEST(no_match_exits_1)
{
	char *o = fixture("old.json"), *r = fixture("rounds.json"), *dir = tvp_tmpdir(), *n;
	json_t *doc = json_load_file(o, 0, NULL), *cell;
	size_t i;
	struct tvp_cmd c;

	json_array_foreach(json_object_get(doc, "results"), i, cell)
		json_object_set_new(cell, "workload", json_string("sleep"));
	n = dump(doc, dir, "other.json");
	tvp_run_cli(&c, 30, "compare", o, n, NULL);
	ck_assert_int_eq(c.status, 1);
	ck_assert_msg(strncmp(c.err, "tvp: compare: no cell of", 24) == 0, "'%s'", c.err);
	ck_assert(strstr(c.out, "only in new: sleep serial x1"));
	tvp_cmd_free(&c);
	clean_up(doc, dir, n, o);
	free(r);
}
END_TEST

/* 20,000 cells of 3 samples each, in opposite orders in the two files:
 * every one matched, in seconds (pairwise search took 227 s for 10,000). */
START_TEST(large_input_is_fast)
{
	char *o = fixture("old.json"), *dir = tvp_tmpdir(), *a, *b;
	json_t *doc = json_load_file(o, 0, NULL), *res = json_array(), *rev = json_array();
	json_t *proto = json_array_get(json_object_get(doc, "results"), 4);   /* fork-spawn, 3 samples */
	const size_t cells = 20000;
	struct tvp_cmd c;
	double t0;

	for (size_t i = 0; i < cells; i++) {
		json_t *e = json_deep_copy(proto);
		json_object_set_new(e, "size", json_integer((json_int_t)i + 1));
		json_array_append_new(res, e);
	}
	for (size_t i = cells; i-- > 0;)
		json_array_append(rev, json_array_get(res, i));
	json_object_set(doc, "results", res);
	a = dump(doc, dir, "a.json");
	json_object_set(doc, "results", rev);
	b = dump(doc, dir, "b.json");
	t0 = (now_ns() / 1e9);
	tvp_run_cli(&c, 120, "compare", a, b, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert(strstr(c.out, "over 20000 matched cell(s)"));
	ck_assert(!strstr(c.out, "only in old:") && !strstr(c.out, "only in new:"));
	/* A gross bound: 3 s here; quadratic matching needed minutes for half
	 * as many. */
	ck_assert_msg((now_ns() / 1e9) - t0 < 30, "took %.1f s", (now_ns() / 1e9) - t0);
	tvp_cmd_free(&c);
	json_decref(res);
	json_decref(rev);
	free(o);
	clean_up(doc, dir, a, b);
}
END_TEST

START_TEST(bad_input)
{
	char *m = fixture("malformed.json"), *s = fixture("schema2.json"), *ok = fixture("old.json");
	struct {
		const char *a, *b, *c, *d;
		const char *says;
	} cases[] = {
		{ m, ok, NULL, NULL, "not valid JSON" },
		{ ok, s, NULL, NULL, "schema 'tvp.results/9'" },
		{ ok, "/nonexistent/n.json", NULL, NULL, "cannot read" },
		{ ok, ok, ok, NULL, "two files only" },
		{ ok, ok, "--fail-above", "lots", "--fail-above" },
		{ ok, ok, "--alpha", "2", "--alpha" },
		{ ok, ok, "--bogus", NULL, "--bogus" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tvp_cmd c;
		tvp_run_cli(&c, 30, "compare", cases[i].a, cases[i].b, cases[i].c, cases[i].d, NULL);
		tvp_assert_one_line_error(&c, 2, "tvp: compare: ", cases[i].says);
		tvp_cmd_free(&c);
	}
	free(m);
	free(s);
	free(ok);
}
END_TEST

static Suite *compare_suite(void)
{
	Suite *s = suite_create("compare");
	TCase *tc = tvp_tcase(s, "compare", 60);

	tcase_add_test(tc, verdicts);
	tcase_add_test(tc, fail_above);
	tcase_add_test(tc, noise_is_not_flagged);
	tcase_add_test(tc, overhead_files);
	tcase_add_test(tc, bad_input);
	tcase_add_test(tc, slowed_machine_is_normalised);
	tcase_add_test(tc, results2_contended_and_capacity);
	tcase_add_test(tc, no_match_exits_1);
	tcase_add_test(tc, large_input_is_fast);
	return s;
}

TVP_TEST_MAIN(compare_suite)
