/* resdoc.c: loading and checking results and overhead documents.
 *
 * DESIGN
 * Every reader of a results file (export, report, compare) needs the same
 * guarantees: the file is JSON, of a schema version this build understands,
 * and every entry has the fields the reader will look at, with the right
 * types. resdoc_load checks all of that once and reports the first problem in
 * one line naming the file and the entry; after it the accessors can assume
 * the shape and never crash on a hand-edited or truncated file. Fields that
 * the schema allows to be null (speedup, channel) read as NAN or a default.
 */
#include "bench/resdoc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/units.h"
#include "bench/stats.h"
#include "bench/util.h"

/* The members of a results cell that are not its workload's rate. */
static const char *const fixed_keys[] = {
	"workload", "mode", "kind", "lang", "workers", "tasks", "size", "size_unit", "pin",
	"channel", "start", "stats", "setup_ns_median", "speedup", "efficiency", "verified", "error",
	"warnings", "samples", "speedup_ci95", "ci_level", "efficiency_ci95", "rounds", "converged",
};

static bool is_fixed_key(const char *k)
{
	for (size_t i = 0; i < ARRAY_SIZE(fixed_keys); i++)
		if (strcmp(k, fixed_keys[i]) == 0)
			return true;
	return false;
}

/* The largest round index resdoc_rounds accepts: bounds its arrays. */
#define RESDOC_MAX_ROUND 1000000

/* Every sample's "round", when it has one, is an integer in range. */
static bool rounds_ok(const json_t *samples)
{
	const json_t *s, *r;
	size_t i;

	json_array_foreach(samples, i, s) {
		r = json_object_get(s, "round");
		if (r && (!json_is_integer(r) || json_integer_value(r) < 0 ||
			  json_integer_value(r) > RESDOC_MAX_ROUND))
			return false;
	}
	return true;
}

/* Every sample's time is a number from 0: a bare number, or an object's
 * wall_ns (or value) when it has one. */
static bool times_ok(const json_t *samples)
{
	const json_t *s, *v;
	size_t i;

	json_array_foreach(samples, i, s) {
		v = json_is_object(s) ? json_object_get(s, "wall_ns") : s;
		if (json_is_object(s) && !v)
			v = json_object_get(s, "value");
		if (v && (!json_is_number(v) || !(json_number_value(v) >= 0)))
			return false;
	}
	return true;
}

/* Checks one entry; returns NULL or what is wrong. */
static const char *check_entry(const json_t *e, enum resdoc_kind kind)
{
	const json_t *st;

	if (!json_is_object(e))
		return "not an object";
	st = json_object_get(e, "stats");
	if (!json_is_object(st))
		return "no 'stats' object";
	if (kind == RESDOC_RESULTS) {
		if (!json_is_string(json_object_get(e, "workload")))
			return "no 'workload' string";
		if (!json_is_string(json_object_get(e, "mode")))
			return "no 'mode' string";
		if (!json_is_integer(json_object_get(e, "workers")))
			return "no 'workers' integer";
		if (!json_is_number(json_object_get(st, "median_ns")))
			return "no 'stats.median_ns' number";
		if (json_number_value(json_object_get(st, "median_ns")) < 0)
			return "a negative 'stats.median_ns'";
		if (json_object_get(e, "samples") && !json_is_array(json_object_get(e, "samples")))
			return "'samples' is not an array";
		if (json_object_get(e, "warnings") && !json_is_array(json_object_get(e, "warnings")))
			return "'warnings' is not an array";
		if (!rounds_ok(json_object_get(e, "samples")))
			return "a sample's 'round' is not an integer from 0 to 1000000";
		if (!times_ok(json_object_get(e, "samples")))
			return "a sample's 'wall_ns' is not a number from 0";
	} else {
		if (!json_is_string(json_object_get(e, "name")))
			return "no 'name' string";
		if (!json_is_string(json_object_get(e, "unit")))
			return "no 'unit' string";
		if (isnan(resdoc_stat(e, "median")))
			return "no median in 'stats'";
	}
	return NULL;
}

