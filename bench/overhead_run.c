/* overhead_run.c: how `tvp overhead` measures: the selected kernels, each
 * calibrated, then sampled in interleaved rounds (bench/overhead.c's DESIGN
 * says why). */
#include "bench/overhead.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include "bench/rounds.h"
#include "bench/util.h"

#define MAX_ITERS 1000000000ull

static bool named(const struct overhead *o, const struct ovh_bench *b)
{
	for (size_t i = 0; i < o->n_named; i++)
		if (o->only_named[i] == b)
			return true;
	return false;
}

static bool selected(const struct overhead *o, const struct ovh_bench *b)
{
	if (b->flags & OVH_BY_NAME)
		return true;     /* run when named, else listed as skipped below */
	if (!o->only)
		return o->pins[b->pin];
	for (size_t i = 0; i < o->n_named; i++)
		if (o->only_named[i] == b)
			return true;     /* named: runs whatever --pin says */
	return (o->only_groups & (1u << b->group)) && o->pins[b->pin];
}

static void skip(struct overhead *o, const struct ovh_bench *b, const char *reason)
{
	json_array_append_new(o->skipped, json_pack("{s:s, s:s}", "name", b->name, "reason", reason));
}

void overhead_run_build(struct overhead *o)
{
	size_t n = ovh_count();

	o->entries = xcalloc(n, sizeof *o->entries);
	for (size_t i = 0; i < n; i++) {
		const struct ovh_bench *b = ovh_get(i);
		struct overhead_entry *e;

		if (!selected(o, b))
			continue;
		if (ovh_absent(b)) {   /* asked for by default, by name or by group */
			if (!o->only || named(o, b) || (o->only_groups & (1u << b->group)))
				skip(o, b, ovh_absent(b));
			continue;
		}
		if ((b->flags & OVH_BY_NAME) && !named(o, b)) {
			if (!o->only)
				skip(o, b, "starts a job per sample (minutes in all): name it with --only to run it");
			continue;
		}
		if (b->pin == OVH_PIN_DIFF && o->n_cpus < 2) {
			skip(o, b, "only 1 PU is allowed: no two different CPUs");
			o->n_skipped_diff++;
			continue;
		}
		e = &o->entries[o->n_entries++];
		e->b = b;
		e->ctx.workers = b->workers ? b->workers : o->workers;
		e->ctx.quick = o->quick;
		e->ctx.cpu[0] = e->ctx.cpu[1] = -1;
		if (b->pin == OVH_PIN_SAME) {
			e->ctx.cpu[0] = e->ctx.cpu[1] = o->cpus[0];
		} else if (b->pin == OVH_PIN_DIFF) {
			e->ctx.cpu[0] = o->cpus[0];
			e->ctx.cpu[1] = o->cpus[1];
		}
		e->v = xcalloc(o->repeat, sizeof *e->v);
		for (int k = 0; k < OVH_MAX_EXTRA; k++)
			e->extra[k] = xcalloc(o->repeat, sizeof *e->extra[k]);
	}
}

static void entry_failed(struct overhead *o, struct overhead_entry *e, const char *err, int rc)
{
	e->failed = true;
	snprintf(e->error, sizeof e->error, "%s", err[0] ? err : strerror(-rc));
	progress_end(&o->progress);
	fprintf(stderr, "tvp: overhead: %s: %s\n", e->b->name, e->error);
	o->failed = true;
}

