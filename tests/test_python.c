/* test_python.c: the Python reference scripts and their runner
 * (bench/python.c): every process mode under each start method, the
 * transfer and net scripts verifying their results, what a failing script
 * says, a script that prints without end, and `tvp run --python` from the
 * command line: Python cells by --start method, transfer and net cells,
 * interrupted too. Tests that need python3 skip without it. */
#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "bench/python.h"
#include "bench/util.h"
#include "workloads/net_server.h"

static const char *const starts[] = { "fork", "spawn", "forkserver" };
static const char *const process_modes[] = { "fork-pool", "executor-fork", "fork-spawn" };

/* Skips the test without python3; points the runner at the source tree's
 * scripts. */
static void need_python(void)
{
	const char *r = getenv("TVP_ROOT");
	char *dir = xasprintf("%s/workloads/python", r && *r ? r : ".");

	if (system("python3 -c pass >/dev/null 2>&1") != 0)
		tvp_skip("python3 not found");
	setenv("TVP_PYTHON_DIR", dir, 1);
	free(dir);
}

/* A stand-in interpreter (TVP_PYTHON) in a fresh directory: a shell script
 * with the given body. Returns the directory; remove it with tvp_rm_rf. */
static char *fake_python(const char *body)
{
	char *dir = tvp_tmpdir(), *path = xasprintf("%s/python3", dir);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	ck_assert_int_eq(chmod(path, 0755), 0);
	setenv("TVP_PYTHON", path, 1);
	free(path);
	return dir;
}

static bool is_python(const json_t *cell)
{
	return strcmp(json_string_value(json_object_get(cell, "lang")), "python") == 0;
}

/* Runs SCRIPT.py with args (NULL-terminated) and checks that it verified
 * its results and started its workers by start. */
static void run_verified(const char *script, const char *const *args, const char *start)
{
	char *name = xasprintf("%s.py", script), *path = python_script_path(name), err[512] = "";
	json_t *out = NULL;
	int rc = python_run_json(path, args, &out, err, sizeof err);

	ck_assert_msg(rc == 0, "%s %s --start %s: %s", script, args[1], start, err);
	ck_assert_msg(json_is_true(json_object_get(out, "results_ok")), "%s %s --start %s: %s", script,
		      args[1], start, json_string_value(json_object_get(out, "error")));
	ck_assert_str_eq(json_string_value(json_object_get(out, "start_method")), start);
	ck_assert_uint_eq(json_array_size(json_object_get(out, "wall_ns")), 2);
	json_decref(out);
	free(path);
	free(name);
}

/* transfer.py in each process mode (the loop's index) under each start
 * method: 3 tasks of 100000 bytes, each pickled back and compared byte for
 * byte. */
START_TEST(transfer_by_start_method)
{
	const char *mode = process_modes[_i];

	need_python();
	for (size_t s = 0; s < ARRAY_SIZE(starts); s++) {
		const char *args[] = { "--mode", mode, "--start", starts[s], "--workers", "2", "--tasks", "3",
				       "--size", "100000", "--repeat", "2", NULL };

		run_verified("transfer", args, starts[s]);
	}
	tvp_assert_no_children();
}
END_TEST

/* net.py likewise, against tvp's own server: each body checked against the
 * server's pattern and size. */
START_TEST(net_by_start_method)
{
	const char *mode = process_modes[_i];
	struct net_server srv = { 0 };
	char err[256], url[64];

	need_python();
	ck_assert_msg(net_server_start(&srv, 3000, 1000000, err, sizeof err) == 0, "%s", err);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/", srv.port);
	for (size_t s = 0; s < ARRAY_SIZE(starts); s++) {
		const char *args[] = { "--mode", mode, "--start", starts[s], "--workers", "2", "--tasks", "3",
				       "--size", "3000", "--repeat", "2", "--url", url, "--tvp-server",
				       NULL };

		run_verified("net", args, starts[s]);
	}
	net_server_stop(&srv);
	tvp_assert_no_children();
}
END_TEST

/* A body of another size than --size is a wrong result, and the runner's
 * message names the task and what it returned. */
