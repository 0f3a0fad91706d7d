/* contention.h: a window into the contention workload's shared lock, for the
 * tests and lessons that show what a robust mutex does when its holder dies. */
#ifndef CONTENTION_H
#define CONTENTION_H

#include <pthread.h>

#include "workloads/workload.h"

/* The process-shared robust mutex of a contention instance that setup made
 * (any --lock kind). It lives in MAP_SHARED memory: a process forked after
 * setup may lock it, die holding it, and the next locker gets EOWNERDEAD.
 * Valid until teardown. */
pthread_mutex_t *contention_lock(const struct workload_inst *wi);

#endif
