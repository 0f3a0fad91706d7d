/* cells.c: the cell matrix of `tvp run` (cells.h): instances, plans, cells. */
#include "bench/run/cells.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/util.h"
#include "par/channel.h"
#include "par/pin.h"

#define AUTO_TARGET_NS 200000000ull   /* --size auto: one task takes about 0.2 s */

int cells_plan(struct cell_matrix *m, const struct run_options *o, size_t n, char *err,
	       size_t errlen)
{
	size_t total = 0;
	int rc;

	m->specs = xcalloc(n ? n : 1, sizeof *m->specs);
	m->n_specs = n;
	for (size_t i = 0; i < n; i++) {
		m->specs[i] = (struct cell_spec){ .o = &o[i], .plan_first = total };
		total += o[i].n_pins * o[i].n_workers;
	}
	m->plans = xcalloc(total ? total : 1, sizeof *m->plans);
	m->n_plans = total;
	if ((rc = pin_plan_new(&m->serial_plan, "none", 1, err, errlen)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		struct pin_plan **plans = &m->plans[m->specs[i].plan_first];

		for (size_t p = 0; p < o[i].n_pins; p++)
			for (size_t w = 0; w < o[i].n_workers; w++)
				if ((rc = pin_plan_new(&plans[p * o[i].n_workers + w], o[i].pins[p],
						       o[i].workers[w], err, errlen)) != 0)
					return rc;
	}
	return 0;
}

/* Sets up the instance of workload rw at size (0: auto) as m's next. */
static int setup_instance(struct cell_matrix *m, const struct run_options *o,
			  const struct run_workload *rw, uint64_t size, char *err, size_t errlen)
{
	struct workload_inst *wi = &m->insts[m->n_insts];
	char why[512] = "";
	int rc;

	wi->wl = rw->wl;
	wi->quick = o->quick;
	wi->opt_values = rw->opt_values;
	wi->size = size;
	if (wi->size == 0)
		wi->size = rw->wl->calibrate ? rw->wl->calibrate(AUTO_TARGET_NS)
					     : rw->wl->default_size(o->quick);
	if (rw->wl->setup && (rc = rw->wl->setup(wi, why, sizeof why)) != 0) {
		snprintf(err, errlen, "workload %s: %s", rw->wl->name, why[0] ? why : strerror(-rc));
		return rc;
	}
	m->n_insts++;
	return 0;
}

int cells_setup_instances(struct cell_matrix *m, char *err, size_t errlen)
{
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < m->n_specs; i++)
		for (size_t w = 0; w < m->specs[i].o->n_workloads; w++)
			n += m->specs[i].o->workloads[w].n_sizes;
	m->insts = xcalloc(n ? n : 1, sizeof *m->insts);
	for (size_t i = 0; i < m->n_specs; i++) {
		struct cell_spec *sp = &m->specs[i];

		sp->inst_first = m->n_insts;
		for (size_t w = 0; w < sp->o->n_workloads; w++)
			for (size_t s = 0; s < sp->o->workloads[w].n_sizes; s++) {
				rc = setup_instance(m, sp->o, &sp->o->workloads[w],
						    sp->o->workloads[w].sizes[s], err, errlen);
				if (rc != 0)
					return rc;
				sp->n_insts++;
			}
	}
	return 0;
}

uint64_t cells_tasks(const struct run_options *o, const struct workload *wl)
{
	unsigned max_workers = o->workers[o->n_workers - 1];

	if (o->tasks)
		return o->tasks;
	if (wl->default_tasks)
		return wl->default_tasks(max_workers, o->quick);
	return max_workers;
}

struct cell *cells_add(struct cell_matrix *m, enum cell_lang lang, struct workload_inst *wi,
		       const struct mode *mode, unsigned workers, uint64_t tasks, bool new_group)
{
	struct cell *c;

	if (m->n_cells == m->cap) {   /* the room was counted in cells_build */
		fprintf(stderr, "tvp: internal error: more cells than counted (%zu)\n", m->cap);
		abort();
	}
	if (new_group) {
		m->groups = xrealloc(m->groups, (m->n_groups + 1) * sizeof *m->groups);
		m->groups[m->n_groups++] = (struct cell_group){ .wi = wi, .first = m->n_cells };
	}
	c = &m->cells[m->n_cells++];
	memset(c, 0, sizeof *c);
	c->lang = lang;
	c->wi = wi;
	c->mode = mode;
	c->workers = workers;
	c->tasks = tasks;
	c->size = wi->size;
	c->pin = "none";
	c->baseline = new_group ? NULL : &m->cells[m->groups[m->n_groups - 1].first];
	c->group = m->n_groups - 1;
	m->groups[m->n_groups - 1].n++;
	return c;
}

