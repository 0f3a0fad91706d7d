/* results.c: safe writing of results documents.
 *
 * DESIGN
 * A run may be interrupted, the disk may fill, the machine may stop: a reader
 * of results/ must never find half a JSON file, and --output must never
 * destroy what is at the path. So the path is looked at when the run starts
 * (results_open), before any measurement is spent:
 * - a regular file, or a new one: written atomically. The document goes to an
 *   unnamed temporary file (O_TMPFILE) in the target's own directory (rename
 *   is atomic only within one file system), is fsync'd, then given a name and
 *   renamed over the target. An unnamed file vanishes with the process, even
 *   after SIGKILL; where the file system lacks O_TMPFILE, a named mkstemp
 *   file is used instead (and a SIGKILL leaves it behind). A symbolic link is
 *   followed: its target is replaced, the link stays a link; a link to
 *   nothing is refused.
 * - a character device, a FIFO, a socket, "-" or /dev/stdout (stdout), or a
 *   path naming a descriptor (/dev/stderr, /dev/fd/N): written in place,
 *   opened for appending at commit time (a FIFO's reader may come late).
 * - a directory, an empty path, a missing directory, an unwritable place: an
 *   error at once.
 * The default name results/<stem><host>-<stamp>.json never replaces a file:
 * a taken name gets a suffix (-2, -3...), chosen when the run starts and
 * checked again at commit, where the name is taken with link(), which fails
 * rather than replace. Results are created 0666 less the umask.
 * results/latest.json is a relative symbolic link, replaced the same way (a
 * new link, then rename).
 * tvp export --output and tvp report --html write their text the same way
 * (results_text_*): printed into memory, then committed whole, so a full
 * disk half way leaves the file that was there.
 */
#include "bench/results.h"

#include "bench/stats.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/env.h"
#include "bench/paths.h"
#include "bench/util.h"
#include "bench/warnings.h"

/* How many suffixed names a default name tries before giving up. */
#define MAX_SUFFIX 1000

struct results_out {
	char *path;       /* as given (or the default name); "-" for stdout */
	char *target;     /* where the document goes: path with links resolved */
	char *tmp;        /* the named temporary file (mkstemp fallback), or NULL */
	int fd;           /* the temporary file; -1 when written in place */
	bool in_place;    /* stdout, a device, a FIFO: no temporary, no rename */
	bool is_default;  /* a default name: never replaces, takes a suffix */
};

/* The directory part of path ("." for a bare name); the caller frees it. */
static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xasprintf("%.*s", (int)(slash - path), path);
}

/* The n-th candidate for a default name: base.json, base-2.json, ... */
static char *suffixed(const char *target, unsigned n)
{
	size_t len = strlen(target) - strlen(".json");

	return n < 2 ? xstrdup(target) : xasprintf("%.*s-%u.json", (int)len, target, n);
}

/* Creates the temporary file in target's directory: unnamed if the file
 * system can, else named (r->tmp). Returns 0 or a negative errno. */
