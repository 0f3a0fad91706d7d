/* test_hostile.c: what a hostile or careless user finds: numbers strtod
 * and strtoul would take but tvp must not (hex, signs, spaces), help and
 * lessons sent to a full disk, an export or a report that fills the disk
 * over a file already there, spreadsheet formulas in a CSV export.
 * Through build/tvp, as a user runs it. */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "bench/util.h"

/* Each case: the arguments after "run" (at most 4) and a word the message
 * must contain. */
static const struct {
	const char *args[5];
	const char *says;
} bad[] = {
	{ { "--workload", "count", "--size", "0x10" }, "0x10" },
	{ { "--workload", "fileio", "--size", "0x1K" }, "0x1K" },
	{ { "--workload", "mixed", "--cpu-fraction", "0x0.8" }, "cpu-fraction" },
	{ { "--workload", "mixed", "--cpu-fraction", " 0.5" }, "cpu-fraction" },
	{ { "--workload", "mixed", "--cpu-fraction", "+0.5" }, "cpu-fraction" },
	{ { "--workload", "net", "--url", "http://127.0.0.1:+1/" }, "--url" },
	{ { "--workload", "net", "--url", "http://127.0.0.1: 1/" }, "--url" },
};

START_TEST(lenient_numbers_refused)
{
	struct tvp_cmd c;
	const char *const *a = bad[_i].args;

	tvp_run_cli(&c, 30, "run", a[0], a[1], a[2], a[3], NULL);
	ck_assert_msg(c.status == 2, "run %s %s '%s': exit %d (stderr: %s)", a[1], a[2], a[3],
		      c.status, c.err);
	ck_assert_msg(strncmp(c.err, "tvp:", 4) == 0, "message starts with tvp: '%s'", c.err);
	ck_assert_msg(strstr(c.err, bad[_i].says), "'%s' lacks '%s'", c.err, bad[_i].says);
	tvp_cmd_free(&c);
}
END_TEST

/* Runs tvp with stdout on /dev/full; returns its exit status. */
static int to_full_disk(const char *arg)
{
	const char *bin = getenv("TVP_BIN");
	pid_t pid = fork();
	int st;

	ck_assert(pid >= 0);
	if (pid == 0) {
		int full = open("/dev/full", O_WRONLY), nul = open("/dev/null", O_WRONLY);
		if (full < 0)
			_exit(77);
		dup2(full, 1);
		dup2(nul, 2);
		execl(bin, bin, arg, (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(stdout_failure_is_a_failure)
{
	int st = to_full_disk("--help");

	if (st == 77)
		return;   /* no /dev/full here */
	ck_assert_msg(st == 1, "tvp --help > /dev/full: exit %d", st);
	ck_assert_int_eq(to_full_disk("lesson"), 1);
	ck_assert_int_eq(to_full_disk("--version"), 1);
}
END_TEST

/* Runs tvp with args (NULL-terminated) where a file may not grow past
 * 4 KiB (RLIMIT_FSIZE, SIGXFSZ ignored: writes fail with EFBIG, as on a full
 * disk); returns its exit status. */
static int with_small_disk(const char *const *args)
{
	const char *bin = getenv("TVP_BIN");
	pid_t pid = fork();
	int st;

	ck_assert(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		int nul = open("/dev/null", O_WRONLY);

		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		dup2(nul, 1);
		dup2(nul, 2);
		execv(bin, (char *const *)args);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* An export or an HTML report that cannot be written whole fails and leaves
 * the file that was at the path (it was truncated, then half written). */
START_TEST(a_full_disk_keeps_the_file_there)
{
	char *dir = tvp_tmpdir(), *path = xasprintf("%s/out", dir);
	char *in = xasprintf("%s/tests/fixtures/full.json", getenv("TVP_ROOT"));
	const char *bin = getenv("TVP_BIN");
	const char *const export[] = { bin, "export", in, "--output", path, NULL };
	const char *const html[] = { bin, "report", in, "--overhead", "none", "--html", path, NULL };
	const char *const *cmds[] = { export, html };
	char buf[64];

	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(path, "w");
		size_t n;

		ck_assert(f && fputs("mine\n", f) >= 0 && fclose(f) == 0);
		ck_assert_int_eq(with_small_disk(cmds[i]), 1);
		f = fopen(path, "r");
		ck_assert(f);
		n = fread(buf, 1, sizeof buf - 1, f);
		fclose(f);
		buf[n] = '\0';
		ck_assert_msg(strcmp(buf, "mine\n") == 0, "%s: the file now holds '%.40s'", cmds[i][1], buf);
	}
	tvp_rm_rf(dir);
	free(in);
	free(path);
	free(dir);
}
END_TEST

/* OWASP: a CSV cell starting with = + - @ is quoted and prefixed with ';
 * negative numbers stay numbers. */
START_TEST(csv_formulas_defused)
{
	const char *r = getenv("TVP_ROOT");
	char *f = xasprintf("%s/tests/fixtures/old.json", r && *r ? r : ".");
	char *dir = tvp_tmpdir(), *g = xasprintf("%s/q.json", dir);
	json_t *doc = json_load_file(f, 0, NULL), *results;
	struct tvp_cmd c;

	ck_assert(doc);
	results = json_object_get(doc, "results");
	json_object_set_new(json_array_get(results, 0), "error", json_string("=cmd|' /C calc'!A0"));
	json_object_set_new(json_array_get(results, 1), "error", json_string("@SUM(1+1)"));
	json_object_set_new(json_array_get(results, 2), "error", json_string("-2+3"));
	json_object_set_new(json_array_get(results, 3), "error", json_string("-1.5"));
	ck_assert_int_eq(json_dump_file(doc, g, 0), 0);
	tvp_run_cli(&c, 30, "export", g, NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert_msg(strstr(c.out, ",\"'=cmd|' /C calc'!A0\""), "CSV: %s", c.out);
	ck_assert_msg(strstr(c.out, ",\"'@SUM(1+1)\""), "CSV: %s", c.out);
	ck_assert_msg(strstr(c.out, ",\"'-2+3\""), "CSV: %s", c.out);
	ck_assert_msg(strstr(c.out, ",-1.5"), "a negative number stays a number: %s", c.out);
	ck_assert_msg(!strstr(c.out, ",=") && !strstr(c.out, ",@"), "CSV: %s", c.out);
	tvp_cmd_free(&c);
	json_decref(doc);
	tvp_rm_rf(dir);
	free(g);
	free(dir);
	free(f);
}
END_TEST

static Suite *hostile_suite(void)
{
	Suite *s = suite_create("hostile");
	TCase *tc = tvp_tcase(s, "input", 60);

	tcase_add_loop_test(tc, lenient_numbers_refused, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, stdout_failure_is_a_failure);
	tcase_add_test(tc, a_full_disk_keeps_the_file_there);
	tcase_add_test(tc, csv_formulas_defused);
	return s;
}

TVP_TEST_MAIN(hostile_suite)
