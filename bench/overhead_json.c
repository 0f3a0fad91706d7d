/* overhead_json.c: what `tvp overhead` writes: each kernel's entry of the
 * document (schema tvp.overhead/1: statistics, samples, and the figures
 * derived from them), the config, and the table people read. */
#include "bench/overhead.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "bench/results.h"
#include "bench/stats.h"
#include "bench/util.h"

static double median_of(const double *x, size_t n)
{
	struct stats st;

	stats_compute(x, n, &st, NULL);
	return st.median;
}

static const struct overhead_entry *find_entry(const struct overhead *o, const char *name)
{
	for (size_t i = 0; i < o->n_entries; i++)
		if (strcmp(o->entries[i].b->name, name) == 0)
			return &o->entries[i];
	return NULL;
}

json_t *overhead_json_entry(const struct overhead *o, const struct overhead_entry *e)
{
	const struct ovh_bench *b = e->b;
	const char *su = b->unit == OVH_UNIT_BYTES ? "bytes" : "ns";
	json_t *j = json_object(), *samples = json_array(), *w = json_array();
	struct stats st;

	stats_compute(e->v, e->n, &st, NULL);
	json_object_set_new(j, "name", json_string(b->name));
	json_object_set_new(j, "group", json_string(ovh_group_name(b->group)));
	json_object_set_new(j, "kind", json_string(ovh_kind_name(b->kind)));
	json_object_set_new(j, "unit", json_string(ovh_unit_name(b->unit)));
	json_object_set_new(j, "summary", json_string(b->summary));
	json_object_set_new(j, "pin", json_string(ovh_pin_name(b->pin)));
	json_object_set_new(j, "cpus", e->ctx.cpu[0] >= 0
					     ? json_pack("[i, i]", e->ctx.cpu[0], e->ctx.cpu[1])
					     : json_null());
	json_object_set_new(j, "iterations", json_integer((json_int_t)(e->ops ? e->ops : e->iters)));
	json_object_set_new(j, "stats_unit", json_string(su));
	json_object_set_new(j, "stats", stats_json(&st, su));
	if (b->group == OVH_GROUP_IPC) {
		bool ok = e->n && st.median > 0;
		json_object_set_new(j, "size_bytes", json_integer((json_int_t)b->bytes));
		json_object_set_new(j, "bytes_per_s", ok ? json_real((double)b->bytes * 1e9 / st.median) : json_null());
		json_object_set_new(j, "bytes_per_s_ci95_lo",
				    ok && st.ci_hi > 0 ? json_real((double)b->bytes * 1e9 / st.ci_hi) : json_null());
		json_object_set_new(j, "bytes_per_s_ci95_hi",
				    ok && st.ci_lo > 0 ? json_real((double)b->bytes * 1e9 / st.ci_lo) : json_null());
	} else if (b->group == OVH_GROUP_CREATION && b->bytes) {
		const struct overhead_entry *base = find_entry(o, "fork-exit-wait");
		double mib = (double)b->bytes / (1 << 20);

		json_object_set_new(j, "mib", json_real(mib));
		json_object_set_new(j, "added_ns_per_mib",
				    base && base->n && e->n
					    ? json_real((st.median - median_of(base->v, base->n)) / mib)
					    : json_null());
	}
	if (b->flags & OVH_WORKERS)
		json_object_set_new(j, "workers", json_integer(e->ctx.workers));
	if (b->has_start)
		json_object_set_new(j, "start", json_string(pool_start_name(b->start)));
	if (b->flags & OVH_PER_WORKER)
		json_object_set_new(j, "per_worker_ns",
				    e->n ? json_real(st.median / e->ctx.workers) : json_null());
	if (b->versus) {
		const struct overhead_entry *v = find_entry(o, b->versus);
		double vm = v && v->n ? median_of(v->v, v->n) : 0;

		json_object_set_new(j, "versus", json_string(b->versus));
		json_object_set_new(j, "ratio", e->n && vm > 0 ? json_real(st.median / vm) : json_null());
		if (b->target_ratio > 0)
			json_object_set_new(j, "target_ratio", json_real(b->target_ratio));
	}
	for (int k = 0; k < OVH_MAX_EXTRA && b->extra[k]; k++)
		json_object_set_new(j, b->extra[k], e->n ? json_real(median_of(e->extra[k], e->n)) : json_null());
	for (size_t k = 0; k < e->n; k++)
		json_array_append_new(samples, json_real(e->v[k]));
	json_object_set_new(j, "samples", samples);
	results_warn_stats(w, &st);
	json_object_set_new(j, "warnings", w);
	json_object_set_new(j, "error", e->failed ? json_string(e->error) : json_null());
	return j;
}

static void format_bytes(char *buf, size_t len, double bytes)
{
	double a = fabs(bytes);

	if (a < 1024)
		snprintf(buf, len, "%.0f B", bytes);
	else if (a < 1024 * 1024)
		snprintf(buf, len, "%.1f KiB", bytes / 1024);
	else
		snprintf(buf, len, "%.1f MiB", bytes / (1024 * 1024));
}