/* Finds e->iters (see DESIGN). Returns 0, -EINTR, or -1 when e failed. */
static int calibrate(struct overhead *o, struct overhead_entry *e)
{
	const struct ovh_bench *b = e->b;
	char err[512] = "";
	void *state = NULL;
	uint64_t iters = 1;
	int rc;

	progress_step(&o->progress, b->name);
	if (b->flags & (OVH_ONCE | OVH_BATCH)) {
		e->iters = 1;
		return 0;
	}
	rc = b->setup(b, &e->ctx, &state, err, sizeof err);
	if (rc) {
		entry_failed(o, e, err, rc);
		return -1;
	}
	for (bool warm = true;; warm = false) {
		struct ovh_sample s = { 0 };
		double mult;

		if (tvp_interrupted) {
			rc = -EINTR;
			break;
		}
		rc = b->run(state, iters, &s, err, sizeof err);
		if (rc)
			break;
		if (warm)       /* the first run warms up: it never decides */
			continue;
		if (s.value >= (double)o->target_ns || iters >= MAX_ITERS)
			break;
		mult = s.value > 0 ? 1.4 * (double)o->target_ns / s.value : 10;
		if (mult > 10)
			mult = 10;
		iters = mult * (double)iters > (double)(iters + 1) ? (uint64_t)(mult * (double)iters)
								     : iters + 1;
		if (iters > MAX_ITERS)
			iters = MAX_ITERS;
	}
	b->teardown(state);
	malloc_trim(0);
	e->iters = iters;
	if (rc && rc != -EINTR) {
		entry_failed(o, e, err, rc);
		return -1;
	}
	return rc;
}

/* One sample of e. Returns 0, -EINTR, or -1 when e failed. */
static int sample(struct overhead *o, struct overhead_entry *e)
{
	const struct ovh_bench *b = e->b;
	struct ovh_sample s = { 0 };
	char err[512] = "";
	void *state = NULL;
	int rc;

	if (e->failed)
		return 0;
	if (tvp_interrupted)
		return -EINTR;
	progress_step(&o->progress, b->name);
	rc = b->setup(b, &e->ctx, &state, err, sizeof err);
	if (rc == 0) {
		rc = b->run(state, e->iters, &s, err, sizeof err);
		b->teardown(state);
		malloc_trim(0);
	}
	if (rc == -EINTR || (rc && tvp_interrupted))
		return -EINTR;
	if (rc) {
		entry_failed(o, e, err, rc);
		return -1;
	}
	if (b->flags & OVH_BATCH) {
		e->ops = s.ops ? s.ops : 1;
		e->v[e->n] = s.value / (double)e->ops;
	} else {
		e->v[e->n] = b->flags & OVH_ONCE ? s.value : s.value / (double)e->iters;
	}
	for (int k = 0; k < OVH_MAX_EXTRA; k++)
		e->extra[k][e->n] = s.extra[k];
	e->n++;
	return 0;
}

/* One benchmark's sample in a round; a failed sample is recorded in the
 * entry and the rounds go on. */
static int round_step(void *ctx, void *item, bool record)
{
	return sample(ctx, item) == -EINTR ? -EINTR : 0;
}

int overhead_run_all(struct overhead *o)
{
	struct overhead_entry **order = xcalloc(o->n_entries ? o->n_entries : 1, sizeof *order);
	uint64_t rng = o->seed;
	struct rounds rounds = { .items = (void **)order, .n = o->n_entries, .repeat = o->repeat,
				 .rng = &rng, .step = round_step, .ctx = o };
	int rc = 0;

	progress_start(&o->progress, (uint64_t)o->n_entries * (1 + o->repeat), !o->quiet);
	for (size_t i = 0; i < o->n_entries && rc != -EINTR; i++) {
		order[i] = &o->entries[i];
		rc = calibrate(o, &o->entries[i]);
	}
	if (rc != -EINTR)
		rc = rounds_run(&rounds);
	progress_end(&o->progress);
	free(order);
	return tvp_interrupted || rc == -EINTR ? -EINTR : 0;
}

void overhead_run_free(struct overhead *o)
{
	for (size_t i = 0; i < o->n_entries; i++) {
		free(o->entries[i].v);
		for (int k = 0; k < OVH_MAX_EXTRA; k++)
			free(o->entries[i].extra[k]);
	}
	free(o->entries);
	o->entries = NULL;
	o->n_entries = 0;
}
