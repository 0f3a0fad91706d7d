/* journal.h: the journal of a run, as a file: JSON lines, the first a header
 * (what run it is), then one entry per finished measurement, each appended
 * and synced as it is taken, so that a SIGKILL, a power cut or a full disk
 * at the end loses nothing measured. This file knows the format and the
 * sample codec; what the run loop writes and how `tvp run --resume` replays
 * it is bench/run/resume.h. */
#ifndef RUN_JOURNAL_H
#define RUN_JOURNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "bench/run/sample.h"

/* The header's "format": a journal of another format is refused. */
#define JOURNAL_FORMAT "tvp.journal/1"

struct journal;

/* Creates the journal at path, which must not exist (an existing journal is
 * an interrupted run's: never replaced), and writes header (an object; its
 * "format" is set here) as its first line, synced. Returns 0, -EEXIST, or
 * another negative errno; err says "cannot create journal 'PATH': why". */
int journal_create(struct journal **out, const char *path, json_t *header, char *err,
		   size_t errlen);

/* Opens an existing journal to go on with it: reads the header and every
 * entry; a last line cut short (a crash in the middle of an append) is
 * dropped and cut off the file, so that appends go on after the last whole
 * entry. Returns 0, -EINVAL when the file is not a journal of this format or
 * is damaged before its last line (err says which line and why), or another
 * negative errno. */
int journal_open(struct journal **out, const char *path, char *err, size_t errlen);

/* The header (borrowed), the path, and the entries journal_open read. */
const json_t *journal_header(const struct journal *j);
const char *journal_path(const struct journal *j);
size_t journal_entries(const struct journal *j);
const json_t *journal_entry(const struct journal *j, size_t i);

/* Appends entry (borrowed) as one line and syncs it (fdatasync). Returns 0,
 * or the negative errno of the write (-ENOSPC...); after a failure nothing
 * more is appended (each later call returns the same error), so the file
 * ends with whole entries. */
int journal_append(struct journal *j, const json_t *entry);

/* Closes the journal; remove: unlinks it too (its run's document is
 * committed). NULL is fine. Counter names read by journal_sample_read die
 * with it. */
void journal_close(struct journal *j, bool remove);

/* A sample as JSON: every field measure() recorded, exactly (doubles as
 * 17 significant digits; NaN as null). capacity and contended are left out:
 * they are recomputed against the run's bests. A new reference. */
json_t *journal_sample_json(const struct sample *s);

/* Fills *s (zeroed first; release with sample_release) from what
 * journal_sample_json wrote. Counter names point into j. Returns 0, or
 * -EINVAL when o is not such an object. */
int journal_sample_read(struct journal *j, const json_t *o, struct sample *s);

#endif