/* Appends a formatted piece to buf, two spaces after what is there. */
static void appendf(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t len, const char *fmt, ...)
{
	size_t at = strlen(buf);
	va_list ap;

	if (at && at + 2 < len) {
		memcpy(buf + at, "  ", 3);
		at += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + at, len - at, fmt, ap);
	va_end(ap);
}

void overhead_json_print_table(FILE *f, const struct overhead *o, json_t *results)
{
	int group = -1;
	size_t i;
	json_t *r;

	fprintf(f, "%-34s %-8s %11s %8s  %s\n", "benchmark", "kind", "median", "ci95", "derived");
	json_array_foreach(results, i, r) {
		const struct overhead_entry *e = &o->entries[i];
		const struct ovh_bench *b = e->b;
		json_t *st = json_object_get(r, "stats");
		bool bytes = b->unit == OVH_UNIT_BYTES;
		double med = json_number_value(json_object_get(st, bytes ? "median_bytes" : "median_ns"));
		double lo = json_number_value(json_object_get(st, bytes ? "ci95_lo_bytes" : "ci95_lo_ns"));
		double hi = json_number_value(json_object_get(st, bytes ? "ci95_hi_bytes" : "ci95_hi_ns"));
		char mbuf[32], ci[24], derived[192] = "", x[32];

		if (group != (int)b->group) {
			group = (int)b->group;
			fprintf(f, "-- %s\n", ovh_group_name(b->group));
		}
		if (e->n == 0) {
			fprintf(f, "%-34s %-8s %11s  %s\n", b->name, ovh_kind_name(b->kind), "-",
				e->failed ? "FAILED" : "not measured");
			continue;
		}
		if (bytes)
			format_bytes(mbuf, sizeof mbuf, med);
		else
			format_duration(mbuf, sizeof mbuf, med);
		snprintf(ci, sizeof ci, "+-%.1f%%", med != 0 ? fabs(50 * (hi - lo) / med) : 0.0);
		if (json_is_number(json_object_get(r, "bytes_per_s"))) {
			double bps = json_number_value(json_object_get(r, "bytes_per_s"));
			if (bps >= 1e9)
				appendf(derived, sizeof derived, "%.2f GB/s", bps / 1e9);
			else
				appendf(derived, sizeof derived, "%.1f MB/s", bps / 1e6);
		} else if (json_is_number(json_object_get(r, "added_ns_per_mib"))) {
			appendf(derived, sizeof derived, "%+.0f ns/MiB over fork-exit-wait",
				json_number_value(json_object_get(r, "added_ns_per_mib")));
		} else if (b->extra[0] && json_is_number(json_object_get(r, b->extra[0]))) {
			format_bytes(x, sizeof x, json_number_value(json_object_get(r, b->extra[0])));
			appendf(derived, sizeof derived, "%s %s", b->extra[0], x);
		}
		if (json_is_number(json_object_get(r, "per_worker_ns"))) {
			format_duration(x, sizeof x, json_number_value(json_object_get(r, "per_worker_ns")));
			appendf(derived, sizeof derived, "%s per worker", x);
		}
		if (json_is_number(json_object_get(r, "ratio"))) {
			appendf(derived, sizeof derived, "%.2fx %s", json_number_value(json_object_get(r, "ratio")),
				b->versus);
			if (b->target_ratio > 0)
				appendf(derived, sizeof derived, "(target %.2gx)", b->target_ratio);
		}
		if (json_array_size(json_object_get(r, "warnings")))
			appendf(derived, sizeof derived, "(%zu warning%s)",
				json_array_size(json_object_get(r, "warnings")),
				json_array_size(json_object_get(r, "warnings")) > 1 ? "s" : "");
		fprintf(f, "%-34s %-8s %11s %8s  %s\n", b->name, ovh_kind_name(b->kind), mbuf, ci,
			derived);
	}
}

json_t *overhead_json_config(const struct overhead *o)
{
	json_t *c = json_object(), *a;

	if (o->only) {
		a = json_array();
		for (size_t i = 0; i < o->n_only; i++)
			json_array_append_new(a, json_string(o->only[i]));
		json_object_set_new(c, "only", a);
	} else {
		json_object_set_new(c, "only", json_null());
	}
	a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(o->pins); i++)
		if (o->pins[i])
			json_array_append_new(a, json_string(ovh_pin_name((enum ovh_pin)i)));
	json_object_set_new(c, "pin", a);
	a = json_array();
	for (unsigned i = 0; i < o->n_cpus; i++)
		json_array_append_new(a, json_integer(o->cpus[i]));
	json_object_set_new(c, "allowed_cpus", a);
	json_object_set_new(c, "repeat", json_integer(o->repeat));
	json_object_set_new(c, "workers", json_integer(o->workers));
	json_object_set_new(c, "quick", json_boolean(o->quick));
	json_object_set_new(c, "target_sample_ns", json_integer((json_int_t)o->target_ns));
	json_object_set_new(c, "seed", json_integer((json_int_t)o->seed));
	return c;
}
