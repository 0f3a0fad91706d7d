/* test_fileio.c: the fileio workload: results in every way a mode runs tasks,
 * the private directory, and nothing left behind after success, after a
 * failed setup, after a failed write and after a worker killed mid-write.
 *
 * The tests run as root, where a chmod 0500 directory is still writable. The
 * unwritable places used instead refuse root too: /sys (sysfs refuses
 * mkdir: EPERM), a regular file given as --dir (ENOTDIR) and a path that does
 * not exist (ENOENT); chmod 0500 is tried as well when not root. A write that
 * fails half way is made with RLIMIT_FSIZE in a forked worker (EFBIG, the
 * same path through the code as ENOSPC on a full disk). Ctrl-C is tested on
 * build/tvp itself: SIGINT while a task writes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "wltest.h"
#include "bench/util.h"

/* Entries in dir other than . and .. (-1 if it cannot be read); the last
 * one's name goes into name. */
static int entries(const char *dir, char *name, size_t len)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			n++;
			if (name)
				snprintf(name, len, "%s/%s", dir, e->d_name);
		}
	closedir(d);
	return n;
}

/* The one private directory setup made in base. */
static void private_dir(const char *base, char *path, size_t len)
{
	ck_assert_int_eq(entries(base, path, len), 1);
	ck_assert_msg(strstr(path, "/tvp-fileio-"), "%s", path);
}

static const char *const sizes[] = { "1", "13", "64K", "1048579" };

START_TEST(every_way_verifies_and_cleans_up)
{
	char *base = tvp_tmpdir(), priv[600];
	struct stat sb;
	struct wlt t;

	wlt_init(&t, "fileio", sizes[_i], "dir", base, NULL);
	wlt_setup(&t);
	private_dir(base, priv, sizeof priv);
	ck_assert_int_eq(stat(priv, &sb), 0);
	ck_assert_msg((sb.st_mode & 0777) == 0700, "mode %o", sb.st_mode & 0777);
	wlt_run_serial(&t, 3);
	ck_assert_int_eq(entries(priv, NULL, 0), 0);
	wlt_run_threads(&t, 6, 3);
	ck_assert_int_eq(entries(priv, NULL, 0), 0);
	wlt_run_forked(&t, 6, 3);
	ck_assert_int_eq(entries(priv, NULL, 0), 0);
	wlt_teardown(&t);
	ck_assert_int_eq(entries(base, NULL, 0), 0);
	tvp_rm_rf(base);
	free(base);
	tvp_assert_no_children();
}
END_TEST

START_TEST(uses_tmpdir_by_default)
{
	char *base = tvp_tmpdir(), priv[600];
	struct wlt t;

	setenv("TMPDIR", base, 1);
	wlt_init(&t, "fileio", "4K", NULL);
	wlt_setup(&t);
	private_dir(base, priv, sizeof priv);
	wlt_run_serial(&t, 2);
	wlt_teardown(&t);
	ck_assert_int_eq(entries(base, NULL, 0), 0);
	tvp_rm_rf(base);
	free(base);
}
END_TEST

static void expect_setup_fails(const char *dir, const char *errno_text)
{
	struct wlt t;
	char err[512] = "";
	int rc;

	wlt_init(&t, "fileio", "4K", "dir", dir, NULL);
	rc = wlt_try_setup(&t, err, sizeof err);
	ck_assert_msg(rc < 0, "setup in %s succeeded", dir);
	ck_assert_msg(strstr(err, dir) && strstr(err, errno_text),
		      "message names %s and says '%s': %s", dir, errno_text, err);
}

