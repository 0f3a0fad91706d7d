/* resume.c: the run loop's journal and `tvp run --resume` (resume.h).
 *
 * DESIGN
 * The header says what run the journal belongs to: the command line, the
 * directory it ran in, the seed (drawn or given), every instance's size
 * (--size auto calibrates differently each time), the output, the tvp that
 * wrote it, and a fingerprint of the plan (every cell's label, tasks, size
 * and placement, the rounds' settings, the probed PUs). Then one entry per
 * step the schedule took (cell index, round, recorded or warm-up, its start
 * and end on the run's clock, the sample or the failure), and one per
 * Python cell.
 *
 * Resuming re-parses the command line, forces the seed and the sizes, and
 * rebuilds the plan; a different fingerprint (another machine's PUs, a
 * changed workload table) is refused. The schedule then runs as it did: the
 * same seed shuffles the same rounds, and each step is looked up in the
 * journal by (cell, round, recorded): found, its sample is taken as
 * measured (the probe readings folded into the bests); not found, replay is
 * over and the rest is measured now. The adaptive rounds decide from the
 * samples and from the clock (the budget), so while replaying the clock is
 * the journal's (the steps' recorded end times), and afterwards the real
 * time plus where the journal left off: the budget counts the first run's
 * time too. A step still looked up after replay ended (the order diverged)
 * is still taken from the journal when it is there. What differs from an
 * uninterrupted run: the host, build and run-level warnings are the
 * resumed run's, the first measurement after resuming finds the machine
 * cold (no warm-up is repeated), the probes of measurements that failed
 * are not journaled (the run's best capacity misses them), and a default
 * output name is chosen afresh (never replacing a file).
 *
 * The journal lives beside the output (OUT.json's is OUT.journal); an
 * output written in place (stdout, a device, a FIFO) has it in the results
 * folder. A new run never replaces an existing journal: that is a run that
 * died with measurements in it (exit 2, saying how to resume it).
 */
#include "bench/run/resume.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/capacity.h"
#include "bench/env.h"
#include "bench/paths.h"
#include "bench/run_options.h"
#include "bench/util.h"

#include "gitrev.h"

/* FNV-1a over the text of the plan. */
static uint64_t fnv(uint64_t h, const char *text)
{
	for (; *text; text++)
		h = (h ^ (unsigned char)*text) * 0x100000001b3ull;
	return h;
}

/* The plan's fingerprint, as 16 hex digits in buf. */
static void fingerprint(char buf[17], const struct run_common *c, const struct cell_matrix *m,
			const struct capacity *cap)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char line[512], label[128];

	snprintf(line, sizeof line, "%s %s %u %u %u %.17g %" PRIu64 " %d %zu", JOURNAL_FORMAT,
		 TVP_VERSION, c->warmup, c->min_repeat, c->max_repeat, c->precision, c->budget_ns,
		 c->python, m->n_cells);
	h = fnv(h, line);
	for (unsigned i = 0; cap && i < cap->n_pus; i++) {
		snprintf(line, sizeof line, " pu%d", cap->cpus[i]);
		h = fnv(h, line);
	}
	for (size_t i = 0; i < m->n_cells; i++) {
		const struct cell *x = &m->cells[i];

		snprintf(line, sizeof line, "|%s %" PRIu64 " %" PRIu64 " %s %d %d %zu",
			 cell_label(x, label, sizeof label), x->tasks, x->size, x->pin, x->pin_strict,
			 x->has_start ? (int)x->start : -1, x->group);
		h = fnv(h, line);
	}
	snprintf(buf, 17, "%016" PRIx64, h);
}

/* Where a new run's journal goes: OUT.journal beside a file (OUT.json's
 * ".json" replaced; OUT-N.journal, N >= 2, for the n-th try of a default
 * name), the results folder for an output written in place. */
