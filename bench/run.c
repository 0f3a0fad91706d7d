/* run.c: `tvp run`, the run loop: every cell (workload, size, mode, workers,
 * placement, channel) measured several times, checked, summarised, written.
 *
 * DESIGN
 * Order. Warm-ups first, then `repeat` rounds; each round measures every cell
 * once, in an order shuffled by --seed. A noisy shared machine drifts (the
 * same loop has been seen at 0.34 and 0.68 ns per iteration minutes apart);
 * interleaving spreads that drift over every mode alike instead of letting it
 * land on whichever mode happened to run last.
 *
 * One measurement. A reference loop (count_loop, a fixed 2M iterations) is
 * timed just before, so every sample carries the machine's speed at that
 * moment; samples taken while the reference ran more than 10% slower than
 * the run's best are flagged. Then the workload's prepare (not timed), the
 * mode's setup (timed apart: setup_ns), the mode's execute (timed: wall_ns,
 * CLOCK_MONOTONIC around exactly that call), teardown, and verification of
 * every task's result (not timed; a wrong result is an error, not a warning).
 *
 * Resource figures. User and system CPU, context switches and page faults
 * come from getrusage: RUSAGE_SELF around execute covers every thread of
 * this process; RUSAGE_CHILDREN is read before execute and after teardown,
 * because a child's usage is only added once it has been reaped, and a
 * pool's workers are reaped in teardown (their start-up, a few hundred
 * microseconds of CPU, is therefore included). Peak RSS is the process's (and
 * its reaped children's) peak so far, as the kernel keeps it.
 *
 * Threads and fork. The loop itself never starts a thread, and every mode's
 * teardown joins its threads, so when the next cell forks, the process has
 * one thread (mode.h).
 *
 * Interruption. SIGINT, SIGTERM, SIGHUP... set tvp_interrupted (util.h);
 * modes stop between tasks and the measurement under way is dropped; the
 * loop then tears everything down, writes what was measured with
 * "interrupted": true, and exits 128 + the signal (130 for SIGINT).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/commands.h"
#include "workloads/count.h"
#include "bench/env.h"
#include "bench/modes/mode.h"
#include "bench/pin_json.h"
#include "par/pin.h"
#include "bench/progress.h"
#include "bench/python.h"
#include "bench/results.h"
#include "bench/run_options.h"
#include "bench/stats.h"
#include "bench/rounds.h"
#include "bench/util.h"
#include "workloads/workload.h"

#define SCHEMA "tvp.results/1"
#define REF_ITERS 2000000ull          /* reference loop: 1-3 ms here */
#define DRIFT_THRESHOLD 0.10          /* flag samples >10% slower than the best */
#define AUTO_TARGET_NS 200000000ull   /* --size auto: one task takes about 0.2 s */
#define MAX_COUNTERS 16

/* --pin-strict, until struct mode_run carries it (the runtime keeps no
 * such setting and prints nothing: a failed binding is worker_stats.pinned
 * 0 with its bind_errno). */
static bool pin_strict;

struct cell {
	struct workload_inst *wi;
	const struct mode *mode;
	unsigned workers;
	const char *pin;              /* canonical policy name */
	struct pin_plan *plan;        /* where each worker runs */
	const char *channel;          /* NULL unless the mode takes one */
	uint64_t tasks;
	struct cell *baseline;        /* the serial cell of the same instance */
	double *wall_ns;              /* [repeat] */
	double *ref_ns;               /* [repeat]: reference ns per iteration */
	size_t n;
	json_t *samples;
	bool failed;
	char error[512];
};

struct run {
	struct run_options opt;
	struct workload_inst *insts;
	size_t n_insts;
	struct cell *cells;
	size_t n_cells;
	struct progress progress;
	json_t *warnings;             /* run-level */
	uint64_t seed;
	bool failed;
};

struct usage {
	double user_ns, sys_ns;
	long vcsw, ivcsw, minflt, majflt, maxrss_kb;
};

static void usage_read(int who, struct usage *u)
{
	struct rusage ru;

	getrusage(who, &ru);
	u->user_ns = (double)ru.ru_utime.tv_sec * 1e9 + (double)ru.ru_utime.tv_usec * 1e3;
	u->sys_ns = (double)ru.ru_stime.tv_sec * 1e9 + (double)ru.ru_stime.tv_usec * 1e3;
	u->vcsw = ru.ru_nvcsw;
	u->ivcsw = ru.ru_nivcsw;
	u->minflt = ru.ru_minflt;
	u->majflt = ru.ru_majflt;
	u->maxrss_kb = ru.ru_maxrss;
}

static double reference_ns_per_iter(void)
{
	uint64_t t0 = now_ns();

	count_loop(REF_ITERS);
	return (double)(now_ns() - t0) / (double)REF_ITERS;
}