START_TEST(unwritable_dir_is_a_clear_setup_error)
{
	char *base = tvp_tmpdir();
	char *file = xasprintf("%s/plain-file", base), *missing = xasprintf("%s/no/such", base);
	int fd = open(file, O_CREAT | O_WRONLY, 0600);

	ck_assert(fd >= 0);
	close(fd);
	expect_setup_fails("/sys", strerror(EPERM));
	expect_setup_fails(file, strerror(ENOTDIR));
	expect_setup_fails(missing, strerror(ENOENT));
	if (geteuid() != 0) {
		char *ro = xasprintf("%s/ro", base);
		ck_assert_int_eq(mkdir(ro, 0500), 0);
		expect_setup_fails(ro, strerror(EACCES));
		free(ro);
	}
	/* Nothing was made: the test directory holds only the plain file. */
	ck_assert_int_eq(entries(base, NULL, 0), 1);
	tvp_rm_rf(base);
	free(base);
	free(file);
	free(missing);
}
END_TEST

/* A forked worker whose writes fail after 4 KiB (RLIMIT_FSIZE) runs a 64 KiB
 * task: the task fails with a message naming the file and the errno text,
 * and removes its file. */
START_TEST(failed_write_is_a_clear_error_and_leaves_nothing)
{
	char *base = tvp_tmpdir(), priv[600], msg[600] = "";
	struct wlt t;
	int p[2], st;
	pid_t pid;
	ssize_t n;

	wlt_init(&t, "fileio", "64K", "dir", base, NULL);
	wlt_setup(&t);
	private_dir(base, priv, sizeof priv);
	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };
		struct task_result r = TASK_RESULT_INIT;
		int rc;

		close(p[0]);
		signal(SIGXFSZ, SIG_IGN);   /* so write() fails with EFBIG instead */
		setrlimit(RLIMIT_FSIZE, &rl);
		rc = wlt_task(&t, 5, &r);
		write_full(p[1], task_result_data(&r), r.len);
		_exit(rc == -EFBIG ? 0 : 1);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof msg - 1);
	ck_assert(n > 0);
	msg[n] = '\0';
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "task did not fail with EFBIG: %s",
		      msg);
	ck_assert_msg(strstr(msg, priv) && strstr(msg, "/f5") && strstr(msg, strerror(EFBIG)),
		      "message names the file and the error: %s", msg);
	ck_assert_int_eq(entries(priv, NULL, 0), 0);
	wlt_teardown(&t);
	ck_assert_int_eq(entries(base, NULL, 0), 0);
	tvp_rm_rf(base);
	free(base);
	tvp_assert_no_children();
}
END_TEST

/* A worker killed in the middle of a large write leaves its file behind;
 * teardown (which the run loop calls after an interrupt) removes it and the
 * directory. */
START_TEST(teardown_removes_what_a_killed_worker_left)
{
	char *base = tvp_tmpdir(), priv[600];
	struct wlt t;
	pid_t pid;
	int st, files = 0;

	wlt_init(&t, "fileio", "1G", "dir", base, NULL);
	wlt_setup(&t);
	private_dir(base, priv, sizeof priv);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		struct task_result r = TASK_RESULT_INIT;
		_exit(wlt_task(&t, 0, &r) == 0 ? 0 : 1);
	}
	for (int i = 0; i < 500 && files == 0; i++) {
		sleep_ns(2000000);
		files = entries(priv, NULL, 0);
	}
	ck_assert_int_eq(files, 1);
	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFSIGNALED(st));
	ck_assert_int_eq(entries(priv, NULL, 0), 1);
	wlt_teardown(&t);
	ck_assert_int_eq(entries(base, NULL, 0), 0);
	tvp_rm_rf(base);
	free(base);
	tvp_assert_no_children();
}
END_TEST

