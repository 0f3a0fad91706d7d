/* test_install.c: tvp as a user installs it: `make install` into a scratch
 * DESTDIR, the installed tvp used from another directory
 * (scripts/install-check.sh), and the man page in step with every
 * command's --help (scripts/check-man.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "testutil.h"
#include "bench/util.h"

static const char *root(void)
{
	const char *r = getenv("TVP_ROOT");

	return r && *r ? r : ".";
}

/* Runs a shell command; fails the test with its output unless it exits 0. */
static void sh_ok(const char *cmd)
{
	char *full = xasprintf("%s >/tmp/tvp-test-install.$$ 2>&1; st=$?; "
			       "[ $st -eq 0 ] || cat /tmp/tvp-test-install.$$ >&2; rm -f /tmp/tvp-test-install.$$; "
			       "exit $st", cmd);
	int st = system(full);

	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "'%s' failed (status %d); its output is above",
		      cmd, st);
	free(full);
}

START_TEST(man_page_lists_every_option)
{
	char *cmd = xasprintf("sh '%s/scripts/check-man.sh' '%s' '%s/docs/tvp.1'", root(), getenv("TVP_BIN"), root());

	sh_ok(cmd);
	free(cmd);
}
END_TEST

/* The build folder of the tvp under test, so make installs it as built
 * (same PREFIX: nothing is recompiled). */
START_TEST(installed_tvp_works_from_elsewhere)
{
	char *bin = xstrdup(getenv("TVP_BIN")), *slash = strrchr(bin, '/'), *cmd;

	ck_assert(slash);
	*slash = '\0';
	/* The make running the tests must not lend this one its job server. */
	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	cmd = xasprintf("sh '%s/scripts/install-check.sh' BUILD='%s'", root(), bin);
	sh_ok(cmd);
	free(cmd);
	free(bin);
}
END_TEST

static Suite *install_suite(void)
{
	Suite *s = suite_create("install");
	TCase *tc = tvp_tcase(s, "install", 180);

	tcase_add_test(tc, man_page_lists_every_option);
	tcase_add_test(tc, installed_tvp_works_from_elsewhere);
	return s;
}

TVP_TEST_MAIN(install_suite)
