/* test_cli.c: build/tvp as a user runs it: bad command lines, one option
 * syntax in every subcommand, a quick run whose JSON is parsed and validated
 * against the schema, interruption. */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "bench/util.h"

static const char *root(void)
{
	const char *r = getenv("TVP_ROOT");

	return r && *r ? r : ".";
}

/* Each case: the arguments after "run" (at most 4) and a word the message
 * must contain. */
static const struct {
	const char *args[5];
	const char *says;
} bad[] = {
	{ { "--workers", "0" }, "--workers" },
	{ { "--workers", "abc" }, "--workers" },
	{ { "--repeat", "0" }, "--repeat" },
	{ { "--workload", "nope" }, "workload" },
	{ { "--mode", "nope" }, "mode" },
	{ { "--size", "0" }, "size" },
	{ { "--size", "99999999999999999999" }, "size" },
	{ { "--bogus" }, "--bogus" },
	{ { "--output", "/nonexistent-dir/x.json", "--quick" }, "cannot write" },
	{ { "--output", "/proc/version/x.json", "--quick" }, "cannot write" },
	{ { "--tasks", "-1" }, "--tasks" },
	{ { "--channel", "carrier-pigeon" }, "channel" },
	{ { "--pin", "pu:zz" }, "pin" },
};

START_TEST(bad_command_lines_exit_2)
{
	struct tvp_cmd c;
	const char *const *a = bad[_i].args;

	tvp_run_cli(&c, 30, "run", a[0], a[1], a[2], a[3], NULL);
	tvp_assert_one_line_error(&c, 2, "tvp:", bad[_i].says);
	tvp_cmd_free(&c);
}
END_TEST

START_TEST(top_level)
{
	struct tvp_cmd c;

	tvp_run_cli(&c, 10, "--help", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strstr(c.out, "run"));
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "run", "--help", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strstr(c.out, "--workers"));
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "--version", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strncmp(c.out, "tvp ", 4) == 0);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "frobnicate", NULL);
	ck_assert_int_eq(c.status, 2);
	ck_assert(strncmp(c.err, "tvp: unknown command 'frobnicate'", 33) == 0);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, NULL);
	ck_assert_int_eq(c.status, 2);
	tvp_cmd_free(&c);
}
END_TEST

/* Every subcommand parses with getopt_long: "--opt=value" and "--opt value"
 * are one, "--" ends the options, and option order does not matter. Each
 * pair of command lines must give the same exit status, stdout and stderr.
 * "@x" stands for tests/fixtures/x.json. */
static const struct {
	const char *a[9], *b[9];
} alike[] = {
	{ { "run", "--workers=0" }, { "run", "--workers", "0" } },
	{ { "report", "--overhead=none", "@full" }, { "report", "@full", "--overhead", "none" } },
	{ { "report", "--overhead=@overhead", "--", "@full" },
	  { "report", "@full", "--overhead", "@overhead" } },
	{ { "compare", "--alpha=0.01", "@old", "@new" }, { "compare", "@old", "@new", "--alpha", "0.01" } },
	{ { "compare", "--fail-above=10", "--", "@old", "@new" },
	  { "compare", "@old", "@new", "--fail-above", "10" } },
	{ { "export", "--format=tsv", "--where=mode=serial", "@full" },
	  { "export", "@full", "--format", "tsv", "--where", "mode=serial" } },
	{ { "export", "--samples", "--format=md", "--", "@old" }, { "export", "@old", "--samples", "--format", "md" } },
	{ { "overhead", "--repeat=0" }, { "overhead", "--repeat", "0" } },
	{ { "overhead", "--pin=elsewhere" }, { "overhead", "--pin", "elsewhere" } },
	{ { "overhead", "--list", "--" }, { "overhead", "--list" } },
	{ { "topo", "--pin=compact", "--workers=3" }, { "topo", "--workers", "3", "--pin", "compact" } },
	{ { "topo", "--json", "--" }, { "topo", "--json" } },
	{ { "lesson", "--quick", "--", "nope" }, { "lesson", "nope", "--quick" } },
	{ { "lesson", "--" }, { "lesson" } },
};

/* argv with "@x" (alone or after "--opt=") replaced by the fixture's path
 * (malloc'd; free_args). */
static void expand(const char *const *in, char **out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *at = in[i] ? strchr(in[i], '@') : NULL;

		out[i] = !in[i] ? NULL
			 : !at  ? xstrdup(in[i])
				: xasprintf("%.*s%s/tests/fixtures/%s.json", (int)(at - in[i]), in[i], root(),
					    at + 1);
	}
}

static void free_args(char **a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(a[i]);
}

static void run_args(struct tvp_cmd *c, char **a)
{
	tvp_run_cli(c, 30, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], NULL);
}

