/* document.c: the results document of `tvp run` (document.h), written from
 * summaries and samples as they are; nothing is read back from JSON. */
#include "bench/run/document.h"

#include <math.h>

#include "bench/env.h"
#include "bench/pin_json.h"
#include "par/channel.h"
#include "par/pin.h"

static json_t *workers_json(const struct sample *s)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < s->n_workers; i++) {
		const struct worker_stats *w = &s->workers[i];
		json_t *o = json_pack("{s:i, s:i, s:I, s:I}", "pid", (int)w->pid, "tid", (int)w->tid,
				      "tasks", (json_int_t)w->tasks, "busy_ns", (json_int_t)w->busy_ns);

		if (w->pinned >= 0) {
			json_object_set_new(o, "pinned", json_boolean(w->pinned > 0));
			json_object_set_new(o, "bound", json_string(w->bound));
			json_object_set_new(o, "ran_outside", json_boolean(pin_ran_outside(w)));
		}
		if (w->ran_on[0])
			json_object_set_new(o, "ran_on", json_string(w->ran_on));
		json_array_append_new(a, o);
	}
	return a;
}

/* A figure, or null when unknown (NaN). */
static json_t *num_json(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

/* Why a sample is contended: ["capacity", "runq"], empty when clean. */
static json_t *contended_why_json(const struct sample *s)
{
	json_t *a = json_array();

	if (s->contended & CAPACITY_LOST_CORES)
		json_array_append_new(a, json_string("capacity"));
	if (s->contended & CAPACITY_RUNQ)
		json_array_append_new(a, json_string("runq"));
	return a;
}

/* A C sample: everything measure() recorded. */
static json_t *c_sample_json(const struct sample *s)
{
	json_t *o = json_object(), *counters = json_object();

	for (unsigned i = 0; i < s->n_counters; i++)
		json_object_set_new(counters, s->counters[i].name, json_real(s->counters[i].value));
	json_object_set_new(o, "wall_ns", json_integer((json_int_t)s->wall_ns));
	json_object_set_new(o, "setup_ns", json_integer((json_int_t)s->setup_ns));
	json_object_set_new(o, "user_ns", json_real(s->user_ns));
	json_object_set_new(o, "sys_ns", json_real(s->sys_ns));
	json_object_set_new(o, "children_user_ns", json_real(s->children_user_ns));
	json_object_set_new(o, "children_sys_ns", json_real(s->children_sys_ns));
	json_object_set_new(o, "voluntary_ctxsw", json_integer(s->voluntary_ctxsw));
	json_object_set_new(o, "involuntary_ctxsw", json_integer(s->involuntary_ctxsw));
	json_object_set_new(o, "minor_faults", json_integer(s->minor_faults));
	json_object_set_new(o, "major_faults", json_integer(s->major_faults));
	json_object_set_new(o, "max_rss_kb", json_integer(s->max_rss_kb));
	json_object_set_new(o, "children_max_rss_kb", json_integer(s->children_max_rss_kb));
	json_object_set_new(o, "ref_ns_per_iter", json_real(s->ref_ns_per_iter));
	json_object_set_new(o, "capacity", num_json(s->capacity));
	json_object_set_new(o, "contended", json_boolean(s->contended != 0));
	json_object_set_new(o, "contended_why", contended_why_json(s));
	json_object_set_new(o, "probe_ns", s->probe_before ? json_integer((json_int_t)s->probe_ns)
							   : json_null());
	json_object_set_new(o, "pressure_us", num_json(s->pressure_us));
	json_object_set_new(o, "runq_ns", num_json(s->runq_ns));
	json_object_set_new(o, "counters", counters);
	json_object_set_new(o, "workers", workers_json(s));
	return o;
}

static json_t *samples_json(const struct cell_summary *sum)
{
	const struct cell *c = sum->cell;
	json_t *a = json_array();

	for (size_t k = 0; k < c->samples.n; k++) {
		const struct sample *s = &c->samples.items[k];
		/* A Python sample is what the interpreter timed: no usage,
		 * reference or workers. */
		json_t *o = c->lang == CELL_LANG_C
				    ? c_sample_json(s)
				    : json_pack("{s:I, s:I}", "wall_ns", (json_int_t)s->wall_ns, "setup_ns",
						(json_int_t)s->setup_ns);

		json_object_set_new(o, "round", json_integer(s->round));
		json_object_set_new(o, "drift", json_boolean(sum->contended[k]));
		json_object_set_new(o, "outlier", json_boolean(sum->outlier[k]));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *python_json(const struct python_info *p)
{
	if (!p || !p->known)
		return json_null();
	return json_pack("{s:s, s:s, s:b, s:s}", "version", p->version, "implementation",
			 p->implementation, "gil", p->gil, "executable", p->executable);
}

static json_t *ratio_json(double v)
{
	return v > 0 ? json_real(v) : json_null();
}

/* A paired interval [lo, hi], or null when the cell has none. */
static json_t *ci_json(const struct cell_summary *sum, const struct paired *p)
{
	return sum->paired ? json_pack("[f, f]", p->ci_lo, p->ci_hi) : json_null();
}

static json_t *cell_json(const struct cell_summary *sum)
{
	const struct cell *c = sum->cell;
	const struct workload *wl = c->wi->wl;
	const char *channel = cell_channel_name(c);
	json_t *o = json_object();

	json_object_set_new(o, "workload", json_string(wl->name));
	json_object_set_new(o, "mode", json_string(c->mode->name));
	json_object_set_new(o, "kind", json_string(mode_kind_name(c->mode)));
	json_object_set_new(o, "lang", json_string(c->lang == CELL_LANG_C ? "c" : "python"));
	if (c->lang == CELL_LANG_PYTHON) {
		json_object_set_new(o, "api", c->python && c->python->api[0] ? json_string(c->python->api)
									    : json_null());
		json_object_set_new(o, "python", python_json(c->python));
	}
	json_object_set_new(o, "workers", json_integer(c->workers));
	json_object_set_new(o, "tasks", json_integer((json_int_t)c->tasks));
	json_object_set_new(o, "size", json_integer((json_int_t)c->size));
	json_object_set_new(o, "size_unit", json_string(wl->size_unit));
	json_object_set_new(o, "pin", json_string(c->pin));
	json_object_set_new(o, "channel", channel ? json_string(channel) : json_null());
	if (c->has_start)
		json_object_set_new(o, "start", json_string(pool_start_name(c->start)));
	json_object_set_new(o, "stats", stats_json(&sum->wall, "ns"));
	if (c->lang == CELL_LANG_C && c->samples.n)
		json_object_set_new(o, "setup_ns_median", json_real(sum->setup_ns_median));
	json_object_set_new(o, "speedup", ratio_json(sum->speedup));
	json_object_set_new(o, "speedup_ci95", ci_json(sum, &sum->speedup_p));
	json_object_set_new(o, "ci_level", sum->paired ? json_real(sum->speedup_p.ci_level) : json_null());
	json_object_set_new(o, "efficiency", ratio_json(sum->efficiency));
	json_object_set_new(o, "efficiency_ci95", ci_json(sum, &sum->efficiency_p));
	json_object_set_new(o, "speedup_with_contended", json_boolean(sum->with_contended));
	json_object_set_new(o, "rounds", c->lang == CELL_LANG_C ? json_integer(c->rounds) : json_null());
	json_object_set_new(o, "converged", c->lang == CELL_LANG_C ? json_boolean(c->converged)
								   : json_null());
	if (sum->has_rate)
		json_object_set_new(o, wl->rate_key, json_real(sum->rate));
	json_object_set_new(o, "verified", json_boolean(sum->verified));
	json_object_set_new(o, "error", c->failed ? json_string(c->error) : json_null());
	/* A failed measurement's own figures: how it failed (net's counters). */
	if (c->failed && (c->failed_sample.wall_ns || c->failed_sample.n_counters))
		json_object_set_new(o, "failed_sample", c_sample_json(&c->failed_sample));
	json_object_set_new(o, "samples", samples_json(sum));
	json_object_set_new(o, "warnings", warnings_json(&sum->warnings));
	return o;
}

static json_t *strings_json(const char *const *v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* The probe: its PUs, their final best speeds, and the contended rule's
 * thresholds; null when no probe ran. */
static json_t *capacity_json(const struct capacity *cap)
{
	json_t *cpus = json_array(), *best = json_array();

	if (!cap) {
		json_decref(cpus);
		json_decref(best);
		return json_null();
	}
	for (unsigned i = 0; i < cap->n_pus; i++) {
		json_array_append_new(cpus, json_integer(cap->cpus[i]));
		json_array_append_new(best, num_json(cap->best_ns_per_iter[i]));
	}
	return json_pack("{s:o, s:o, s:I, s:f, s:f}", "cpus", cpus, "best_ns_per_iter", best,
			 "iterations", (json_int_t)cap->iters, "min_share", CAPACITY_MIN_SHARE,
			 "max_runq_share", CAPACITY_MAX_RUNQ_SHARE);
}

/* What one spec selected. */
static json_t *spec_json(const struct run_options *o)
{
	json_t *c = json_object(), *a;

	a = json_array();
	for (size_t i = 0; i < o->n_workloads; i++) {
		const struct run_workload *rw = &o->workloads[i];
		json_t *opts = json_object();
		for (size_t k = 0; rw->wl->options && rw->wl->options[k].name; k++)
			json_object_set_new(opts, rw->wl->options[k].name,
					    json_string(rw->opt_values[k] ? rw->opt_values[k] : rw->wl->options[k].def));
		json_array_append_new(a, json_pack("{s:s, s:o}", "name", rw->wl->name, "options", opts));
	}
	json_object_set_new(c, "workloads", a);
	a = json_array();
	for (size_t i = 0; i < o->n_modes; i++)
		json_array_append_new(a, json_string(o->modes[i]->name));
	json_object_set_new(c, "modes", a);
	a = json_array();
	for (size_t i = 0; i < o->n_workers; i++)
		json_array_append_new(a, json_integer(o->workers[i]));
	json_object_set_new(c, "workers", a);
	json_object_set_new(c, "pin", strings_json((const char *const *)o->pins, o->n_pins));
	json_object_set_new(c, "pin_strict", json_boolean(o->pin_strict));
	a = json_array();
	for (size_t i = 0; i < o->n_channels; i++)
		json_array_append_new(a, json_string(channel_kind_name(o->channels[i])));
	json_object_set_new(c, "channel", a);
	a = json_array();
	for (size_t i = 0; i < o->n_starts; i++)
		json_array_append_new(a, json_string(pool_start_name(o->starts[i])));
	json_object_set_new(c, "start", a);
	json_object_set_new(c, "tasks", o->tasks ? json_integer((json_int_t)o->tasks) : json_null());
	json_object_set_new(c, "quick", json_boolean(o->quick));
	json_object_set_new(c, "command_line", json_pack("{s:s?, s:s?, s:s?, s:s?}", "workload",
							  o->workload_text, "mode", o->mode_text, "workers",
							  o->workers_text, "size", o->size_text));
	return c;
}

/* The first spec's selection (readers of one spec find it where /1 put
 * it), every instance's size, the shared settings, and with several specs
 * each one's selection under "specs". */
static json_t *config_json(const struct run_common *rc, const struct cell_matrix *m, uint64_t seed)
{
	json_t *c = spec_json(m->specs[0].o), *a;

	a = json_array();
	for (size_t i = 0; i < m->n_insts; i++)
		json_array_append_new(a, json_pack("{s:s, s:I}", "workload", m->insts[i].wl->name, "size",
						   (json_int_t)m->insts[i].size));
	json_object_set_new(c, "sizes", a);
	json_object_set_new(c, "repeat", json_integer(rc->min_repeat));
	json_object_set_new(c, "min_repeat", json_integer(rc->min_repeat));
	json_object_set_new(c, "max_repeat", json_integer(rc->max_repeat));
	json_object_set_new(c, "precision", rc->precision > 0 ? json_real(rc->precision) : json_null());
	json_object_set_new(c, "budget_s", rc->budget_ns ? json_real((double)rc->budget_ns / 1e9)
							 : json_null());
	json_object_set_new(c, "warmup", json_integer(rc->warmup));
	json_object_set_new(c, "seed", json_integer((json_int_t)seed));
	json_object_set_new(c, "python", json_boolean(rc->python));
	if (m->n_specs > 1) {
		a = json_array();
		for (size_t i = 0; i < m->n_specs; i++)
			json_array_append_new(a, spec_json(m->specs[i].o));
		json_object_set_new(c, "specs", a);
	}
	return c;
}

json_t *document_json(const struct run_common *rc, const struct cell_matrix *m,
		      const struct cell_summary *sums, const struct document_meta *meta)
{
	json_t *doc = json_object(), *results = json_array();

	for (size_t i = 0; i < m->n_cells; i++)
		json_array_append_new(results, cell_json(&sums[i]));
	json_object_set_new(doc, "schema", json_string(DOCUMENT_SCHEMA));
	json_object_set_new(doc, "tool", env_tool_json());
	json_object_set_new(doc, "created", json_string(meta->created));
	json_object_set_new(doc, "duration_s", json_real(meta->duration_s));
	json_object_set_new(doc, "interrupted", json_boolean(meta->interrupted));
	json_object_set_new(doc, "host", json_deep_copy(meta->host));
	json_object_set_new(doc, "topology", pin_json_topology());
	json_object_set_new(doc, "build", json_deep_copy(meta->build));
	json_object_set_new(doc, "config", config_json(rc, m, meta->seed));
	json_object_set_new(doc, "reference",
			    json_pack("{s:s, s:I, s:f}", "loop", "capacity_probe", "iterations",
				      (json_int_t)CAPACITY_ITERS, "best_ns_per_iter",
				      isfinite(meta->best_ref) ? meta->best_ref : 0.0));
	json_object_set_new(doc, "capacity", capacity_json(meta->cap));
	json_object_set_new(doc, "rounds_stop", json_string(adaptive_stop_name(meta->stop)));
	json_object_set_new(doc, "warnings", warnings_json(meta->warnings));
	json_object_set_new(doc, "results", results);
	return doc;
}
