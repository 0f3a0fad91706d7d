/* pooljob.h: what the three pool lessons (pool, map, lifecycle) share: the
 * seed's task (sleep a little, return the square) and starting a fork pool
 * the way multiprocessing.Pool(processes, initializer, maxtasksperchild)
 * does. Call from the lesson's own process, never from a worker. */
#ifndef POOLJOB_H
#define POOLJOB_H

#include <stdint.h>

#include "demos/lesson.h"
#include "par/pool.h"

struct pooljob_arg {
	int value;
	int sleep_ms;
	int fail;                    /* nonzero: the task fails with -EDOM */
};

struct pooljob_out {
	int32_t pid;                 /* the worker that ran it */
	int32_t value;               /* value * value */
	int32_t initialised;         /* what the initializer left in this worker */
};

/* The task: sleeps sleep_ms, returns a struct pooljob_out (or fails with
 * -EDOM and a message naming the value, when fail is set). */
int pooljob_work(const void *arg, size_t len, struct task_result *out);

/* The pooljob_out inside r (zeroes if r holds something else). */
struct pooljob_out pooljob_result(const struct task_result *r);

/* Starts a pool of `workers` processes; maxtasks 0 means never replace a
 * worker; initval, when not NULL, is what the initializer stores in each
 * worker. Returns 0, or 1 after saying what failed (lesson_fail). */
int pooljob_start(const struct lesson_ctx *c, struct pool **p, unsigned workers,
		  uint64_t maxtasks, int *initval);

#endif
