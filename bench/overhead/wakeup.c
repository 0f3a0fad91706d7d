/* wakeup.c: wake-up kernels of `tvp overhead`: a ping-pong between two
 * threads or two processes over a pipe, an eventfd, a futex, or a spinning
 * flag, on any CPUs, one CPU, or two different CPUs; the figure is one round
 * trip.
 *
 * Lesson: a thread and a process wake alike. The kernel schedules both as
 * tasks; a pipe or a futex costs the same whichever kind waits on it, so the
 * differences between the thread and process rows are noise. What matters is
 * the mechanism (sleeping in the kernel costs microseconds; a spinning flag
 * costs the cache-line transfer, tens of nanoseconds, but burns a whole CPU
 * while it waits) and the placement: two spinners on ONE CPU must wait for
 * the scheduler to preempt the other, which takes milliseconds.
 *
 * DESIGN
 * The driver (party 0, bound to ctx->cpu[0] when pinned) pings; the partner
 * (a thread or a forked child, bound to ctx->cpu[1]) pongs. A control block
 * in a MAP_SHARED page holds the futex/spin word (alone on its cache line)
 * and the stop flag; threads use it too, so the two kinds differ only in
 * being threads or processes (and in the futex's PRIVATE flag, which a
 * thread may use and a process may not). The word counts half round trips:
 * the driver writes odd values, the partner answers with the next even one.
 * To stop, the driver raises the stop flag and sends one more ping.
 */
#include "bench/overhead/ovh.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench/util.h"

enum { MECH_PIPE, MECH_EVENTFD, MECH_FUTEX, MECH_SPIN };

struct control {
	_Alignas(64) _Atomic uint32_t word;
	_Alignas(64) _Atomic int stop;
};

struct pingpong {
	const struct ovh_bench *b;
	bool process;
	struct control *ctl;          /* MAP_SHARED */
	int down[2], up[2];           /* pipes; eventfds in down[0] and up[0] */
	uint32_t word;                /* the driver's last value of ctl->word */
	struct ovh_partner partner;
	bool bound;
	cpu_set_t saved;              /* the driver's affinity before binding */
};

/* The partner: answers every ping until the stop flag is up. */
static void pong(void *arg)
{
	struct pingpong *s = arg;
	struct control *c = s->ctl;
	bool private = !s->process;
	uint32_t expect = s->word + 1;
	uint64_t v;
	char ch;

	switch (s->b->variant) {
	case MECH_PIPE:
		while (read_full(s->down[0], &ch, 1) == 0 && !atomic_load(&c->stop))
			if (write_full(s->up[1], &ch, 1) != 0)
				break;
		break;
	case MECH_EVENTFD:
		while (read_full(s->down[0], &v, sizeof v) == 0 && !atomic_load(&c->stop))
			if (write_full(s->up[0], &v, sizeof v) != 0)
				break;
		break;
	case MECH_FUTEX:
		for (;; expect += 2) {
			uint32_t cur;

			while ((cur = atomic_load(&c->word)) != expect && !atomic_load(&c->stop))
				ovh_futex_wait(&c->word, cur, private, NULL);
			if (atomic_load(&c->stop))
				break;
			atomic_store(&c->word, expect + 1);
			ovh_futex_wake(&c->word, private);
		}
		break;
	case MECH_SPIN:
		for (;; expect += 2) {
			while (atomic_load_explicit(&c->word, memory_order_acquire) != expect)
				if (atomic_load_explicit(&c->stop, memory_order_relaxed))
					return;
				else
					cpu_relax();
			atomic_store_explicit(&c->word, expect + 1, memory_order_release);
		}
		break;
	}
}

