/* results.h: writing a results document atomically: the output file is
 * claimed when the run starts (so an unwritable path fails at once) and
 * appears complete or not at all. */
#ifndef RESULTS_H
#define RESULTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct results_out;

/* Claims the output. path: a file, "-" for stdout, or NULL for the default
 * results/<host>-<stamp>.json (then results/latest.json is pointed at it on
 * commit). stem names the default file's kind ("" for runs, "overhead-" for
 * tvp overhead). Creates a temporary file beside the target. Returns 0, or a
 * negative errno with "cannot write 'PATH': REASON" in err. */
int results_open(struct results_out **out, const char *path, const char *stem, char *err,
		 size_t errlen);

/* The path the document will have ("-" for stdout). */
const char *results_path(const struct results_out *r);

/* Writes doc (indented), fsyncs, renames over the target, updates the
 * latest link, and frees r. Returns 0, or a negative errno with what failed
 * in err (the temporary file is removed: a half-written file never
 * appears). */
int results_commit(struct results_out *r, const json_t *doc, char *err, size_t errlen);

/* Appends a formatted warning (one line, at most 511 bytes) to the JSON
 * array warnings, as every results document's "warnings" lists are. */
void results_warn(json_t *warnings, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

struct stats;

/* Appends the warnings a sample set's statistics call for to the JSON array
 * warnings: stats_warn's rule (bench/stats.h), for callers that gather
 * warnings as JSON. */
void results_warn_stats(json_t *warnings, const struct stats *s);

/* Gives up: removes the temporary file and frees r. NULL is fine. */
void results_abort(struct results_out *r);

#endif
