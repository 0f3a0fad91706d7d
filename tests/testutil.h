/* testutil.h: what the test files share: a main() for a Check runner, the
 * child-process leak check, and running build/tvp as a user would. */
#ifndef TESTUTIL_H
#define TESTUTIL_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* Defines main(): runs the given suites (functions returning Suite *), each
 * test in its own forked process (Check's default) with its time limit, and
 * exits 0 only when every test passed. */
#define TVP_TEST_MAIN(...)                                                        \
	int main(void)                                                            \
	{                                                                         \
		Suite *(*const make[])(void) = { __VA_ARGS__ };                   \
		SRunner *sr = srunner_create(NULL);                               \
		int failed;                                                       \
		for (size_t i = 0; i < sizeof make / sizeof make[0]; i++)         \
			srunner_add_suite(sr, make[i]());                         \
		srunner_run_all(sr, CK_NORMAL);                                   \
		failed = srunner_ntests_failed(sr);                               \
		srunner_free(sr);                                                 \
		return failed ? 1 : 0;                                            \
	}

/* A test case with a time limit in seconds, added to suite s. */
TCase *tvp_tcase(Suite *s, const char *name, double timeout_s);

/* How many children this process has right now (from /proc). */
int tvp_count_children(void);

/* Fails the test if this process has a child, live or zombie, after giving
 * exiting ones up to a second to go. */
void tvp_assert_no_children(void);

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

/* A fresh private temporary directory (mkdtemp); the caller removes it with
 * tvp_rm_rf. */
char *tvp_tmpdir(void);
void tvp_rm_rf(const char *path);

#endif