START_TEST(opt_equals_value_and_double_dash_alike)
{
	char *a[9], *b[9];
	struct tvp_cmd ca, cb;

	/* A synthetic machine: topo's output does not depend on free memory. */
	setenv("HWLOC_SYNTHETIC", "pack:1 core:2 pu:2", 1);
	expand(alike[_i].a, a, 9);
	expand(alike[_i].b, b, 9);
	run_args(&ca, a);
	run_args(&cb, b);
	ck_assert_msg(ca.status == cb.status, "%s %s: exit %d against %d (%s | %s)", a[0], a[1], ca.status,
		      cb.status, ca.err, cb.err);
	ck_assert(ca.status >= 0 && ca.status <= 2 && !ca.core);
	ck_assert_msg(!strcmp(ca.out, cb.out), "%s %s: stdout differs", a[0], a[1]);
	ck_assert_msg(!strcmp(ca.err, cb.err), "%s %s: stderr differs: '%s' against '%s'", a[0], a[1],
		      ca.err, cb.err);
	tvp_cmd_free(&ca);
	tvp_cmd_free(&cb);
	free_args(a, 9);
	free_args(b, 9);
}
END_TEST

/* Bad option forms, in every subcommand: exit 2 and one "tvp: CMD:" line
 * that says what was wrong. After "--", a name that looks like an option is
 * an operand (here a file that does not exist). */
static const struct {
	const char *args[4];
	const char *says;
} bad_forms[] = {
	{ { "report", "--overhead" }, "'--overhead' needs a value; accepted: --overhead" },
	{ { "report", "--", "--bogus.json" }, "cannot read" },
	{ { "compare", "--alpha" }, "'--alpha' needs a value; accepted: --fail-above" },
	{ { "compare", "--alpha=2", "a", "b" }, "--alpha '2' is not accepted" },
	{ { "compare", "--", "--a.json", "--b.json" }, "cannot read" },
	{ { "export", "--format" }, "'--format' needs a value; accepted: -f/--format" },
	{ { "export", "--samples=yes", "x" }, "'--samples=yes' takes no value" },
	{ { "export", "--", "--x.json" }, "cannot read" },
	{ { "overhead", "--repeat" }, "'--repeat' needs a value" },
	{ { "overhead", "--", "extra" }, "unexpected argument 'extra'" },
	{ { "topo", "--workers=0", "--pin=compact" }, "--workers '0'" },
	{ { "topo", "--bogus" }, "unknown option '--bogus'; accepted: --workers" },
	{ { "lesson", "--quick=yes" }, "'--quick=yes' takes no value; accepted: -q/--quick" },
	{ { "lesson", "-x" }, "unknown option '-x'" },
};

START_TEST(bad_option_forms_exit_2)
{
	const char *const *a = bad_forms[_i].args;
	char prefix[32];
	struct tvp_cmd c;

	tvp_run_cli(&c, 30, a[0], a[1], a[2], a[3], NULL);
	snprintf(prefix, sizeof prefix, "tvp: %s: ", a[0]);
	tvp_assert_one_line_error(&c, 2, prefix, bad_forms[_i].says);
	tvp_cmd_free(&c);
}
END_TEST

/* Outside a tvp tree, results live under $XDG_DATA_HOME/tvp/results, and
 * report, export, plot and compare read them when given no file. */
