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
 */
#include "bench/run/python_cells.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/python.h"
#include "bench/util.h"

#define PYTHON_MIN_SIZE 1000

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

/* Runs the script for cell c. Returns 0 (c->failed and c->error set if it
 * failed) or -EINTR. */
static int measure_python(struct cell *c, unsigned repeat)
{
	char *script = xasprintf("%s.py", c->wi->wl->name), *path = python_script_path(script);
	char sw[16], st[24], ss[24], sr[16];
	const char *args[] = { "--mode", c->mode->name, "--workers", sw, "--tasks", st, "--size", ss,
			       "--repeat", sr, NULL };
	json_t *out = NULL;
	int rc;

	snprintf(sw, sizeof sw, "%u", c->workers);
	snprintf(st, sizeof st, "%llu", (unsigned long long)c->tasks);
	snprintf(ss, sizeof ss, "%llu", (unsigned long long)c->size);
	snprintf(sr, sizeof sr, "%u", repeat);
	c->python = xcalloc(1, sizeof *c->python);
	rc = python_run_json(path, args, &out, c->error, sizeof c->error);
	if (rc == 0) {
		take_output(c, out);
		if (!json_is_true(json_object_get(out, "results_ok")))
			snprintf(c->error, sizeof c->error, "%s returned wrong results", script);
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

/* Adds and measures (or replays from j) the Python cells of spec sp. */
static int run_spec(struct cell_matrix *m, const struct cell_spec *sp, unsigned repeat, bool *failed,
		    const struct python_cells_journal *j)
{
	const struct run_options *o = sp->o;
	int rc;

	for (size_t i = sp->inst_first; i < sp->inst_first + sp->n_insts; i++) {
		struct workload_inst *wi = &m->insts[i];
		uint64_t tasks = cells_tasks(o, wi->wl), size;

		if (!wi->wl->python_size_divisor)
			continue;
		size = wi->size / wi->wl->python_size_divisor;
		size = size < PYTHON_MIN_SIZE ? PYTHON_MIN_SIZE : size;
		for (size_t k = 0; k < modes_count; k++) {
			const struct mode *mode = modes[k];
			bool serial = mode->flags & MODE_SERIAL;

			if (!mode->python || !selected(o, mode))
				continue;
			for (size_t w = 0; w < (serial ? 1 : o->n_workers); w++) {
				struct cell *c;

				if (tvp_interrupted)
					return -EINTR;
				c = cells_add(m, CELL_LANG_PYTHON, wi, mode, serial ? 1 : o->workers[w], tasks,
					      serial);
				c->size = size;
				if (!j || !j->replay(j->ctx, c)) {
					if ((rc = measure_python(c, repeat)) != 0)
						return rc;
					if (j)
						j->record(j->ctx, c);
				}
				if (c->failed) {
					*failed = true;
					fprintf(stderr, "tvp: python %s %s: %s\n", wi->wl->name, mode->name,
						c->error);
				}
			}
		}
	}
	return 0;
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
	for (size_t i = 0; i < m->n_specs; i++)
		if ((rc = run_spec(m, &m->specs[i], repeat, failed, j)) != 0)
			return rc;
	return 0;
}
