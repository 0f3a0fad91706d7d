/* python_cells.c: `tvp run --python` (python_cells.h).
 *
 * DESIGN
 * Each Python cell is one run of a reference script in workloads/python/
 * (threading, multiprocessing, concurrent.futures), which times its own
 * repetitions and prints them as JSON; they become the cell's samples, so a
 * Python cell is summarised and written like a C cell (bench/run/summary.c).
 * Python cells run after the C cells, not interleaved with them: each is one
 * interpreter doing its own repeats. Their speedup is against the Python
 * serial cell.
 *
 * A mode that takes a start method (MODE_START) gets one Python cell per
 * --start value, as its C cells do; the script starts its workers through
 * multiprocessing.get_context(METHOD) and says which method it used, and a
 * cell whose script used another is failed, not mislabelled.
 *
 * A workload's size is divided by its python_size_divisor (CPython's loop
 * is slower than C's) and then floored at PYTHON_MIN_SIZE, so a Python task
 * is never a no-op; an undivided size (sleep, transfer, net) is the C
 * cell's own, so the bytes compared are the same.
 *
 * The net script needs a server to ask. The C instance's server is the net
 * workload's own state, so the Python cells of a net instance get a server
 * of their own from the same module (workloads/net_server.h), with the same
 * body size and --net-delay, started before the instance's first Python
 * cell and stopped after its last; with --url they ask that server. Between
 * measurements tvp has one thread, so the server's fork is safe.
 */
#include "bench/run/python_cells.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/python.h"
#include "bench/util.h"
#include "workloads/net_server.h"

#define PYTHON_MIN_SIZE 1000

extern const struct workload workload_net;

/* What a script needs beyond the common arguments, for one instance. */
struct script_aid {
	struct net_server server;   /* net: tvp's server for the Python cells */
	char url[128], timeout_s[32];
	const char *args[8];        /* NULL-terminated */
};

/* net: a server to ask (tvp's own, or --url) and the timeout. */
static int net_aid_begin(struct script_aid *a, const struct workload_inst *wi, uint64_t size,
			 char *err, size_t errlen)
{
	const char *url = workload_opt(wi, "url");
	uint64_t delay_ns, timeout_ns;
	size_t n = 0;
	int rc;

	if (!parse_duration(workload_opt(wi, "net-delay"), 0, UINT64_MAX, &delay_ns, err, errlen) ||
	    !parse_duration(workload_opt(wi, "net-timeout"), 0, UINT64_MAX, &timeout_ns, err, errlen))
		return -EINVAL;   /* cannot happen: run_options checked both */
	snprintf(a->timeout_s, sizeof a->timeout_s, "%.9g", (double)timeout_ns / 1e9);
	if (url && *url) {
		snprintf(a->url, sizeof a->url, "%s", url);
	} else {
		if ((rc = net_server_start(&a->server, size, delay_ns, err, errlen)) != 0)
			return rc;
		snprintf(a->url, sizeof a->url, "http://127.0.0.1:%u/", a->server.port);
		a->args[n++] = "--tvp-server";
	}
	a->args[n++] = "--url";
	a->args[n++] = a->url;
	a->args[n++] = "--timeout";
	a->args[n++] = a->timeout_s;
	a->args[n] = NULL;
	return 0;
}

static void net_aid_end(struct script_aid *a)
{
	net_server_stop(&a->server);
}

/* The workloads whose script needs an aid. */
static const struct {
	const struct workload *wl;
	int (*begin)(struct script_aid *a, const struct workload_inst *wi, uint64_t size, char *err,
		     size_t errlen);
	void (*end)(struct script_aid *a);
} aids[] = {
	{ &workload_net, net_aid_begin, net_aid_end },
};

static int aid_begin(struct script_aid *a, const struct workload_inst *wi, uint64_t size,
		     char *err, size_t errlen)
{
	memset(a, 0, sizeof *a);
	for (size_t i = 0; i < ARRAY_SIZE(aids); i++)
		if (aids[i].wl == wi->wl)
			return aids[i].begin(a, wi, size, err, errlen);
	return 0;
}