/* One round trip. Returns 0 or a negative errno. */
static int ping(struct pingpong *s)
{
	struct control *c = s->ctl;
	uint32_t v = s->word + 1, cur;
	uint64_t one = 1;
	char ch = 'x';
	int rc = 0;

	switch (s->b->variant) {
	case MECH_PIPE:
		rc = write_full(s->down[1], &ch, 1);
		if (rc == 0)
			rc = read_full(s->up[0], &ch, 1);
		break;
	case MECH_EVENTFD:
		rc = write_full(s->down[0], &one, sizeof one);
		if (rc == 0)
			rc = read_full(s->up[0], &one, sizeof one);
		break;
	case MECH_FUTEX:
		atomic_store(&c->word, v);
		ovh_futex_wake(&c->word, !s->process);
		while ((cur = atomic_load(&c->word)) != v + 1)
			ovh_futex_wait(&c->word, cur, !s->process, NULL);
		break;
	case MECH_SPIN:
		atomic_store_explicit(&c->word, v, memory_order_release);
		while (atomic_load_explicit(&c->word, memory_order_acquire) != v + 1)
			cpu_relax();
		break;
	}
	s->word = v + 1;
	return rc;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void pingpong_teardown(void *state)
{
	struct pingpong *s = state;
	uint64_t one = 1;
	char ch = 's';

	if (s->partner.running) {
		atomic_store(&s->ctl->stop, 1);
		switch (s->b->variant) {
		case MECH_PIPE:
			write_full(s->down[1], &ch, 1);
			break;
		case MECH_EVENTFD:
			write_full(s->down[0], &one, sizeof one);
			break;
		case MECH_FUTEX:
			atomic_fetch_add(&s->ctl->word, 1);
			ovh_futex_wake(&s->ctl->word, !s->process);
			break;
		}
		ovh_partner_wait(&s->partner, 5000000000ull);
	}
	close_fd(&s->down[0]);
	close_fd(&s->down[1]);
	close_fd(&s->up[0]);
	close_fd(&s->up[1]);
	if (s->ctl)
		munmap(s->ctl, sizeof *s->ctl);
	if (s->bound)
		sched_setaffinity(0, sizeof s->saved, &s->saved);
	free(s);
}

static int pingpong_setup(const struct ovh_bench *b, const struct ovh_ctx *c, void **state,
			  char *err, size_t errlen)
{
	struct pingpong *s = xcalloc(1, sizeof *s);
	void *ctl;
	int rc;

	s->b = b;
	s->process = b->kind == OVH_KIND_PROCESS;
	s->down[0] = s->down[1] = s->up[0] = s->up[1] = -1;
	if (c->cpu[0] >= 0) {
		sched_getaffinity(0, sizeof s->saved, &s->saved);
		if ((rc = ovh_bind_self(c->cpu[0])) != 0) {
			rc = ovh_fail(err, errlen, rc, "binding to CPU %d: %s", c->cpu[0], strerror(-rc));
			goto fail;
		}
		s->bound = true;
	}
	ctl = mmap(NULL, sizeof *s->ctl, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ctl == MAP_FAILED) {
		rc = ovh_fail(err, errlen, -errno, "mmap: %s", strerror(errno));
		goto fail;
	}
	s->ctl = ctl;
	if (b->variant == MECH_PIPE) {
		if (pipe2(s->down, O_CLOEXEC) != 0 || pipe2(s->up, O_CLOEXEC) != 0) {
			rc = ovh_fail(err, errlen, -errno, "pipe: %s", strerror(errno));
			goto fail;
		}
	} else if (b->variant == MECH_EVENTFD) {
		s->down[0] = eventfd(0, EFD_CLOEXEC);
		s->up[0] = eventfd(0, EFD_CLOEXEC);
		if (s->down[0] < 0 || s->up[0] < 0) {
			rc = ovh_fail(err, errlen, -errno, "eventfd: %s", strerror(errno));
			goto fail;
		}
	}
	rc = ovh_partner_start(&s->partner, s->process, c->cpu[1], pong, s, err, errlen);
	if (rc)
		goto fail;
	/* One round trip, not timed: the partner is running (a new process's
	 * first scheduling and page faults take milliseconds) before the first
	 * timed run. */
	rc = ping(s);
	if (rc) {
		rc = ovh_fail(err, errlen, rc, "the partner is gone: %s", strerror(-rc));
		goto fail;
	}
	*state = s;
	return 0;
fail:
	pingpong_teardown(s);
	return rc;
}

static int pingpong_run(void *state, uint64_t iters, struct ovh_sample *out, char *err,
			size_t errlen)
{
	struct pingpong *s = state;
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < iters; i++) {
		int rc = ping(s);
		if (rc)
			return ovh_fail(err, errlen, rc, "the partner is gone: %s", strerror(-rc));
	}
	out->value = (double)(now_ns() - t0);
	return 0;
}

#define PP(nm, mech, knd, pn, sum)                                                          \
	{ .name = nm, .group = OVH_GROUP_WAKEUP, .kind = OVH_KIND_##knd, .unit = OVH_UNIT_NS, \
	  .summary = sum, .pin = pn, .variant = mech, .setup = pingpong_setup,              \
	  .run = pingpong_run, .teardown = pingpong_teardown }

/* Every mechanism x kind x placement, in --list order. */
#define PP_PLACES(base, mech, knd, what)                                                    \
	PP(base, mech, knd, OVH_PIN_NONE, what " round trip, placed by the scheduler"),         \
	PP(base "-samecpu", mech, knd, OVH_PIN_SAME, what " round trip, both on one CPU"),      \
	PP(base "-diffcpu", mech, knd, OVH_PIN_DIFF, what " round trip, on two different CPUs")

const struct ovh_bench ovh_wakeup_benches[] = {
	PP_PLACES("pipe-roundtrip-thread", MECH_PIPE, THREAD, "two threads: pipe"),
	PP_PLACES("pipe-roundtrip-process", MECH_PIPE, PROCESS, "two processes: pipe"),
	PP_PLACES("eventfd-roundtrip-thread", MECH_EVENTFD, THREAD, "two threads: eventfd"),
	PP_PLACES("eventfd-roundtrip-process", MECH_EVENTFD, PROCESS, "two processes: eventfd"),
	PP_PLACES("futex-roundtrip-thread", MECH_FUTEX, THREAD, "two threads: private futex"),
	PP_PLACES("futex-roundtrip-process", MECH_FUTEX, PROCESS, "two processes: futex in shared memory"),
	PP_PLACES("spin-roundtrip-thread", MECH_SPIN, THREAD, "two threads: spinning flag"),
	PP_PLACES("spin-roundtrip-process", MECH_SPIN, PROCESS,
		  "two processes: spinning flag in shared memory"),
};
const size_t ovh_wakeup_benches_count = ARRAY_SIZE(ovh_wakeup_benches);
