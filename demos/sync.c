/* sync.c: the `sync` lesson: a lock serialises a critical section, a
 * semaphore admits N at a time, an event releases every waiter at once; all
 * between processes.
 *
 * Lesson: the seed's three workers each print "running", sleep, print
 * "done". Run together, their lines interleave; with a lock around the
 * three steps, each worker's pair stays together, and what was concurrent
 * becomes serial (slower, but without a race). A semaphore is a lock with a
 * counter: N may be inside at once. An event is a flag others wait on:
 * wait() blocks while it is clear, set() wakes every waiter, and while it
 * stays set a wait() returns at once (until clear()). Here all three
 * live in MAP_SHARED memory (process-shared mutex, condition variable and
 * POSIX semaphore); the workers' "printing" goes into a shared buffer, so
 * the lesson can show and count the interleaving without scrambling the
 * terminal.
 */
#include <errno.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "bench/util.h"

#define WORKERS 3
#define SEM_WORKERS 6
#define EVENT_WORKERS 4

struct shm {
	pthread_mutex_t lock;
	sem_t sem;
	pthread_cond_t cv;          /* the event: set + cv, guarded by lock */
	int set;
	_Atomic int inside, peak, waiting, go;
	uint64_t woke_ns[EVENT_WORKERS];
	_Atomic size_t len;         /* the shared "terminal" */
	char out[2048];
};

static void emit(struct shm *s, const char *line)
{
	size_t n = strlen(line), at = atomic_fetch_add(&s->len, n);

	if (at + n <= sizeof s->out)
		memcpy(s->out + at, line, n);
}

static void worker(struct shm *s, int id, bool locked, unsigned seed)
{
	char line[64];

	while (!atomic_load(&s->go))
		sleep_ns(100000);
	if (locked)
		pthread_mutex_lock(&s->lock);
	snprintf(line, sizeof line, "%d: %d is running\n", id, (int)getpid());
	emit(s, line);
	sleep_ns(5000000 + (uint64_t)(rand_r(&seed) % 20) * 1000000);
	snprintf(line, sizeof line, "%d: %d is done\n", id, (int)getpid());
	emit(s, line);
	if (locked)
		pthread_mutex_unlock(&s->lock);
}

/* Runs n copies of fn(s, i) in child processes and waits for them. */
static int run_workers(const struct lesson_ctx *c, struct shm *s, int n,
		       void (*fn)(struct shm *, int, bool), bool flag)
{
	pid_t pids[8];
	int st, started;

	for (started = 0; started < n; started++) {
		pids[started] = lesson_fork(c);
		if (pids[started] < 0)
			break;
		if (pids[started] == 0) {
			fn(s, started, flag);
			_exit(0);
		}
	}
	atomic_store(&s->go, 1);
	for (int i = 0; i < started; i++)
		lesson_wait(pids[i], &st, -1);
	atomic_store(&s->go, 0);
	return started == n ? 0 : -1;
}

static void lock_worker(struct shm *s, int id, bool locked)
{
	worker(s, id, locked, (unsigned)getpid());
}

/* Shows the captured lines; returns how many "running" lines were not
 * followed by the same worker's "done". */
static int show_capture(const struct lesson_ctx *c, struct shm *s)
{
	char *text = strndup(s->out, atomic_load(&s->len)), *save, *line;
	int broken = 0, last = -1;

	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int id = atoi(line);
		bool running = strstr(line, "running") != NULL;

		lesson_saw(c, "| %s", line);
		if (!running && id != last)
			broken++;
		last = running ? id : -1;
	}
	free(text);
	atomic_store(&s->len, 0);
	return broken;
}

