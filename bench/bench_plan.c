/* bench_plan.c: the groups of `tvp bench`, their task counts, and which fit
 * the budget (bench_plan.h).
 *
 * DESIGN
 * Spent where the answers are. A group is what pairs with one serial cell,
 * so every comparison the report draws (thread-pool against fork-pool at
 * the PUs, scatter against none) lies within one group:
 *   CPU workloads   workers 1, the PUs and twice the PUs: the cost of a mode
 *                   alone, full use, and oversubscription; pinned none and
 *                   scatter where the machine binds.
 *   waiting ones    powers of two up to 32 x the PUs (at most 256): their
 *                   speedup goes on far past the cores.
 *   transfer        64 B, 4 KiB, 256 KiB, 4 MiB, channels pipe and shm, at
 *                   1 worker and the PUs, the modes that hand results back
 *                   through a pool (spawning is the noop groups' question).
 *   noop            the hand-off alone, one group per mode family, each
 *                   with its own task count: a thread-pool task costs tens
 *                   of ns and a fork-spawn task half a millisecond or more,
 *                   so one count would either leave the pools unmeasurable
 *                   or fork 20,000 processes per sample (13 minutes once).
 *
 * Measurable sizes. Every measurement should last at least BENCH_FLOOR_NS:
 * the shortest cell of a group (the most workers the machine runs at once)
 * gets enough tasks per worker for it. The floor, measured with tvp itself
 * (tvp run --workload count --mode serial --tasks 1 --size
 * 1M,2M,5M,10M,20M,35M,70M,150M,350M --repeat 30, interleaved, on the
 * 2-vCPU VM at load average 10): the median absolute deviation of a serial
 * sample over its median was 36% at 1-6 ms, 24% at 10 ms, 17% at 19 ms, and
 * then stayed there (16% at 37 and 74 ms, 12% at 168 and 377 ms): below
 * about 20 ms a sample is at the mercy of the scheduler's slices (a tick is
 * 4 ms here), above it the spread is the machine's load, which only more
 * rounds and the pairing of them answer. (Samples under 1 ms often fit
 * between two preemptions and look steady, with outliers of 6x.)
 *
 * Budget. Groups are kept in plan order (CPU first: count is the headline,
 * then the hand-off, waiting, transfer) while their warm-up and minimum
 * rounds fit 80% of the budget: the rest is for the adaptive rounds of the
 * groups not yet within the precision. When they do not, groups are trimmed
 * (no worker count 1, none above 8 x the PUs, no scatter), last first, until
 * they fit; only when all are trimmed are groups skipped, last first, and
 * then any skipped group that fits what is left is taken back; the plan
 * printed first says which.
 */
#include "bench/bench_plan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bench/adaptive.h"
#include "bench/util.h"

#define MIN_SHARE 0.8                /* of the budget, for the minimum rounds */
#define TRANSFER_BYTES (64ull << 20) /* per measurement */
#define TRANSFER_MAX_TASKS 20000ull

void bench_settings_default(struct bench_settings *s, bool quick)
{
	*s = (struct bench_settings){
		.quick = quick,
		.budget_ns = quick ? BENCH_QUICK_BUDGET_NS : BENCH_BUDGET_NS,
		.warmup = 1,
		.min_rounds = quick ? 3 : ADAPTIVE_MIN_ROUNDS,
		.max_rounds = quick ? 8 : ADAPTIVE_MAX_ROUNDS,
	};
}

static void add_worker(struct bench_group *g, unsigned w)
{
	size_t i = 0;

	while (i < g->n_workers && g->workers[i] < w)
		i++;
	if ((i < g->n_workers && g->workers[i] == w) || g->n_workers == BENCH_MAX_WORKERS)
		return;
	memmove(&g->workers[i + 1], &g->workers[i], (g->n_workers - i) * sizeof g->workers[0]);
	g->workers[i] = w;
	g->n_workers++;
}

/* Serial, then every mode of the registry that want() keeps. */
static void add_modes(struct bench_group *g, bool (*want)(const struct mode *, const void *),
		      const void *arg)
{
	g->modes[g->n_modes++] = modes[0];
	for (size_t i = 1; i < modes_count && g->n_modes < BENCH_MAX_MODES; i++)
		if (want(modes[i], arg))
			g->modes[g->n_modes++] = modes[i];
}

static bool any_mode(const struct mode *m, const void *arg)
{
	return true;
}

static bool not_spawn(const struct mode *m, const void *arg)
{
	return m->family != MODE_FAMILY_SPAWN;
}

static bool of_family(const struct mode *m, const void *arg)
{
	return m->family == *(const enum mode_family *)arg;
}