static char *journal_path_for(const char *output, bool in_place, unsigned n)
{
	size_t len = strlen(output);
	char *dir, *path, stamp[32];

	if (!in_place) {
		if (len > 5 && strcmp(output + len - 5, ".json") == 0)
			len -= 5;
		if (n >= 2)
			return xasprintf("%.*s-%u.journal", (int)len, output, n);
		return xasprintf("%.*s.journal", (int)len, output);
	}
	dir = paths_results_dir();
	env_utc_stamp(stamp, sizeof stamp, true);
	if (paths_mkdir_p(dir) != 0) {
		free(dir);
		return NULL;
	}
	path = xasprintf("%s/tvp-%ld-%s.journal", dir, (long)getpid(), stamp);
	free(dir);
	return path;
}

static json_t *header_json(const struct resume_run *run, const char *print)
{
	const struct run_common *c = run->c;
	const struct cell_matrix *m = run->m;
	json_t *argv = json_array(), *sizes = json_array();
	char cwd[PATH_MAX];

	for (int i = 0; i < c->argc; i++)
		json_array_append_new(argv, json_string(c->argv[i]));
	for (size_t i = 0; i < m->n_insts; i++)
		json_array_append_new(sizes, json_integer((json_int_t)m->insts[i].size));
	if (!getcwd(cwd, sizeof cwd))
		snprintf(cwd, sizeof cwd, ".");
	return json_pack("{s:{s:s, s:s}, s:s, s:s, s:o, s:I, s:o, s:s, s:b, s:s, s:I}", "tool",
			 "version", TVP_VERSION, "git_revision", TVP_GIT_REV, "created", run->created,
			 "cwd", cwd, "argv", argv, "seed", (json_int_t)run->seed, "sizes", sizes,
			 "output", run->output,
			 "output_default", c->output == NULL, "fingerprint", print, "cells",
			 (json_int_t)m->n_cells);
}

int resume_begin(struct run_journal *jr, const struct resume_run *run, char *err, size_t errlen)
{
	const struct run_common *c = run->c;
	char print[17], why[600];
	char *path = NULL;
	json_t *header;
	int rc;

	fingerprint(print, c, run->m, run->cap);
	if (c->resume) {
		const char *was = json_string_value(json_object_get(journal_header(c->resume),
								    "fingerprint"));
		if (!was || strcmp(was, print) != 0) {
			snprintf(err, errlen, "--resume: the plan is not the journal's (its cells, "
				 "sizes or this machine's PUs differ): cannot resume '%s'",
				 journal_path(c->resume));
			return -EINVAL;
		}
		jr->j = c->resume;
		jr->replaying = true;
		jr->used = xcalloc(journal_entries(jr->j) + 1, sizeof *jr->used);
		return 0;
	}
	if (!c->argv)
		return 0;
	header = header_json(run, print);
	/* Two runs with default names that start in the same second claim the
	 * same name until the first commits (results.c): their journals take
	 * suffixes. A named output's journal is never another's. */
	for (unsigned n = 1; n <= 100; n++) {
		free(path);
		if (!(path = journal_path_for(run->output, run->in_place, n))) {
			fprintf(stderr, "tvp: warning: no results folder for the journal: a crash would "
				"lose the measurements\n");
			json_decref(header);
			return 0;
		}
		rc = journal_create(&jr->j, path, header, why, sizeof why);
		if (rc != -EEXIST || c->output)
			break;
	}
	json_decref(header);
	if (rc == -EEXIST) {
		snprintf(err, errlen, "--output: %s exists: the journal of a run that did not finish; "
			 "finish it with 'tvp run --resume %s', or remove it", path, path);
	} else if (rc != 0) {
		fprintf(stderr, "tvp: warning: %s: a crash would lose the measurements\n", why);
		rc = 0;
	}
	jr->owned = jr->j != NULL;
	free(path);
	return rc;
}

uint64_t resume_elapsed_ns(struct run_journal *jr)
{
	if (jr->replaying)
		return jr->journal_ns;
	return now_ns() - jr->real_t0 + jr->skew_ns;
}

/* The unused entry for (cell, round, record), or -1; Python entries when
 * python. Looked for at the cursor first: replay follows the journal's
 * order. */