static json_t *workers_json(const struct mode_run *m)
{
	json_t *a = json_array();

	for (unsigned i = 0; i < m->n_wstats; i++) {
		const struct worker_stats *w = &m->wstats[i];
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

/* Checks every task's status and result, then the batch. Returns true, or
 * false with the first problem in c->error. */
static bool verify(struct cell *c, struct mode_run *m)
{
	const struct workload *wl = c->wi->wl;
	char why[400];

	for (uint64_t i = 0; i < c->tasks; i++) {
		if (m->status[i] != 0) {
			snprintf(c->error, sizeof c->error, "task %" PRIu64 " failed: %.300s", i,
				 task_error_text(&m->results[i], m->status[i], why, sizeof why));
			return false;
		}
		if (!wl->verify(c->wi, i, &m->results[i], why, sizeof why)) {
			snprintf(c->error, sizeof c->error, "wrong result: %s", why);
			return false;
		}
	}
	if (wl->verify_batch && !wl->verify_batch(c->wi, c->tasks, why, sizeof why)) {
		snprintf(c->error, sizeof c->error, "wrong result: %s", why);
		return false;
	}
	return true;
}

/* One measurement of cell c; recorded when record is set. Returns 0, -EINTR
 * when interrupted (nothing recorded), or -1 when the cell failed (c->error
 * says why; the cell is not measured again). */
static int measure(struct cell *c, bool record)
{
	const struct workload *wl = c->wi->wl;
	struct mode_run m;
	struct usage s0, s1, ch0, ch1;
	double ref;
	uint64_t t0, setup_ns = 0, wall_ns;
	json_t *workers = NULL;
	int rc;

	memset(&m, 0, sizeof m);
	m.wi = c->wi;
	m.workers = c->workers;
	m.tasks = c->tasks;
	m.channel = c->channel;
	m.pin = c->plan;
	mode_run_alloc_arrays(&m, c->tasks);

	ref = reference_ns_per_iter();
	if (wl->prepare && (rc = wl->prepare(c->wi, m.err, sizeof m.err)) != 0) {
		snprintf(c->error, sizeof c->error, "%s: prepare: %s", wl->name, m.err);
		rc = -1;
		goto out;
	}
	t0 = now_ns();
	if (c->mode->setup && (rc = c->mode->setup(&m)) != 0) {
		snprintf(c->error, sizeof c->error, "%s: setup: %s", c->mode->name,
			 m.err[0] ? m.err : strerror(-rc));
		rc = rc == -EINTR ? -EINTR : -1;
		goto out;
	}
	setup_ns = now_ns() - t0;
	usage_read(RUSAGE_SELF, &s0);
	usage_read(RUSAGE_CHILDREN, &ch0);
	t0 = now_ns();
	rc = c->mode->execute(&m);
	wall_ns = now_ns() - t0;
	usage_read(RUSAGE_SELF, &s1);
	if (rc == 0) {
		workers = workers_json(&m);
		for (unsigned i = 0; i < m.n_wstats && pin_strict; i++)
			if (m.wstats[i].pinned == 0) {
				snprintf(m.err, sizeof m.err,
					 "worker %u could not be bound to its place (--pin-strict)", i);
				rc = -EPERM;
			}
	}
	if (c->mode->teardown)
		c->mode->teardown(&m);
	usage_read(RUSAGE_CHILDREN, &ch1);
	if (rc != 0) {
		if (rc != -EINTR)
			snprintf(c->error, sizeof c->error, "%s: %s", c->mode->name,
				 m.err[0] ? m.err : strerror(-rc));
		rc = rc == -EINTR ? -EINTR : -1;
		goto out;
	}
	if (!verify(c, &m)) {
		rc = -1;
		goto out;
	}
	if (record) {
		struct workload_counter ctr[MAX_COUNTERS];
		unsigned nctr = wl->counters ? wl->counters(c->wi, ctr, MAX_COUNTERS) : 0;
		json_t *counters = json_object();
		json_t *s = json_object();

		for (unsigned i = 0; i < nctr; i++)
			json_object_set_new(counters, ctr[i].name, json_real(ctr[i].value));
		json_object_set_new(s, "wall_ns", json_integer((json_int_t)wall_ns));
		json_object_set_new(s, "setup_ns", json_integer((json_int_t)setup_ns));
		json_object_set_new(s, "user_ns", json_real(s1.user_ns - s0.user_ns));
		json_object_set_new(s, "sys_ns", json_real(s1.sys_ns - s0.sys_ns));
		json_object_set_new(s, "children_user_ns", json_real(ch1.user_ns - ch0.user_ns));
		json_object_set_new(s, "children_sys_ns", json_real(ch1.sys_ns - ch0.sys_ns));
		json_object_set_new(s, "voluntary_ctxsw", json_integer((s1.vcsw - s0.vcsw) + (ch1.vcsw - ch0.vcsw)));
		json_object_set_new(s, "involuntary_ctxsw", json_integer((s1.ivcsw - s0.ivcsw) + (ch1.ivcsw - ch0.ivcsw)));
		json_object_set_new(s, "minor_faults", json_integer((s1.minflt - s0.minflt) + (ch1.minflt - ch0.minflt)));
		json_object_set_new(s, "major_faults", json_integer((s1.majflt - s0.majflt) + (ch1.majflt - ch0.majflt)));
		json_object_set_new(s, "max_rss_kb", json_integer(s1.maxrss_kb));
		json_object_set_new(s, "children_max_rss_kb", json_integer(ch1.maxrss_kb));
		json_object_set_new(s, "ref_ns_per_iter", json_real(ref));
		json_object_set_new(s, "counters", counters);
		json_object_set_new(s, "workers", workers);
		workers = NULL;
		json_array_append_new(c->samples, s);
		c->wall_ns[c->n] = (double)wall_ns;
		c->ref_ns[c->n] = ref;
		c->n++;
	}
	rc = 0;
out:
	json_decref(workers);
	mode_run_free_arrays(&m);
	if (rc == -1)
		c->failed = true;
	return rc;
}

static const char *cell_label(const struct cell *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s x%u%s%s", c->wi->wl->name, c->mode->name, c->workers,
		 c->channel ? " " : "", c->channel ? c->channel : "");
	return buf;
}

/* Runs one step of cell c; a failure is reported at once and the cell is
 * skipped from then on. */
static int step(struct run *r, struct cell *c, bool record)
{
	char label[128];
	int rc;

	if (c->failed)
		return 0;
	progress_step(&r->progress, cell_label(c, label, sizeof label));
	rc = measure(c, record);
	if (rc == -1) {
		progress_end(&r->progress);
		fprintf(stderr, "tvp: %s: %s\n", cell_label(c, label, sizeof label), c->error);
		r->failed = true;
	}
	return rc == -EINTR ? -EINTR : 0;
}

static int setup_instances(struct run *r)
{
	size_t n = 0;

	for (size_t w = 0; w < r->opt.n_workloads; w++)
		n += r->opt.workloads[w].n_sizes;
	r->insts = xcalloc(n, sizeof *r->insts);
	for (size_t w = 0; w < r->opt.n_workloads; w++) {
		const struct run_workload *rw = &r->opt.workloads[w];

		for (size_t s = 0; s < rw->n_sizes; s++) {
			struct workload_inst *wi = &r->insts[r->n_insts];
			char err[512] = "";
			int rc;

			wi->wl = rw->wl;
			wi->quick = r->opt.quick;
			wi->opt_values = rw->opt_values;
			wi->size = rw->sizes[s];
			if (wi->size == 0)
				wi->size = rw->wl->calibrate ? rw->wl->calibrate(AUTO_TARGET_NS)
							     : rw->wl->default_size(r->opt.quick);
			if (rw->wl->setup && (rc = rw->wl->setup(wi, err, sizeof err)) != 0) {
				fprintf(stderr, "tvp: workload %s: %s\n", rw->wl->name,
					err[0] ? err : strerror(-rc));
				return 1;
			}
			r->n_insts++;
		}
	}
	return 0;
}

static uint64_t tasks_for(const struct run *r, const struct workload *wl)
{
	unsigned max_workers = r->opt.workers[r->opt.n_workers - 1];

	if (r->opt.tasks)
		return r->opt.tasks;
	if (wl->default_tasks)
		return wl->default_tasks(max_workers, r->opt.quick);
	return max_workers;
}

static struct cell *add_cell(struct run *r, struct workload_inst *wi, const struct mode *m,
			     unsigned workers, const char *pin, const char *channel)
{
	struct cell *c = &r->cells[r->n_cells++];
	char err[256];

	c->wi = wi;
	c->mode = m;
	c->workers = workers;
	/* Policies were checked when the options were read; a plan for more
	 * workers cannot fail on a policy that planned one. */
	if (pin_plan_new(&c->plan, pin, workers, err, sizeof err) != 0) {
		fprintf(stderr, "tvp: --pin %s: %s\n", pin, err);
		abort();
	}
	c->pin = pin_plan_policy(c->plan);
	c->channel = channel;
	c->tasks = tasks_for(r, wi->wl);
	c->wall_ns = xcalloc(r->opt.repeat, sizeof *c->wall_ns);
	c->ref_ns = xcalloc(r->opt.repeat, sizeof *c->ref_ns);
	c->samples = json_array();
	return c;
}

static void build_cells(struct run *r)
{
	const struct run_options *o = &r->opt;
	size_t cap = r->n_insts * (1 + o->n_modes * o->n_workers * o->n_pins * o->n_channels);

	r->cells = xcalloc(cap, sizeof *r->cells);
	for (size_t i = 0; i < r->n_insts; i++) {
		/* The serial baseline is never pinned: binding the calling
		 * thread would leave the parent bound, and every later fork
		 * would inherit its mask. */
		struct cell *base = add_cell(r, &r->insts[i], modes[0], 1, "none", NULL);

		for (size_t m = 0; m < o->n_modes; m++) {
			const struct mode *mode = o->modes[m];

			if (mode->flags & MODE_SERIAL)
				continue;
			for (size_t w = 0; w < o->n_workers; w++)
				for (size_t p = 0; p < o->n_pins; p++)
					for (size_t ch = 0; ch < o->n_channels; ch++) {
						bool chan = mode->flags & MODE_CHANNEL;
						if (!chan && ch > 0)
							break;
						add_cell(r, &r->insts[i], mode, o->workers[w], o->pins[p],
							 chan ? o->channels[ch] : NULL)->baseline = base;
					}
		}
	}
}

static int round_step(void *ctx, void *item, bool record)
{
	return step(ctx, item, record);
}

/* Runs warm-ups and rounds. Returns 0, or -EINTR when interrupted. */
static int run_all(struct run *r)
{
	struct cell **order = xcalloc(r->n_cells, sizeof *order);
	uint64_t rng = r->seed;
	struct rounds rounds = { .items = (void **)order, .n = r->n_cells, .warmup = r->opt.warmup,
				 .repeat = r->opt.repeat, .rng = &rng, .step = round_step, .ctx = r };
	int rc;

	for (size_t i = 0; i < r->n_cells; i++)
		order[i] = &r->cells[i];
	progress_start(&r->progress, (uint64_t)r->n_cells * (r->opt.warmup + r->opt.repeat),
		       !r->opt.quiet);
	rc = rounds_run(&rounds);
	progress_end(&r->progress);
	free(order);
	return rc;
}

static double best_reference(const struct run *r)
{
	double best = INFINITY;

	for (size_t i = 0; i < r->n_cells; i++)
		for (size_t k = 0; k < r->cells[i].n; k++)
			if (r->cells[i].ref_ns[k] < best)
				best = r->cells[i].ref_ns[k];
	return best;
}

/* Summarises cell c into a JSON object and fills *st; its median is 0 when
 * it has no samples. */
static json_t *cell_json(const struct run *r, struct cell *c, double best_ref, struct stats *st)
{
	const struct workload *wl = c->wi->wl;
	json_t *o = json_object(), *w = json_array();
	bool *out = xcalloc(c->n ? c->n : 1, sizeof *out);
	struct stats base;
	size_t drifted = 0;
	double speedup = 0;

	stats_compute(c->wall_ns, c->n, st, out);
	for (size_t k = 0; k < c->n; k++) {
		json_t *s = json_array_get(c->samples, k);
		bool drift = c->ref_ns[k] > best_ref * (1 + DRIFT_THRESHOLD);

		drifted += drift;
		json_object_set_new(s, "drift", json_boolean(drift));
		json_object_set_new(s, "outlier", json_boolean(out[k]));
	}
	free(out);
	json_object_set_new(o, "workload", json_string(wl->name));
	json_object_set_new(o, "mode", json_string(c->mode->name));
	json_object_set_new(o, "kind", json_string(mode_kind_name(c->mode)));
	json_object_set_new(o, "lang", json_string("c"));
	json_object_set_new(o, "workers", json_integer(c->workers));
	json_object_set_new(o, "tasks", json_integer((json_int_t)c->tasks));
	json_object_set_new(o, "size", json_integer((json_int_t)c->wi->size));
	json_object_set_new(o, "size_unit", json_string(wl->size_unit));
	json_object_set_new(o, "pin", json_string(c->pin));
	json_object_set_new(o, "channel", c->channel ? json_string(c->channel) : json_null());
	json_object_set_new(o, "stats", stats_json(st, "ns"));
	if (c->n) {
		double *setup = xcalloc(c->n, sizeof *setup);
		struct stats ss;
		for (size_t k = 0; k < c->n; k++)
			setup[k] = (double)json_integer_value(json_object_get(json_array_get(c->samples, k), "setup_ns"));
		stats_compute(setup, c->n, &ss, NULL);
		json_object_set_new(o, "setup_ns_median", json_real(ss.median));
		free(setup);
	}
	if (c->baseline && c->n && c->baseline->n) {
		stats_compute(c->baseline->wall_ns, c->baseline->n, &base, NULL);
		speedup = base.median / st->median;
	} else if (!c->baseline && c->n) {
		speedup = 1;
	}
	if (speedup > 0) {
		double par = (double)(c->workers < c->tasks ? c->workers : c->tasks);
		json_object_set_new(o, "speedup", json_real(speedup));
		json_object_set_new(o, "efficiency", json_real(speedup / par));
	} else {
		json_object_set_new(o, "speedup", json_null());
		json_object_set_new(o, "efficiency", json_null());
	}
	if (wl->rate && c->n)
		json_object_set_new(o, wl->rate_key, json_real(wl->rate(c->wi, c->tasks, st->median)));
	json_object_set_new(o, "verified", json_boolean(c->n > 0 && !c->failed));
	json_object_set_new(o, "error", c->failed ? json_string(c->error) : json_null());
	json_object_set_new(o, "samples", json_incref(c->samples));

	results_warn_stats(w, st);
	if (drifted)
		results_warn(w, "%zu of %zu samples taken while the machine ran over %.0f%% slower than its best (reference loop)",
		     drifted, c->n, 100 * DRIFT_THRESHOLD);
	if (st->outliers)
		results_warn(w, "%zu outlier(s) (modified z-score above %.1f)", st->outliers, STATS_OUTLIER_Z);
	{
		size_t outside = 0, unpinned = 0, k;
		json_t *smp;
		json_array_foreach(c->samples, k, smp) {
			size_t wi;
			json_t *wk;
			json_array_foreach(json_object_get(smp, "workers"), wi, wk) {
				outside += json_is_true(json_object_get(wk, "ran_outside"));
				unpinned += json_is_false(json_object_get(wk, "pinned"));
			}
		}
		if (unpinned)
			results_warn(w, "placement %s: %zu worker binding(s) failed (\"pinned\": false)", c->pin,
			     unpinned);
		if (outside)
			results_warn(w, "placement %s: %zu worker(s) were seen running outside their cpuset", c->pin,
			     outside);
		if (pin_plan_wraps(c->plan))
			results_warn(w, "placement %s wraps: %u workers share fewer places", c->pin, c->workers);
	}
	if (c->workers > env_pus() && !(c->mode->flags & MODE_SERIAL))
		results_warn(w, "%u workers on %u PUs: oversubscribed", c->workers, env_pus());
	json_object_set_new(o, "warnings", w);
	return o;
}

/* --python: the same experiment in CPython, through the reference scripts in
 * workloads/python/ (threading, multiprocessing, concurrent.futures), for the
 * count and sleep instances of this run. Python cells run after the C cells,
 * not interleaved with them: each is one interpreter doing its own repeats.
 * Their speedup is against the Python serial cell. Python's counting loop is
 * about a hundred times slower than C's here (about 25 against 0.28 ns per
 * iteration), so a Python count task counts to SIZE / PYTHON_COUNT_SCALE and
 * takes about as long as a C task. */
#define PYTHON_COUNT_SCALE 100

static const char *const python_modes[] = {
	"serial", "thread-pool", "fork-pool", "executor-thread", "executor-fork", NULL
};

static json_t *python_cell(const struct run *r, const struct workload_inst *wi, const char *mode,
			   unsigned workers, double serial_median, double *median)
{
	const char *wl = wi->wl->name;
	char *script = xasprintf("%s.py", wl), *path = python_script_path(script);
	char sw[16], st[24], ss[24], sr[16], err[512] = "";
	uint64_t tasks = tasks_for(r, wi->wl);
	uint64_t size = strcmp(wl, "count") == 0 ? wi->size / PYTHON_COUNT_SCALE : wi->size;
	const char *args[] = { "--mode", mode, "--workers", sw, "--tasks", st, "--size", ss,
			       "--repeat", sr, NULL };
	json_t *out = NULL, *o = json_object(), *samples = json_array(), *w = json_array(), *v;
	struct stats stt;
	double *wall;
	size_t n, i;
	bool *outl;
	int rc;

	if (size < 1000)
		size = 1000;
	snprintf(sw, sizeof sw, "%u", workers);
	snprintf(st, sizeof st, "%llu", (unsigned long long)tasks);
	snprintf(ss, sizeof ss, "%llu", (unsigned long long)size);
	snprintf(sr, sizeof sr, "%u", r->opt.repeat);
	rc = python_run_json(path, args, &out, err, sizeof err);
	n = rc == 0 ? json_array_size(json_object_get(out, "wall_ns")) : 0;
	wall = xcalloc(n ? n : 1, sizeof *wall);
	outl = xcalloc(n ? n : 1, sizeof *outl);
	json_array_foreach(json_object_get(out, "wall_ns"), i, v)
		wall[i] = json_number_value(v);
	stats_compute(wall, n, &stt, outl);
	for (i = 0; i < n; i++)
		json_array_append_new(samples, json_pack("{s:I, s:I, s:b, s:b}", "wall_ns", (json_int_t)wall[i],
							 "setup_ns", json_integer_value(json_object_get(out, "setup_ns")),
							 "drift", 0, "outlier", outl[i]));
	*median = stt.median;
	json_object_set_new(o, "workload", json_string(wl));
	json_object_set_new(o, "mode", json_string(mode));
	json_object_set_new(o, "kind", json_string(strcmp(mode, "serial") == 0 ? "serial" :
						   strstr(mode, "fork") ? "process" : "thread"));
	json_object_set_new(o, "lang", json_string("python"));
	json_object_set_new(o, "api", out ? json_incref(json_object_get(out, "api")) : json_null());
	json_object_set_new(o, "python", out ? json_incref(json_object_get(out, "python")) : json_null());
	json_object_set_new(o, "workers", json_integer(workers));
	json_object_set_new(o, "tasks", json_integer((json_int_t)tasks));
	json_object_set_new(o, "size", json_integer((json_int_t)size));
	json_object_set_new(o, "size_unit", json_string(wi->wl->size_unit));
	json_object_set_new(o, "pin", json_string("none"));
	json_object_set_new(o, "channel", json_null());
	json_object_set_new(o, "stats", stats_json(&stt, "ns"));
	if (n && serial_median > 0) {
		double sp = serial_median / stt.median;
		json_object_set_new(o, "speedup", json_real(sp));
		json_object_set_new(o, "efficiency", json_real(sp / (double)(workers < tasks ? workers : tasks)));
	} else {
		json_object_set_new(o, "speedup", n && strcmp(mode, "serial") == 0 ? json_real(1) : json_null());
		json_object_set_new(o, "efficiency", n && strcmp(mode, "serial") == 0 ? json_real(1) : json_null());
	}
	if (rc == 0 && !json_is_true(json_object_get(out, "results_ok")))
		snprintf(err, sizeof err, "%s returned wrong results", script);
	json_object_set_new(o, "verified", json_boolean(n > 0 && !err[0]));
	json_object_set_new(o, "error", err[0] ? json_string(err) : json_null());
	results_warn_stats(w, &stt);
	json_object_set_new(o, "warnings", w);
	json_object_set_new(o, "samples", samples);
	json_decref(out);
	free(outl);
	free(wall);
	free(path);
	free(script);
	return o;
}

/* Runs the Python cells into cells[]. Returns -EINTR when interrupted, else 0;
 * a machine without python3 gets a run warning and no Python cells. */
static int python_cells(struct run *r, json_t *cells)
{
	char *probe = python_script_path("count.py"), err[256];
	const char *args[] = { "--list-modes", NULL };
	json_t *modes_out = NULL;
	int rc = python_run_json(probe, args, &modes_out, err, sizeof err);

	free(probe);
	json_decref(modes_out);
	if (rc == -EINTR)
		return rc;
	if (rc != 0) {
		results_warn(r->warnings, "--python: Python cells skipped: %s", err);
		fprintf(stderr, "tvp: --python: Python cells skipped: %s\n", err);
		return 0;
	}
	for (size_t i = 0; i < r->n_insts; i++) {
		const struct workload_inst *wi = &r->insts[i];
		double serial = 0, med;

		if (strcmp(wi->wl->name, "count") != 0 && strcmp(wi->wl->name, "sleep") != 0)
			continue;
		for (size_t m = 0; python_modes[m]; m++) {
			bool chosen = m == 0;   /* serial: always, the baseline */

			for (size_t k = 0; k < r->opt.n_modes; k++)
				chosen |= strcmp(r->opt.modes[k]->name, python_modes[m]) == 0;
			for (size_t w = 0; chosen && w < (m == 0 ? 1 : r->opt.n_workers); w++) {
				json_t *cell;

				if (tvp_interrupted)
					return -EINTR;
				cell = python_cell(r, wi, python_modes[m], m == 0 ? 1 : r->opt.workers[w],
						   serial, &med);
				if (m == 0)
					serial = med;
				if (!json_is_null(json_object_get(cell, "error"))) {
					r->failed = true;
					fprintf(stderr, "tvp: python %s %s: %s\n", wi->wl->name, python_modes[m],
						json_string_value(json_object_get(cell, "error")));
				}
				json_array_append_new(cells, cell);
			}
		}
	}
	return 0;
}

static void print_python_table(FILE *f, json_t *cells)
{
	size_t i;
	json_t *c;

	if (!json_array_size(cells))
		return;
	fprintf(f, "\nPython (%s %s, GIL %s), through workloads/python/:\n",
		json_string_value(json_object_get(json_object_get(json_array_get(cells, 0), "python"), "implementation")),
		json_string_value(json_object_get(json_object_get(json_array_get(cells, 0), "python"), "version")),
		json_is_false(json_object_get(json_object_get(json_array_get(cells, 0), "python"), "gil")) ? "off" : "on");
	fprintf(f, "%-10s %-10s %-54s %7s %11s %8s %8s %6s\n", "workload", "size", "mode (api)", "workers",
		"median", "ci95", "speedup", "eff");
	json_array_foreach(cells, i, c) {
		json_t *st = json_object_get(c, "stats");
		double med = json_number_value(json_object_get(st, "median_ns"));
		double lo = json_number_value(json_object_get(st, "ci95_lo_ns"));
		double hi = json_number_value(json_object_get(st, "ci95_hi_ns"));
		char mode[64], medbuf[24];

		snprintf(mode, sizeof mode, "%s (%s)", json_string_value(json_object_get(c, "mode")),
			 json_is_string(json_object_get(c, "api")) ? json_string_value(json_object_get(c, "api")) : "?");
		format_duration(medbuf, sizeof medbuf, med);
		fprintf(f, "%-10s %-10lld %-54s %7lld %11s   +-%4.1f%% %8.2f %6.2f%s\n",
			json_string_value(json_object_get(c, "workload")),
			(long long)json_integer_value(json_object_get(c, "size")), mode,
			(long long)json_integer_value(json_object_get(c, "workers")), medbuf,
			med > 0 ? 50 * (hi - lo) / med : 0.0,
			json_number_value(json_object_get(c, "speedup")),
			json_number_value(json_object_get(c, "efficiency")),
			json_is_null(json_object_get(c, "error")) ? "" : "  FAILED");
	}
}

static json_t *config_json(const struct run *r)
{
	const struct run_options *o = &r->opt;
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
	for (size_t i = 0; i < r->n_insts; i++)
		json_array_append_new(a, json_pack("{s:s, s:I}", "workload", r->insts[i].wl->name, "size",
						   (json_int_t)r->insts[i].size));
	json_object_set_new(c, "sizes", a);
	a = json_array();
	for (size_t i = 0; i < o->n_modes; i++)
		json_array_append_new(a, json_string(o->modes[i]->name));
	json_object_set_new(c, "modes", a);
	a = json_array();
	for (size_t i = 0; i < o->n_workers; i++)
		json_array_append_new(a, json_integer(o->workers[i]));
	json_object_set_new(c, "workers", a);
	a = json_array();
	for (size_t i = 0; i < o->n_pins; i++)
		json_array_append_new(a, json_string(o->pins[i]));
	json_object_set_new(c, "pin", a);
	json_object_set_new(c, "pin_strict", json_boolean(o->pin_strict));
	a = json_array();
	for (size_t i = 0; i < o->n_channels; i++)
		json_array_append_new(a, json_string(o->channels[i]));
	json_object_set_new(c, "channel", a);
	json_object_set_new(c, "tasks", o->tasks ? json_integer((json_int_t)o->tasks) : json_null());
	json_object_set_new(c, "repeat", json_integer(o->repeat));
	json_object_set_new(c, "warmup", json_integer(o->warmup));
	json_object_set_new(c, "seed", json_integer((json_int_t)r->seed));
	json_object_set_new(c, "quick", json_boolean(o->quick));
	json_object_set_new(c, "python", json_boolean(o->python));
	json_object_set_new(c, "command_line", json_pack("{s:s?, s:s?, s:s?, s:s?}", "workload",
							  o->workload_text, "mode", o->mode_text, "workers",
							  o->workers_text, "size", o->size_text));
	return c;
}

static void print_table(FILE *f, const struct run *r, json_t *results)
{
	size_t i;
	json_t *cell;

	fprintf(f, "%-10s %-10s %-16s %7s %11s %8s %8s %6s %10s  %s\n", "workload", "size", "mode",
		"workers", "median", "ci95", "speedup", "eff", "rate", "notes");
	json_array_foreach(results, i, cell) {
		if (i >= r->n_cells)
			break;   /* Python cells follow: print_python_table */
		const struct cell *c = &r->cells[i];
		const struct workload *wl = c->wi->wl;
		json_t *st = json_object_get(cell, "stats");
		double med = json_number_value(json_object_get(st, "median_ns"));
		double lo = json_number_value(json_object_get(st, "ci95_lo_ns"));
		double hi = json_number_value(json_object_get(st, "ci95_hi_ns"));
		json_t *sp = json_object_get(cell, "speedup"), *ef = json_object_get(cell, "efficiency");
		char mode[48], medbuf[24], ci[24], rate[32] = "", size[24], notes[64] = "";
		size_t nw = json_array_size(json_object_get(cell, "warnings"));

		snprintf(mode, sizeof mode, "%s%s%s%s%s", c->mode->name, c->channel ? "/" : "",
			 c->channel ? c->channel : "", strcmp(c->pin, "none") ? "@" : "",
			 strcmp(c->pin, "none") ? c->pin : "");
		snprintf(size, sizeof size, "%" PRIu64, c->wi->size);
		if (c->n == 0) {
			fprintf(f, "%-10s %-10s %-16s %7u %11s  %s\n", wl->name, size, mode, c->workers, "-",
				c->failed ? "FAILED (see error)" : "not measured");
			continue;
		}
		format_duration(medbuf, sizeof medbuf, med);
		snprintf(ci, sizeof ci, "+-%.1f%%", med > 0 ? 50 * (hi - lo) / med : 0.0);
		if (wl->rate)
			snprintf(rate, sizeof rate, "%.3g %s",
				 json_number_value(json_object_get(cell, wl->rate_key)), wl->rate_label);
		if (nw)
			snprintf(notes, sizeof notes, "%zu warning%s", nw, nw > 1 ? "s" : "");
		if (c->failed)
			snprintf(notes, sizeof notes, "FAILED");
		fprintf(f, "%-10s %-10s %-16s %7u %11s %8s %8.2f %6.2f %10s  %s\n", wl->name, size, mode,
			c->workers, medbuf, ci, json_number_value(sp), json_number_value(ef), rate, notes);
		(void)ef;
	}
}

static void print_warnings(FILE *f, const struct run *r, json_t *results)
{
	size_t i, k;
	json_t *cell, *w;
	char label[128];

	json_array_foreach(r->warnings, k, w)
		fprintf(f, "warning: %s\n", json_string_value(w));
	json_array_foreach(results, i, cell) {
		if (i >= r->n_cells)
			snprintf(label, sizeof label, "python %s %s x%lld",
				 json_string_value(json_object_get(cell, "workload")),
				 json_string_value(json_object_get(cell, "mode")),
				 (long long)json_integer_value(json_object_get(cell, "workers")));
		else
			cell_label(&r->cells[i], label, sizeof label);
		json_array_foreach(json_object_get(cell, "warnings"), k, w)
			fprintf(f, "warning: %s: %s\n", label, json_string_value(w));
		if (i < r->n_cells && r->cells[i].failed)
			fprintf(f, "error: %s: %s\n", cell_label(&r->cells[i], label, sizeof label),
				r->cells[i].error);
	}
}

static json_t *document(struct run *r, json_t *host, json_t *build, const char *created,
			bool interrupted, double duration_s, json_t *python, json_t **results_out)
{
	json_t *doc = json_object(), *results = json_array();
	double best = best_reference(r);

	for (size_t i = 0; i < r->n_cells; i++) {
		struct stats st;
		json_array_append_new(results, cell_json(r, &r->cells[i], best, &st));
	}
	json_array_extend(results, python);
	json_object_set_new(doc, "schema", json_string(SCHEMA));
	json_object_set_new(doc, "tool", env_tool_json());
	json_object_set_new(doc, "created", json_string(created));
	json_object_set_new(doc, "duration_s", json_real(duration_s));
	json_object_set_new(doc, "interrupted", json_boolean(interrupted));
	json_object_set_new(doc, "host", json_incref(host));
	json_object_set_new(doc, "topology", pin_json_topology());
	json_object_set_new(doc, "build", json_incref(build));
	json_object_set_new(doc, "config", config_json(r));
	json_object_set_new(doc, "reference", json_pack("{s:s, s:I, s:f, s:f}", "loop", "count_loop",
							"iterations", (json_int_t)REF_ITERS,
							"best_ns_per_iter", isfinite(best) ? best : 0.0,
							"drift_threshold", DRIFT_THRESHOLD));
	json_object_set_new(doc, "warnings", json_incref(r->warnings));
	json_object_set_new(doc, "results", results);
	*results_out = results;
	return doc;
}

int cmd_run(int argc, char **argv)
{
	struct run r;
	struct results_out *out = NULL;
	json_t *host = NULL, *build = NULL, *doc, *results, *python;
	char err[512], created[32];
	uint64_t t0 = now_ns();
	double load;
	int rc, status = 0;

	memset(&r, 0, sizeof r);
	rc = run_options_parse(&r.opt, argc, argv, err, sizeof err);
	if (rc != 0) {
		if (rc < 0)
			fprintf(stderr, "tvp: run: %s\n", err);
		run_options_release(&r.opt);
		return rc < 0 ? 2 : 0;
	}
	/* The topology is loaded once, before any worker exists; each policy
	 * is tried now so that a bad one is a usage error, not a failure
	 * halfway through the run. */
	if ((rc = pin_topology_load(err, sizeof err)) != 0) {
		fprintf(stderr, "tvp: run: hwloc: %s\n", err);
		run_options_release(&r.opt);
		return 1;
	}
	pin_strict = r.opt.pin_strict;
	for (size_t i = 0; i < r.opt.n_pins; i++) {
		struct pin_plan *p;
		if ((rc = pin_plan_new(&p, r.opt.pins[i], 1, err, sizeof err)) != 0) {
			fprintf(stderr, "tvp: run: --pin: %s\n", err);
			run_options_release(&r.opt);
			return rc == -EINVAL ? 2 : 1;
		}
		pin_plan_free(p);
	}
	if (results_open(&out, r.opt.output, "", err, sizeof err) != 0) {
		fprintf(stderr, "tvp: run: --output: %s\n", err);
		run_options_release(&r.opt);
		return 2;
	}
	util_catch_interrupts();
	python = json_array();
	r.seed = r.opt.seed_given ? r.opt.seed : now_ns() ^ ((uint64_t)getpid() << 32);
	r.warnings = json_array();
	env_utc_stamp(created, sizeof created, false);
	host = env_host_json();
	build = env_build_json();
	load = env_load1();
	if (load >= 0.5 * env_pus())
		results_warn(r.warnings, "the machine was busy at the start: load average %.2f on %u PUs", load,
		     env_pus());
	if (TVP_SAN[0])
		results_warn(r.warnings, "built with -fsanitize=%s: times are not representative", TVP_SAN);

	if (setup_instances(&r) != 0) {
		status = 1;
		goto teardown;
	}
	build_cells(&r);
	if (!r.opt.quiet)
		fprintf(stderr, "tvp: %zu cells x (%u warm-up + %u measured) runs, seed %" PRIu64 "\n",
			r.n_cells, r.opt.warmup, r.opt.repeat, r.seed);
	rc = run_all(&r);
	if (rc == 0 && r.opt.python)
		rc = python_cells(&r, python);
	if (rc == -EINTR) {
		fprintf(stderr, "tvp: interrupted (%s); writing what was measured\n",
			util_interrupt_name());
		status = util_interrupt_status();
	} else if (r.failed) {
		status = 1;
	}
teardown:
	for (size_t i = 0; i < r.n_insts; i++)
		if (r.insts[i].wl->teardown)
			r.insts[i].wl->teardown(&r.insts[i]);
	doc = document(&r, host, build, created, status > 128, (double)(now_ns() - t0) / 1e9, python,
		       &results);
	if (!r.opt.quiet || r.failed) {
		FILE *tf = strcmp(results_path(out), "-") == 0 ? stderr : stdout;
		if (!r.opt.quiet) {
			print_table(tf, &r, results);
			print_python_table(tf, python);
		}
		print_warnings(stderr, &r, results);
	}
	{
		char path[4096];
		snprintf(path, sizeof path, "%s", results_path(out));
		if (results_commit(out, doc, err, sizeof err) != 0) {
			fprintf(stderr, "tvp: run: %s\n", err);
			if (status == 0)
				status = 1;
		} else if (!r.opt.quiet && strcmp(path, "-") != 0) {
			fprintf(stderr, "tvp: results written to %s\n", path);
		}
	}
	json_decref(doc);
	json_decref(host);
	json_decref(build);
	json_decref(r.warnings);
	json_decref(python);
	for (size_t i = 0; i < r.n_cells; i++) {
		free(r.cells[i].wall_ns);
		free(r.cells[i].ref_ns);
		pin_plan_free(r.cells[i].plan);
		json_decref(r.cells[i].samples);
	}
	free(r.cells);
	free(r.insts);
	run_options_release(&r.opt);
	return status;
}