START_TEST(net_wrong_body_is_named)
{
	struct net_server srv = { 0 };
	char err[512], url[64], *path;
	const char *args[] = { "--mode", "thread-pool", "--workers", "2", "--tasks", "2", "--size",
			       "100", "--url", url, "--tvp-server", NULL };
	json_t *out = NULL;

	need_python();
	ck_assert_msg(net_server_start(&srv, 99, 0, err, sizeof err) == 0, "%s", err);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/", srv.port);
	path = python_script_path("net.py");
	ck_assert_int_eq(python_run_json(path, args, &out, err, sizeof err), -EIO);
	ck_assert_msg(strstr(err, "failed (exit status 1): task 0 returned (200, 99, "), "%s", err);
	net_server_stop(&srv);
	free(path);
}
END_TEST

/* A script that dies says why: the last line of its stderr. */
START_TEST(failure_says_the_last_line_of_stderr)
{
	char *dir = fake_python("echo 'Traceback (most recent call last):' >&2\n"
				"echo '  File \"x.py\", line 1' >&2\n"
				"echo 'ValueError: no such start method' >&2\nexit 1");
	const char *args[] = { NULL };
	char err[512];
	json_t *out = NULL;

	ck_assert_int_eq(python_run_json("x.py", args, &out, err, sizeof err), -EIO);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(err, "failed (exit status 1): ValueError: no such start method"), "%s",
		      err);
	unsetenv("TVP_PYTHON");
	tvp_rm_rf(dir);
	free(dir);
}
END_TEST

/* Whether process pid exists and is not a zombie (one whose reaper has
 * not waited for it yet is dead all the same). */
static bool running(pid_t pid)
{
	char *path = xasprintf("/proc/%d/stat", (int)pid), state = 0;
	FILE *f = fopen(path, "r");

	free(path);
	if (!f)
		return false;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state != 0 && state != 'Z';
}

/* A script that prints without end is cut off at PYTHON_OUTPUT_MAX and
 * killed with everything it started (here a sleep, as a pool's workers),
 * and says so. */
START_TEST(endless_output_is_cut_off)
{
	char *dir = tvp_tmpdir(), *body = xasprintf("sleep 300 &\necho $! >'%s/pid'\n"
						     "exec yes '{\"wall_ns\": [1]}'", dir);
	char *pydir = fake_python(body), *pidfile = xasprintf("%s/pid", dir);
	const char *args[] = { NULL };
	char err[512];
	json_t *out = NULL;
	FILE *f;
	int worker = 0;

	ck_assert_int_eq(python_run_json("x.py", args, &out, err, sizeof err), -EMSGSIZE);
	ck_assert_ptr_null(out);
	ck_assert_msg(strstr(err, "printed more than 1048576 bytes"), "%s", err);
	f = fopen(pidfile, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d", &worker), 1);
	fclose(f);
	for (int k = 0; k < 100 && running(worker); k++)
		sleep_ns(50000000);
	ck_assert_msg(!running(worker), "the script's own child %d outlived it", worker);
	unsetenv("TVP_PYTHON");
	tvp_rm_rf(pydir);
	free(pydir);
	free(pidfile);
	free(body);
	tvp_rm_rf(dir);
	free(dir);
	tvp_assert_no_children();
}
END_TEST

/* `tvp run --quick --workload count --mode MODE --start START --repeat 1
 * --python` with a stand-in interpreter that answers the probe and then
 * does cell (shell), within 30 s (a cell that waits longer fails the
 * test). Returns the JSON it wrote (decref it); *c holds its exit status
 * and messages (free it). */
static json_t *run_with_stand_in(const char *cell, const char *mode, const char *start,
				 struct tvp_cmd *c)
{
	char *body = xasprintf("case \"$*\" in *--list-modes*) echo '{}'; exit 0;; esac\n%s", cell);
	char *dir = fake_python(body), *out = xasprintf("%s/r.json", dir);
	json_t *doc;

	tvp_run_cli(c, 30, "run", "--quick", "--workload", "count", "--mode", mode, "--start", start,
		    "--workers", "2", "--repeat", "1", "--python", "--quiet", "--output", out, NULL);
	doc = json_load_file(out, 0, NULL);
	ck_assert_msg(doc, "no JSON (exit %d): %s", c->status, c->err);
	unsetenv("TVP_PYTHON");
	tvp_rm_rf(dir);
	free(out);
	free(dir);
	free(body);
	return doc;
}

/* The same through `tvp run --python`: the Python cell fails with that
 * message, in the JSON too, and the run goes on to write it (exit 1). */
START_TEST(endless_output_fails_the_cell)
{
	struct tvp_cmd c;
	json_t *doc = run_with_stand_in("exec yes '{\"wall_ns\": [1]}'", "serial", "fork", &c), *cell;
	size_t i, failed = 0;

	ck_assert_msg(c.status == 1, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.err, "tvp: python count serial x1: ") &&
		      strstr(c.err, "printed more than 1048576 bytes"), "%s", c.err);
	tvp_cmd_free(&c);
	json_array_foreach(json_object_get(doc, "results"), i, cell)
		if (is_python(cell)) {
			ck_assert(strstr(json_string_value(json_object_get(cell, "error")),
					 "printed more than"));
			failed++;
		}
	ck_assert_uint_eq(failed, 1);
	json_decref(doc);
}
END_TEST

