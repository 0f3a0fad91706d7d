/* test_plot.c: the charts: scripts/plot.sh draws every chart from the
 * fixtures as non-empty SVG and PNG, draws what a real --quick run has data
 * for and skips the rest with a one-line note (never an empty chart), and
 * each gnuplot script refuses to run without its input. Skipped (and said)
 * where gnuplot is not installed. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "testutil.h"
#include "bench/util.h"

static const char *root(void)
{
	const char *r = getenv("TVP_ROOT");

	return r && *r ? r : ".";
}

/* Skips the test where gnuplot is not installed. */
static void require_gnuplot(void)
{
	if (system("command -v gnuplot >/dev/null 2>&1") != 0)
		tvp_skip("gnuplot is not installed (sh scripts/deps.sh)");
}

/* Runs plot.sh; returns its exit status and its output in *out. */
static int plot(const char *in, const char *ovh, const char *dir, char **out)
{
	char *log = xasprintf("%s/plot.log", dir);
	char *cmd = xasprintf("TVP='%s' sh '%s/scripts/plot.sh' '%s' '%s' '%s/charts' >'%s' 2>&1",
			      getenv("TVP_BIN"), root(), in, ovh, dir, log);
	int st = system(cmd);
	FILE *f = fopen(log, "r");
	size_t n = 0;

	*out = xcalloc(1, 1 << 16);
	if (f) {
		n = fread(*out, 1, (1 << 16) - 1, f);
		fclose(f);
	}
	(*out)[n] = '\0';
	free(cmd);
	free(log);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* chart NAME exists in DIR/charts as an SVG document and a PNG image. */
static void assert_chart(const char *dir, const char *name)
{
	static const unsigned char png_magic[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
	char *svg = xasprintf("%s/charts/%s.svg", dir, name), *png = xasprintf("%s/charts/%s.png", dir, name);
	char head[4096] = "";
	unsigned char magic[8] = { 0 };
	struct stat st;
	FILE *f;

	ck_assert_msg(stat(svg, &st) == 0 && st.st_size > 1000, "%s missing or tiny", svg);
	ck_assert_msg(stat(png, &st) == 0 && st.st_size > 1000, "%s missing or tiny", png);
	f = fopen(svg, "r");
	ck_assert(f && fread(head, 1, sizeof head - 1, f) > 0);
	fclose(f);
	ck_assert_msg(strstr(head, "<svg"), "%s is not SVG", svg);
	f = fopen(png, "rb");
	ck_assert(f && fread(magic, 1, 8, f) == 8);
	fclose(f);
	ck_assert_msg(memcmp(magic, png_magic, 8) == 0, "%s is not a PNG", png);
	free(svg);
	free(png);
}

/* The text of chart name's SVG in dir/charts (free it). */
static char *chart_svg(const char *dir, const char *name)
{
	char *path = xasprintf("%s/charts/%s.svg", dir, name), *buf;
	FILE *f = fopen(path, "r");
	long len;

	ck_assert_msg(f, "%s missing", path);
	ck_assert(fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0);
	buf = xcalloc((size_t)len + 1, 1);
	ck_assert(fread(buf, 1, (size_t)len, f) == (size_t)len);
	fclose(f);
	free(path);
	return buf;
}

START_TEST(every_chart_from_the_fixtures)
{
	static const char *const charts[] = {
		"speedup-count", "time-count", "efficiency-count", "speedup-sleep", "io-sleep", "io-net",
		"time-net", "transfer", "pinning-count", "overhead",
	};
	char *dir, *in, *ovh, *out;
	int st;

	require_gnuplot();
	dir = tvp_tmpdir();
	in = xasprintf("%s/tests/fixtures/full.json", root());
	ovh = xasprintf("%s/tests/fixtures/overhead.json", root());
	st = plot(in, ovh, dir, &out);
	ck_assert_msg(st == 0, "plot.sh exit %d:\n%s", st, out);
	for (size_t i = 0; i < ARRAY_SIZE(charts); i++)
		assert_chart(dir, charts[i]);
	ck_assert_msg(!strstr(out, "skipped:"), "nothing should be skipped:\n%s", out);
	/* No Amdahl fit in the legend: on the fixture's 2 cores only one worker
	 * count (2) lies within the cores, and one point cannot test the law
	 * (the 4- and 8-worker points are left out of the fit). */
	{
		char *buf = chart_svg(dir, "speedup-count");

		ck_assert_msg(!strstr(buf, "Amdahl f = "), "an Amdahl fit on one point in the legend");
		ck_assert(strstr(buf, "2 cores"));
		/* The size in units, as the report says it. */
		ck_assert_msg(strstr(buf, "(size 20M iterations)"), "no size in units in the title");
		free(buf);
	}
	/* The overhead legend names only the kinds drawn (thread, process). */
	{
		char *buf = chart_svg(dir, "overhead");

		ck_assert(strstr(buf, ">thread<") && strstr(buf, ">process<"));
		ck_assert_msg(!strstr(buf, ">other<"), "an 'other' legend entry with no bars");
		free(buf);
	}
	free(out);
	tvp_rm_rf(dir);
	free(dir);
	free(in);
	free(ovh);
}
END_TEST

START_TEST(a_quick_run_draws_what_it_has)
{
	char *dir, *q, *out, *p;
	struct tvp_cmd c;
	json_t *doc, *cell;
	size_t i, parallel = 0, drawn = 0;
	int st;

	require_gnuplot();
	dir = tvp_tmpdir();
	q = xasprintf("%s/q.json", dir);
	tvp_run_cli(&c, 120, "run", "--quick", "--workers", "1,2,4", "--repeat", "3", "--quiet",
		    "--output", q, NULL);
	ck_assert_msg(c.status == 0, "run: %s", c.err);
	tvp_cmd_free(&c);
	doc = json_load_file(q, 0, NULL);
	json_array_foreach(json_object_get(doc, "results"), i, cell)
		parallel += strcmp(json_string_value(json_object_get(cell, "kind")), "serial") != 0;
	json_decref(doc);
	st = plot(q, "/nonexistent/overhead.json", dir, &out);
	ck_assert_msg(st == 0, "plot.sh exit %d:\n%s", st, out);
	/* Each line says a chart was drawn (and it exists), or why it was
	 * skipped; nothing else is drawn. */
	for (p = out; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p)) {
		char name[256];
		if (sscanf(p, "plot.sh: %*[^ ]/charts/%255[^.].svg, .png", name) == 1) {
			assert_chart(dir, name);
			drawn++;
		} else {
			ck_assert_msg(!strncmp(p, "plot.sh: ", 9), "unexpected output line: %.80s", p);
		}
	}
	ck_assert(strstr(out, "overhead: skipped: no overhead file"));
	if (parallel) {
		assert_chart(dir, "speedup-count");
		assert_chart(dir, "time-count");
		assert_chart(dir, "efficiency-count");
	} else {
		/* Only serial (the pools not merged yet): no chart to draw. */
		ck_assert(strstr(out, "speedup-count, time-count, efficiency-count: skipped: only the serial mode"));
		ck_assert_uint_eq(drawn, 0);
	}
	free(out);
	tvp_rm_rf(dir);
	free(q);
	free(dir);
	tvp_assert_no_children();
}
END_TEST

/* noop measures what a hand-off costs: its time chart is drawn, per task
 * (a bench runs noop's pools, executors and spawn modes with different task
 * counts), its speedup and efficiency charts are not (a speedup over doing
 * nothing means nothing). The input: a sample run's noop cells
 * (tests/fixtures/sample-noop.json). */
START_TEST(noop_has_no_speedup_chart)
{
	char *dir = tvp_tmpdir(), *in = xasprintf("%s/noop.json", dir), *out;
	char *sample = xasprintf("%s/tests/fixtures/sample-noop.json", root());
	json_t *doc = json_load_file(sample, 0, NULL), *keep = json_array(), *cell;
	size_t i;
	int st;

	require_gnuplot();
	ck_assert(doc);
	json_array_foreach(json_object_get(doc, "results"), i, cell)
		if (!strcmp(json_string_value(json_object_get(cell, "workload")), "noop"))
			json_array_append(keep, cell);
	ck_assert(json_array_size(keep) > 2);
	json_object_set_new(doc, "results", keep);
	ck_assert_int_eq(json_dump_file(doc, in, 0), 0);
	st = plot(in, "", dir, &out);
	ck_assert_msg(st == 0, "plot.sh exit %d:\n%s", st, out);
	assert_chart(dir, "time-noop");
	ck_assert_msg(strstr(out, "speedup-noop, efficiency-noop: skipped: noop measures the cost of a hand-off"),
		      "%s", out);
	free(out);
	out = chart_svg(dir, "time-noop");
	ck_assert_msg(strstr(out, "time per task"), "time-noop's axis is not per task");
	free(out);
	json_decref(doc);
	tvp_rm_rf(dir);
	free(sample);
	free(in);
	free(dir);
}
END_TEST

START_TEST(scripts_need_their_input)
{
	static const char *const scripts[] = { "speedup", "time", "efficiency", "io", "transfer",
					       "pinning", "overhead" };

	require_gnuplot();
	for (size_t i = 0; i < ARRAY_SIZE(scripts); i++) {
		char *cmd = xasprintf("gnuplot '%s/scripts/%s.gp' >/dev/null 2>&1", root(), scripts[i]);
		int st = system(cmd);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0, "%s.gp ran without in and out", scripts[i]);
		free(cmd);
	}
}
END_TEST

