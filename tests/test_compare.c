/* test_compare.c: `tvp compare` on fixed fixtures: a 2x slower cell is
 * flagged, a 2x faster one too, noise is not, three samples against three
 * are called undecidable, unmatched cells are listed, --fail-above decides
 * the exit status, and bad input gives one clear error line. */
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

START_TEST(verdicts)
{
	char *o = fixture("old.json"), *n = fixture("new.json");
	struct tvp_cmd c;

	tvp_run_cli(&c, 30, "compare", o, n, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	line_has(c.out, "count thread-pool x2", "** SLOWER");
	line_has(c.out, "count thread-pool x2", "+97.0%");
	line_has(c.out, "count fork-pool/shm x2", "** FASTER");
	line_has(c.out, "count thread-pool x4", "same (no significant change)");
	line_has(c.out, "count serial x1", "same");
	line_has(c.out, "count fork-spawn x2", "too few samples");
	line_has(c.out, "only in old:", "thread-spawn x2");
	line_has(c.out, "only in new:", "executor-thread x2");
	ck_assert(strstr(c.out, "summary: 1 slower, 1 faster, 2 unchanged, 1 undecided"));
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
	json_decref(doc);
	tvp_rm_rf(dir);
	free(n);
	free(dir);
	free(o);
}
END_TEST

START_TEST(overhead_files)
{
	char *o = fixture("overhead.json"), *r = fixture("old.json");
	struct tvp_cmd c;

	tvp_run_cli(&c, 30, "compare", o, o, NULL);
	ck_assert_int_eq(c.status, 0);
	line_has(c.out, "thread-create-join", "same");
	line_has(c.out, "pipe-bandwidth-64K", "same");   /* no samples: CIs */
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "compare", o, r, NULL);
	ck_assert_int_eq(c.status, 2);
	ck_assert(strstr(c.err, "different kinds"));
	tvp_cmd_free(&c);
	free(o);
	free(r);
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
		{ ok, s, NULL, NULL, "schema 'tvp.results/99'" },
		{ ok, "/nonexistent/n.json", NULL, NULL, "cannot read" },
		{ ok, NULL, NULL, NULL, "needs two files" },
		{ ok, ok, ok, NULL, "two files only" },
		{ ok, ok, "--fail-above", "lots", "--fail-above" },
		{ ok, ok, "--alpha", "2", "--alpha" },
		{ ok, ok, "--bogus", NULL, "--bogus" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct tvp_cmd c;
		tvp_run_cli(&c, 30, "compare", cases[i].a, cases[i].b, cases[i].c, cases[i].d, NULL);
		ck_assert_msg(c.status == 2, "case %zu: exit %d (%s)", i, c.status, c.err);
		ck_assert(!c.core);
		ck_assert_msg(strncmp(c.err, "tvp: compare: ", 14) == 0, "'%s'", c.err);
		ck_assert_msg(strchr(c.err, '\n') == c.err + strlen(c.err) - 1, "one line: '%s'", c.err);
		ck_assert_msg(strstr(c.err, cases[i].says), "case %zu: '%s' lacks '%s'", i, c.err, cases[i].says);
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
	return s;
}

TVP_TEST_MAIN(compare_suite)