static struct bench_group *new_group(struct bench_plan *p, const struct workload *wl,
				     const char *suffix)
{
	struct bench_group *g;

	if (p->n_groups == BENCH_MAX_GROUPS)
		return NULL;
	g = &p->groups[p->n_groups++];
	memset(g, 0, sizeof *g);
	g->wl = wl;
	snprintf(g->name, sizeof g->name, "%s%s%s", wl->name, suffix[0] ? " " : "", suffix);
	g->size = wl->default_size(false);
	return g;
}

static void plan_cpu(struct bench_plan *p, const struct workload *wl)
{
	struct bench_group *g = new_group(p, wl, "");
	unsigned pus = p->machine.pus;

	if (!g)
		return;
	add_modes(g, any_mode, NULL);
	add_worker(g, 1);
	add_worker(g, pus);
	add_worker(g, 2 * pus);
	g->scatter = p->machine.can_bind && !p->settings.quick;
	g->measure_task = true;
}

static void plan_wait(struct bench_plan *p, const struct workload *wl)
{
	struct bench_group *g = new_group(p, wl, "");
	unsigned pus = p->machine.pus;
	uint64_t cap = (uint64_t)pus * (p->settings.quick ? 8 : 32);

	if (!g)
		return;
	if (cap > 256)
		cap = 256;
	add_modes(g, any_mode, NULL);
	/* --quick: 1, the PUs, twice, and the cap; else every power of two. */
	for (uint64_t w = 1; w <= cap; w *= 2)
		if (!p->settings.quick || w == 1)
			add_worker(g, (unsigned)w);
	add_worker(g, (unsigned)cap);
	if (pus <= cap)
		add_worker(g, pus);
	if (2ull * pus <= cap)
		add_worker(g, 2 * pus);
	g->measure_task = true;
}

/* "64 B", "4 KiB", "4 MiB". */
static void bytes_text(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB" };
	size_t u = 0;

	while (n >= 1024 && n % 1024 == 0 && u + 1 < ARRAY_SIZE(units)) {
		n /= 1024;
		u++;
	}
	snprintf(buf, len, "%llu %s", (unsigned long long)n, units[u]);
}

static void plan_transfer(struct bench_plan *p, const struct workload *wl)
{
	static const uint64_t full[] = { 64, 4096, 262144, 4194304 };
	static const uint64_t quick[] = { 64, 4194304 };
	const uint64_t *sizes = p->settings.quick ? quick : full;
	size_t n = p->settings.quick ? ARRAY_SIZE(quick) : ARRAY_SIZE(full);

	for (size_t i = 0; i < n; i++) {
		char suffix[32];
		struct bench_group *g;

		bytes_text(sizes[i], suffix, sizeof suffix);
		if (!(g = new_group(p, wl, suffix)))
			return;
		add_modes(g, not_spawn, NULL);
		add_worker(g, 1);
		add_worker(g, p->machine.pus);
		g->both_channels = true;
		g->size = sizes[i];
		g->measure_task = true;
	}
}

static void plan_handoff(struct bench_plan *p, const struct workload *wl)
{
	static const struct { enum mode_family family; const char *name; } fams[] = {
		{ MODE_FAMILY_POOL, "pool" },
		{ MODE_FAMILY_EXECUTOR, "executor" },
		{ MODE_FAMILY_SPAWN, "spawn" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(fams); i++) {
		struct bench_group *g = new_group(p, wl, fams[i].name);

		if (!g)
			return;
		add_modes(g, of_family, &fams[i].family);
		add_worker(g, 1);
		add_worker(g, p->machine.pus);
		g->task_ns = bench_estimate_nominal_task(&p->machine, g);
	}
}

void bench_plan_init(struct bench_plan *p, const struct bench_machine *m,
		     const struct bench_settings *s)
{
	static const enum workload_kind order[] = { WORKLOAD_CPU, WORKLOAD_HANDOFF,
						    WORKLOAD_WAIT, WORKLOAD_TRANSFER };

	memset(p, 0, sizeof *p);
	p->machine = *m;
	if (p->machine.pus == 0)
		p->machine.pus = 1;
	if (p->machine.cores == 0)
		p->machine.cores = 1;
	p->settings = *s;
	for (size_t k = 0; k < ARRAY_SIZE(order); k++)
		for (size_t i = 0; i < workloads_count; i++) {
			const struct workload *wl = workloads[i];

			if (wl->kind != order[k])
				continue;
			switch (wl->kind) {
			case WORKLOAD_CPU: plan_cpu(p, wl); break;
			case WORKLOAD_WAIT: plan_wait(p, wl); break;
			case WORKLOAD_TRANSFER: plan_transfer(p, wl); break;
			case WORKLOAD_HANDOFF: plan_handoff(p, wl); break;
			}
		}
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i].task_ns <= 0)
			p->groups[i].task_ns = bench_estimate_nominal_task(&p->machine, &p->groups[i]);
}

static uint64_t round_up(uint64_t n, uint64_t multiple)
{
	return (n + multiple - 1) / multiple * multiple;
}

