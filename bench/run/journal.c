/* journal.c: the journal of a run as a file of JSON lines (journal.h).
 *
 * DESIGN
 * One line per entry, written with one write() and synced with fdatasync()
 * before the run goes on, so after a crash the file holds every entry that
 * was finished and at most the start of one more. A line is the compact
 * JSON of an object (jansson escapes newlines inside strings), so a reader
 * splits on '\n' and a cut-off last line is told by its failing to parse.
 * Doubles are written by jansson with 17 significant digits, which read
 * back to the same double: a resumed run computes from exactly the figures
 * the first one measured. The file is opened O_APPEND: a failed write may
 * leave part of a line, and the journal then stops writing, so nothing is
 * ever appended after a partial line.
 */
#include "bench/run/journal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/util.h"

/* A journal is a few lines per measurement; one this large is not one. */
#define JOURNAL_MAX_BYTES (1ull << 30)

struct journal {
	char *path;
	int fd;
	int write_error;          /* the first failed append's errno, or 0 */
	json_t *header;
	json_t **entries;
	size_t n_entries;
	char **names;             /* counter names read back, interned */
	size_t n_names;
};

static struct journal *journal_new(const char *path, int fd)
{
	struct journal *j = xcalloc(1, sizeof *j);

	j->path = xstrdup(path);
	j->fd = fd;
	return j;
}

/* Writes o as one line; returns 0 or a negative errno. A file size limit
 * (ulimit -f) makes the write fail with EFBIG and raise SIGXFSZ, which
 * would end the run (bench/util.h): here it is blocked and the signal the
 * write raised is taken back, so a journal that cannot grow only stops. */
static int write_line(int fd, const json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	const struct timespec now = { 0, 0 };
	sigset_t xfsz, old;
	size_t len;
	int rc;

	if (!text)
		return -ENOMEM;
	len = strlen(text);
	text = xrealloc(text, len + 2);
	text[len] = '\n';
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	rc = write_full(fd, text, len + 1);
	if (rc == -EFBIG)
		sigtimedwait(&xfsz, NULL, &now);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	free(text);
	if (rc == 0 && fdatasync(fd) != 0)
		rc = -errno;
	return rc;
}

int journal_create(struct journal **out, const char *path, json_t *header, char *err,
		   size_t errlen)
{
	int fd, rc;

	*out = NULL;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot create journal '%s': %s", path, strerror(-rc));
		return rc;
	}
	json_object_set_new(header, "format", json_string(JOURNAL_FORMAT));
	if ((rc = write_line(fd, header)) != 0) {
		snprintf(err, errlen, "cannot create journal '%s': %s", path, strerror(-rc));
		close(fd);
		unlink(path);
		return rc;
	}
	*out = journal_new(path, fd);
	(*out)->header = json_incref(header);
	return 0;
}

/* The whole file (NUL-terminated) into *text. Returns 0 or a negative
 * errno (-EINVAL: not a regular file, or too large to be a journal). */
