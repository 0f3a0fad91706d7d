/* test_results.c: where tvp's results go and what survives: --output to a
 * device, a FIFO, a symbolic link, a directory; default names that never
 * collide; the umask; a full disk; and every terminating signal (partial
 * JSON, exit 128 + the signal, nothing temporary left). Through build/tvp,
 * as a user runs it. */
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "bench/util.h"

/* One quick measurement: a second or so of tvp run. */
#define QUICK "run", "--quick", "--quiet", "--mode", "serial", "--workers", "1", "--repeat", "1", \
	"--workload", "count"

/* How many entries of dir have a name containing part. */
static int count_names(const char *dir, const char *part)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	ck_assert_msg(d, "opendir %s", dir);
	while ((e = readdir(d)))
		n += strstr(e->d_name, part) != NULL;
	closedir(d);
	return n;
}

static mode_t file_type(const char *path)
{
	struct stat st;

	ck_assert_msg(lstat(path, &st) == 0, "lstat %s", path);
	return st.st_mode & S_IFMT;
}

static int wait_status(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(char_device_stays_a_device)
{
	char *dir = tvp_tmpdir(), *nul = xasprintf("%s/null", dir);
	struct tvp_cmd c;

	if (mknod(nul, S_IFCHR | 0666, makedev(1, 3)) != 0) {
		fprintf(stderr, "test_results: cannot mknod (not root?): skipped\n");
		goto out;
	}
	tvp_run_cli(&c, 60, QUICK, "--output", nul, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert_msg(file_type(nul) == S_IFCHR, "%s is no longer a character device", nul);
	ck_assert_int_eq(count_names(dir, "tmp"), 0);
	tvp_cmd_free(&c);
out:
	tvp_rm_rf(dir);
	free(nul);
	free(dir);
}
END_TEST

START_TEST(full_device_says_no_space)
{
	char *dir = tvp_tmpdir(), *full = xasprintf("%s/full", dir), *journal, *ok;
	const char *kept, *end;
	struct tvp_cmd c;

	if (mknod(full, S_IFCHR | 0666, makedev(1, 7)) != 0)
		goto out;
	tvp_run_cli(&c, 60, QUICK, "--output", full, NULL);
	ck_assert_msg(c.status == 1, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.err, "No space left on device"), "stderr: %s", c.err);
	ck_assert(file_type(full) == S_IFCHR);
	/* The measurements are kept in the journal, named; --resume writes
	 * them elsewhere, and the journal goes. */
	ck_assert_msg((kept = strstr(c.err, "kept in ")) && (end = strstr(kept, ": '")), "%s", c.err);
	journal = xasprintf("%.*s", (int)(end - kept - 8), kept + 8);
	ok = xasprintf("%s/ok.json", dir);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 60, "run", "--resume", journal, "--output", ok, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert(file_type(ok) == S_IFREG && access(journal, F_OK) != 0);
	tvp_cmd_free(&c);
	free(journal);
	free(ok);
out:
	tvp_rm_rf(dir);
	free(full);
	free(dir);
}
END_TEST

/* A file size limit (ulimit -f): the real cause, exit 1, and no temporary
 * file (SIGXFSZ is caught, the write fails with EFBIG). The journal stops
 * growing at the limit without ending the run, and is kept, named, since
 * the document could not be written. */
START_TEST(file_size_limit_says_too_large)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/big.json", dir);
	struct rlimit small = { 1024, 1024 };
	struct tvp_cmd c;

	ck_assert(setrlimit(RLIMIT_FSIZE, &small) == 0);   /* this test's process only */
	tvp_run_cli(&c, 60, QUICK, "--output", out, NULL);
	ck_assert_msg(c.status == 1, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.err, "File too large"), "stderr: %s", c.err);
	ck_assert_msg(strstr(c.err, "--resume"), "stderr: %s", c.err);
	ck_assert_int_eq(count_names(dir, ""), 3);   /* ., .. and the journal */
	ck_assert_int_eq(count_names(dir, "big.journal"), 1);
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}
END_TEST