/* Enough tasks that the shortest cell lasts the floor, a multiple of the
 * largest worker count so that every count divides the batch evenly (for
 * the worker counts the plan uses: powers of two and the PUs). */
static uint64_t group_tasks(const struct bench_plan *p, const struct bench_group *g)
{
	unsigned wmax = g->workers[g->n_workers - 1];
	double task_ns = g->task_ns > 0 ? g->task_ns : 1;
	uint64_t n;

	switch (g->wl->kind) {
	case WORKLOAD_CPU: {
		unsigned eff = wmax < p->machine.pus ? wmax : p->machine.pus;
		n = (uint64_t)ceil(BENCH_FLOOR_NS * eff / task_ns);
		break;
	}
	case WORKLOAD_WAIT:
		n = (uint64_t)ceil(BENCH_FLOOR_NS * (double)wmax / task_ns);
		break;
	case WORKLOAD_TRANSFER:
		n = TRANSFER_BYTES / (g->size ? g->size : 1);
		if (n > TRANSFER_MAX_TASKS)
			n = TRANSFER_MAX_TASKS;
		break;
	default:   /* the hand-off: task_ns is the family's cheapest hand-off */
		n = (uint64_t)ceil(BENCH_FLOOR_NS / task_ns);
		/* ... but the dearest mode of the family lasts at most ten
		 * floors: a thread spawns in 25 us, a process in 0.5-5 ms. */
		for (size_t i = 1; i < g->n_modes; i++) {
			double dear = bench_estimate_handoff(&p->machine, g->modes[i]);
			uint64_t cap = (uint64_t)(10.0 * BENCH_FLOOR_NS / dear);

			if (cap >= 1 && cap < n)
				n = cap;
		}
		break;
	}
	return round_up(n ? n : 1, wmax);
}

static void trim(struct bench_plan *p, struct bench_group *g)
{
	size_t k = 0;
	uint64_t cap = 8ull * p->machine.pus;

	for (size_t i = 0; i < g->n_workers; i++) {
		unsigned w = g->workers[i];

		if ((w == 1 && g->n_workers > 1) || w > cap)
			continue;
		g->workers[k++] = w;
	}
	if (k > 0)
		g->n_workers = k;
	g->scatter = false;
	g->fit = BENCH_FIT_TRIMMED;
}

static double group_cost(const struct bench_plan *p, struct bench_group *g, unsigned rounds)
{
	g->tasks = group_tasks(p, g);
	g->round_ns = bench_estimate_round(&p->machine, g, &g->shortest_ns);
	g->cells = 1 + (g->n_modes - 1) * g->n_workers * (g->scatter ? 2 : 1);
	for (size_t i = 1; i < g->n_modes; i++)
		if (g->both_channels && (g->modes[i]->flags & MODE_CHANNEL))
			g->cells += g->n_workers * (g->scatter ? 2 : 1);
	return g->round_ns * rounds;
}

/* The warm-up and minimum rounds of the groups not skipped. */
static double min_cost(struct bench_plan *p)
{
	unsigned rounds = p->settings.warmup + p->settings.min_rounds;
	double sum = 0;

	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i].fit != BENCH_FIT_SKIPPED)
			sum += group_cost(p, &p->groups[i], rounds);
	return sum;
}

void bench_plan_fit(struct bench_plan *p)
{
	const struct bench_settings *s = &p->settings;
	double room = MIN_SHARE * (double)s->budget_ns;

	for (size_t i = 0; i < p->n_groups; i++) {
		struct bench_group *g = &p->groups[i];

		if (g->wl->kind == WORKLOAD_HANDOFF)   /* the hand-offs may be measured now */
			g->task_ns = bench_estimate_nominal_task(&p->machine, g);
		g->fit = BENCH_FIT_FULL;
	}
	/* Every group trimmed, last first, before any is skipped, last first. */
	for (size_t i = p->n_groups; i-- > 0 && min_cost(p) > room;)
		trim(p, &p->groups[i]);
	for (size_t i = p->n_groups; i-- > 0 && min_cost(p) > room;)
		p->groups[i].fit = BENCH_FIT_SKIPPED;
	/* A cheaper group skipped on the way may fit in what is left. */
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i].fit == BENCH_FIT_SKIPPED) {
			p->groups[i].fit = BENCH_FIT_TRIMMED;
			if (min_cost(p) > room)
				p->groups[i].fit = BENCH_FIT_SKIPPED;
		}
	p->min_ns = min_cost(p);
	p->max_ns = 0;
	for (size_t i = 0; i < p->n_groups; i++)
		if (p->groups[i].fit != BENCH_FIT_SKIPPED)
			p->max_ns += p->groups[i].round_ns * (s->warmup + s->max_rounds);
	p->estimate_ns = p->max_ns < (double)s->budget_ns ? p->max_ns : (double)s->budget_ns;
	if (p->estimate_ns < p->min_ns)
		p->estimate_ns = p->min_ns;
}
