/* shared.c: the `shared` lesson: a Value and an Array in shared memory seen
 * by parent and child; processes incrementing one value without a lock lose
 * updates, with a lock (or an atomic add) they do not.
 *
 * Lesson: memory mapped with MAP_SHARED before fork() is the one region that
 * is not copied: parent and children see the same bytes (Python's Value and
 * Array live in such a mapping). Sharing brings back the problem threads
 * have: value += 1 is three steps (load, add, store), and two processes that
 * load the same old value both store old + 1, so one increment is lost. A
 * lock in the shared memory (a process-shared mutex, what Value's
 * get_lock() gives) makes the three steps one; an atomic add does it in a
 * single instruction.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "workloads/count.h"
#include "demos/lesson.h"
#include "bench/util.h"

#define NPROC 4

enum how { NO_LOCK, WITH_LOCK, ATOMIC };

struct shm {
	long value;                 /* Value('l') */
	int array[4];               /* Array('i', 4) */
	pthread_mutex_t lock;       /* process-shared */
	_Atomic long atomic_value;
	_Atomic int ready;          /* children at the starting line */
	_Atomic int go;             /* set by the parent: all start together */
};

/* value += 1, the slow way Python does it: load, a little work (THINK
 * iterations of the counting loop, about what an interpreter does between
 * reading a value and storing the new one), store. */
#define THINK 100

static void increment(struct shm *s, enum how how, long k)
{
	volatile long *v = &s->value;
	long old;

	for (long i = 0; i < k; i++) {
		switch (how) {
		case NO_LOCK:
			old = *v;
			count_loop(THINK);
			*v = old + 1;
			break;
		case WITH_LOCK:
			pthread_mutex_lock(&s->lock);
			old = *v;
			count_loop(THINK);
			*v = old + 1;
			pthread_mutex_unlock(&s->lock);
			break;
		case ATOMIC:
			count_loop(THINK);
			atomic_fetch_add(&s->atomic_value, 1);
			break;
		}
	}
}

/* NPROC processes each add k; returns the final value (-1 on failure) and
 * the wall time from the starting signal to the last child's exit. */
static long race(const struct lesson_ctx *c, struct shm *s, enum how how, long k,
		 uint64_t *wall_ns)
{
	pid_t pids[NPROC];
	int started = 0, st;
	uint64_t t0;

	s->value = 0;
	atomic_store(&s->atomic_value, 0);
	atomic_store(&s->ready, 0);
	atomic_store(&s->go, 0);
	for (; started < NPROC; started++) {
		pids[started] = lesson_fork(c);
		if (pids[started] < 0)
			break;
		if (pids[started] == 0) {
			atomic_fetch_add(&s->ready, 1);
			while (!atomic_load(&s->go))
				;
			increment(s, how, k);
			_exit(0);
		}
	}
	while (started == NPROC && atomic_load(&s->ready) < NPROC)
		sleep_ns(100000);
	/* New children start on their parent's core; the scheduler spreads
	 * busy ones over the others within a few ms. Start them after that, so
	 * they really run at the same time. */
	sleep_ns(20000000);
	t0 = now_ns();
	atomic_store(&s->go, 1);
	for (int i = 0; i < started; i++)
		lesson_wait(pids[i], &st, -1);
	*wall_ns = now_ns() - t0;
	if (started < NPROC)
		return -1;
	return how == ATOMIC ? atomic_load(&s->atomic_value) : s->value;
}

static int run(const struct lesson_ctx *c)
{
	struct shm *s = lesson_shared(sizeof *s);
	long k = c->quick ? 300000 : 2000000, got, want;
	uint64_t t_none, t_lock, t_atomic;
	int st, rc = 1;
	pid_t pid;

	lesson_title(c, "shared", "Value, Array and lost updates");
	if ((st = lesson_pshared_mutex(&s->lock)) != 0) {
		lesson_fail(c, "process-shared mutex: %s", strerror(st));
		goto out;
	}

	lesson_do(c, "A child writes squares into a shared Array and their sum "
		  "into a shared Value (MAP_SHARED memory), then exits.");
	pid = lesson_fork(c);
	if (pid < 0) {
		lesson_fail(c, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		for (int i = 0; i < 4; i++)
			s->array[i] = (i + 1) * (i + 1);
		s->value = s->array[0] + s->array[1] + s->array[2] + s->array[3];
		_exit(0);
	}
	lesson_wait(pid, &st, -1);
	lesson_claim(c, "parent sees the child's Array [%d, %d, %d, %d] and Value %ld",
		     s->array[0], s->array[1], s->array[2], s->array[3], s->value);

	want = NPROC * k;
	lesson_do(c, "%d processes each add 1 to the shared Value %ld times "
		  "(load, a little work as an interpreter would do, store), all "
		  "starting at the same moment. Expected total: %ld.", NPROC, k, want);
	/* Each process runs for tens of milliseconds, longer than a time
	 * slice, so on two or more cores they overlap, and the work between
	 * load and store makes an overlap (or, on one core, a preemption) lose
	 * updates nearly every time. Still, a run can be unlucky: try again,
	 * longer, before reporting that nothing was lost. */
	for (int attempt = 1; attempt <= 3; attempt++) {
		got = race(c, s, NO_LOCK, k, &t_none);
		if (got < 0) {
			lesson_fail(c, "fork: %s", strerror(errno));
			goto out;
		}
		if (got < want || attempt == 3)
			break;
		lesson_saw(c, "(attempt %d lost nothing: the processes barely "
			   "overlapped; again with %ld each)", attempt, k * 4);
		k *= 4;
		want = NPROC * k;
	}
	lesson_saw(c, "no lock:   total %ld in %s", got, lesson_dur((double)t_none));
	lesson_claim(c, "lost updates without the lock: %ld of %ld", want - got, want);

	got = race(c, s, WITH_LOCK, k, &t_lock);
	lesson_saw(c, "with lock: total %ld in %s", got, lesson_dur((double)t_lock));
	lesson_claim(c, "lost updates with the lock: %ld", want - got);

	got = race(c, s, ATOMIC, k, &t_atomic);
	lesson_saw(c, "atomic:    total %ld in %s", got, lesson_dur((double)t_atomic));
	lesson_claim(c, "lost updates with an atomic add: %ld", want - got);
	lesson_why(c, "without the lock two processes read the same old value "
		   "and both write old + 1. The lock makes load-work-store one "
		   "step: one process at a time inside it. The atomic add needs "
		   "no lock, but only works for one number; a lock guards any "
		   "amount of data.");
	rc = 0;
out:
	pthread_mutex_destroy(&s->lock);
	lesson_unshare(s, sizeof *s);
	return rc;
}

const struct lesson lesson_shared_memory = {
	.name = "shared",
	.summary = "shared Value and Array; lost updates without a lock",
	.seed = "003_f363eeb7d278b528.txt, 000_6277c7b9c622bfbc.txt",
	.run = run,
};
