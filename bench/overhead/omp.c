/* omp.c: OpenMP kernels of `tvp overhead`, as the EPCC OpenMP
 * micro-benchmarks (syncbench) measure them: what a parallel region and a
 * barrier cost a team of N threads, beside the thread pool's one-task
 * hand-off (handoff.c).
 *
 * Lesson: a parallel region wakes a sleeping or spinning team and ends in a
 * barrier: its cost is a hand-off to N threads and a join. A barrier alone
 * is the join; with threads that spin (libgomp spins a while before it
 * sleeps) it costs a cache-line round trip per thread.
 *
 * DESIGN
 * setup makes the team (one untimed region of N threads: libgomp keeps it);
 * omp-parallel times iters empty `parallel num_threads(N)` regions from the
 * initial thread; omp-barrier times iters barriers inside one region, from
 * the master thread, between a barrier before and one after. teardown ends
 * the team (omp_team_release) so that the next kernel may fork. The kernels
 * have functions only when built with -fopenmp; otherwise the table lists
 * them, and the registry says they were not built (ovh_absent).
 */
#include "bench/overhead/ovh.h"

#include "bench/util.h"

enum { OMP_PARALLEL, OMP_BARRIER };

#ifdef _OPENMP   /* the Makefile compiles this file with -fopenmp when cc has it */
#include <errno.h>
#include <omp.h>
#include <stdlib.h>

#include "bench/modes/omp_team.h"

struct omp_kernel {
	const struct ovh_bench *b;
	int threads;
};

static int omp_kernel_setup(const struct ovh_bench *b, const struct ovh_ctx *c, void **state,
			    char *err, size_t errlen)
{
	struct omp_kernel *s = xcalloc(1, sizeof *s);
	int got = 0;

	s->b = b;
	s->threads = (int)(c->workers ? c->workers : 1);
	omp_set_dynamic(0);
#pragma omp parallel num_threads(s->threads)
	{
#pragma omp single
		got = omp_get_num_threads();
	}
	if (got != s->threads) {
		int want = s->threads;

		omp_team_release();
		free(s);
		return ovh_fail(err, errlen, -EAGAIN, "OpenMP gave %d threads, %d asked for", got, want);
	}
	*state = s;
	return 0;
}

static int omp_kernel_run(void *state, uint64_t iters, struct ovh_sample *out, char *err,
			  size_t errlen)
{
	struct omp_kernel *s = state;
	uint64_t t0 = 0, t1 = 0;

	if (s->b->variant == OMP_PARALLEL) {
		t0 = now_ns();
		for (uint64_t i = 0; i < iters; i++) {
#pragma omp parallel num_threads(s->threads)
			__asm__ __volatile__("" ::: "memory");
		}
		t1 = now_ns();
	} else {
#pragma omp parallel num_threads(s->threads)
		{
#pragma omp barrier
#pragma omp master
			t0 = now_ns();
			for (uint64_t i = 0; i < iters; i++) {
#pragma omp barrier
			}
#pragma omp master
			t1 = now_ns();
		}
	}
	out->value = (double)(t1 - t0);
	return 0;
}

static void omp_kernel_teardown(void *state)
{
	omp_team_release();
	free(state);
}

#define OMP_FNS .setup = omp_kernel_setup, .run = omp_kernel_run, .teardown = omp_kernel_teardown
#else
#define OMP_FNS .setup = NULL   /* not built: listed, never run */
#endif

#define OMPK(nm, var, sum)                                                                  \
	{ .name = nm, .group = OVH_GROUP_HANDOFF, .kind = OVH_KIND_THREAD, .unit = OVH_UNIT_NS, \
	  .summary = sum, .flags = OVH_WORKERS | OVH_NEEDS_OMP, .variant = var, OMP_FNS }

const struct ovh_bench ovh_omp_benches[] = {
	OMPK("omp-parallel", OMP_PARALLEL,
	     "an empty `omp parallel` region of N threads (EPCC syncbench PARALLEL), team already made"),
	OMPK("omp-barrier", OMP_BARRIER,
	     "one `omp barrier` of a team of N threads (EPCC syncbench BARRIER)"),
};
const size_t ovh_omp_benches_count = ARRAY_SIZE(ovh_omp_benches);
