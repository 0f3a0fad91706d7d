/* pqueue.h: a small bounded queue between processes, for the `queue`
 * lesson: fixed-size items in MAP_SHARED memory, guarded by a process-shared
 * mutex and condition variables, with JoinableQueue's task_done and join.
 *
 * Every function may be called from any process forked after pqueue_new, and
 * from several threads. Waits take a timeout in milliseconds (-1: forever)
 * and return -ETIMEDOUT when it passes.
 */
#ifndef PQUEUE_H
#define PQUEUE_H

#include <stddef.h>

#define PQUEUE_ITEM 48              /* bytes per item */

struct pqueue;

/* A queue holding at most capacity items (1..64), in shared memory. NULL if
 * capacity is out of range or the process-shared primitives fail. */
struct pqueue *pqueue_new(unsigned capacity);
/* Unmaps it; call once, after every other process is done with it. */
void pqueue_free(struct pqueue *q);

/* Copies an item in, waiting while the queue is full. 0 or -ETIMEDOUT. */
int pqueue_put(struct pqueue *q, const void *item, size_t len, int timeout_ms);
/* Copies the oldest item out (its first len bytes, at most PQUEUE_ITEM),
 * waiting while the queue is empty. 0 or -ETIMEDOUT. */
int pqueue_get(struct pqueue *q, void *item, size_t len, int timeout_ms);

/* JoinableQueue: every put counts one unfinished task; task_done counts one
 * finished; join waits until none are unfinished. 0 or -ETIMEDOUT. */
void pqueue_task_done(struct pqueue *q);
int pqueue_join(struct pqueue *q, int timeout_ms);

/* Figures for the lesson: items now, the most ever at once, and how many
 * times a put found the queue full and had to wait. */
unsigned pqueue_count(struct pqueue *q);
unsigned pqueue_peak(struct pqueue *q);
unsigned pqueue_full_waits(struct pqueue *q);

#endif