START_TEST(defaults_read_the_results_folder)
{
	char *dir = tvp_tmpdir(), *res = xasprintf("%s/xdg/tvp/results", dir), *cmd, *xdg;
	static const char *const need_one[] = { "report", "export", "plot" };
	struct tvp_cmd c;

	ck_assert_int_eq(chdir(dir), 0);
	setenv("XDG_DATA_HOME", "xdg", 1);   /* not absolute: ignored, ~/.local/share */
	setenv("HOME", dir, 1);
	for (size_t i = 0; i < ARRAY_SIZE(need_one); i++) {
		tvp_run_cli(&c, 30, need_one[i], NULL);
		tvp_assert_one_line_error(&c, 2, "tvp:", "/.local/share/tvp/results/latest.json");
		tvp_cmd_free(&c);
	}
	xdg = xasprintf("%s/xdg", dir);
	setenv("XDG_DATA_HOME", xdg, 1);
	free(xdg);
	tvp_run_cli(&c, 30, "compare", NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: compare:", "fewer than two results files");
	tvp_cmd_free(&c);
	cmd = xasprintf("mkdir -p '%s' && cp '%s/tests/fixtures/old.json' '%s/a.json' && touch -d '1 hour ago' "
			"'%s/a.json' && cp '%s/tests/fixtures/new.json' '%s/b.json' && ln -s b.json '%s/latest.json'",
			res, root(), res, res, root(), res, res);
	ck_assert_int_eq(system(cmd), 0);
	tvp_run_cli(&c, 30, "report", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert(strstr(c.out, "tvp report: ") && strstr(c.out, "/latest.json"));
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", "-f", "tsv", NULL);
	ck_assert_msg(c.status == 0 && !strncmp(c.out, "workload\tmode", 13), "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "compare", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.out, "a.json (old") && strstr(c.out, "b.json (new"), "%s", c.out);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "compare", "a.json", NULL);   /* relative to the cwd: missing */
	tvp_assert_one_line_error(&c, 2, "tvp: compare:", "cannot read");
	tvp_cmd_free(&c);
	free(cmd);
	free(res);
	tvp_rm_rf(dir);
	free(dir);
}
END_TEST

START_TEST(help_and_version_as_commands)
{
	struct tvp_cmd c;

	tvp_run_cli(&c, 10, "help", "run", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert_msg(!strncmp(c.out, "usage: tvp run", 14), "%s", c.out);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "help", "plot", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(!strncmp(c.out, "usage: tvp plot", 15));
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "help", "nope", NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: unknown command 'nope'", "help, version");
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "version", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(!strncmp(c.out, "tvp 0.", 6));
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "version", "--bogus", NULL);   /* was taken silently */
	tvp_assert_one_line_error(&c, 2, "tvp: version: ", "unexpected argument '--bogus'");
	tvp_cmd_free(&c);
}
END_TEST

static int validate(const char *schema, const char *file)
{
	char *cmd = xasprintf("sh '%s/scripts/validate-json.sh' '%s/docs/schema/%s' '%s'", root(), root(),
			      schema, file);
	int st = system(cmd);

	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

START_TEST(quick_run_writes_valid_verified_json)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/r.json", dir);
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc, *results, *cell;
	size_t i, serial = 0;
	int v;

	tvp_run_cli(&c, 120, "run", "--quick", "--workload", "count", "--mode", "all", "--workers", "1,3",
		    "--repeat", "3", "--quiet", "--output", out, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", out, jerr.text);
	ck_assert_str_eq(json_string_value(json_object_get(doc, "schema")), "tvp.results/2");
	ck_assert(json_is_false(json_object_get(doc, "interrupted")));
	results = json_object_get(doc, "results");
	ck_assert_uint_gt(json_array_size(results), 0);
	json_array_foreach(results, i, cell) {
		const char *mode = json_string_value(json_object_get(cell, "mode"));
		ck_assert_msg(json_is_true(json_object_get(cell, "verified")), "%s not verified", mode);
		ck_assert_uint_eq(json_array_size(json_object_get(cell, "samples")), 3);
		ck_assert(json_number_value(json_object_get(json_object_get(cell, "stats"), "median_ns")) > 0);
		ck_assert(json_number_value(json_object_get(cell, "speedup")) > 0);
		ck_assert(json_number_value(json_object_get(cell, "ns_per_iter")) > 0);
		if (strcmp(mode, "serial") == 0) {
			serial++;
			ck_assert(json_number_value(json_object_get(cell, "speedup")) == 1.0);
		}
	}
	ck_assert_uint_eq(serial, 1);
	json_decref(doc);
	v = validate("tvp.results-2.schema.json", out);
	if (v == 77)
		fprintf(stderr, "schema check skipped: no python3-jsonschema\n");
	else
		ck_assert_msg(v == 0, "the JSON does not validate against the schema (exit %d)", v);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
	tvp_assert_no_children();
}
END_TEST

START_TEST(stdout_output_is_json_alone)
{
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc;

	tvp_run_cli(&c, 60, "run", "--quick", "--mode", "serial", "--repeat", "1", "--warmup", "0",
		    "--output", "-", NULL);
	ck_assert_int_eq(c.status, 0);
	doc = json_loads(c.out, 0, &jerr);
	ck_assert_msg(doc, "stdout is not JSON alone: %s", jerr.text);
	json_decref(doc);
	tvp_cmd_free(&c);
}
END_TEST

START_TEST(python_cells_beside_c)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/py.json", dir);
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc, *cell;
	size_t i, py = 0;

	tvp_run_cli(&c, 120, "run", "--quick", "--workload", "count", "--mode", "thread-pool,fork-pool",
		    "--workers", "2", "--repeat", "2", "--python", "--quiet", "--output", out, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s", jerr.text);
	json_array_foreach(json_object_get(doc, "results"), i, cell) {
		if (strcmp(json_string_value(json_object_get(cell, "lang")), "python") != 0)
			continue;
		py++;
		ck_assert(json_is_true(json_object_get(cell, "verified")));
		ck_assert_uint_eq(json_array_size(json_object_get(cell, "samples")), 2);
		ck_assert(json_is_string(json_object_get(cell, "api")));
	}
	/* serial, thread-pool x2, fork-pool x2 */
	ck_assert_uint_eq(py, 3);
	json_decref(doc);
	if (validate("tvp.results-2.schema.json", out) != 77)
		ck_assert_int_eq(validate("tvp.results-2.schema.json", out), 0);

	/* No interpreter: the C cells still run; the run says what it skipped. */
	setenv("TVP_PYTHON", "/nonexistent/python3", 1);
	tvp_run_cli(&c, 60, "run", "--quick", "--mode", "serial", "--repeat", "1", "--python", "--quiet",
		    "--output", out, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.err, "Python cells skipped"), "%s", c.err);
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
	tvp_assert_no_children();
}
END_TEST

static bool dir_has_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	bool found = false;

	while (d && (e = readdir(d)))
		found |= strstr(e->d_name, ".tmp") != NULL;
	if (d)
		closedir(d);
	return found;
}

START_TEST(sigint_writes_what_was_measured)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/i.json", dir);
	const char *bin = getenv("TVP_BIN");
	json_error_t jerr;
	json_t *doc, *cell;
	pid_t pid;
	int st;
	size_t i, samples = 0;

	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		tvp_child_to_devnull();
		execl(bin, bin, "run", "--workload", "count", "--mode", "serial", "--size", "2M",
		      "--tasks", "2", "--warmup", "0", "--repeat", "100000", "--output", out, (char *)NULL);
		_exit(127);
	}
	sleep_ns(1500000000);   /* long enough for some samples, far from the end */
	kill(pid, SIGINT);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 130, "exit status %d", st);
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s: %s", out, jerr.text);
	ck_assert(json_is_true(json_object_get(doc, "interrupted")));
	json_array_foreach(json_object_get(doc, "results"), i, cell)
		samples += json_array_size(json_object_get(cell, "samples"));
	ck_assert_uint_gt(samples, 0);
	json_decref(doc);
	ck_assert_msg(!dir_has_tmp(dir), "a temporary file was left in %s", dir);
	if (validate("tvp.results-2.schema.json", out) != 77)
		ck_assert_int_eq(validate("tvp.results-2.schema.json", out), 0);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}
END_TEST

static size_t count_lines_with(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p += strlen(what))
		n++;
	return n;
}

