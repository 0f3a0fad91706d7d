/* bench_estimate.c: what one round of a `tvp bench` group costs: its task
 * time (measured just before, or nominal) spread over the workers the
 * machine runs at once, plus nominal costs of starting workers, handing
 * tasks over and moving result bytes, plus what every measurement costs
 * around its timed call.
 *
 * The nominal costs were measured with tvp itself on the 2-vCPU VM while
 * other builds ran on it (tvp run --workload noop --mode all --workers 2
 * --tasks 2000; --workload transfer --size 64,4M --channel pipe,shm
 * --tasks 64): they only have to be right within a factor that the 20%
 * tolerance of the quick plan and the budget's cap absorb. A measurement's
 * own cost beyond its timed call (the capacity probes, the reference loop,
 * teardown, checking the results) is measured before planning; it was 76 ms
 * a sample over a full run on the loaded VM (47 ms of it the probes), 20 ms
 * when measured quiet, the nominal figure.
 */
#include "bench/bench_plan.h"

#include <math.h>

#define SAMPLE_NS 20e6              /* around each timed call, unless measured */
#define THREAD_START_NS 100e3       /* thread-spawn, per task (50-120 us seen) */
#define FORK_START_NS 500e3         /* fork-spawn, per task (0.3-0.5 ms; 2 ms seen) */
#define POOL_THREAD_NS 100e3        /* starting one pool thread (setup) */
#define POOL_PROCESS_NS 1e6         /* starting one pool process (setup) */
#define PIPE_BYTE_NS 1.0            /* result bytes through a pipe */
#define SHM_BYTE_NS 0.25            /* ... through shared memory */
#define NOOP_TASK_NS 15.0           /* a noop task, serially */
#define TRANSFER_BYTE_NS 1.2        /* a transfer task writes its pattern */
#define TRANSFER_TASK_NS 200.0

/* Handing one task to a worker and its result back: measured, else the
 * noop task's time under the mode at 2 workers. */
double bench_estimate_handoff(const struct bench_machine *mc, const struct mode *m)
{
	bool forks = m->flags & MODE_FORKS;

	for (size_t i = 0; i < modes_count && i < BENCH_MAX_REG_MODES; i++)
		if (modes[i] == m && mc->handoff_ns[i] > 0)
			return mc->handoff_ns[i];
	switch (m->family) {
	case MODE_FAMILY_SPAWN: return forks ? FORK_START_NS : THREAD_START_NS;
	case MODE_FAMILY_POOL: return forks ? 150 : 25;
	case MODE_FAMILY_EXECUTOR: return forks ? 6e3 : 2e3;
	default: return 0;
	}
}

double bench_estimate_nominal_task(const struct bench_machine *mc, const struct bench_group *g)
{
	double cheapest = INFINITY;

	switch (g->wl->kind) {
	case WORKLOAD_TRANSFER:
		return TRANSFER_TASK_NS + TRANSFER_BYTE_NS * (double)g->size;
	case WORKLOAD_HANDOFF:
		/* What sizes the batch is the family's cheapest hand-off. */
		for (size_t i = 1; i < g->n_modes; i++)
			if (bench_estimate_handoff(mc, g->modes[i]) < cheapest)
				cheapest = bench_estimate_handoff(mc, g->modes[i]);
		return isinf(cheapest) ? NOOP_TASK_NS : cheapest;
	default:
		return 1e6;   /* unknown until measured: 1 ms */
	}
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

/* One measurement of mode at w workers: the timed call and its setup. *timed
 * gets the timed call alone. */
static double cell_ns(const struct bench_machine *mc, const struct bench_group *g,
		      const struct mode *m, unsigned w, double byte_ns, double *timed)
{
	double tasks = (double)g->tasks, par, compute, extra = 0, setup = 0;
	/* A hand-off group's task_ns sizes its batch; its tasks cost nothing. */
	double task_ns = g->wl->kind == WORKLOAD_HANDOFF ? NOOP_TASK_NS : g->task_ns;
	double around = mc->sample_ns > 0 ? mc->sample_ns : SAMPLE_NS;

	if (m->flags & MODE_SERIAL) {
		*timed = tasks * task_ns;
		return *timed + around;
	}
	par = min_d(w, tasks);
	if (g->wl->kind != WORKLOAD_WAIT)   /* what a loaded machine gives */
		par = min_d(par, mc->delivered_pus > 0 ? mc->delivered_pus : mc->pus);
	compute = ceil(tasks / par - 1e-9) * task_ns;
	extra = tasks * bench_estimate_handoff(mc, m);
	if (g->wl->kind == WORKLOAD_TRANSFER)
		extra += tasks * (double)g->size * byte_ns;
	if (m->family != MODE_FAMILY_SPAWN)
		setup = w * (m->flags & MODE_FORKS ? POOL_PROCESS_NS : POOL_THREAD_NS);
	*timed = compute + extra;
	return *timed + setup + around;
}

double bench_estimate_round(const struct bench_machine *mc, const struct bench_group *g,
			    double *shortest_ns)
{
	unsigned pins = g->scatter ? 2 : 1;
	double round, timed;

	/* The shortest measurement that matters: a parallel cell's (a hand-off
	 * group's serial baseline runs nothing worth timing). */
	round = cell_ns(mc, g, g->modes[0], 1, 0, &timed);
	*shortest_ns = g->n_modes > 1 ? INFINITY : timed;
	for (size_t i = 1; i < g->n_modes; i++) {
		const struct mode *m = g->modes[i];
		bool two = g->both_channels && (m->flags & MODE_CHANNEL);

		for (size_t k = 0; k < g->n_workers; k++)
			for (unsigned ch = 0; ch < (two ? 2u : 1u); ch++) {
				double byte_ns = !(m->flags & MODE_FORKS) ? 0
						 : ch ? SHM_BYTE_NS : PIPE_BYTE_NS;

				round += pins * cell_ns(mc, g, m, g->workers[k], byte_ns, &timed);
				*shortest_ns = min_d(*shortest_ns, timed);
			}
	}
	return round;
}
