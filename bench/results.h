/* results.h: writing a results document safely: the output path is looked
 * at when the run starts (so a directory or an unwritable path fails before
 * any measurement); a regular file appears complete or not at all, a device
 * or a FIFO is written in place, a symbolic link is followed. */
#ifndef RESULTS_H
#define RESULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct results_out;

/* Claims the output. path: a file, "-" for stdout, or NULL for the default
 * results/<host>-<stamp>.json (-2, -3... appended when taken; then
 * results/latest.json is pointed at it on commit). stem names the default
 * file's kind ("" for runs, "overhead-" for tvp overhead). For a regular or
 * new file, creates an unnamed temporary file beside the target (a symbolic
 * link's target); a character device, a FIFO or "-" is written in place at
 * commit. Returns 0, or a negative errno with "cannot write 'PATH': REASON"
 * in err: -EISDIR for a directory, -ENOENT for an empty path, a missing
 * directory or a link to nothing, -EACCES and the like for an unwritable
 * place. Call before any thread exists (it reads the umask). */
int results_open(struct results_out **out, const char *path, const char *stem, char *err,
		 size_t errlen);

/* The path the document will have ("-" for stdout). */
const char *results_path(const struct results_out *r);

/* Whether the document is written in place (stdout, a device, a FIFO), not
 * as a file of its own. */
bool results_in_place(const struct results_out *r);

/* Writes doc (indented) and frees r. A regular file: fsyncs the temporary
 * file, renames it over the target (a default name: takes the next free
 * suffix instead of replacing), updates the latest link. In place: opens the
 * device or FIFO for writing (a FIFO waits for its reader) and writes. Returns
 * 0, or a negative errno with what failed in err (-ENOSPC, -EFBIG...: the
 * real cause; the temporary file is gone: a half-written file never
 * appears). */
int results_commit(struct results_out *r, const json_t *doc, char *err, size_t errlen);

/* The same for any text (len bytes, written as they are): tvp export's
 * tables and tvp report --html go through it, so that a full disk leaves
 * the file that was at the path, not half a table. */
int results_commit_text(struct results_out *r, const char *text, size_t len, char *err,
			size_t errlen);

/* A text file written whole, for a command that prints as it goes: f is a
 * memory stream until commit, which writes what was printed through
 * results_commit_text (atomically over a regular file, in place on a device
 * or a FIFO). path as for results_open ("-" is stdout, in place). */
struct results_text {
	FILE *f;
	struct results_out *r;
	char *buf;
	size_t len;
};
int results_text_open(struct results_text *t, const char *path, char *err, size_t errlen);
/* Writes what was printed to f and releases t; returns 0 or a negative
 * errno with what failed in err. */
int results_text_commit(struct results_text *t, char *err, size_t errlen);
/* Gives up: nothing is written, the path keeps what it had. */
void results_text_abort(struct results_text *t);

/* Appends a formatted warning (one line, at most 511 bytes) to the JSON
 * array warnings, as every results document's "warnings" lists are. */
void results_warn(json_t *warnings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct stats;

/* Appends the warnings a sample set's statistics call for to the JSON array
 * warnings: stats_warn's rule (bench/stats.h), for callers that gather
 * warnings as JSON. */
void results_warn_stats(json_t *warnings, const struct stats *s);

/* Points <dir of path>/<stem>latest.json at path (a relative symbolic
 * link, replaced atomically), as results_commit does for a default name;
 * for a caller that names its own file (tvp bench). Failures are ignored:
 * the link is a convenience. */
void results_link_latest(const char *path, const char *stem);

/* Gives up: removes the temporary file and frees r. NULL is fine. */
void results_abort(struct results_out *r);

#endif