static long find_entry(struct run_journal *jr, size_t cell, unsigned round, bool record, bool python)
{
	size_t n = jr->j ? journal_entries(jr->j) : 0;

	if (!jr->used)
		return -1;
	for (size_t k = 0; k < n; k++) {
		size_t i = (jr->cursor + k) % n;
		const json_t *e = journal_entry(jr->j, i);

		if (jr->used[i] || (size_t)json_integer_value(json_object_get(e, "cell")) != cell ||
		    (json_object_get(e, "python") != NULL) != python)
			continue;
		if (!python && ((unsigned)json_integer_value(json_object_get(e, "round")) != round ||
				json_is_true(json_object_get(e, "record")) != record))
			continue;
		jr->used[i] = true;
		jr->cursor = i + 1;
		return (long)i;
	}
	return -1;
}

/* Replay is over: from now on the clock is real, going on from the journal's. */
static void end_replay(struct run_journal *jr)
{
	if (!jr->replaying)
		return;
	jr->replaying = false;
	jr->skew_ns = jr->journal_ns - (now_ns() - jr->real_t0);
}

/* The journal's time moves to entry e's end. */
static void advance(struct run_journal *jr, const json_t *e)
{
	uint64_t t1 = (uint64_t)json_integer_value(json_object_get(e, "t1"));

	if (jr->replaying && t1 > jr->journal_ns)
		jr->journal_ns = t1;
}

int resume_replay(struct run_journal *jr, const struct cell_matrix *m, const struct cell *c,
		  unsigned round, bool record, struct capacity *cap, struct sample *out, char *err,
		  size_t errlen)
{
	long i = find_entry(jr, (size_t)(c - m->cells), round, record, false);
	const json_t *e, *sample, *error;

	memset(out, 0, sizeof *out);
	if (i < 0) {
		end_replay(jr);
		return -ENOENT;
	}
	e = journal_entry(jr->j, (size_t)i);
	advance(jr, e);
	sample = json_object_get(e, "sample");
	error = json_object_get(e, "error");
	if (json_is_object(sample) && journal_sample_read(jr->j, sample, out) == 0 && cap &&
	    out->probe_pus == cap->n_pus) {
		capacity_note_best(cap->best_ns_per_iter, out->probe_before, cap->kind, cap->n_pus);
		if (out->probe_after)
			capacity_note_best(cap->best_ns_per_iter, out->probe_after, cap->kind, cap->n_pus);
	}
	if (json_is_string(error)) {
		snprintf(err, errlen, "%s", json_string_value(error));
		return -1;
	}
	return 0;
}

/* Appends e (taken) to the journal; a failure is reported once. */
static void append(struct run_journal *jr, json_t *e)
{
	int rc = journal_append(jr->j, e);

	json_decref(e);
	if (rc != 0 && !jr->warned) {
		fprintf(stderr, "tvp: warning: journal '%s': %s: the measurements from here on are "
			"kept only in memory\n", journal_path(jr->j), strerror(-rc));
		jr->warned = true;
	}
}

void resume_record(struct run_journal *jr, const struct cell_matrix *m, const struct cell *c,
		   unsigned round, bool record, uint64_t t0, uint64_t t1, int rc, const struct sample *s,
		   const char *err)
{
	bool has_sample = rc == 0 || s->wall_ns || s->n_counters;

	if (!jr->j || rc == -EINTR)
		return;
	append(jr, json_pack("{s:I, s:i, s:b, s:I, s:I, s:o, s:s?}", "cell",
			     (json_int_t)(c - m->cells), "round", (int)round, "record", record, "t0",
			     (json_int_t)t0, "t1", (json_int_t)t1, "sample",
			     has_sample ? journal_sample_json(s) : json_null(), "error",
			     rc == 0 ? NULL : err));
}

static json_t *python_info_json(const struct python_info *p)
{
	return json_pack("{s:s, s:b, s:s, s:s, s:s, s:b}", "api", p->api, "known", p->known,
			 "version", p->version, "implementation", p->implementation, "executable",
			 p->executable, "gil", p->gil);
}

static void copy_text(char *dst, size_t len, const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	snprintf(dst, len, "%s", v ? v : "");
}

