/* wave.c: wave kernels of `tvp overhead`: the floor under a pool's map of
 * sleeping tasks. N bare threads, or N bare forked processes, each asleep
 * on a futex word of its own; the driver wakes them one by one, as a pool's
 * submit wakes its workers, each sleeps its two tasks back to back, and the
 * last one to finish wakes the driver. No pool, no queue, no message: the
 * figure is one wave, from the first wake-up to the driver awake again.
 *
 * Lesson: the kernel does charge processes more than threads for some
 * things, and this is where to look before blaming a process pool. The same
 * wave of `tvp run --workload sleep --size 5ms --tasks 256 --workers 128`
 * (wave-*-128) and of `--size 10ms --tasks 64 --workers 32` (wave-*-32) is
 * the best either kind of pool could do; the ratio of the two rows is what
 * the machine allows a process pool against a thread pool.
 *
 * DESIGN
 * Measured with a driver before this file existed (issue 13, the 2-vCPU
 * PVM guest, six alternated pairs of 30 waves): 128 bare processes took
 * 11.36-11.70 ms for the 5 ms wave where 128 bare threads took 10.90-11.30;
 * waking them cost 800-1060 us against 550-950, and the second sleep (128
 * timer wake-ups at once) added 5.22-5.35 ms against 5.08-5.16. A switch
 * between two processes on one PU cost 3.9-4.6 us a round trip, between
 * two threads 3.6-3.8. This kernel, whose workers are warmed by WARM_WAVES
 * untimed waves first (a fresh child's first wave cost 1.08 times the
 * threads'), gives processes 1.01-1.03 times the threads' time at 128
 * workers and 1.00-1.01 at 32 (`--repeat 30`, three runs).
 *
 * Both kinds run the same code on the same MAP_SHARED area; they differ
 * only in being threads or forked children (and in the futex's PRIVATE
 * flag, which a thread may use and a process may not). Each worker's word
 * sits on its own cache line. A worker that does not finish within
 * STUCK_NS fails the sample (a child killed from outside would otherwise
 * hang the driver); teardown raises the stop flag, wakes every worker and
 * reaps every child.
 */
#include "bench/overhead/ovh.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench/util.h"
#include "par/sys.h"

#define STUCK_NS 10000000000ull   /* 10 s: a wave is milliseconds */
#define WARM_WAVES 2

struct wave_word {
	_Alignas(64) _Atomic uint32_t v;
};

struct wave_area {
	struct wave_word done;   /* workers finished this wave */
	struct wave_word stop;
	struct wave_word go[];   /* one per worker: bumped to start its wave */
};

struct wave_arg {
	struct wave *s;
	unsigned i;
};

struct wave {
	const struct ovh_bench *b;
	struct wave_area *a;
	size_t area_bytes;
	unsigned n, started;
	bool process;
	struct ovh_partner *part;   /* [n]: the workers */
	struct wave_arg *arg;       /* [n]: what each is given */
};

/* One worker: waits for its word to move, sleeps its two tasks, counts
 * itself done (the last one wakes the driver); until stop. */
static void wave_worker(struct wave *s, unsigned i)
{
	struct wave_area *a = s->a;
	bool private = !s->process;
	uint64_t task_ns = (uint64_t)s->b->variant * 1000000u;
	uint32_t seen = 0;

	for (;;) {
		uint32_t g = atomic_load(&a->go[i].v);

		if (g == seen) {
			ovh_futex_wait(&a->go[i].v, g, private, NULL);
			continue;
		}
		seen = g;
		if (atomic_load(&a->stop.v))
			return;
		sleep_ns(task_ns);
		sleep_ns(task_ns);
		if (atomic_fetch_add(&a->done.v, 1) + 1 == s->n)
			ovh_futex_wake(&a->done.v, private);
	}
}

static void wave_entry(void *arg)
{
	struct wave_arg *wa = arg;

	wave_worker(wa->s, wa->i);
}

static int wave_run(void *state, uint64_t iters, struct ovh_sample *out, char *err,
		    size_t errlen);

static void wave_teardown(void *state)
{
	struct wave *s = state;

	if (s->a) {
		atomic_store(&s->a->stop.v, 1);
		for (unsigned i = 0; i < s->started; i++) {
			atomic_fetch_add(&s->a->go[i].v, 1);
			ovh_futex_wake(&s->a->go[i].v, !s->process);
		}
	}
	/* A process still asleep in its tasks finishes them (2 x variant ms)
	 * first; one that does not answer within STUCK_NS is killed. */
	for (unsigned i = 0; i < s->started; i++)
		ovh_partner_wait(&s->part[i], STUCK_NS);
	if (s->a)
		munmap(s->a, s->area_bytes);
	free(s->part);
	free(s->arg);
	free(s);
}

