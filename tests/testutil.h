/* testutil.h: what the test files share: a main() for a Check runner that
 * counts skipped tests, the child-process leak check, and running build/tvp
 * as a user would. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "par/spawn.h"

/* The exit status that means "skipped" (automake's and hwloc's): a test
 * binary exits with it when every one of its tests was skipped, and a
 * helper process a test forks may use it to say "cannot run here". */
#define TVP_SKIP_EXIT 77

/* Defines main() over the given suites (functions returning Suite *): see
 * tvp_test_main. It lets a spawned worker in first (par/spawn.h), so a test
 * binary can start spawn and forkserver pools of itself. */
#define TVP_TEST_MAIN(...)                                                        \
	int main(int argc, char **argv)                                           \
	{                                                                         \
		Suite *(*const make[])(void) = { __VA_ARGS__ };                   \
		spawn_worker_entry(argc, argv);                                   \
		return tvp_test_main(make, sizeof make / sizeof make[0]);         \
	}

/* Runs the suites make[0..n) build, each test in its own forked process
 * (Check's default) with its time limit. Prints Check's report, then one
 * "SKIP test: why" line per skipped test and "Skipped: N of M" when N > 0.
 * Returns 1 when a test failed, else TVP_SKIP_EXIT when every test was
 * skipped, else 0. */
int tvp_test_main(Suite *(*const make[])(void), size_t n);

/* Ends the running test as skipped, with why (printf format) as the reason:
 * for a test that cannot run here (no binding, no python3, ...). Call it
 * from the test's own process, not from a child the test forked (that
 * child should exit TVP_SKIP_EXIT and let the test call this). Check counts
 * the test as passed; tvp_test_main counts it as skipped and
 * scripts/run-tests.sh subtracts it. Under CK_FORK=no (a debugging run,
 * where a test has no process of its own to end) the skip is a failure
 * whose message starts "SKIP:". Does not return. */
_Noreturn void tvp_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A test case with a time limit in seconds, added to suite s. */
TCase *tvp_tcase(Suite *s, const char *name, double timeout_s);

/* How many children this process has right now (from /proc). */
int tvp_count_children(void);

/* Fails the test if this process has a child, live or zombie, after giving
 * exiting ones up to a second to go. */
void tvp_assert_no_children(void);

/* Waits up to 10 s until process pid is asleep in nanosleep or
 * clock_nanosleep (its /proc/PID/syscall): a pool worker in its task's
 * sleep, not still waiting for the task. A worker killed before it began
 * its task does not fail that task (par/fork_death.c), so a test that
 * kills a worker "while it runs a task" waits for this first. Fails the
 * test on timeout. */
void tvp_wait_in_sleep(pid_t pid);

/* The result of running a command. */
struct tvp_cmd {
	int status;        /* exit status, or 128+signal */
	bool core;         /* dumped core */
	char *out, *err;   /* everything it printed (NUL-terminated; free them) */
};

/* Runs build/tvp (from $TVP_BIN) with the NULL-terminated arguments, stdin
 * from /dev/null, and waits up to timeout_s seconds (then kills it and fails
 * the test). */
void tvp_run_cli(struct tvp_cmd *c, double timeout_s, const char *arg, ...);
void tvp_cmd_free(struct tvp_cmd *c);

/* How tvp must fail on bad input: exit status, no core, one line on stderr
 * that starts with prefix and contains says (NULL: anything). */
void tvp_assert_one_line_error(const struct tvp_cmd *c, int status, const char *prefix,
			       const char *says);

/* Starts build/tvp (from $TVP_BIN) with args (NULL-terminated, without the
 * program; at most 30), stdin, stdout and stderr on /dev/null, in directory
 * cwd (NULL: here), without waiting: for a test that signals it mid-run.
 * Returns its pid; the caller reaps it. */
pid_t tvp_spawn(const char *cwd, const char *const *args);

/* In a forked child about to exec: stdin, stdout and stderr become
 * /dev/null. */
void tvp_child_to_devnull(void);

/* A fresh private temporary directory (mkdtemp); the caller removes it with
 * tvp_rm_rf. */
char *tvp_tmpdir(void);
void tvp_rm_rf(const char *path);

/* Under TSan a process keeps TSan's own helper thread once it has made any
 * thread, and a fork pool refuses to start in a process with more threads
 * than that; so a test that runs thread modes and then fork pools in one
 * process (`tvp run` in-process, `tvp lesson all`) cannot run its fork pools
 * there. Such tests skip in the TSan build, with a note; the same code runs
 * under TSan through the CLI, one command per process. */
#if defined(__SANITIZE_THREAD__)
#define SKIP_UNDER_TSAN(what) \
	tvp_skip("%s under TSan (see the comment above SKIP_UNDER_TSAN in testutil.h)", what)
#else
#define SKIP_UNDER_TSAN(what) do { } while (0)
#endif

#endif
