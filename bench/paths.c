/* paths.c: the data directory and the default results directory (paths.h). */
#include "bench/paths.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gitrev.h"
#include "bench/util.h"

static bool exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

static bool later(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec != b->tv_sec ? a->tv_sec > b->tv_sec : a->tv_nsec > b->tv_nsec;
}

char *paths_data_file(const char *rel)
{
	char exe[PATH_MAX], *path;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	exe[n > 0 ? n : 0] = '\0';
	/* A checkout: build/tvp, build/asan/tvp, build/tests/test_x. */
	for (char *slash; (slash = strrchr(exe, '/')); *slash = '\0') {
		path = xasprintf("%.*s/%s", (int)(slash - exe), exe, rel);
		if (exists(path))
			return path;
		free(path);
	}
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = '\0';
	if (strrchr(exe, '/')) {
		*strrchr(exe, '/') = '\0';
		path = xasprintf("%s/../share/tvp/%s", exe, rel);
		if (exists(path))
			return path;
		free(path);
	}
	return xasprintf("%s/%s", TVP_DATADIR, rel);
}

char *paths_results_dir(void)
{
	const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");

	if (exists("bench/main.c") && exists("par"))
		return xstrdup("results");
	if (xdg && xdg[0] == '/')
		return xasprintf("%s/tvp/results", xdg);
	return xasprintf("%s/.local/share/tvp/results", home && *home ? home : ".");
}

char *paths_latest(const char *stem)
{
	char *dir = paths_results_dir(), *p = xasprintf("%s/%slatest.json", dir, stem);

	free(dir);
	return p;
}

char *paths_default_input(const char *cmd)
{
	char *p = paths_latest("");

	if (access(p, R_OK) == 0)
		return p;
	fprintf(stderr, "tvp: %s: no input file, and no %s to read (run 'tvp run' first, or name "
			"a results file)\n", cmd, p);
	free(p);
	return NULL;
}

int paths_newest_two(char **older, char **newer)
{
	char *dir = paths_results_dir();
	struct timespec t[2] = { { 0, 0 }, { 0, 0 } };   /* [0] newest, [1] second */
	DIR *d = opendir(dir);
	struct dirent *e;

	*older = *newer = NULL;
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct stat sb;
		char *path;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") || !strcmp(e->d_name, "latest.json") ||
		    !strncmp(e->d_name, "overhead-", 9) || e->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, e->d_name);
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(path);
			continue;
		}
		if (!*newer || later(&sb.st_mtim, &t[0])) {
			free(*older);
			*older = *newer, t[1] = t[0];
			*newer = path, t[0] = sb.st_mtim;
		} else if (!*older || later(&sb.st_mtim, &t[1])) {
			free(*older);
			*older = path, t[1] = sb.st_mtim;
		} else {
			free(path);
		}
	}
	if (d)
		closedir(d);
	free(dir);
	if (*older)
		return 0;
	free(*newer);
	*newer = NULL;
	return -ENOENT;
}

int paths_mkdir_p(const char *dir)
{
	char *p = xstrdup(dir);
	int rc = 0;

	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			rc = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}