static int wave_setup(const struct ovh_bench *b, const struct ovh_ctx *c, void **state, char *err,
		      size_t errlen)
{
	struct wave *s = xcalloc(1, sizeof *s);
	void *m;
	int rc;

	(void)c;
	s->b = b;
	s->n = b->workers;
	s->process = b->kind == OVH_KIND_PROCESS;
	s->area_bytes = sizeof *s->a + s->n * sizeof s->a->go[0];
	m = mmap(NULL, s->area_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		rc = ovh_fail(err, errlen, -errno, "mmap: %s", strerror(errno));
		free(s);
		return rc;
	}
	s->a = m;   /* MAP_ANONYMOUS reads as zeros: every word 0 */
	s->part = xcalloc(s->n, sizeof *s->part);
	s->arg = xcalloc(s->n, sizeof *s->arg);
	for (; s->started < s->n; s->started++) {
		char why[200];

		s->arg[s->started] = (struct wave_arg){ s, s->started };
		rc = ovh_partner_start(&s->part[s->started], s->process, -1, wave_entry,
				       &s->arg[s->started], why, sizeof why);
		if (rc) {
			ovh_fail(err, errlen, rc, "%s (worker %u of %u)", why, s->started + 1, s->n);
			goto fail;
		}
	}
	/* Warm, as handoff.c warms its pools: a fresh child's first wave
	 * pays its first touches (page tables, the stack, the area) and is
	 * not what a pool's later maps cost. */
	for (unsigned k = 0; k < WARM_WAVES; k++) {
		struct ovh_sample ignored;

		rc = wave_run(s, 1, &ignored, err, errlen);
		if (rc)
			goto fail;
	}
	*state = s;
	return 0;

fail:
	wave_teardown(s);
	return rc;
}

/* Waits until every worker counted itself done; -ETIMEDOUT after
 * STUCK_NS. */
static int wait_done(struct wave *s, char *err, size_t errlen)
{
	uint64_t end = now_ns() + STUCK_NS;
	struct timespec step = { .tv_sec = 0, .tv_nsec = 100000000 };

	for (;;) {
		uint32_t d = atomic_load(&s->a->done.v);

		if (d >= s->n)
			return 0;
		if (now_ns() > end)
			return ovh_fail(err, errlen, -ETIMEDOUT,
					"%u of %u workers finished their wave within 10 s", d, s->n);
		ovh_futex_wait(&s->a->done.v, d, !s->process, &step);
	}
}

static int wave_run(void *state, uint64_t iters, struct ovh_sample *out, char *err, size_t errlen)
{
	struct wave *s = state;
	uint64_t total = 0;
	int rc;

	for (uint64_t it = 0; it < iters; it++) {
		uint64_t t0;

		atomic_store(&s->a->done.v, 0);
		t0 = now_ns();
		for (unsigned i = 0; i < s->n; i++) {
			atomic_fetch_add(&s->a->go[i].v, 1);
			ovh_futex_wake(&s->a->go[i].v, !s->process);
		}
		rc = wait_done(s, err, errlen);
		if (rc)
			return rc;
		total += now_ns() - t0;
	}
	out->value = (double)total;
	return 0;
}

/* variant: each task's sleep in ms. */
#define WAVE(nm, knd, w, ms, vs, sum)                                                        \
	{ .name = nm, .group = OVH_GROUP_HANDOFF, .kind = OVH_KIND_##knd, .unit = OVH_UNIT_NS, \
	  .summary = sum, .flags = OVH_WORKERS, .workers = w, .variant = ms, .versus = vs,    \
	  .setup = wave_setup, .run = wave_run, .teardown = wave_teardown }

const struct ovh_bench ovh_wave_benches[] = {
	WAVE("wave-thread-32", THREAD, 32, 10, NULL,
	     "32 bare threads woken one by one, each sleeping 10 ms twice: the floor under "
	     "`--workload sleep --size 10ms --tasks 64 --workers 32`"),
	WAVE("wave-process-32", PROCESS, 32, 10, "wave-thread-32",
	     "the same wave of 32 bare forked processes: what the machine allows a fork pool"),
	WAVE("wave-thread-128", THREAD, 128, 5, NULL,
	     "128 bare threads woken one by one, each sleeping 5 ms twice: the floor under "
	     "`--workload sleep --size 5ms --tasks 256 --workers 128`"),
	WAVE("wave-process-128", PROCESS, 128, 5, "wave-thread-128",
	     "the same wave of 128 bare forked processes: what the machine allows a fork pool"),
};
const size_t ovh_wave_benches_count = ARRAY_SIZE(ovh_wave_benches);
