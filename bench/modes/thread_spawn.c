/* thread_spawn.c: the `thread-spawn` mode: a new pthread for every task,
 * created and joined inside the timed region.
 *
 * Lesson: this is the seeds' first threading example (`Thread(target=...)`,
 * `start()`, `join()` in a loop). Creating a thread costs tens of
 * microseconds (a stack mapping, a clone, the scheduler); with short tasks
 * that cost is all you measure, which is why pools exist.
 *
 * DESIGN
 * At most m->workers threads are alive at once: the tasks are started in
 * order, and when every slot is busy the oldest thread is joined before the
 * next is created (so a slow task can hold back later ones, as the seeds'
 * loops do). Worker statistics are kept per slot, not per thread (a million
 * tasks would be a million entries): tasks and busy time add up over the
 * threads that used the slot, and tid is the last one's. A slot is used by
 * one thread at a time and read only after pthread_join, so it needs no
 * lock. Threads block SIGINT and SIGTERM so they reach the run loop's thread.
 */
#include "bench/modes/mode.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "par/pin.h"
#include "bench/util.h"

struct spawn_slot {
	unsigned slot;                 /* which of the m->workers places */
	pthread_t thread;
	bool alive;
	struct mode_run *m;
	uint64_t index;
	struct worker_stats *ws;
};

static void *spawn_main(void *arg)
{
	struct spawn_slot *s = arg;
	struct task_arg ta = { s->m->wi, s->index };
	uint64_t t0;

	/* A new thread starts with its creator's mask (unbound): it binds
	 * itself to its slot's place before the task, inside the timed region,
	 * as a spawned worker must. */
	pin_bind_thread(s->m->pin, s->slot, s->ws);
	pin_note_cpu(s->ws);
	t0 = now_ns();
	s->m->status[s->index] = workload_run_task(&ta, sizeof ta, &s->m->results[s->index]);
	s->ws->busy_ns += now_ns() - t0;
	s->ws->tasks++;
	s->ws->tid = (int32_t)syscall(SYS_gettid);
	return NULL;
}

static void join_all(struct spawn_slot *slots, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (slots[i].alive)
			pthread_join(slots[i].thread, NULL);
		slots[i].alive = false;
	}
}

static int spawn_execute(struct mode_run *m)
{
	unsigned n = m->workers ? m->workers : 1;
	struct spawn_slot *slots = xcalloc(n, sizeof *slots);
	pthread_attr_t attr;
	sigset_t block;
	int rc = 0;

	m->wstats = xcalloc(n, sizeof *m->wstats);
	m->n_wstats = n;
	for (unsigned i = 0; i < n; i++) {
		m->wstats[i].pid = (int32_t)getpid();
		m->wstats[i].pinned = -1;
		slots[i].ws = &m->wstats[i];
		slots[i].slot = i;
		slots[i].m = m;
	}
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_attr_init(&attr);
	pthread_attr_setsigmask_np(&attr, &block);

	for (uint64_t i = 0; i < m->tasks; i++) {
		struct spawn_slot *s = &slots[i % n];
		int err;

		if (tvp_interrupted) {
			rc = -EINTR;
			break;
		}
		if (s->alive) {
			pthread_join(s->thread, NULL);
			s->alive = false;
		}
		s->index = i;
		err = pthread_create(&s->thread, &attr, spawn_main, s);
		if (err) {
			snprintf(m->err, sizeof m->err, "pthread_create: %s (task %llu)",
				 strerror(err), (unsigned long long)i);
			rc = -err;
			break;
		}
		s->alive = true;
	}
	join_all(slots, n);
	pthread_attr_destroy(&attr);
	free(slots);
	return rc;
}


const struct mode mode_thread_spawn = {
	.name = "thread-spawn",
	.summary = "a new thread for every task, at most WORKERS at once (created in the timed region)",
	.family = MODE_FAMILY_SPAWN,
	.flags = 0,
	.execute = spawn_execute,
	.teardown = mode_run_free_wstats,
};