/* A made-up topology cannot be bound to: every worker reports pinned 0, and
 * the run loop decides. With --pin-strict the cell fails, naming the worker
 * and its CPUs; without it the run goes on and says so on stderr. */
START_TEST(failed_binding_strict_or_warned)
{
	struct tvp_cmd c;

	setenv("HWLOC_SYNTHETIC", "pack:1 core:2 pu:1", 1);
	tvp_run_cli(&c, 60, "run", "--quick", "--mode", "thread-pool", "--workers", "2", "--pin",
		    "compact", "--warmup", "0", "--repeat", "1", "--pin-strict", "--quiet", "--output",
		    "-", NULL);
	ck_assert_msg(c.status == 1, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.err, "cannot bind worker 0 (thread) to CPUs 0") &&
		      strstr(c.err, "(--pin-strict)"), "%s", c.err);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 60, "run", "--quick", "--mode", "thread-pool", "--workers", "2", "--pin",
		    "compact", "--warmup", "0", "--repeat", "2", "--quiet", "--output", "-", NULL);
	unsetenv("HWLOC_SYNTHETIC");
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	/* Once per run, however many workers and samples; the runtime itself
	 * prints nothing. */
	ck_assert_msg(count_lines_with(c.err, "tvp: warning: cannot bind worker") == 1, "%s", c.err);
	ck_assert_msg(strstr(c.err, "such workers run unpinned"), "%s", c.err);
	tvp_cmd_free(&c);
	tvp_assert_no_children();
}
END_TEST

static Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tvp_tcase(s, "bad", 60);

	tcase_add_loop_test(tc, bad_command_lines_exit_2, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, top_level);
	tcase_add_test(tc, help_and_version_as_commands);
	tcase_add_test(tc, defaults_read_the_results_folder);
	tcase_add_loop_test(tc, opt_equals_value_and_double_dash_alike, 0, sizeof alike / sizeof alike[0]);
	tcase_add_loop_test(tc, bad_option_forms_exit_2, 0, sizeof bad_forms / sizeof bad_forms[0]);
	tc = tvp_tcase(s, "runs", 180);
	tcase_add_test(tc, quick_run_writes_valid_verified_json);
	tcase_add_test(tc, stdout_output_is_json_alone);
	tcase_add_test(tc, sigint_writes_what_was_measured);
	tcase_add_test(tc, python_cells_beside_c);
	tcase_add_test(tc, failed_binding_strict_or_warned);
	return s;
}

TVP_TEST_MAIN(cli_suite)