static int lock_part(const struct lesson_ctx *c, struct shm *s)
{
	uint64_t t0, t_free, t_locked;
	int broken;

	lesson_do(c, "%d worker processes each write 'running', sleep 5-25 ms, "
		  "write 'done'. First without a lock:", WORKERS);
	t0 = now_ns();
	if (run_workers(c, s, WORKERS, lock_worker, false))
		return lesson_fail(c, "fork: %s", strerror(errno));
	broken = show_capture(c, s);
	t_free = now_ns() - t0;
	lesson_claim(c, "without the lock: %d of %d workers interrupted, %s",
		     broken, WORKERS, lesson_dur((double)t_free));
	lesson_do(c, "Again, with a process-shared lock around the three steps:");
	t0 = now_ns();
	if (run_workers(c, s, WORKERS, lock_worker, true))
		return lesson_fail(c, "fork: %s", strerror(errno));
	broken = show_capture(c, s);
	t_locked = now_ns() - t0;
	lesson_claim(c, "with the lock: %d of %d workers interrupted, %s",
		     broken, WORKERS, lesson_dur((double)t_locked));
	if ((double)t_locked > 1.3 * (double)t_free)
		lesson_why(c, "the lock lets one worker at a time through: what "
			   "was concurrent became serial, %.1fx slower, but no one "
			   "cut in.", (double)t_locked / (double)t_free);
	else
		lesson_why(c, "the lock lets one worker at a time through, so no "
			   "one cut in; this time that cost little (%.1fx), as the "
			   "workers without it did not overlap much either.",
			   (double)t_locked / (double)t_free);
	return 0;
}

static void sem_worker(struct shm *s, int id, bool unused)
{
	int now, peak;

	while (!atomic_load(&s->go))
		sleep_ns(100000);
	while (sem_wait(&s->sem) != 0 && errno == EINTR)
		;
	now = atomic_fetch_add(&s->inside, 1) + 1;
	peak = atomic_load(&s->peak);
	while (now > peak && !atomic_compare_exchange_weak(&s->peak, &peak, now))
		;
	sleep_ns(20000000);
	atomic_fetch_sub(&s->inside, 1);
	sem_post(&s->sem);
}

static int semaphore_part(const struct lesson_ctx *c, struct shm *s)
{
	uint64_t t0;

	lesson_do(c, "A semaphore of 2; %d worker processes each stay inside "
		  "20 ms. We record how many are inside at once.", SEM_WORKERS);
	t0 = now_ns();
	if (run_workers(c, s, SEM_WORKERS, sem_worker, false))
		return lesson_fail(c, "fork: %s", strerror(errno));
	t0 = now_ns() - t0;
	lesson_claim(c, "semaphore: at most %d inside at once; %d workers took %s",
		     atomic_load(&s->peak), SEM_WORKERS, lesson_dur((double)t0));
	lesson_why(c, "%d workers, at most 2 at a time, 20 ms each need %d "
		   "rounds; the time is %.1f rounds (the rest: starting them).",
		   SEM_WORKERS, SEM_WORKERS / 2, (double)t0 / 20e6);
	return 0;
}

static void event_worker(struct shm *s, int id, bool unused)
{
	pthread_mutex_lock(&s->lock);
	atomic_fetch_add(&s->waiting, 1);
	while (!s->set)
		pthread_cond_wait(&s->cv, &s->lock);     /* event.wait() */
	pthread_mutex_unlock(&s->lock);
	s->woke_ns[id] = now_ns();
}

/* event.wait(timeout_ms) in this process (-1: no timeout); returns
 * whether the event was set, with how long it took in *took and whether
 * it had to sleep on the condition variable in *blocked. */
static bool event_wait(struct shm *s, int timeout_ms, uint64_t *took, bool *blocked)
{
	struct timespec until = lesson_deadline(timeout_ms);
	uint64_t t0 = now_ns();
	int rc = 0;
	bool set;

	*blocked = false;
	pthread_mutex_lock(&s->lock);
	while (!s->set && rc != ETIMEDOUT) {
		*blocked = true;
		rc = timeout_ms < 0 ? pthread_cond_wait(&s->cv, &s->lock)
				    : pthread_cond_timedwait(&s->cv, &s->lock, &until);
	}
	set = s->set;
	pthread_mutex_unlock(&s->lock);
	*took = now_ns() - t0;
	return set;
}

/* The event stays set: a late wait() does not block at all; after clear()
 * it blocks again, here until its timeout. */