bool resume_python_replay(struct run_journal *jr, const struct cell_matrix *m, struct cell *c)
{
	long i = find_entry(jr, (size_t)(c - m->cells), 0, false, true);
	const json_t *e, *p, *v;
	size_t k;

	if (i < 0)
		return false;
	e = journal_entry(jr->j, (size_t)i);
	p = json_object_get(e, "python");
	c->python = xcalloc(1, sizeof *c->python);
	copy_text(c->python->api, sizeof c->python->api, p, "api");
	copy_text(c->python->version, sizeof c->python->version, p, "version");
	copy_text(c->python->implementation, sizeof c->python->implementation, p, "implementation");
	copy_text(c->python->executable, sizeof c->python->executable, p, "executable");
	c->python->known = json_is_true(json_object_get(p, "known"));
	c->python->gil = json_is_true(json_object_get(p, "gil"));
	json_array_foreach(json_object_get(e, "samples"), k, v) {
		struct sample s = { .round = (unsigned)k };

		s.wall_ns = (uint64_t)json_integer_value(json_array_get(v, 0));
		s.setup_ns = (uint64_t)json_integer_value(json_array_get(v, 1));
		samples_push(&c->samples, &s);
	}
	copy_text(c->error, sizeof c->error, e, "error");
	c->failed = c->error[0] != '\0';
	return true;
}

void resume_python_record(struct run_journal *jr, const struct cell_matrix *m, const struct cell *c)
{
	json_t *samples = json_array();

	if (!jr->j)
		return;
	for (size_t k = 0; k < c->samples.n; k++)
		json_array_append_new(samples, json_pack("[I, I]", (json_int_t)c->samples.items[k].wall_ns,
							 (json_int_t)c->samples.items[k].setup_ns));
	append(jr, json_pack("{s:I, s:o, s:o, s:s, s:I}", "cell", (json_int_t)(c - m->cells), "python",
			     python_info_json(c->python), "samples", samples, "error", c->error, "t1",
			     (json_int_t)resume_elapsed_ns(jr)));
}

void resume_end(struct run_journal *jr, bool committed)
{
	if (jr->j && !committed)
		fprintf(stderr, "tvp: the measurements are kept in %s: 'tvp run --resume %s' writes "
			"the document\n", journal_path(jr->j), journal_path(jr->j));
	if (jr->owned)
		journal_close(jr->j, committed);
	else if (jr->j && committed)
		unlink(journal_path(jr->j));
	free(jr->used);
	memset(jr, 0, sizeof *jr);
}

bool resume_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--resume") == 0 || strncmp(argv[i], "--resume=", 9) == 0)
			return true;
	return false;
}

/* `run --resume J [--output FILE]` (also --resume=J, --output=FILE, -o
 * FILE): the journal, and the output to use instead of the journal's (NULL:
 * the journal's; a full disk or a failing device may be why the run did not
 * finish). Returns false when argv holds anything else. */
static bool resume_args(int argc, char **argv, const char **journal, const char **output)
{
	*journal = *output = NULL;
	for (int i = 1; i < argc; i++) {
		const char **to = NULL, *v = NULL;

		if (strncmp(argv[i], "--resume=", 9) == 0 || strncmp(argv[i], "--output=", 9) == 0) {
			to = argv[i][2] == 'r' ? journal : output;
			v = argv[i] + 9;
		} else if (i + 1 < argc && (strcmp(argv[i], "--resume") == 0 ||
					    strcmp(argv[i], "--output") == 0 || strcmp(argv[i], "-o") == 0)) {
			to = strcmp(argv[i], "--resume") == 0 ? journal : output;
			v = argv[++i];
		}
		if (!to || *to || !*v)
			return false;
		*to = v;
	}
	return *journal != NULL;
}

/* Checks the header and sets o, c from it: the command line parsed again
 * in the run's directory, the sizes and seed forced, the output the
 * journal's unless output (absolute) is given. Returns 0, or -EINVAL with
 * err. */
static int from_header(const json_t *h, const char *output_given, struct run_options *o,
		       struct run_common *c, char *err, size_t errlen)
{
	const json_t *argv_j = json_object_get(h, "argv"), *sizes = json_object_get(h, "sizes"), *v;
	const char *version = json_string_value(json_object_get(json_object_get(h, "tool"), "version"));
	const char *rev = json_string_value(json_object_get(json_object_get(h, "tool"), "git_revision"));
	const char *cwd = json_string_value(json_object_get(h, "cwd"));
	const char *output = json_string_value(json_object_get(h, "output"));
	size_t n = json_array_size(argv_j), k = 0, i;
	char **argv, why[512];
	int rc;

