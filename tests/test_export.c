/* test_export.c: `tvp export`: the documented columns in order, every
 * figure read back exactly, CSV quoting, per-sample and overhead tables,
 * filters, and one clear error line for bad input. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "bench/util.h"

static char *fixture(const char *name)
{
	const char *r = getenv("TVP_ROOT");

	return xasprintf("%s/tests/fixtures/%s", r && *r ? r : ".", name);
}

/* Splits s into lines (in place); returns how many. */
static size_t split(char *s, char sep, char **out, size_t max)
{
	size_t n = 0;
	char *p = s;

	while (n < max) {
		char *e = strchr(p, sep);
		out[n++] = p;
		if (!e)
			break;
		*e = '\0';
		p = e + 1;
	}
	return n;
}

static int col(char **hdr, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(hdr[i], name))
			return (int)i;
	ck_abort_msg("no column %s", name);
	return -1;
}

static void assert_num(const char *text, const json_t *v, const char *what)
{
	if (json_is_null(v) || !v) {
		ck_assert_msg(text[0] == '\0', "%s: '%s' for null", what, text);
		return;
	}
	ck_assert_msg(strtod(text, NULL) == json_number_value(v), "%s: '%s' reads back as %.17g, JSON has %.17g",
		      what, text, strtod(text, NULL), json_number_value(v));
}