static int after_set(const struct lesson_ctx *c, struct shm *s)
{
	uint64_t took, took_clear;
	bool got, got_clear, blocked, blocked_clear;

	lesson_do(c, "The event is still set. This process calls wait() now; "
		  "then clear(), and wait(timeout=20 ms).");
	got = event_wait(s, -1, &took, &blocked);
	pthread_mutex_lock(&s->lock);
	s->set = 0;                                      /* event.clear() */
	pthread_mutex_unlock(&s->lock);
	got_clear = event_wait(s, 20, &took_clear, &blocked_clear);
	lesson_claim(c, "event: wait() after set() returned %s in %s, %s", got ? "True" : "False",
		     lesson_dur((double)took), blocked ? "after blocking" : "without blocking");
	lesson_claim(c, "event: after clear(), wait(timeout=20 ms) returned %s "
		     "after %s%s", got_clear ? "True" : "False", lesson_dur((double)took_clear),
		     blocked_clear ? ", blocked" : "");
	lesson_why(c, "an event is a flag, not a signal that is used up: "
		   "once set, every wait() returns at once until clear().");
	return 0;
}

static int event_part(const struct lesson_ctx *c, struct shm *s)
{
	pid_t pids[EVENT_WORKERS];
	uint64_t t_set, last = 0;
	char line[LESSON_COLS + 1];
	size_t used = 0;
	int st;

	lesson_do(c, "An event: %d worker processes wait on it; this process "
		  "sets it 50 ms after all are waiting.", EVENT_WORKERS);
	for (int i = 0; i < EVENT_WORKERS; i++) {
		pids[i] = lesson_fork(c);
		if (pids[i] < 0) {
			while (i--)
				lesson_kill(pids[i]);
			return lesson_fail(c, "fork: %s", strerror(errno));
		}
		if (pids[i] == 0) {
			event_worker(s, i, false);
			_exit(0);
		}
	}
	while (atomic_load(&s->waiting) < EVENT_WORKERS)
		sleep_ns(1000000);
	sleep_ns(50000000);
	pthread_mutex_lock(&s->lock);
	t_set = now_ns();
	s->set = 1;                                      /* event.set() */
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->lock);
	for (int i = 0; i < EVENT_WORKERS; i++)
		lesson_wait(pids[i], &st, -1);
	used += (size_t)snprintf(line, sizeof line, "released after:");
	for (int i = 0; i < EVENT_WORKERS; i++) {
		uint64_t d = s->woke_ns[i] - t_set;
		used += (size_t)snprintf(line + used, sizeof line - used, " %s", lesson_dur((double)d));
		if (d > last)
			last = d;
	}
	lesson_saw(c, "%s", line);
	lesson_claim(c, "event: %d of %d waiting workers released within %s of set()",
		     EVENT_WORKERS, EVENT_WORKERS, lesson_dur((double)last));
	if (last < 1000000)
		lesson_why(c, "one broadcast wakes every waiter; each then takes "
			   "the lock in turn to leave wait(): all were off within "
			   "a fraction of a millisecond.");
	else
		lesson_why(c, "one broadcast wakes every waiter, but a woken "
			   "process still needs a free core: with %d of them and "
			   "whatever else runs here, the last left wait() %s after "
			   "set().", EVENT_WORKERS, lesson_dur((double)last));
	return after_set(c, s);
}

static int run(const struct lesson_ctx *c)
{
	struct shm *s = lesson_shared(sizeof *s);
	int rc = 1;

	lesson_title(c, "sync", "lock, semaphore, event");
	if (lesson_pshared_mutex(&s->lock) || lesson_pshared_cond(&s->cv) ||
	    sem_init(&s->sem, 1, 2) != 0) {
		lesson_fail(c, "process-shared lock, condvar or semaphore: not supported");
		goto out;
	}
	rc = lock_part(c, s) || semaphore_part(c, s) || event_part(c, s);
	sem_destroy(&s->sem);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->lock);
out:
	lesson_unshare(s, sizeof *s);
	return rc;
}

const struct lesson lesson_sync = {
	.name = "sync",
	.summary = "lock, semaphore and event between processes",
	.seed = "001_47380365a1348ba6.txt",
	.run = run,
};