/* Control characters in the file's strings become '?' (C0, DEL, and C1
 * as UTF-8 "\xc2\x80".."\xc2\x9f"): the report, compare and export print
 * names from the file, and a crafted file must not drive the reader's
 * terminal with escape sequences. */
static void scrub_strings(json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	if (json_is_string(v)) {
		const unsigned char *t = (const unsigned char *)json_string_value(v);
		size_t n = json_string_length(v);
		char *c = NULL;

		for (size_t k = 0; k < n; k++) {
			bool c1 = t[k] == 0xc2 && k + 1 < n && t[k + 1] >= 0x80 && t[k + 1] <= 0x9f;

			if (t[k] >= 0x20 && t[k] != 0x7f && !c1)
				continue;
			if (!c) {
				c = xmalloc(n + 1);
				memcpy(c, t, n + 1);
			}
			c[k] = '?';
			if (c1)
				c[++k] = '?';
		}
		if (c)
			json_string_setn(v, c, n);
		free(c);
	} else if (json_is_object(v)) {
		json_object_foreach(v, key, x)
			scrub_strings(x);
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, x)
			scrub_strings(x);
	}
}

int resdoc_load(struct resdoc *d, const char *path, char *err, size_t errlen)
{
	json_error_t jerr;
	const char *schema;
	json_t *root, *e;
	struct stat st;
	FILE *f;
	size_t i;
	int rc;

	memset(d, 0, sizeof *d);
	f = fopen(path, "r");
	if (f && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		f = NULL;
		errno = EISDIR;   /* a directory opens, but it is not a document */
	}
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
		return rc;
	}
	root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root) {
		snprintf(err, errlen, "'%s' is not valid JSON: %s (line %d, column %d)", path, jerr.text,
			 jerr.line, jerr.column);
		return -EINVAL;
	}
	scrub_strings(root);
	if (!json_is_object(root)) {
		snprintf(err, errlen, "'%s' is not a tvp results file: the top level is not an object",
			 path);
		rc = -EINVAL;
		goto fail;
	}
	schema = json_string_value(json_object_get(root, "schema"));
	if (!schema) {
		snprintf(err, errlen, "'%s' is not a tvp results file: no \"schema\" member", path);
		rc = -EINVAL;
		goto fail;
	}
	if (strcmp(schema, RESDOC_RESULTS_SCHEMA) == 0 || strcmp(schema, RESDOC_RESULTS_SCHEMA2) == 0) {
		d->kind = RESDOC_RESULTS;
		d->version = strcmp(schema, RESDOC_RESULTS_SCHEMA2) == 0 ? 2 : 1;
	} else if (strcmp(schema, RESDOC_OVERHEAD_SCHEMA) == 0) {
		d->kind = RESDOC_OVERHEAD;
		d->version = 1;
	} else {
		snprintf(err, errlen, "'%s' has schema '%.60s', which this tvp does not read; accepted: "
			 "%s, %s, %s", path, schema, RESDOC_RESULTS_SCHEMA, RESDOC_RESULTS_SCHEMA2,
			 RESDOC_OVERHEAD_SCHEMA);
		rc = -EPROTO;
		goto fail;
	}
	d->results = json_object_get(root, "results");
	if (!json_is_array(d->results)) {
		snprintf(err, errlen, "'%s': no \"results\" array", path);
		rc = -EINVAL;
		goto fail;
	}
	json_array_foreach(d->results, i, e) {
		const char *why = check_entry(e, d->kind);
		if (why) {
			snprintf(err, errlen, "'%s': results[%zu]: %s", path, i, why);
			rc = -EINVAL;
			goto fail;
		}
	}
	d->root = root;
	d->path = xstrdup(path);
	return 0;
fail:
	json_decref(root);
	memset(d, 0, sizeof *d);
	return rc;
}

void resdoc_release(struct resdoc *d)
{
	json_decref(d->root);
	free(d->path);
	memset(d, 0, sizeof *d);
}

const char *resdoc_str(const json_t *o, const char *key, const char *def)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : def;
}