START_TEST(fifo_reader_receives_the_json)
{
	char *dir = tvp_tmpdir(), *fifo = xasprintf("%s/fifo", dir);
	const char *args[] = { QUICK, "--output", fifo, NULL };
	json_error_t jerr;
	json_t *doc;
	FILE *f;
	pid_t pid;

	ck_assert(mkfifo(fifo, 0600) == 0);
	pid = tvp_spawn(NULL, args);
	f = fopen(fifo, "r");       /* blocks until tvp opens it to write */
	ck_assert(f);
	doc = json_loadf(f, 0, &jerr);
	fclose(f);
	ck_assert_int_eq(wait_status(pid), 0);
	ck_assert_msg(doc, "the reader got no JSON: %s", jerr.text);
	ck_assert(json_is_false(json_object_get(doc, "interrupted")));
	ck_assert(file_type(fifo) == S_IFIFO);
	json_decref(doc);
	tvp_rm_rf(dir);
	free(fifo);
	free(dir);
}
END_TEST

START_TEST(symlink_is_followed_not_replaced)
{
	char *dir = tvp_tmpdir(), *link = xasprintf("%s/link.json", dir);
	char *real = xasprintf("%s/real.json", dir), *dangling = xasprintf("%s/dangling.json", dir);
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc;

	ck_assert(close(open(real, O_WRONLY | O_CREAT, 0644)) == 0);
	ck_assert(symlink("real.json", link) == 0);
	tvp_run_cli(&c, 60, QUICK, "--output", link, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	ck_assert_msg(file_type(link) == S_IFLNK, "the link was replaced");
	doc = json_load_file(real, 0, &jerr);
	ck_assert_msg(doc, "the link's target holds no JSON: %s", jerr.text);
	json_decref(doc);
	/* A link to nothing is refused before the run. */
	ck_assert(symlink("nowhere/x.json", dangling) == 0);
	tvp_run_cli(&c, 10, QUICK, "--output", dangling, NULL);
	ck_assert_msg(c.status == 2, "exit %d: %s", c.status, c.err);
	ck_assert(file_type(dangling) == S_IFLNK);
	tvp_cmd_free(&c);
	ck_assert_int_eq(count_names(dir, "tmp"), 0);
	tvp_rm_rf(dir);
	free(dangling);
	free(real);
	free(link);
	free(dir);
}
END_TEST

/* /dev/stdout, /dev/fd/1 are stdout ("-"): the JSON alone reaches it. (The
 * test takes /dev/fd/1: code that renamed over the path cannot damage
 * /proc.) */
START_TEST(stdout_by_name_gets_the_json)
{
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc;

	tvp_run_cli(&c, 60, "run", "--quick", "--mode", "serial", "--workers", "1", "--repeat", "1",
		    "--workload", "count", "--output", "/dev/fd/1", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	doc = json_loads(c.out, 0, &jerr);
	ck_assert_msg(doc, "stdout is not the JSON alone: %s (%s)", jerr.text, c.out);
	json_decref(doc);
	tvp_cmd_free(&c);
}
END_TEST

/* A directory or an empty path is a usage error before any measurement:
 * exit 2 at once, for run (with a run that would take minutes) and
 * overhead. */
START_TEST(bad_paths_refused_before_measuring)
{
	char *dir = tvp_tmpdir();
	struct tvp_cmd c;
	uint64_t t0 = now_ns();

	tvp_run_cli(&c, 10, "run", "--workload", "count", "--repeat", "100000", "--output", dir, NULL);
	ck_assert_msg(c.status == 2, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.err, "Is a directory"), "stderr: %s", c.err);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "overhead", "--output", "", NULL);
	ck_assert_msg(c.status == 2, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strncmp(c.err, "tvp: ", 5) == 0, "stderr: %s", c.err);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "overhead", "--output", dir, NULL);
	ck_assert_msg(c.status == 2, "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	/* Gross: the three together take seconds only if one measured. */
	ck_assert_msg(now_ns() - t0 < 5000000000ull, "took %.1f s", (now_ns() - t0) / 1e9);
	ck_assert_int_eq(count_names(dir, ""), 2);   /* . and .. */
	tvp_rm_rf(dir);
	free(dir);
}
END_TEST

/* Default names: runs in the same second, one after another or at once,
 * keep one file each. */
START_TEST(default_names_never_collide)
{
	char *dir = tvp_tmpdir(), *res = xasprintf("%s/tvp/results", dir);
	const char *args[] = { QUICK, NULL };
	pid_t a, b;

	/* Outside a tvp tree the default folder is $XDG_DATA_HOME/tvp/results. */
	setenv("XDG_DATA_HOME", dir, 1);

	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(wait_status(tvp_spawn(dir, args)), 0);
	a = tvp_spawn(dir, args);
	b = tvp_spawn(dir, args);
	ck_assert_int_eq(wait_status(a), 0);
	ck_assert_int_eq(wait_status(b), 0);
	/* Five result files plus latest.json, whatever the clock did. */
	ck_assert_int_eq(count_names(res, ".json"), 6);
	ck_assert_int_eq(count_names(res, "tmp"), 0);
	unsetenv("XDG_DATA_HOME");
	tvp_rm_rf(dir);
	free(res);
	free(dir);
}
END_TEST