static int read_all(int fd, char **text, size_t *len)
{
	struct stat st;
	size_t got = 0;

	if (fstat(fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || (unsigned long long)st.st_size > JOURNAL_MAX_BYTES)
		return -EINVAL;
	*text = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, *text + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	(*text)[got] = '\0';
	*len = got;
	return 0;
}

/* Parses text's lines into j: the header, then the entries. A bad last
 * line is dropped and *keep says how many bytes are whole. */
static int parse_lines(struct journal *j, char *text, size_t len, size_t *keep, char *err,
		       size_t errlen)
{
	size_t line = 0;
	char *p = text;

	*keep = 0;
	while (p < text + len) {
		char *nl = memchr(p, '\n', (size_t)(text + len - p));
		bool last = !nl || nl + 1 == text + len;
		json_error_t jerr;
		json_t *o;

		if (nl)
			*nl = '\0';
		line++;
		o = json_loads(p, 0, &jerr);
		if (!json_is_object(o) || !nl) {
			json_decref(o);
			if (last && line > 1)
				return 0;   /* cut short by a crash: the entries before it stand */
			snprintf(err, errlen, "line %zu is %s", line,
				 line == 1 ? "not a tvp journal's header" : "damaged");
			return -EINVAL;
		}
		if (line == 1) {
			const char *format = json_string_value(json_object_get(o, "format"));
			if (!format || strcmp(format, JOURNAL_FORMAT) != 0) {
				snprintf(err, errlen, "not a journal of format %s (its format: %.40s)",
					 JOURNAL_FORMAT, format ? format : "none");
				json_decref(o);
				return -EINVAL;
			}
			j->header = o;
		} else {
			j->entries = xrealloc(j->entries, (j->n_entries + 1) * sizeof *j->entries);
			j->entries[j->n_entries++] = o;
		}
		p = nl + 1;
		*keep = (size_t)(p - text);
	}
	if (!j->header) {
		snprintf(err, errlen, "empty file, not a tvp journal");
		return -EINVAL;
	}
	return 0;
}

int journal_open(struct journal **out, const char *path, char *err, size_t errlen)
{
	struct journal *j;
	char *text = NULL, why[256] = "";
	size_t len = 0, keep;
	int fd, rc;

	*out = NULL;
	fd = open(path, O_RDWR | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "cannot open journal '%s': %s", path, strerror(-rc));
		return rc;
	}
	j = journal_new(path, fd);
	if ((rc = read_all(fd, &text, &len)) != 0) {
		snprintf(err, errlen, "'%s': %s", path,
			 rc == -EINVAL ? "not a regular file of at most 1 GiB, not a tvp journal"
				       : strerror(-rc));
		goto out_close;
	}
	if ((rc = parse_lines(j, text, len, &keep, why, sizeof why)) != 0) {
		snprintf(err, errlen, "'%s': %s", path, why);
		goto out_close;
	}
	if (keep < len && ftruncate(fd, (off_t)keep) != 0) {
		rc = -errno;
		snprintf(err, errlen, "'%s': cutting off its damaged last line: %s", path, strerror(-rc));
		goto out_close;
	}
	free(text);
	*out = j;
	return 0;
out_close:
	free(text);
	journal_close(j, false);
	return rc;
}

const json_t *journal_header(const struct journal *j)
{
	return j->header;
}

const char *journal_path(const struct journal *j)
{
	return j->path;
}

size_t journal_entries(const struct journal *j)
{
	return j->n_entries;
}

const json_t *journal_entry(const struct journal *j, size_t i)
{
	return i < j->n_entries ? j->entries[i] : NULL;
}

int journal_append(struct journal *j, const json_t *entry)
{
	int rc;

	if (j->write_error)
		return -j->write_error;
	if ((rc = write_line(j->fd, entry)) != 0)
		j->write_error = -rc;
	return rc;
}

void journal_close(struct journal *j, bool remove)
{
	if (!j)
		return;
	if (j->fd >= 0)
		close(j->fd);
	if (remove)
		unlink(j->path);
	for (size_t i = 0; i < j->n_entries; i++)
		json_decref(j->entries[i]);
	for (size_t i = 0; i < j->n_names; i++)
		free(j->names[i]);
	json_decref(j->header);
	free(j->entries);
	free(j->names);
	free(j->path);
	free(j);
}

/* ---- The sample codec --------------------------------------------------- */