/* A script that started its workers another way than --start asked (a
 * stand-in that always says fork) fails that cell, not the serial one. */
START_TEST(another_start_method_fails_the_cell)
{
	struct tvp_cmd c;
	json_t *doc = run_with_stand_in("echo '{\"wall_ns\": [1000], \"results_ok\": true, "
					"\"start_method\": \"fork\", \"python\": {}}'",
					"fork-pool", "spawn", &c), *cell;
	size_t i, failed = 0;

	ck_assert_msg(c.status == 1, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.err, "tvp: python count fork-pool x2 spawn: ") &&
		      strstr(c.err, "started its workers by 'fork', not 'spawn'"), "%s", c.err);
	tvp_cmd_free(&c);
	json_array_foreach(json_object_get(doc, "results"), i, cell)
		if (is_python(cell))
			failed += !json_is_null(json_object_get(cell, "error"));
	ck_assert_uint_eq(failed, 1);
	json_decref(doc);
}
END_TEST

/* `tvp run --quick --python --workers 2` of workloads in modes under
 * start methods, repeat rounds; it must exit 0. Returns its JSON (decref
 * it). */
static json_t *run_python_cells(const char *workloads, const char *modes, const char *starts_list,
				const char *repeat)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/r.json", dir);
	struct tvp_cmd c;
	json_t *doc;

	tvp_run_cli(&c, 170, "run", "--quick", "--workload", workloads, "--mode", modes, "--start",
		    starts_list, "--workers", "2", "--repeat", repeat, "--python", "--quiet", "--output",
		    out, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	doc = json_load_file(out, 0, NULL);
	ck_assert_ptr_nonnull(doc);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
	tvp_assert_no_children();
	return doc;
}

/* `tvp run --python --start fork,spawn,forkserver`: a Python cell per
 * method for each process mode (fork-spawn: a multiprocessing.Process per
 * task), each verified, each recording its method. */
START_TEST(cells_by_start_method)
{
	size_t i, seen[ARRAY_SIZE(process_modes)][ARRAY_SIZE(starts)] = { { 0 } }, serial = 0;
	json_t *doc, *cell;

	need_python();
	doc = run_python_cells("count", "fork-pool,executor-fork,fork-spawn", "fork,spawn,forkserver",
			       "1");
	json_array_foreach(json_object_get(doc, "results"), i, cell) {
		const char *mode = json_string_value(json_object_get(cell, "mode"));
		const char *start = json_string_value(json_object_get(cell, "start"));

		if (!is_python(cell))
			continue;
		ck_assert_msg(json_is_true(json_object_get(cell, "verified")), "%s %s: %s", mode,
			      start ? start : "", json_string_value(json_object_get(cell, "error")));
		if (strcmp(mode, "serial") == 0) {
			serial++;
			continue;
		}
		ck_assert_ptr_nonnull(start);
		for (size_t m = 0; m < ARRAY_SIZE(process_modes); m++)
			for (size_t s = 0; s < ARRAY_SIZE(starts); s++)
				seen[m][s] += !strcmp(mode, process_modes[m]) && !strcmp(start, starts[s]);
	}
	ck_assert_uint_eq(serial, 1);
	for (size_t m = 0; m < ARRAY_SIZE(process_modes); m++)
		for (size_t s = 0; s < ARRAY_SIZE(starts); s++)
			ck_assert_msg(seen[m][s] == 1, "%s %s: %zu cells", process_modes[m], starts[s],
				      seen[m][s]);
	json_decref(doc);
}
END_TEST

/* `tvp run --python` with transfer and net: the C cells and the Python
 * cells (serial, thread-pool x2, fork-pool x2 of each) all verify. */