START_TEST(plot_sh_bad_input)
{
	char *dir, *out, *bad;

	require_gnuplot();   /* plot.sh looks for gnuplot before its input */
	dir = tvp_tmpdir();
	bad = xasprintf("%s/tests/fixtures/schema2.json", root());

	ck_assert_int_ne(plot("/nonexistent/r.json", "", dir, &out), 0);
	ck_assert(strstr(out, "cannot read"));
	free(out);
	ck_assert_int_ne(plot(bad, "", dir, &out), 0);
	ck_assert(strstr(out, "tvp: export: "));
	free(out);
	tvp_rm_rf(dir);
	free(bad);
	free(dir);
}
END_TEST

/* A chart folder tvp cannot make is tvp's one-line error, before gnuplot
 * runs (it was mkdir's message from plot.sh). */
START_TEST(plot_names_a_folder_it_cannot_use)
{
	char *dir = tvp_tmpdir(), *file = xasprintf("%s/not-a-folder", dir);
	char *in = xasprintf("%s/tests/fixtures/full.json", root());
	const char *const outs[] = { file, "/proc/tvp-no-such/charts" };
	struct tvp_cmd c;
	FILE *f = fopen(file, "w");

	ck_assert(f && fputs("mine\n", f) >= 0 && fclose(f) == 0);
	for (size_t i = 0; i < ARRAY_SIZE(outs); i++) {
		tvp_run_cli(&c, 30, "plot", in, "--overhead", "none", "-o", outs[i], NULL);
		tvp_assert_one_line_error(&c, 1, "tvp: plot: ", "cannot write charts into");
		tvp_cmd_free(&c);
	}
	f = fopen(file, "r");
	char buf[16] = "";
	ck_assert(f && fgets(buf, sizeof buf, f) && fclose(f) == 0);
	ck_assert_str_eq(buf, "mine\n");   /* untouched */
	tvp_rm_rf(dir);
	free(in);
	free(file);
	free(dir);
}
END_TEST

static Suite *plot_suite(void)
{
	Suite *s = suite_create("plot");
	TCase *tc = tvp_tcase(s, "plot", 240);

	tcase_add_test(tc, every_chart_from_the_fixtures);
	tcase_add_test(tc, noop_has_no_speedup_chart);
	tcase_add_test(tc, a_quick_run_draws_what_it_has);
	tcase_add_test(tc, scripts_need_their_input);
	tcase_add_test(tc, plot_sh_bad_input);
	tcase_add_test(tc, plot_names_a_folder_it_cannot_use);
	return s;
}

TVP_TEST_MAIN(plot_suite)