START_TEST(tsv_cells_round_trip)
{
	char *f = fixture("full.json");
	struct tvp_cmd c;
	char *lines[400], *hdr[64];
	size_t nl, nh;
	json_t *doc = json_load_file(f, 0, NULL), *results = json_object_get(doc, "results");
	static const char *const first[] = { "workload", "mode", "kind", "lang", "workers", "tasks",
					     "size", "size_unit", "pin", "channel", "series", "n",
					     "median_ns", "ci95_lo_ns", "ci95_hi_ns" };

	ck_assert(doc);
	tvp_run_cli(&c, 30, "export", f, "--format", "tsv", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	nl = split(c.out, '\n', lines, 400);
	if (nl && !lines[nl - 1][0])
		nl--;
	ck_assert_uint_eq(nl, json_array_size(results) + 1);
	nh = split(lines[0], '\t', hdr, 64);
	for (size_t i = 0; i < ARRAY_SIZE(first); i++)
		ck_assert_str_eq(hdr[i], first[i]);
	for (size_t r = 1; r < nl; r++) {
		char *v[64];
		json_t *cell = json_array_get(results, r - 1), *st = json_object_get(cell, "stats");
		size_t nv = split(lines[r], '\t', v, 64);
		ck_assert_uint_eq(nv, nh);
		ck_assert_str_eq(v[col(hdr, nh, "workload")], json_string_value(json_object_get(cell, "workload")));
		ck_assert_str_eq(v[col(hdr, nh, "mode")], json_string_value(json_object_get(cell, "mode")));
		assert_num(v[col(hdr, nh, "workers")], json_object_get(cell, "workers"), "workers");
		assert_num(v[col(hdr, nh, "median_ns")], json_object_get(st, "median_ns"), "median_ns");
		assert_num(v[col(hdr, nh, "ci95_lo_ns")], json_object_get(st, "ci95_lo_ns"), "ci95_lo_ns");
		assert_num(v[col(hdr, nh, "stddev_ns")], json_object_get(st, "stddev_ns"), "stddev_ns");
		assert_num(v[col(hdr, nh, "ci_level")], json_object_get(st, "ci_level"), "ci_level");
		assert_num(v[col(hdr, nh, "speedup")], json_object_get(cell, "speedup"), "speedup");
		assert_num(v[col(hdr, nh, "efficiency")], json_object_get(cell, "efficiency"), "efficiency");
		if (json_object_get(cell, "ns_per_iter")) {
			ck_assert_str_eq(v[col(hdr, nh, "rate_key")], "ns_per_iter");
			assert_num(v[col(hdr, nh, "rate")], json_object_get(cell, "ns_per_iter"), "rate");
		}
		if (json_is_null(json_object_get(cell, "channel")))
			ck_assert_str_eq(v[col(hdr, nh, "channel")], "");
		else
			ck_assert(strchr(v[col(hdr, nh, "series")], '/'));
	}
	tvp_cmd_free(&c);
	json_decref(doc);
	free(f);
}
END_TEST

START_TEST(samples_and_overhead)
{
	char *f = fixture("full.json"), *o = fixture("overhead.json");
	struct tvp_cmd c;
	char *lines[2000], *hdr[64];
	size_t nl, nh, total = 0, i;
	json_t *doc = json_load_file(f, 0, NULL), *cell;

	json_array_foreach(json_object_get(doc, "results"), i, cell)
		total += json_array_size(json_object_get(cell, "samples"));
	tvp_run_cli(&c, 30, "export", f, "--format", "csv", "--samples", NULL);
	ck_assert_int_eq(c.status, 0);
	nl = split(c.out, '\n', lines, 2000);
	if (nl && !lines[nl - 1][0])
		nl--;
	ck_assert_uint_eq(nl, total + 1);
	nh = split(lines[0], ',', hdr, 64);
	ck_assert_str_eq(hdr[11], "sample");
	ck_assert_str_eq(hdr[12], "wall_ns");
	{
		char *v[64];
		json_t *s0 = json_array_get(json_object_get(json_array_get(json_object_get(doc, "results"), 0), "samples"), 0);
		ck_assert_uint_eq(split(lines[1], ',', v, 64), nh);
		assert_num(v[12], json_object_get(s0, "wall_ns"), "wall_ns");
		assert_num(v[col(hdr, nh, "ref_ns_per_iter")], json_object_get(s0, "ref_ns_per_iter"), "ref");
	}
	tvp_cmd_free(&c);
	json_decref(doc);

	doc = json_load_file(o, 0, NULL);
	tvp_run_cli(&c, 30, "export", o, "--format", "tsv", NULL);
	ck_assert_int_eq(c.status, 0);
	nl = split(c.out, '\n', lines, 2000);
	if (nl && !lines[nl - 1][0])
		nl--;
	ck_assert_uint_eq(nl, json_array_size(json_object_get(doc, "results")) + 1);
	nh = split(lines[0], '\t', hdr, 64);
	for (size_t r = 1; r < nl; r++) {
		char *v[64], key[64];
		json_t *e = json_array_get(json_object_get(doc, "results"), r - 1);
		split(lines[r], '\t', v, 64);
		ck_assert_str_eq(v[col(hdr, nh, "name")], json_string_value(json_object_get(e, "name")));
		snprintf(key, sizeof key, "median_%s", json_string_value(json_object_get(e, "unit")));
		assert_num(v[col(hdr, nh, "median")], json_object_get(json_object_get(e, "stats"), key), key);
	}
	tvp_cmd_free(&c);
	json_decref(doc);
	free(f);
	free(o);
}
END_TEST

START_TEST(csv_quoting_markdown_and_filters)
{
	char *f = fixture("old.json"), *dir = tvp_tmpdir(), *g = xasprintf("%s/q.json", dir);
	json_t *doc = json_load_file(f, 0, NULL);
	struct tvp_cmd c;

	json_object_set_new(json_array_get(json_object_get(doc, "results"), 1), "error",
			    json_string("a, \"quoted\" | piped"));
	ck_assert_int_eq(json_dump_file(doc, g, 0), 0);
	tvp_run_cli(&c, 30, "export", g, NULL);   /* csv is the default */
	ck_assert_int_eq(c.status, 0);
	ck_assert_msg(strstr(c.out, ",\"a, \"\"quoted\"\" | piped\""), "CSV quoting: %s", c.out);
	tvp_cmd_free(&c);
	/* Markdown per cell: the compact tables, in units, filtered by --where. */
	tvp_run_cli(&c, 30, "export", g, "-f", "md", "--where", "mode=thread-pool", "--where", "workers=4", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert_msg(!strncmp(c.out, "### count, size ", 16), "%s", c.out);
	ck_assert(strstr(c.out, "\n| Mode | Workers | Median | 95% CI | Speedup | Relative |\n|:---|---:|"));
	ck_assert_msg(strstr(c.out, "\n| thread-pool | 4 | ") && strstr(c.out, "s – "), "%s", c.out);
	ck_assert_msg(strstr(c.out, " | 1.00 |\n") && !strstr(c.out, "thread-spawn"), "%s", c.out);
	tvp_cmd_free(&c);
	/* With --samples, Markdown is the flat table, '|' escaped. */
	json_object_set_new(json_array_get(json_object_get(json_array_get(json_object_get(doc, "results"), 1),
							   "samples"), 0), "drift", json_string("a | b"));
	ck_assert_int_eq(json_dump_file(doc, g, 0), 0);
	tvp_run_cli(&c, 30, "export", g, "--format", "md", "--samples", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strncmp(c.out, "| workload | mode |", 19) == 0);
	ck_assert(strstr(c.out, "\n| --- | --- |"));
	ck_assert_msg(strstr(c.out, "a \\| b"), "%s", c.out);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", g, "--format", "tsv", "--where", "mode=thread-pool", "--where",
		    "workers=4", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert_int_eq((int)(strchr(strchr(c.out, '\n') + 1, '\n') - c.out) + 1, (int)strlen(c.out));
	ck_assert(strstr(c.out, "\ncount\tthread-pool\tthread\tc\t4\t"));
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", g, "--host", "--format", "tsv", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strstr(c.out, "tvp.results/1\tfixture-host\tTest CPU\t1\t2\t2\t"));
	tvp_cmd_free(&c);
	json_decref(doc);
	tvp_rm_rf(dir);
	free(g);
	free(dir);
	free(f);
}
END_TEST

/* A tvp.results/2 file: its columns appended after /1's; rounds.json's
 * thread-pool x2 (the second cell) has 8 rounds, its round 5 contended
 * with capacity 1.1 (make-fixtures.py). */
START_TEST(results2_columns)
{
	char *f = fixture("rounds.json"), *hdr[64], *row[64], *line;
	struct tvp_cmd c;
	size_t nh, nr;

	tvp_run_cli(&c, 30, "export", f, "--format", "tsv", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	line = strchr(c.out, '\n');
	*line = '\0';
	nh = split(c.out, '\t', hdr, 64);
	ck_assert_str_eq(hdr[nh - 1], "start");        /* appended by the start methods */
	ck_assert_str_eq(hdr[nh - 2], "converged");
	ck_assert_int_eq(col(hdr, nh, "size_label") + 1, col(hdr, nh, "speedup_ci95_lo"));   /* appended */
	*strchr(line + 1, '\n') = '\0';
	*strchr(line + 1 + strlen(line + 1) + 1, '\n') = '\0';
	nr = split(line + 1 + strlen(line + 1) + 1, '\t', row, 64);   /* the second cell */
	ck_assert_uint_eq(nr, nh);
	ck_assert_str_eq(row[col(hdr, nh, "mode")], "thread-pool");
	ck_assert_str_eq(row[col(hdr, nh, "rounds")], "8");
	ck_assert_str_eq(row[col(hdr, nh, "converged")], "true");
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", f, "--samples", "--where", "mode=thread-pool", "--where", "workers=2",
		    "--format", "csv", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.out, ",round,capacity,contended,probe_ns,start\n"), "%s", c.out);
	ck_assert_msg(strstr(c.out, ",5,1.1,true,2000000,\n"), "%s", c.out);   /* threads: no start */
	tvp_cmd_free(&c);
	free(f);
}
END_TEST

START_TEST(bad_input)
{
	char *m = fixture("malformed.json"), *s = fixture("schema2.json"), *ok = fixture("old.json");
	struct tvp_cmd c;

	tvp_run_cli(&c, 30, "export", m, NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: ", "not valid JSON");
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", s, NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: ", "tvp.results/9");
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", "/nonexistent/x.json", NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: ", "cannot read");
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", ok, "--format", "xml", NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: ", "csv, tsv, md");
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", ok, "--where", "colour=blue", NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: ", "--where");
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", ok, "--output", "/nonexistent/dir/x.csv", NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: ", "cannot write");
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", "--help", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strstr(c.out, "median_ns"));
	tvp_cmd_free(&c);
	free(m);
	free(s);
	free(ok);
}
END_TEST

static Suite *export_suite(void)
{
	Suite *s = suite_create("export");
	TCase *tc = tvp_tcase(s, "export", 60);

	tcase_add_test(tc, tsv_cells_round_trip);
	tcase_add_test(tc, samples_and_overhead);
	tcase_add_test(tc, csv_quoting_markdown_and_filters);
	tcase_add_test(tc, results2_columns);
	tcase_add_test(tc, bad_input);
	return s;
}

TVP_TEST_MAIN(export_suite)