double resdoc_num(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

double resdoc_stat(const json_t *entry, const char *name)
{
	const json_t *st = json_object_get(entry, "stats");
	const char *unit = json_string_value(json_object_get(entry, "unit"));
	const char *k;
	const json_t *v;
	char key[128];
	size_t len = strlen(name);

	if (!json_is_object(st))
		return NAN;
	if (strcmp(name, "n") == 0 || strcmp(name, "ci_level") == 0 || strcmp(name, "outliers") == 0)
		return resdoc_num(st, name);
	snprintf(key, sizeof key, "%s_%s", name, unit ? unit : "ns");
	if (json_is_number(json_object_get(st, key)))
		return resdoc_num(st, key);
	/* An overhead unit with a slash or a space may be spelled otherwise in
	 * the key; take the one key that starts with "<name>_". */
	json_object_foreach((json_t *)st, k, v)
		if (strncmp(k, name, len) == 0 && k[len] == '_' && json_is_number(v) &&
		    !strchr(k + len + 1, '_'))
			return json_number_value(v);
	return NAN;
}

const char *resdoc_rate(const json_t *cell, double *value)
{
	const char *k;
	const json_t *v;

	json_object_foreach((json_t *)cell, k, v)
		if (!is_fixed_key(k) && json_is_number(v)) {
			*value = json_number_value(v);
			return k;
		}
	*value = NAN;
	return NULL;
}

void resdoc_cell_key(const json_t *e, char *buf, size_t len)
{
	char sz[32];

	if (json_object_get(e, "name")) {
		/* Overhead: the name, plus whatever parameters it carries. */
		int n = snprintf(buf, len, "%s", resdoc_str(e, "name", "?"));
		static const char *const params[] = { "size_bytes", "workers", "pin", "channel" };
		for (size_t i = 0; i < ARRAY_SIZE(params) && n >= 0 && (size_t)n < len; i++) {
			const json_t *v = json_object_get(e, params[i]);
			if (json_is_integer(v))
				n += snprintf(buf + n, len - (size_t)n, "|%s=%lld", params[i],
					      (long long)json_integer_value(v));
			else if (json_is_string(v))
				n += snprintf(buf + n, len - (size_t)n, "|%s=%s", params[i],
					      json_string_value(v));
		}
		return;
	}
	snprintf(sz, sizeof sz, "%lld", (long long)json_integer_value(json_object_get(e, "size")));
	snprintf(buf, len, "%s|%s|%lld|%s|%s|%s|%s|%s", resdoc_str(e, "workload", "?"),
		 resdoc_str(e, "mode", "?"), (long long)json_integer_value(json_object_get(e, "workers")),
		 sz, resdoc_str(e, "pin", "none"), resdoc_str(e, "channel", "-"),
		 resdoc_str(e, "lang", "c"), resdoc_str(e, "start", "fork"));
}

const char *resdoc_cell_start(const json_t *e)
{
	const char *s = resdoc_str(e, "start", NULL);

	return s && strcmp(s, "fork") != 0 ? s : NULL;
}

const char *resdoc_mode_label(const json_t *e, char *buf, size_t len)
{
	const char *ch = resdoc_str(e, "channel", NULL), *st = resdoc_cell_start(e);

	snprintf(buf, len, "%s%s%s%s%s", resdoc_str(e, "mode", "?"), ch ? "/" : "", ch ? ch : "",
		 st ? "+" : "", st ? st : "");
	return buf;
}

void resdoc_cell_label(const json_t *e, bool with_size, char *buf, size_t len)
{
	const char *pin = resdoc_str(e, "pin", "none");
	const char *lang = resdoc_str(e, "lang", "c");
	char size[64] = "", sz[UNITS_LEN], mode[128];

	if (json_object_get(e, "name")) {
		snprintf(buf, len, "%s", resdoc_str(e, "name", "?"));
		return;
	}
	if (with_size)
		snprintf(size, sizeof size, " size %s",
			 units_size(sz, sizeof sz, (long long)json_integer_value(json_object_get(e, "size")),
				    resdoc_str(e, "size_unit", "")));
	snprintf(buf, len, "%s%s %s%s%s x%lld%s", resdoc_str(e, "workload", "?"), size,
		 resdoc_mode_label(e, mode, sizeof mode), strcmp(pin, "none") ? "@" : "",
		 strcmp(pin, "none") ? pin : "", (long long)json_integer_value(json_object_get(e, "workers")),
		 strcmp(lang, "c") ? " (python)" : "");
}

const char *resdoc_stats_unit(const json_t *e)
{
	return resdoc_str(e, "stats_unit", resdoc_str(e, "unit", ""));
}

void resdoc_entry_text(const json_t *e, char *med, char *lo, char *hi, size_t len)
{
	const char *unit = resdoc_str(e, "unit", "");

	if (!strcmp(unit, "bytes_per_s") && json_is_number(json_object_get(e, "bytes_per_s"))) {
		units_rate(med, len, resdoc_num(e, "bytes_per_s"));
		units_rate(lo, len, resdoc_num(e, "bytes_per_s_ci95_lo"));
		units_rate(hi, len, resdoc_num(e, "bytes_per_s_ci95_hi"));
		return;
	}
	unit = resdoc_stats_unit(e);
	units_value(med, len, resdoc_stat(e, "median"), unit);
	units_value(lo, len, resdoc_stat(e, "ci95_lo"), unit);
	units_value(hi, len, resdoc_stat(e, "ci95_hi"), unit);
}

double *resdoc_samples(const json_t *e, size_t *n)
{
	const json_t *a = json_object_get(e, "samples"), *s;
	double *x;
	size_t i, k = 0;

	*n = 0;
	if (!json_is_array(a) || json_array_size(a) == 0)
		return NULL;
	x = xcalloc(json_array_size(a), sizeof *x);
	json_array_foreach(a, i, s) {
		const json_t *v = json_is_number(s) ? s : json_object_get(s, "wall_ns");
		if (!v && json_is_object(s))
			v = json_object_get(s, "value");
		if (json_is_number(v))
			x[k++] = json_number_value(v);
	}
	if (k == 0) {
		free(x);
		return NULL;
	}
	*n = k;
	return x;
}

size_t resdoc_rounds(const json_t *cell, double **ns, bool **contended)
{
	const json_t *a = json_object_get(cell, "samples"), *s;
	size_t i, rounds = 0;

	json_array_foreach(a, i, s) {
		const json_t *r = json_object_get(s, "round");
		if (!json_is_integer(r))
			return 0;
		if ((size_t)json_integer_value(r) + 1 > rounds)
			rounds = (size_t)json_integer_value(r) + 1;
	}
	if (rounds == 0)
		return 0;
	*ns = xmalloc(rounds * sizeof **ns);
	if (contended)
		*contended = xcalloc(rounds, sizeof **contended);
	for (i = 0; i < rounds; i++)
		(*ns)[i] = NAN;
	json_array_foreach(a, i, s) {
		size_t r = (size_t)json_integer_value(json_object_get(s, "round"));
		(*ns)[r] = resdoc_num(s, "wall_ns");
		if (contended)
			(*contended)[r] = json_is_true(json_object_get(s, "contended"));
	}
	return rounds;
}

double resdoc_sample_median(const struct resdoc *d, const char *key)
{
	const json_t *cell, *s;
	size_t i, k, n = 0, cap = 16;
	double *x = xmalloc(cap * sizeof *x), med = NAN;

	json_array_foreach(d->results, i, cell)
		json_array_foreach(json_object_get(cell, "samples"), k, s) {
			double v = resdoc_num(s, key);
			if (!isfinite(v))
				continue;
			if (n == cap)
				x = xrealloc(x, (cap *= 2) * sizeof *x);
			x[n++] = v;
		}
	if (n) {
		/* Only the median: stats_compute's CI costs O(n^2) here. */
		qsort(x, n, sizeof *x, stats_cmp_double);
		med = n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
	}
	free(x);
	return med;
}

void resdoc_format_double(char *buf, size_t len, double v)
{
	if (isnan(v)) {
		snprintf(buf, len, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(buf, len, v < 0 ? "-inf" : "inf");
		return;
	}
	/* The shortest of %.15g..%.17g that reads back exactly (17 always does
	 * for an IEEE double). */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			return;
	}
}