START_TEST(results_honour_the_umask)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/u.json", dir);
	struct tvp_cmd c;
	struct stat st;
	mode_t old = umask(077);

	tvp_run_cli(&c, 60, QUICK, "--output", out, NULL);
	umask(old);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert(stat(out, &st) == 0);
	ck_assert_msg((st.st_mode & 0777) == 0600, "mode %o under umask 077", st.st_mode & 0777);
	tvp_cmd_free(&c);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}
END_TEST

/* A long run of fileio (writing in dir), or tvp overhead, to be stopped. */
static pid_t long_run(const char *dir, const char *out, const char *command)
{
	if (strcmp(command, "overhead") == 0) {
		const char *args[] = { "overhead", "--output", out, NULL };
		return tvp_spawn(dir, args);
	}
	const char *args[] = { "run", "--workload", "fileio", "--dir", dir, "--mode", "serial",
			       "--workers", "1", "--warmup", "0", "--repeat", "100000", "--output", out,
			       NULL };
	return tvp_spawn(dir, args);
}

static const int stopping[] = { SIGHUP, SIGTERM, SIGQUIT, SIGUSR1, SIGUSR2, SIGXFSZ };

/* Stops command ("run" or "overhead") with sig far from its end; checks it
 * ended like Ctrl-C: exit 128 + sig, valid JSON with "interrupted": true,
 * no temporary file, no fileio directory. */
static void assert_ends_cleanly(const char *command, int sig)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/s.json", dir);
	json_error_t jerr;
	json_t *doc;
	pid_t pid = long_run(dir, out, command);

	sleep_ns(1500000000);
	kill(pid, sig);
	ck_assert_int_eq(wait_status(pid), 128 + sig);
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s, signal %d: %s: %s", command, sig, out, jerr.text);
	ck_assert(json_is_true(json_object_get(doc, "interrupted")));
	json_decref(doc);
	ck_assert_int_eq(count_names(dir, "tmp"), 0);
	ck_assert_int_eq(count_names(dir, "tvp-fileio-"), 0);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}

START_TEST(signals_end_a_run_cleanly)
{
	assert_ends_cleanly("run", stopping[_i]);
}
END_TEST

START_TEST(sighup_ends_overhead_cleanly)
{
	assert_ends_cleanly("overhead", SIGHUP);
}
END_TEST

/* SIGKILL cannot be caught: the temporary file must be one that vanishes
 * with the process. */
START_TEST(sigkill_leaves_no_temporary_file)
{
	char *dir = tvp_tmpdir(), *out = xasprintf("%s/k.json", dir);
	pid_t pid = long_run(dir, out, "run");

	sleep_ns(1000000000);
	kill(pid, SIGKILL);
	ck_assert_int_eq(wait_status(pid), 128 + SIGKILL);
	ck_assert_int_eq(count_names(dir, "k.json"), 0);
	/* The fileio directory is the workload's (its own issue); the output's
	 * temporary file is what must not be there. */
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}
END_TEST

static Suite *results_suite(void)
{
	Suite *s = suite_create("results");
	TCase *tc = tvp_tcase(s, "paths", 240);

	tcase_add_test(tc, char_device_stays_a_device);
	tcase_add_test(tc, full_device_says_no_space);
	tcase_add_test(tc, file_size_limit_says_too_large);
	tcase_add_test(tc, fifo_reader_receives_the_json);
	tcase_add_test(tc, symlink_is_followed_not_replaced);
	tcase_add_test(tc, stdout_by_name_gets_the_json);
	tcase_add_test(tc, bad_paths_refused_before_measuring);
	tcase_add_test(tc, default_names_never_collide);
	tcase_add_test(tc, results_honour_the_umask);
	tc = tvp_tcase(s, "signals", 120);
	tcase_add_loop_test(tc, signals_end_a_run_cleanly, 0, sizeof stopping / sizeof stopping[0]);
	tcase_add_test(tc, sighup_ends_overhead_cleanly);
	tcase_add_test(tc, sigkill_leaves_no_temporary_file);
	return s;
}

TVP_TEST_MAIN(results_suite)