static json_t *real_json(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static double real_read(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : NAN;
}

static long long int_read(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* v[0 .. n), or null when v is NULL (not probed). */
static const char *string_read(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static json_t *doubles_json(const double *v, unsigned n)
{
	json_t *a;

	if (!v)
		return json_null();
	a = json_array();
	for (unsigned i = 0; i < n; i++)
		json_array_append_new(a, real_json(v[i]));
	return a;
}

static double *doubles_read(const json_t *a, unsigned n)
{
	double *v;

	if (!json_is_array(a) || json_array_size(a) != n || n == 0)
		return NULL;
	v = xcalloc(n, sizeof *v);
	for (unsigned i = 0; i < n; i++) {
		const json_t *x = json_array_get(a, i);
		v[i] = json_is_number(x) ? json_number_value(x) : NAN;
	}
	return v;
}

/* The figures of struct sample that are plain numbers, by JSON key. */
#define REALS(X) X(ref_ns_per_iter) X(pressure_us) X(runq_ns) X(user_ns) X(sys_ns) \
	X(children_user_ns) X(children_sys_ns)
#define INTS(X) X(wall_ns) X(setup_ns) X(probe_ns) X(voluntary_ctxsw) X(involuntary_ctxsw) \
	X(minor_faults) X(major_faults) X(max_rss_kb) X(children_max_rss_kb)

static json_t *worker_json(const struct worker_stats *w)
{
	return json_pack("{s:i, s:i, s:I, s:I, s:i, s:i, s:s, s:s}", "pid", (int)w->pid, "tid",
			 (int)w->tid, "tasks", (json_int_t)w->tasks, "busy_ns", (json_int_t)w->busy_ns,
			 "pinned", (int)w->pinned, "bind_errno", (int)w->bind_errno, "bound", w->bound,
			 "ran_on", w->ran_on);
}

static void worker_read(const json_t *o, struct worker_stats *w)
{
	w->pid = (int32_t)int_read(o, "pid");
	w->tid = (int32_t)int_read(o, "tid");
	w->tasks = (uint64_t)int_read(o, "tasks");
	w->busy_ns = (uint64_t)int_read(o, "busy_ns");
	w->pinned = (int32_t)int_read(o, "pinned");
	w->bind_errno = (int32_t)int_read(o, "bind_errno");
	snprintf(w->bound, sizeof w->bound, "%s", string_read(o, "bound"));
	snprintf(w->ran_on, sizeof w->ran_on, "%s", string_read(o, "ran_on"));
}

json_t *journal_sample_json(const struct sample *s)
{
	json_t *o = json_object(), *counters = json_array(), *workers = json_array();

#define PUT_REAL(f) json_object_set_new(o, #f, real_json(s->f));
#define PUT_INT(f) json_object_set_new(o, #f, json_integer((json_int_t)s->f));
	REALS(PUT_REAL)
	INTS(PUT_INT)
	json_object_set_new(o, "probe_before", doubles_json(s->probe_before, s->probe_pus));
	json_object_set_new(o, "probe_after", doubles_json(s->probe_after, s->probe_pus));
	for (unsigned i = 0; i < s->n_counters; i++)
		json_array_append_new(counters, json_pack("[s, o]", s->counters[i].name,
							  real_json(s->counters[i].value)));
	json_object_set_new(o, "counters", counters);
	for (unsigned i = 0; i < s->n_workers; i++)
		json_array_append_new(workers, worker_json(&s->workers[i]));
	json_object_set_new(o, "workers", workers);
	return o;
}

/* name, interned in j. */
static const char *intern(struct journal *j, const char *name)
{
	for (size_t i = 0; i < j->n_names; i++)
		if (strcmp(j->names[i], name) == 0)
			return j->names[i];
	j->names = xrealloc(j->names, (j->n_names + 1) * sizeof *j->names);
	return j->names[j->n_names++] = xstrdup(name);
}

int journal_sample_read(struct journal *j, const json_t *o, struct sample *s)
{
	const json_t *counters = json_object_get(o, "counters"), *workers = json_object_get(o, "workers");
	const json_t *before = json_object_get(o, "probe_before"), *v;
	size_t i;

	memset(s, 0, sizeof *s);
	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "wall_ns")) ||
	    !json_is_array(counters) || !json_is_array(workers))
		return -EINVAL;
#define GET_REAL(f) s->f = real_read(o, #f);
#define GET_INT(f) s->f = int_read(o, #f);
	REALS(GET_REAL)
	INTS(GET_INT)
	s->capacity = NAN;
	if (json_is_array(before) && json_array_size(before) > 0) {
		s->probe_pus = (unsigned)json_array_size(before);
		s->probe_before = doubles_read(before, s->probe_pus);
		s->probe_after = doubles_read(json_object_get(o, "probe_after"), s->probe_pus);
	}
	json_array_foreach(counters, i, v) {
		const char *name = json_string_value(json_array_get(v, 0));
		const json_t *val = json_array_get(v, 1);

		if (!name || s->n_counters == SAMPLE_MAX_COUNTERS)
			continue;
		s->counters[s->n_counters++] = (struct workload_counter){
			intern(j, name), json_is_number(val) ? json_number_value(val) : NAN };
	}
	s->n_workers = (unsigned)json_array_size(workers);
	s->workers = s->n_workers ? xcalloc(s->n_workers, sizeof *s->workers) : NULL;
	json_array_foreach(workers, i, v)
		worker_read(v, &s->workers[i]);
	return 0;
}
