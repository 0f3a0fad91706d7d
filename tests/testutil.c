/* testutil.c: helpers shared by the test files (see testutil.h), part of
 * the test helper library every test binary links. */
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/util.h"

/* How a skip travels from a test's process to the runner: tvp_test_main
 * opens a temporary file before Check forks the tests, every test's
 * process inherits it, and a skipped test appends "name: why" at the shared
 * offset (the tests run one after the other) before it ends. */
static FILE *skip_log;
static bool skip_no_fork;   /* CK_FORK=no: the test is not a process of its own */

void tvp_skip(const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	/* Ending the process is how a test ends early and cleanly; without
	 * a process of its own, failing is the only way to stop. */
	if (!skip_log || skip_no_fork)
		ck_abort_msg("SKIP: %s (a failure under CK_FORK=no)", why);
	dprintf(fileno(skip_log), "%s: %s\n", tcase_name(), why);
	exit(0);   /* a clean end, which Check records as a pass */
}

int tvp_test_main(Suite *(*const make[])(void), size_t n)
{
	SRunner *sr = srunner_create(NULL);
	int ran, failed, skipped = 0;
	char line[1024];

	skip_log = tmpfile();
	if (!skip_log) {
		perror("tmpfile");
		return 1;
	}
	for (size_t i = 0; i < n; i++)
		srunner_add_suite(sr, make[i]());
	skip_no_fork = srunner_fork_status(sr) == CK_NOFORK;
	srunner_run_all(sr, CK_NORMAL);
	ran = srunner_ntests_run(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rewind(skip_log);
	while (fgets(line, sizeof line, skip_log)) {
		printf("SKIP %s", line);
		skipped++;
	}
	fclose(skip_log);
	if (skipped)
		printf("Skipped: %d of %d\n", skipped, ran);
	if (failed)
		return 1;
	return ran > 0 && skipped == ran ? TVP_SKIP_EXIT : 0;
}

/* Hang guards, not claims about speed: a sanitizer build (TVP_SAN, from
 * the Makefile) runs several times slower, and under `make check` the
 * whole suite runs that way, so its limits are four times as long. */
static double guard_s(double timeout_s)
{
	return TVP_SAN[0] ? 4 * timeout_s : timeout_s;
}

TCase *tvp_tcase(Suite *s, const char *name, double timeout_s)
{
	TCase *tc = tcase_create(name);

	tcase_set_timeout(tc, guard_s(timeout_s));
	suite_add_tcase(s, tc);
	return tc;
}

int tvp_count_children(void)
{
	char path[64];
	int n = 0;
	DIR *d;
	struct dirent *e;

	/* /proc/PID/task/TID/children lists each thread's children. */
	snprintf(path, sizeof path, "/proc/%d/task", (int)getpid());
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char cpath[600];
		FILE *f;
		int pid;

		if (e->d_name[0] == '.')
			continue;
		snprintf(cpath, sizeof cpath, "%s/%s/children", path, e->d_name);
		f = fopen(cpath, "r");
		if (!f)
			continue;
		while (fscanf(f, "%d", &pid) == 1)
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

void tvp_assert_no_children(void)
{
	int n = 0;

	for (int i = 0; i < 100; i++) {
		n = tvp_count_children();
		if (n == 0)
			return;
		sleep_ns(10000000);
	}
	ck_abort_msg("%d child process(es) left behind", n);
}

void tvp_wait_in_sleep(pid_t pid)
{
	char path[64];
	long nr = -1;

	snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
	for (int i = 0; i < 1000; i++) {
		FILE *f = fopen(path, "r");

		nr = -1;
		if (f) {
			if (fscanf(f, "%ld", &nr) != 1)
				nr = -1;
			fclose(f);
		}
#ifdef SYS_nanosleep
		if (nr == SYS_nanosleep)
			return;
#endif
		if (nr == SYS_clock_nanosleep)
			return;
		sleep_ns(10000000);
	}
	ck_abort_msg("process %d not asleep in its task within 10 s (system call %ld)", (int)pid, nr);
}

static char *slurp_fd(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = xmalloc(cap);
	ssize_t n;

	while ((n = read(fd, buf + len, cap - len - 1)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
		if (cap - len < 2)
			buf = xrealloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

void tvp_assert_one_line_error(const struct tvp_cmd *c, int status, const char *prefix,
			       const char *says)
{
	ck_assert_msg(c->status == status, "exit %d, expected %d (stderr: %s)", c->status, status,
		      c->err);
	ck_assert(!c->core);
	ck_assert_msg(strncmp(c->err, prefix, strlen(prefix)) == 0, "'%s' lacks '%s'", c->err, prefix);
	ck_assert_msg(strchr(c->err, '\n') == c->err + strlen(c->err) - 1, "one line: '%s'", c->err);
	ck_assert_msg(!says || strstr(c->err, says), "'%s' lacks '%s'", c->err, says);
}

void tvp_child_to_devnull(void)
{
	int nul = open("/dev/null", O_RDWR);

	dup2(nul, 0);
	dup2(nul, 1);
	dup2(nul, 2);
	if (nul > 2)
		close(nul);
}

pid_t tvp_spawn(const char *cwd, const char *const *args)
{
	const char *bin = getenv("TVP_BIN");
	const char *argv[32];
	size_t n = 0;
	pid_t pid;

	argv[n++] = bin;
	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		tvp_child_to_devnull();
		if (cwd && chdir(cwd) != 0)
			_exit(126);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	return pid;
}

void tvp_run_cli(struct tvp_cmd *c, double timeout_s, const char *arg, ...)
{
	const char *bin = getenv("TVP_BIN");
	const char *argv[64];
	int nargs = 0, st;
	char outp[] = "/tmp/tvp-test-out-XXXXXX", errp[] = "/tmp/tvp-test-err-XXXXXX";
	int ofd = mkstemp(outp), efd = mkstemp(errp);
	va_list ap;
	pid_t pid;
	uint64_t deadline;

	ck_assert_msg(bin && *bin, "TVP_BIN is not set (run the tests through make test)");
	ck_assert(ofd >= 0 && efd >= 0);
	unlink(outp);
	unlink(errp);
	argv[nargs++] = bin;
	va_start(ap, arg);
	for (const char *a = arg; a && nargs < 63; a = va_arg(ap, const char *))
		argv[nargs++] = a;
	va_end(ap);
	argv[nargs] = NULL;

	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);
		dup2(nul, 0);
		dup2(ofd, 1);
		dup2(efd, 2);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	timeout_s = guard_s(timeout_s);
	deadline = now_ns() + (uint64_t)(timeout_s * 1e9);
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (now_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			ck_abort_msg("tvp %s did not finish within %.0f s", arg ? arg : "", timeout_s);
		}
		sleep_ns(2000000);
	}
	c->core = WIFSIGNALED(st) && WCOREDUMP(st);
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	c->out = slurp_fd(ofd);
	c->err = slurp_fd(efd);
	close(ofd);
	close(efd);
}

void tvp_cmd_free(struct tvp_cmd *c)
{
	free(c->out);
	free(c->err);
	c->out = c->err = NULL;
}

char *tvp_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *t = xasprintf("%s/tvp-test-XXXXXX", base && *base ? base : "/tmp");

	ck_assert_msg(mkdtemp(t) != NULL, "mkdtemp %s: %s", t, strerror(errno));
	return t;
}

void tvp_rm_rf(const char *path)
{
	char *cmd = xasprintf("rm -rf '%s'", path);

	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", path);
	free(cmd);
}