START_TEST(transfer_and_net_cells_verify)
{
	size_t i, py[2] = { 0, 0 };
	json_t *doc, *cell;

	need_python();
	doc = run_python_cells("transfer,net", "thread-pool,fork-pool", "fork", "2");
	json_array_foreach(json_object_get(doc, "results"), i, cell) {
		const char *wl = json_string_value(json_object_get(cell, "workload"));

		ck_assert_msg(json_is_true(json_object_get(cell, "verified")), "%s %s not verified: %s", wl,
			      json_string_value(json_object_get(cell, "mode")),
			      json_string_value(json_object_get(cell, "error")));
		if (is_python(cell)) {
			py[strcmp(wl, "net") == 0]++;
			ck_assert_uint_eq(json_array_size(json_object_get(cell, "samples")), 2);
		}
	}
	ck_assert_uint_eq(py[0], 3);
	ck_assert_uint_eq(py[1], 3);
	json_decref(doc);
}
END_TEST

/* SIGINT while a Python cell runs (a stand-in that sends it to tvp, its
 * parent, then waits): tvp stops the script at once, exits 130 and writes
 * the JSON with "interrupted": true. */
START_TEST(sigint_during_a_python_cell)
{
	struct tvp_cmd c;
	json_t *doc = run_with_stand_in("kill -INT $PPID\nexec sleep 60", "serial", "fork", &c);

	ck_assert_msg(c.status == 130, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.err, "interrupted (SIGINT)"), "%s", c.err);
	tvp_cmd_free(&c);
	ck_assert(json_is_true(json_object_get(doc, "interrupted")));
	json_decref(doc);
	tvp_assert_no_children();
}
END_TEST

/* tvp killed outright while a Python cell runs: the script dies with it
 * (its parent-death signal), instead of running on unwatched. */
START_TEST(script_dies_with_tvp)
{
	char *dir = tvp_tmpdir(), *body = xasprintf("case \"$*\" in *--list-modes*) echo '{}'; exit 0;; "
						     "esac\necho $$ $PPID >'%s/pid'\nkill -KILL $PPID\n"
						     "exec sleep 60", dir);
	char *pydir = fake_python(body), *pidfile = xasprintf("%s/pid", dir);
	struct tvp_cmd c;
	FILE *f;
	int script = 0, tvp = 0;
	glob_t left;

	tvp_run_cli(&c, 30, "run", "--quick", "--workload", "count", "--mode", "serial", "--repeat", "1",
		    "--python", "--quiet", "--output", "-", NULL);
	ck_assert_msg(c.status == 128 + SIGKILL, "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	f = fopen(pidfile, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%d %d", &script, &tvp), 2);
	fclose(f);
	/* The killed run left its journal (for --resume) in the results
	 * folder, as it should: it is this test's to remove. */
	{
		char *pat = xasprintf("results/tvp-%d-*.journal", tvp);

		if (glob(pat, 0, NULL, &left) == 0) {
			for (size_t i = 0; i < left.gl_pathc; i++)
				unlink(left.gl_pathv[i]);
			globfree(&left);
		}
		free(pat);
	}
	for (int k = 0; k < 100 && running(script); k++)
		sleep_ns(50000000);
	ck_assert_msg(!running(script), "the script %d outlived tvp", script);
	unsetenv("TVP_PYTHON");
	tvp_rm_rf(pydir);
	tvp_rm_rf(dir);
	free(pydir);
	free(pidfile);
	free(body);
	free(dir);
}
END_TEST

static Suite *python_suite(void)
{
	Suite *s = suite_create("python");
	TCase *tc = tvp_tcase(s, "scripts", 240);

	tcase_add_loop_test(tc, transfer_by_start_method, 0, ARRAY_SIZE(process_modes));
	tcase_add_loop_test(tc, net_by_start_method, 0, ARRAY_SIZE(process_modes));
	tcase_add_test(tc, net_wrong_body_is_named);
	tc = tvp_tcase(s, "runner", 60);
	tcase_add_test(tc, failure_says_the_last_line_of_stderr);
	tcase_add_test(tc, endless_output_is_cut_off);
	tc = tvp_tcase(s, "cli", 180);
	tcase_add_test(tc, cells_by_start_method);
	tcase_add_test(tc, endless_output_fails_the_cell);
	tcase_add_test(tc, another_start_method_fails_the_cell);
	tcase_add_test(tc, transfer_and_net_cells_verify);
	tcase_add_test(tc, sigint_during_a_python_cell);
	tcase_add_test(tc, script_dies_with_tvp);
	return s;
}

TVP_TEST_MAIN(python_suite)