START_TEST(verify_catches_a_wrong_checksum)
{
	char *base = tvp_tmpdir();
	struct wlt t;
	struct task_result r = TASK_RESULT_INIT;
	char err[256] = "";
	unsigned char *p;

	wlt_init(&t, "fileio", "4K", "dir", base, NULL);
	wlt_setup(&t);
	ck_assert_int_eq(wlt_task(&t, 2, &r), 0);
	ck_assert(t.wi.wl->verify(&t.wi, 2, &r, err, sizeof err));
	p = task_result_reserve(&r, r.len);   /* inline: reserve keeps the bytes */
	p[16] ^= 1;                           /* the checksum field */
	ck_assert(!t.wi.wl->verify(&t.wi, 2, &r, err, sizeof err));
	ck_assert_msg(strstr(err, "checksum"), "%s", err);
	task_result_release(&r);
	wlt_teardown(&t);
	tvp_rm_rf(base);
	free(base);
}
END_TEST

/* build/tvp run --workload fileio, interrupted with SIGINT while a task is
 * writing: tvp exits 130 and the --dir it was given is empty again. */
START_TEST(ctrl_c_leaves_nothing)
{
	const char *bin = getenv("TVP_BIN");
	char *base = tvp_tmpdir(), *out = xasprintf("%s.json", base), priv[600];
	int st, files = 0;
	pid_t pid;

	ck_assert_msg(bin && *bin, "TVP_BIN is not set (run the tests through make test)");
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		tvp_child_to_devnull();
		execl(bin, bin, "run", "--workload", "fileio", "--size", "256M", "--mode", "serial",
		      "--workers", "1", "--tasks", "4", "--repeat", "50", "--dir", base, "--quiet",
		      "--output", out, (char *)NULL);
		_exit(127);
	}
	/* Wait until a task's file exists inside the private directory. */
	for (int i = 0; i < 2500 && files == 0; i++) {
		sleep_ns(2000000);
		if (entries(base, priv, sizeof priv) == 1)
			files = entries(priv, NULL, 0);
	}
	ck_assert_msg(files > 0, "no file appeared in %s within 5 s", base);
	kill(pid, SIGINT);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 130, "tvp ended with status %#x", st);
	ck_assert_msg(entries(base, NULL, 0) == 0, "%s is not empty after Ctrl-C", base);
	unlink(out);
	tvp_rm_rf(base);
	free(base);
	free(out);
	tvp_assert_no_children();
}
END_TEST

/* build/tvp runs it under every mode; the run loop checks every result
 * against serial's. */
START_TEST(cli_every_mode)
{
	char *out = wlt_json_path();
	char *base = tvp_tmpdir();
	struct tvp_cmd c;

	tvp_run_cli(&c, 90, "run", "--workload", "fileio", "--dir", base, "--quick", "--workers", "1,3", "--repeat", "1", "--warmup", "0", "--quiet", "--output", out, NULL);
	wlt_check_every_mode(&c, out, "fileio");
	tvp_cmd_free(&c);
	ck_assert_int_eq(entries(base, NULL, 0), 0);
	tvp_rm_rf(base);
	free(base);
	free(out);
	tvp_assert_no_children();
}
END_TEST

static Suite *fileio_suite(void)
{
	Suite *s = suite_create("fileio");

	tcase_add_loop_test(tvp_tcase(s, "modes", 60), every_way_verifies_and_cleans_up, 0,
			    (int)ARRAY_SIZE(sizes));
	tcase_add_test(tvp_tcase(s, "tmpdir", 10), uses_tmpdir_by_default);
	tcase_add_test(tvp_tcase(s, "unwritable", 10), unwritable_dir_is_a_clear_setup_error);
	tcase_add_test(tvp_tcase(s, "write_fails", 20), failed_write_is_a_clear_error_and_leaves_nothing);
	tcase_add_test(tvp_tcase(s, "killed", 30), teardown_removes_what_a_killed_worker_left);
	tcase_add_test(tvp_tcase(s, "verify", 10), verify_catches_a_wrong_checksum);
	tcase_add_test(tvp_tcase(s, "ctrl_c", 60), ctrl_c_leaves_nothing);
	tcase_add_test(tvp_tcase(s, "cli", 120), cli_every_mode);
	return s;
}

TVP_TEST_MAIN(fileio_suite)