static void aid_end(struct script_aid *a, const struct workload_inst *wi)
{
	for (size_t i = 0; i < ARRAY_SIZE(aids); i++)
		if (aids[i].wl == wi->wl)
			aids[i].end(a);
}

static void copy_string(char *dst, size_t len, const json_t *v)
{
	snprintf(dst, len, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* What the script printed, into the cell: samples, api, interpreter. */
static void take_output(struct cell *c, const json_t *out)
{
	const json_t *py = json_object_get(out, "python"), *v;
	uint64_t setup_ns = (uint64_t)json_integer_value(json_object_get(out, "setup_ns"));
	size_t i;

	copy_string(c->python->api, sizeof c->python->api, json_object_get(out, "api"));
	if (json_is_object(py)) {
		c->python->known = true;
		copy_string(c->python->version, sizeof c->python->version, json_object_get(py, "version"));
		copy_string(c->python->implementation, sizeof c->python->implementation,
			    json_object_get(py, "implementation"));
		copy_string(c->python->executable, sizeof c->python->executable,
			    json_object_get(py, "executable"));
		c->python->gil = !json_is_false(json_object_get(py, "gil"));
	}
	json_array_foreach(json_object_get(out, "wall_ns"), i, v) {
		struct sample s = { .round = (unsigned)i, .setup_ns = setup_ns };

		s.wall_ns = (uint64_t)json_number_value(v);
		samples_push(&c->samples, &s);
	}
}

/* Why the output of a script that exited 0 does not stand, into c->error;
 * nothing when it does. */
static void check_output(struct cell *c, const char *script, const json_t *out)
{
	const char *used = json_string_value(json_object_get(out, "start_method"));
	const char *why = json_string_value(json_object_get(out, "error"));

	if (!json_is_true(json_object_get(out, "results_ok")))
		snprintf(c->error, sizeof c->error, "%s returned wrong results%s%s", script,
			 why ? ": " : "", why ? why : "");
	else if (c->has_start && (!used || strcmp(used, pool_start_name(c->start)) != 0))
		snprintf(c->error, sizeof c->error, "%s started its workers by '%s', not '%s'", script,
			 used ? used : "(not said)", pool_start_name(c->start));
}

/* Runs the script for cell c, with the aid's arguments. Returns 0 (c->failed
 * and c->error set if it failed) or -EINTR. */
static int measure_python(struct cell *c, unsigned repeat, const struct script_aid *aid)
{
	char *script = xasprintf("%s.py", c->wi->wl->name), *path = python_script_path(script);
	char sw[16], st[24], ss[24], sr[16];
	const char *args[32] = { "--mode", c->mode->name, "--workers", sw, "--tasks", st, "--size", ss,
				 "--repeat", sr };
	size_t n = 10;
	json_t *out = NULL;
	int rc;

	snprintf(sw, sizeof sw, "%u", c->workers);
	snprintf(st, sizeof st, "%llu", (unsigned long long)c->tasks);
	snprintf(ss, sizeof ss, "%llu", (unsigned long long)c->size);
	snprintf(sr, sizeof sr, "%u", repeat);
	if (c->has_start) {
		args[n++] = "--start";
		args[n++] = pool_start_name(c->start);
	}
	for (size_t i = 0; aid->args[i]; i++)
		args[n++] = aid->args[i];
	c->python = xcalloc(1, sizeof *c->python);
	rc = python_run_json(path, args, &out, c->error, sizeof c->error);
	if (rc == 0) {
		take_output(c, out);
		check_output(c, script, out);
	}
	c->failed = c->error[0] != '\0';
	json_decref(out);
	free(path);
	free(script);
	return rc == -EINTR ? -EINTR : 0;
}

static bool selected(const struct run_options *o, const struct mode *mode)
{
	for (size_t k = 0; k < o->n_modes; k++)
		if (o->modes[k] == mode)
			return true;
	return mode->flags & MODE_SERIAL;   /* always: the baseline */
}

/* Whether an interpreter and the scripts are there; if not, why in err. */
static int probe(char *err, size_t errlen)
{
	char *path = python_script_path("count.py");
	const char *args[] = { "--list-modes", NULL };
	json_t *out = NULL;
	int rc = python_run_json(path, args, &out, err, errlen);

	free(path);
	json_decref(out);
	return rc;
}

/* Adds and measures the cells of one mode at one worker count: one per
 * start method when the mode takes one (fork when --start gave none), else
 * one. Returns 0 or -EINTR. */
static int run_mode(struct cell_matrix *m, const struct run_options *o, struct workload_inst *wi,
		    const struct mode *mode, unsigned workers, uint64_t size, unsigned repeat,
		    const struct script_aid *aid, bool *failed, const struct python_cells_journal *j)
{
	static const enum pool_start fork_only = POOL_START_FORK;
	bool has_start = mode->flags & MODE_START;
	const enum pool_start *starts = o->n_starts ? o->starts : &fork_only;
	size_t n_starts = has_start && o->n_starts ? o->n_starts : 1;
	bool serial = mode->flags & MODE_SERIAL;

	for (size_t s = 0; s < n_starts; s++) {
		struct cell *c;
		int rc;

		if (tvp_interrupted)
			return -EINTR;
		c = cells_add(m, CELL_LANG_PYTHON, wi, mode, workers, cells_tasks(o, wi->wl), serial);
		c->size = size;
		c->has_start = has_start;
		c->start = has_start ? starts[s] : POOL_START_FORK;
		if (!j || !j->replay(j->ctx, c)) {
			if ((rc = measure_python(c, repeat, aid)) != 0)
				return rc;
			if (j)
				j->record(j->ctx, c);
		}
		if (c->failed) {
			char label[128];

			*failed = true;
			fprintf(stderr, "tvp: %s: %s\n", cell_label(c, label, sizeof label), c->error);
		}
	}
	return 0;
}

/* Adds and measures the Python cells of instance wi under spec o. */
static int run_inst(struct cell_matrix *m, const struct run_options *o, struct workload_inst *wi,
		    unsigned repeat, bool *failed, const struct python_cells_journal *j)
{
	uint64_t size = wi->size / wi->wl->python_size_divisor;
	struct script_aid aid;
	char err[256];
	int rc = 0;

	if (wi->wl->python_size_divisor > 1 && size < PYTHON_MIN_SIZE)
		size = PYTHON_MIN_SIZE;
	if (aid_begin(&aid, wi, size, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: python %s: %s; its Python cells are not run\n", wi->wl->name, err);
		*failed = true;
		return 0;
	}
	for (size_t k = 0; k < modes_count && rc == 0; k++) {
		const struct mode *mode = modes[k];
		bool serial = mode->flags & MODE_SERIAL;

		if (!mode->python || !selected(o, mode))
			continue;
		for (size_t w = 0; w < (serial ? 1 : o->n_workers) && rc == 0; w++)
			rc = run_mode(m, o, wi, mode, serial ? 1 : o->workers[w], size, repeat, &aid,
				      failed, j);
	}
	aid_end(&aid, wi);
	return rc;
}

int python_cells_run(struct cell_matrix *m, unsigned repeat, struct warnings *warnings, bool *failed,
		     const struct python_cells_journal *j)
{
	char err[256];
	int rc = probe(err, sizeof err);

	if (rc == -EINTR)
		return rc;
	if (rc != 0) {
		warnings_add(warnings, "--python: Python cells skipped: %s", err);
		fprintf(stderr, "tvp: --python: Python cells skipped: %s\n", err);
		return 0;
	}
	for (size_t i = 0; i < m->n_specs; i++) {
		const struct cell_spec *sp = &m->specs[i];

		for (size_t k = sp->inst_first; k < sp->inst_first + sp->n_insts && rc == 0; k++)
			if (m->insts[k].wl->python_size_divisor)
				rc = run_inst(m, sp->o, &m->insts[k], repeat, failed, j);
		if (rc != 0)
			return rc;
	}
	return 0;
}
