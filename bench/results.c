/* results.c: atomic writing of results documents.
 *
 * DESIGN
 * A run may be interrupted, the disk may fill, the machine may stop: a reader
 * of results/ must never find half a JSON file. So the document is written to
 * a temporary file in the target's own directory (rename is atomic only
 * within one file system), fsync'd, and renamed over the target. The
 * temporary file is created when the run starts, which also proves the path
 * is writable before any measurement is spent. results/latest.json is a
 * relative symbolic link, replaced the same way (a new link, then rename).
 */
#include "bench/results.h"

#include "bench/stats.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/env.h"
#include "bench/paths.h"
#include "bench/util.h"

struct results_out {
	char *path;       /* target, or "-" */
	char *tmp;        /* temporary file beside it; NULL for stdout */
	int fd;
	bool link_latest;
};

int results_open(struct results_out **out, const char *path, const char *stem, char *err,
		 size_t errlen)
{
	struct results_out *r = xcalloc(1, sizeof *r);
	int e;

	r->fd = -1;
	if (path && strcmp(path, "-") == 0) {
		r->path = xstrdup("-");
		*out = r;
		return 0;
	}
	if (!path) {
		char host[256] = "host", stamp[32];

		gethostname(host, sizeof host);
		host[sizeof host - 1] = '\0';
		for (char *p = host; *p; p++)
			if (*p == '/' || *p == ' ')
				*p = '_';
		env_utc_stamp(stamp, sizeof stamp, true);
		char *dir = paths_results_dir();
		if ((e = paths_mkdir_p(dir)) != 0) {
			snprintf(err, errlen, "cannot create directory '%s': %s", dir, strerror(-e));
			free(dir);
			goto fail;
		}
		r->path = xasprintf("%s/%s%s-%s.json", dir, stem, host, stamp);
		free(dir);
		r->link_latest = true;
	} else {
		r->path = xstrdup(path);
	}
	r->tmp = xasprintf("%s.tmp.XXXXXX", r->path);
	r->fd = mkstemp(r->tmp);
	if (r->fd < 0) {
		e = -errno;
		snprintf(err, errlen, "cannot write '%s': %s", r->path, strerror(errno));
		goto fail;
	}
	/* mkstemp makes the file 0600; results are for sharing. */
	fchmod(r->fd, 0644);
	*out = r;
	return 0;
fail:
	free(r->tmp);
	free(r->path);
	free(r);
	*out = NULL;
	return e;
}

const char *results_path(const struct results_out *r)
{
	return r->path;
}

static void link_latest(const char *path, const char *stem)
{
	char *copy = xstrdup(path), *dir = dirname(copy);
	char *copy2 = xstrdup(path), *base = basename(copy2);
	char *link = xasprintf("%s/%slatest.json", dir, stem);
	char *tmp = xasprintf("%s/.%slatest.json.tmp", dir, stem);

	unlink(tmp);
	if (symlink(base, tmp) == 0 && rename(tmp, link) != 0)
		unlink(tmp);
	free(tmp);
	free(link);
	free(copy2);
	free(copy);
}

int results_commit(struct results_out *r, const json_t *doc, char *err, size_t errlen)
{
	int rc = 0;

	if (!r->tmp) {
		if (json_dumpf(doc, stdout, JSON_INDENT(2)) != 0 || fputc('\n', stdout) == EOF ||
		    fflush(stdout) != 0) {
			rc = -EIO;
			snprintf(err, errlen, "cannot write the results to stdout: %s", strerror(errno));
		}
		goto out;
	}
	if (json_dumpfd(doc, r->fd, JSON_INDENT(2)) != 0 || write_full(r->fd, "\n", 1) != 0) {
		rc = errno ? -errno : -EIO;
		snprintf(err, errlen, "cannot write '%s': %s", r->tmp, strerror(-rc));
		goto out;
	}
	if (fsync(r->fd) != 0 || close(r->fd) != 0) {
		rc = -errno;
		r->fd = -1;
		snprintf(err, errlen, "cannot write '%s': %s", r->tmp, strerror(-rc));
		goto out;
	}
	r->fd = -1;
	if (rename(r->tmp, r->path) != 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot rename '%s' to '%s': %s", r->tmp, r->path, strerror(-rc));
		goto out;
	}
	free(r->tmp);
	r->tmp = NULL;
	if (r->link_latest) {
		const char *base = strrchr(r->path, '/');
		/* The stem is what precedes the host name: "" or "overhead-". */
		link_latest(r->path, strncmp(base ? base + 1 : r->path, "overhead-", 9) == 0 ? "overhead-" : "");
	}
out:
	results_abort(r);
	return rc;
}

void results_abort(struct results_out *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	if (r->tmp)
		unlink(r->tmp);
	free(r->tmp);
	free(r->path);
	free(r);
}

void results_warn(json_t *warnings, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	json_array_append_new(warnings, json_string(buf));
}

void results_warn_stats(json_t *w, const struct stats *s)
{
	if (s->n > 0 && s->n < RESULTS_MIN_SAMPLES)
		results_warn(w, "only %zu samples: too few for a reliable median (use --repeat %d or more)",
			     s->n, RESULTS_MIN_SAMPLES);
	if (s->n > 1 && s->median > 0 && (s->ci_hi - s->ci_lo) / s->median > RESULTS_NOISY_CI)
		results_warn(w, "noisy: the 95%% confidence interval spans %.0f%% of the median",
			     100 * (s->ci_hi - s->ci_lo) / s->median);
}
