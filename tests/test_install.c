/* test_install.c: tvp as a user installs it: `make install` into a scratch
 * DESTDIR, the installed tvp used from another directory
 * (scripts/install-check.sh), and the man page in step with every
 * command's --help (scripts/check-man.sh), and a make without the libraries
 * that prints the apt-get line. */
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

/* Without the libraries' .pc files, make compiles nothing and prints the
 * apt-get line (scripts/build-deps.sh), not a compiler error. */
START_TEST(make_says_what_is_missing)
{
	char *dir = tvp_tmpdir();
	char *cmd = xasprintf("cd '%s' && PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR=/nonexistent make BUILD='%s/b' "
			      ">'%s/out' 2>&1", root(), dir, dir);
	char *out = xasprintf("%s/out", dir), buf[4096] = "";
	FILE *f;
	int st;

	unsetenv("MAKEFLAGS");
	unsetenv("MFLAGS");
	unsetenv("MAKELEVEL");
	st = system(cmd);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) != 0, "make succeeded without the libraries");
	f = fopen(out, "r");
	ck_assert(f);
	buf[fread(buf, 1, sizeof buf - 1, f)] = '\0';
	fclose(f);
	ck_assert_msg(strstr(buf, "sudo apt-get install libhwloc-dev libjansson-dev"), "%s", buf);
	ck_assert_msg(!strstr(buf, "No such file") && !strstr(buf, "error:"), "a compiler ran:\n%s", buf);
	free(out);
	free(cmd);
	tvp_rm_rf(dir);
	free(dir);
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
	tcase_add_test(tc, make_says_what_is_missing);
	tcase_add_test(tc, installed_tvp_works_from_elsewhere);
	return s;
}

TVP_TEST_MAIN(install_suite)