/* Adds the C cell of spec sp for mode at its w-th worker count, p-th
 * placement, ch-th channel and st-th start method (the last two only for a
 * mode that takes one). */
static void add_cell(struct cell_matrix *m, const struct cell_spec *sp, struct workload_inst *wi,
		     const struct mode *mode, uint64_t tasks, size_t w, size_t p, size_t ch, size_t st)
{
	const struct run_options *o = sp->o;
	struct cell *c = cells_add(m, CELL_LANG_C, wi, mode, o->workers[w], tasks, false);

	c->plan = m->plans[sp->plan_first + p * o->n_workers + w];
	c->pin = pin_plan_policy(c->plan);
	c->has_channel = mode->flags & MODE_CHANNEL;
	c->channel = c->has_channel ? o->channels[ch] : CHANNEL_PIPE;
	c->has_start = mode->flags & MODE_START;
	c->start = c->has_start ? o->starts[st] : POOL_START_FORK;
	c->pin_strict = o->pin_strict;
	c->mpi_hosts = o->mpi_hosts;
	c->mpi_transport = o->mpi_transport;
}

/* Adds the C cells of spec sp (cells_build). */
static void build_spec(struct cell_matrix *m, const struct cell_spec *sp)
{
	const struct run_options *o = sp->o;

	for (size_t i = sp->inst_first; i < sp->inst_first + sp->n_insts; i++) {
		struct workload_inst *wi = &m->insts[i];
		uint64_t tasks = cells_tasks(o, wi->wl);
		/* The serial baseline is never pinned: binding the calling
		 * thread would leave the parent bound, and every later fork
		 * would inherit its mask. */
		struct cell *base = cells_add(m, CELL_LANG_C, wi, modes[0], 1, tasks, true);

		base->plan = m->serial_plan;
		for (size_t k = 0; k < o->n_modes; k++) {
			const struct mode *mode = o->modes[k];
			size_t nch = mode->flags & MODE_CHANNEL ? o->n_channels : 1;
			size_t nst = mode->flags & MODE_START ? o->n_starts : 1;

			if ((mode->flags & MODE_SERIAL) ||
			    ((mode->flags & MODE_OWN_PROGRAM) && wi->wl->local_state))
				continue;
			for (size_t w = 0; w < o->n_workers; w++)
				for (size_t p = 0; p < o->n_pins; p++)
					for (size_t v = 0; v < nch * nst; v++)
						add_cell(m, sp, wi, mode, tasks, w, p, v / nst, v % nst);
		}
	}
}

void cells_build(struct cell_matrix *m, bool python)
{
	m->cap = 0;
	for (size_t i = 0; i < m->n_specs; i++) {
		const struct run_options *o = m->specs[i].o;
		size_t per_inst = 1 + o->n_modes * o->n_workers * o->n_pins * o->n_channels * o->n_starts;
		size_t py = 1 + o->n_modes * o->n_workers * o->n_starts;   /* at most, for --python */

		m->cap += m->specs[i].n_insts * (per_inst + (python ? py : 0));
	}
	m->cells = xcalloc(m->cap ? m->cap : 1, sizeof *m->cells);
	for (size_t i = 0; i < m->n_specs; i++)
		build_spec(m, &m->specs[i]);
}

const char *cell_channel_name(const struct cell *c)
{
	return c->has_channel ? channel_kind_name(c->channel) : NULL;
}

const char *cell_start_name(const struct cell *c)
{
	return c->has_start && c->start != POOL_START_FORK ? pool_start_name(c->start) : NULL;
}

const char *cell_label(const struct cell *c, char *buf, size_t len)
{
	const char *ch = cell_channel_name(c), *st = cell_start_name(c);

	snprintf(buf, len, "%s%s %s x%u%s%s%s%s", c->lang == CELL_LANG_PYTHON ? "python " : "",
		 c->wi->wl->name, c->mode->name, c->workers, ch ? " " : "", ch ? ch : "",
		 st ? " " : "", st ? st : "");
	return buf;
}

void cells_teardown_instances(struct cell_matrix *m)
{
	for (size_t i = 0; i < m->n_insts; i++)
		if (m->insts[i].wl->teardown)
			m->insts[i].wl->teardown(&m->insts[i]);
}

void cells_release(struct cell_matrix *m)
{
	for (size_t i = 0; i < m->n_cells; i++) {
		samples_release(&m->cells[i].samples);
		sample_release(&m->cells[i].failed_sample);
		free(m->cells[i].python);
	}
	for (size_t i = 0; m->plans && i < m->n_plans; i++)
		pin_plan_free(m->plans[i]);
	pin_plan_free(m->serial_plan);
	free(m->plans);
	free(m->cells);
	free(m->groups);
	free(m->insts);
	free(m->specs);
	memset(m, 0, sizeof *m);
}
