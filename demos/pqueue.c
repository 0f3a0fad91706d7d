/* pqueue.c: a bounded queue between processes (see pqueue.h).
 *
 * DESIGN
 * One struct in MAP_SHARED memory: a ring of fixed-size items, a mutex and
 * three condition variables, all PTHREAD_PROCESS_SHARED so that forked
 * processes can block on them. not_full wakes producers, not_empty wakes
 * consumers, all_done wakes join. Timed waits use CLOCK_MONOTONIC, so a
 * lesson can show a deadlock without hanging in it. A process that dies
 * holding the mutex would leave it locked; the lesson's processes hold it
 * only for a copy, never across anything that can fail.
 */
#include "demos/pqueue.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "demos/lesson.h"

#define PQUEUE_MAX 64

struct pqueue {
	pthread_mutex_t mu;
	pthread_cond_t not_full, not_empty, all_done;
	unsigned capacity, head, count, peak, full_waits;
	unsigned long unfinished;
	unsigned char items[PQUEUE_MAX][PQUEUE_ITEM];
};

struct pqueue *pqueue_new(unsigned capacity)
{
	struct pqueue *q;

	if (capacity < 1 || capacity > PQUEUE_MAX)
		return NULL;
	q = lesson_shared(sizeof *q);
	q->capacity = capacity;
	if (lesson_pshared_mutex(&q->mu) || lesson_pshared_cond(&q->not_full) ||
	    lesson_pshared_cond(&q->not_empty) || lesson_pshared_cond(&q->all_done)) {
		lesson_unshare(q, sizeof *q);
		return NULL;
	}
	return q;
}

void pqueue_free(struct pqueue *q)
{
	if (!q)
		return;
	pthread_cond_destroy(&q->not_full);
	pthread_cond_destroy(&q->not_empty);
	pthread_cond_destroy(&q->all_done);
	pthread_mutex_destroy(&q->mu);
	lesson_unshare(q, sizeof *q);
}

/* Waits on cv until ready(q) holds. Called and returns with q->mu held. */
static int wait_until(struct pqueue *q, pthread_cond_t *cv, bool (*ready)(struct pqueue *),
		      int timeout_ms)
{
	struct timespec dl = lesson_deadline(timeout_ms < 0 ? 0 : timeout_ms);

	while (!ready(q)) {
		int rc = timeout_ms < 0 ? pthread_cond_wait(cv, &q->mu)
					: pthread_cond_timedwait(cv, &q->mu, &dl);
		if (rc == ETIMEDOUT && !ready(q))
			return -ETIMEDOUT;
	}
	return 0;
}

static bool has_room(struct pqueue *q) { return q->count < q->capacity; }
static bool has_item(struct pqueue *q) { return q->count > 0; }
static bool all_done(struct pqueue *q) { return q->unfinished == 0; }

int pqueue_put(struct pqueue *q, const void *item, size_t len, int timeout_ms)
{
	int rc;

	pthread_mutex_lock(&q->mu);
	if (!has_room(q))
		q->full_waits++;
	rc = wait_until(q, &q->not_full, has_room, timeout_ms);
	if (rc == 0) {
		unsigned char *slot = q->items[(q->head + q->count) % q->capacity];
		memset(slot, 0, PQUEUE_ITEM);
		memcpy(slot, item, len < PQUEUE_ITEM ? len : PQUEUE_ITEM);
		q->count++;
		q->unfinished++;
		if (q->count > q->peak)
			q->peak = q->count;
		pthread_cond_signal(&q->not_empty);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

int pqueue_get(struct pqueue *q, void *item, size_t len, int timeout_ms)
{
	int rc;

	pthread_mutex_lock(&q->mu);
	rc = wait_until(q, &q->not_empty, has_item, timeout_ms);
	if (rc == 0) {
		memcpy(item, q->items[q->head], len < PQUEUE_ITEM ? len : PQUEUE_ITEM);
		q->head = (q->head + 1) % q->capacity;
		q->count--;
		pthread_cond_signal(&q->not_full);
	}
	pthread_mutex_unlock(&q->mu);
	return rc;
}

void pqueue_task_done(struct pqueue *q)
{
	pthread_mutex_lock(&q->mu);
	if (q->unfinished > 0 && --q->unfinished == 0)
		pthread_cond_broadcast(&q->all_done);
	pthread_mutex_unlock(&q->mu);
}

int pqueue_join(struct pqueue *q, int timeout_ms)
{
	int rc;

	pthread_mutex_lock(&q->mu);
	rc = wait_until(q, &q->all_done, all_done, timeout_ms);
	pthread_mutex_unlock(&q->mu);
	return rc;
}

#define FIGURE(name, field)                      \
	unsigned name(struct pqueue *q)          \
	{                                        \
		unsigned v;                      \
		pthread_mutex_lock(&q->mu);      \
		v = q->field;                    \
		pthread_mutex_unlock(&q->mu);    \
		return v;                        \
	}
FIGURE(pqueue_count, count)
FIGURE(pqueue_peak, peak)
FIGURE(pqueue_full_waits, full_waits)