static int open_tmp(struct results_out *r)
{
	char *dir = parent_dir(r->target);
	mode_t mask;

	r->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
	free(dir);
	if (r->fd >= 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return -errno;
	r->tmp = xasprintf("%s.tmp.XXXXXX", r->target);
	r->fd = mkostemp(r->tmp, O_CLOEXEC);
	if (r->fd < 0) {
		int e = -errno;
		free(r->tmp);
		r->tmp = NULL;
		return e;
	}
	/* mkstemp makes the file 0600: give it what a new file would get. */
	mask = umask(0);
	umask(mask);
	fchmod(r->fd, 0666 & ~mask);
	return 0;
}

/* Whether path names an open file descriptor (/dev/stderr, /dev/fd/N,
 * /proc/self/fd/N) rather than a place: replacing what it leads to would
 * lose what the descriptor's owner wrote there. */
static bool names_fd(const char *path)
{
	return strcmp(path, "/dev/stdin") == 0 || strcmp(path, "/dev/stderr") == 0 ||
	       strncmp(path, "/dev/fd/", 8) == 0 || strncmp(path, "/proc/self/fd/", 14) == 0;
}

/* Looks at an explicit path and decides how it will be written. */
static int claim_path(struct results_out *r, char *err, size_t errlen)
{
	struct stat st, lst;

	if (!*r->path) {
		snprintf(err, errlen, "cannot write '': the path is empty");
		return -ENOENT;
	}
	if (names_fd(r->path)) {
		r->in_place = true;
		r->target = xstrdup(r->path);
		return 0;
	}
	if (stat(r->path, &st) != 0) {
		int e = errno;
		if (e == ENOENT && lstat(r->path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
			snprintf(err, errlen, "cannot write '%s': a symbolic link to nothing", r->path);
			return -ENOENT;
		}
		if (e != ENOENT) {
			snprintf(err, errlen, "cannot write '%s': %s", r->path, strerror(e));
			return -e;
		}
		r->target = xstrdup(r->path);
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot write '%s': %s", r->path, strerror(EISDIR));
		return -EISDIR;
	}
	if (!S_ISREG(st.st_mode)) {
		if (access(r->path, W_OK) != 0) {
			int e = errno;
			snprintf(err, errlen, "cannot write '%s': %s", r->path, strerror(e));
			return -e;
		}
		r->in_place = true;
		r->target = xstrdup(r->path);
		return 0;
	}
	if (lstat(r->path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
		char real[PATH_MAX];
		if (!realpath(r->path, real)) {
			int e = errno;
			snprintf(err, errlen, "cannot write '%s': %s", r->path, strerror(e));
			return -e;
		}
		r->target = xstrdup(real);
	} else {
		r->target = xstrdup(r->path);
	}
	return 0;
}

/* Chooses DIR/<stem><host>-<stamp>[-N].json in the results folder
 * (paths_results_dir), the first name not taken. */
static int claim_default(struct results_out *r, const char *stem, char *err, size_t errlen)
{
	char host[256] = "host", stamp[32];
	char *base, *dir;
	struct stat st;
	int e;

	gethostname(host, sizeof host);
	host[sizeof host - 1] = '\0';
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == ' ')
			*p = '_';
	env_utc_stamp(stamp, sizeof stamp, true);
	/* results/ in a tvp source tree, else under $XDG_DATA_HOME (paths.h). */
	dir = paths_results_dir();
	if ((e = paths_mkdir_p(dir)) != 0) {
		snprintf(err, errlen, "cannot create directory '%s': %s", dir, strerror(-e));
		free(dir);
		return e;
	}
	base = xasprintf("%s/%s%s-%s.json", dir, stem, host, stamp);
	for (unsigned n = 1; n <= MAX_SUFFIX && !r->target; n++) {
		char *name = suffixed(base, n);
		if (lstat(name, &st) != 0 && errno == ENOENT)
			r->target = name;
		else
			free(name);
	}
	free(base);
	if (!r->target) {
		snprintf(err, errlen, "cannot write %s/: %u files of the same second", dir, MAX_SUFFIX);
		free(dir);
		return -EEXIST;
	}
	free(dir);
	r->path = xstrdup(r->target);
	r->is_default = true;
	return 0;
}

int results_open(struct results_out **out, const char *path, const char *stem, char *err,
		 size_t errlen)
{
	struct results_out *r = xcalloc(1, sizeof *r);
	int e;

	r->fd = -1;
	*out = NULL;
	/* /dev/stdout is "-": the JSON alone on stdout, the table on stderr. */
	if (path && (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0 ||
		     strcmp(path, "/dev/fd/1") == 0 || strcmp(path, "/proc/self/fd/1") == 0)) {
		r->path = xstrdup("-");
		r->target = xstrdup("/dev/stdout");
		r->in_place = true;
		*out = r;
		return 0;
	}
	if (path) {
		r->path = xstrdup(path);
		e = claim_path(r, err, errlen);
	} else {
		e = claim_default(r, stem, err, errlen);
	}
	if (e == 0 && !r->in_place && (e = open_tmp(r)) != 0)
		snprintf(err, errlen, "cannot write '%s': %s", r->path, strerror(-e));
	if (e != 0) {
		results_abort(r);
		return e;
	}
	*out = r;
	return 0;
}

const char *results_path(const struct results_out *r)
{
	return r->path;
}

bool results_in_place(const struct results_out *r)
{
	return r->in_place;
}

void results_link_latest(const char *path, const char *stem)
{
	char *dir = parent_dir(path);
	const char *slash = strrchr(path, '/');
	char *link = xasprintf("%s/%slatest.json", dir, stem);
	char *tmp = xasprintf("%s/.%slatest.json.tmp", dir, stem);

	unlink(tmp);
	if (symlink(slash ? slash + 1 : path, tmp) == 0 && rename(tmp, link) != 0)
		unlink(tmp);
	free(tmp);
	free(link);
	free(dir);
}

/* Gives the temporary file a second name; -EEXIST if the name is taken
 * (link never replaces). */
static int name_tmp(const struct results_out *r, const char *name)
{
	char proc[64];

	if (r->tmp)
		return link(r->tmp, name) == 0 ? 0 : -errno;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", r->fd);
	if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno != ENOENT)
		return -errno;
	/* No /proc: AT_EMPTY_PATH (which needs CAP_DAC_READ_SEARCH). */
	return linkat(r->fd, "", AT_FDCWD, name, AT_EMPTY_PATH) == 0 ? 0 : -errno;
}

/* Names the written temporary file r->target, the atomic way. */
static int publish(struct results_out *r, char *err, size_t errlen)
{
	char *side = NULL;
	int rc = 0;

	if (r->is_default) {
		/* A run that started in the same second may have taken the name
		 * since results_open: the next free suffix, never a replacement. */
		char *base = xstrdup(r->target);
		for (unsigned n = 1; n <= MAX_SUFFIX; n++) {
			free(r->target);
			r->target = suffixed(base, n);
			if ((rc = name_tmp(r, r->target)) != -EEXIST)
				break;
		}
		free(base);
		if (rc == 0 && strcmp(r->target, r->path) != 0)
			fprintf(stderr, "tvp: %s was taken meanwhile: results written to %s\n", r->path,
				r->target);
	} else if (r->tmp) {
		if (rename(r->tmp, r->target) != 0)
			rc = -errno;
	} else {
		for (unsigned n = 0; n < MAX_SUFFIX; n++) {
			free(side);
			side = xasprintf("%s.tmp.%ld.%u", r->target, (long)getpid(), n);
			if ((rc = name_tmp(r, side)) != -EEXIST)
				break;
		}
		if (rc == 0 && rename(side, r->target) != 0) {
			rc = -errno;
			unlink(side);
		}
	}
	if (rc != 0)
		snprintf(err, errlen, "cannot write '%s': %s", r->target, strerror(-rc));
	free(side);
	return rc;
}

static int commit_in_place(struct results_out *r, const char *text, size_t len, char *err,
			   size_t errlen)
{
	int fd, rc;

	if (strcmp(r->path, "-") == 0) {
		fflush(stdout);
		fd = STDOUT_FILENO;
	} else if ((fd = open(r->target, O_WRONLY | O_APPEND | O_NOCTTY | O_CLOEXEC)) < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot write '%s': %s", r->path, strerror(-rc));
		return rc;
	}
	/* A short write is retried, so a full disk or a file size limit
	 * reports its own errno. */
	rc = write_full(fd, text, len);
	if (fd != STDOUT_FILENO && close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc != 0)
		snprintf(err, errlen, "cannot write %s: %s",
			 fd == STDOUT_FILENO ? "the results to stdout" : r->path, strerror(-rc));
	return rc;
}

int results_commit_text(struct results_out *r, const char *text, size_t len, char *err,
			size_t errlen)
{
	int rc;

	if (r->in_place) {
		rc = commit_in_place(r, text, len, err, errlen);
		goto out;
	}
	rc = write_full(r->fd, text, len);
	if (rc == 0 && fsync(r->fd) != 0)
		rc = -errno;
	if (rc != 0) {
		snprintf(err, errlen, "cannot write '%s': %s", r->path, strerror(-rc));
		goto out;
	}
	if ((rc = publish(r, err, errlen)) != 0)
		goto out;
	if (r->is_default) {
		const char *base = strrchr(r->target, '/');
		/* The stem is what precedes the host name: "" or "overhead-". */
		results_link_latest(r->target, strncmp(base ? base + 1 : r->target, "overhead-", 9) == 0 ?
					       "overhead-" : "");
	}
out:
	results_abort(r);
	return rc;
}

int results_commit(struct results_out *r, const json_t *doc, char *err, size_t errlen)
{
	char *text = json_dumps(doc, JSON_INDENT(2)), *line;
	int rc;

	if (!text) {
		snprintf(err, errlen, "cannot write '%s': %s", r->path, strerror(ENOMEM));
		results_abort(r);
		return -ENOMEM;
	}
	line = xasprintf("%s\n", text);
	free(text);
	rc = results_commit_text(r, line, strlen(line), err, errlen);
	free(line);
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
	free(r->target);
	free(r->path);
	free(r);
}

int results_text_open(struct results_text *t, const char *path, char *err, size_t errlen)
{
	int rc;

	memset(t, 0, sizeof *t);
	if ((rc = results_open(&t->r, path, "", err, errlen)) != 0)
		return rc;
	if (!(t->f = open_memstream(&t->buf, &t->len))) {
		rc = -errno;
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
		results_text_abort(t);
	}
	return rc;
}

int results_text_commit(struct results_text *t, char *err, size_t errlen)
{
	struct results_out *r = t->r;
	int rc;

	t->r = NULL;
	if (fclose(t->f) != 0) {
		rc = -errno;
		t->f = NULL;
		snprintf(err, errlen, "cannot write '%s': %s", results_path(r), strerror(-rc));
		results_abort(r);
	} else {
		t->f = NULL;
		rc = results_commit_text(r, t->buf, t->len, err, errlen);
	}
	results_text_abort(t);
	return rc;
}

void results_text_abort(struct results_text *t)
{
	if (t->f)
		fclose(t->f);
	results_abort(t->r);
	free(t->buf);
	memset(t, 0, sizeof *t);
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
	struct warnings ws = { 0 };

	stats_warn(&ws, s);
	for (size_t i = 0; i < ws.n; i++)
		json_array_append_new(w, json_string(ws.items[i]));
	warnings_release(&ws);
}
