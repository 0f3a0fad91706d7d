/* resdoc.h: reading the documents tvp writes (tvp.results/1 and /2 from `tvp run`,
 * tvp.overhead/1 from `tvp overhead`) for `tvp export`, `tvp report` and
 * `tvp compare`: loaded, checked once, then read through small accessors
 * that never fail. */
#ifndef RESDOC_H
#define RESDOC_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define RESDOC_RESULTS_SCHEMA "tvp.results/1"
/* /2 adds rounds: each sample's round index, capacity and contended flag,
 * and each cell's paired speedup; every /1 field keeps its meaning. */
#define RESDOC_RESULTS_SCHEMA2 "tvp.results/2"
#define RESDOC_OVERHEAD_SCHEMA "tvp.overhead/1"

enum resdoc_kind {
	RESDOC_RESULTS,   /* results[] are cells of `tvp run` */
	RESDOC_OVERHEAD,  /* results[] are entries of `tvp overhead` */
};

struct resdoc {
	json_t *root;
	enum resdoc_kind kind;
	json_t *results;          /* borrowed from root: the array */
	int version;              /* the schema's: 1, or 2 for tvp.results/2 */
	char *path;
};

/* Loads and checks path: a JSON object whose "schema" is one of the two
 * above, whose results[] entries carry the fields the readers rely on
 * (results: workload, mode, workers, stats.median_ns; overhead: name, unit,
 * stats). Returns 0 with d filled (release it with resdoc_release), or
 * -ENOENT/-EACCES (cannot read), -EINVAL (not JSON, not an object, a missing
 * field) or -EPROTO (another schema) with a one-line reason in err that
 * starts with the path and has no "tvp:" prefix. On failure d is empty. */
int resdoc_load(struct resdoc *d, const char *path, char *err, size_t errlen);
void resdoc_release(struct resdoc *d);

/* Field readers: o's member key as a string (def when missing or not a
 * string), a number (NAN when missing, null or not a number). */
const char *resdoc_str(const json_t *o, const char *key, const char *def);
double resdoc_num(const json_t *o, const char *key);

/* A summary statistic of a results cell or an overhead entry, by its name
 * without the unit suffix ("median", "ci95_lo", "ci95_hi", "min", "n"...):
 * stats.<name>_ns for a cell, stats.<name>_<unit> for an overhead entry (or
 * the only key that starts with "<name>_"). NAN when absent. */
double resdoc_stat(const json_t *entry, const char *name);

/* The workload-specific rate of a results cell ("ns_per_iter", "mb_per_s"):
 * the numeric member that is not one of the schema's fixed ones. Returns its
 * key and stores the value in *value, or returns NULL. */
const char *resdoc_rate(const json_t *cell, double *value);

/* The identity of a results cell across files: workload, mode, workers,
 * size, pin, channel, lang, start method (a cell without one, as in files
 * written before there was a choice, ran fork) (compare matches cells on
 * it). For an overhead entry: its name plus any parameters it carries.
 * Written into buf. */
void resdoc_cell_key(const json_t *entry, char *buf, size_t len);

/* A results cell's start method when it is not fork ("spawn",
 * "forkserver"), or NULL: fork is the default and what a cell without a
 * "start" ran. */
const char *resdoc_cell_start(const json_t *cell);

/* The mode as the tables and charts name it: "fork-pool/shm+spawn": the
 * mode, "/CHANNEL" when it has one, "+START" when not fork. Returns buf. */
const char *resdoc_mode_label(const json_t *cell, char *buf, size_t len);

/* A short label for people: "count thread-pool x2", with " size N" when
 * with_size, the mode as resdoc_mode_label names it, "@scatter" for a pin
 * other than none, " (python)" for Python cells. For overhead entries: the
 * name. */
void resdoc_cell_label(const json_t *entry, bool with_size, char *buf, size_t len);

/* The unit an overhead entry's stats are in: its "stats_unit", else its
 * "unit" ("ns"; a bandwidth entry's stats are the time per message). */
const char *resdoc_stats_unit(const json_t *entry);

/* An overhead entry's median and 95% CI as text in its unit (units.h), each
 * into a buffer of len bytes: a bandwidth entry ("bytes_per_s") from its
 * bytes_per_s fields, so that the text says what the JSON says, anything
 * else from its stats. */
void resdoc_entry_text(const json_t *entry, char *median, char *lo, char *hi, size_t len);

/* The wall_ns of each sample of a results cell (samples[].wall_ns), or for an
 * overhead entry its samples[] numbers when it has them. Returns a malloc'd
 * array (the caller frees it) and its length in *n; NULL with *n = 0 when
 * there are none. */
double *resdoc_samples(const json_t *entry, size_t *n);

/* The samples of a results cell by round (tvp.results/2: samples[].round):
 * ns[r] = wall_ns of the sample of round r, NaN for a round without one;
 * contended[r] = its samples[].contended. Both malloc'd (the caller frees
 * them; contended may be NULL not to ask). Returns the number of rounds
 * (the largest round index + 1), or 0 with nothing allocated when the
 * samples carry no round (a /1 file): such cells cannot be paired. */
size_t resdoc_rounds(const json_t *cell, double **ns, bool **contended);

/* The median over every sample of every cell of a results document of
 * samples[].<key> (a number: "ref_ns_per_iter", "capacity"); NAN when no
 * sample has it. */
double resdoc_sample_median(const struct resdoc *d, const char *key);

/* Formats a double so that strtod reads back exactly the same value, in the
 * shortest such form ("0.5", "12345678", "0.30000000000000004"); NAN and
 * infinities as "nan", "inf", "-inf". */
void resdoc_format_double(char *buf, size_t len, double v);

#endif