	if (!version || !rev || strcmp(version, TVP_VERSION) != 0 || strcmp(rev, TVP_GIT_REV) != 0) {
		snprintf(err, errlen, "written by tvp %.40s (%.60s), this is tvp %s (%s): a run is "
			 "resumed by the tvp that started it", version ? version : "?", rev ? rev : "?",
			 TVP_VERSION, TVP_GIT_REV);
		return -EINVAL;
	}
	if (!n || !output || !cwd || !json_is_array(sizes)) {
		snprintf(err, errlen, "its header lacks the command line, the output or the sizes");
		return -EINVAL;
	}
	if (chdir(cwd) != 0) {
		snprintf(err, errlen, "cannot enter the run's directory '%s': %s", cwd, strerror(errno));
		return -EINVAL;
	}
	argv = xcalloc(n + 1, sizeof *argv);
	json_array_foreach(argv_j, i, v)
		argv[i] = (char *)json_string_value(v);
	/* run_options keeps pointers into argv: the header owns the strings. */
	rc = run_options_parse(o, env_pus(), (int)n, argv, why, sizeof why);
	free(argv);
	if (rc != 0) {
		snprintf(err, errlen, "its command line does not parse: %s", rc < 0 ? why : "--help");
		return -EINVAL;
	}
	for (i = 0; i < o->n_workloads; i++)
		for (size_t s = 0; s < o->workloads[i].n_sizes; s++, k++)
			if (k < json_array_size(sizes))
				o->workloads[i].sizes[s] = (uint64_t)json_integer_value(json_array_get(sizes, k));
	if (k != json_array_size(sizes)) {
		snprintf(err, errlen, "its sizes are not its command line's");
		return -EINVAL;
	}
	run_common_from_options(c, o);
	c->seed = (uint64_t)json_integer_value(json_object_get(h, "seed"));
	c->seed_given = true;
	/* A default name is chosen again (a run of the same second may hold
	 * the first one's by now): never replaced. */
	c->output = json_is_true(json_object_get(h, "output_default")) ? NULL : output;
	if (output_given)
		c->output = output_given;
	c->created = json_string_value(json_object_get(h, "created"));
	return 0;
}

int resume_main(int argc, char **argv)
{
	const char *arg, *out_arg;
	char path[PATH_MAX], here[PATH_MAX], *output = NULL;
	struct run_options o;
	struct run_common c;
	struct journal *j;
	char err[700];
	int status;

	memset(&o, 0, sizeof o);
	if (!resume_args(argc, argv, &arg, &out_arg)) {
		fprintf(stderr, "tvp: run: --resume JOURNAL takes no other option but --output FILE "
			"(the journal holds the run's command line)\n");
		return 2;
	}
	/* The run goes on in its own directory: an output given here is
	 * relative to this one. */
	if (out_arg && out_arg[0] != '/' && strcmp(out_arg, "-") != 0 && getcwd(here, sizeof here))
		output = xasprintf("%s/%s", here, out_arg);
	else if (out_arg)
		output = xstrdup(out_arg);
	/* The run goes on in its own directory: the journal's path must not
	 * depend on this one. */
	if (!realpath(arg, path)) {
		fprintf(stderr, "tvp: run: --resume: cannot open journal '%s': %s\n", arg, strerror(errno));
		free(output);
		return 2;
	}
	if (journal_open(&j, path, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: run: --resume: %s\n", err);
		free(output);
		return 2;
	}
	if (from_header(journal_header(j), output, &o, &c, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: run: --resume: '%s': %s\n", path, err);
		status = 2;
	} else {
		c.resume = j;
		if (!c.quiet)
			fprintf(stderr, "tvp: resuming %s: %zu measurements journaled\n", path,
				journal_entries(j));
		status = run_execute(&o, 1, &c);
	}
	run_options_release(&o);
	journal_close(j, false);
	free(output);
	return status;
}
