/* queue.c: the `queue` lesson: producers and consumers in separate
 * processes over a bounded queue; a joinable queue; the join deadlock the
 * seeds warn about, shown safely with a timeout, then fixed.
 *
 * Lesson: a queue is how processes hand each other work without sharing
 * anything else. A bounded queue (Queue(3)) also paces them: a producer that
 * finds it full waits until a consumer makes room. A JoinableQueue adds a
 * count of unfinished work: each get is matched by task_done, and join()
 * waits until everything put has been done. The trap: a producer cannot
 * finish while what it put is still waiting to be taken (in Python its data
 * sits in a pipe the feeder thread must empty before the process exits), so
 * joining the producer before consuming waits forever. Consume first, then
 * join. The queue here is demos/pqueue.c: shared memory, a process-shared
 * mutex and condition variables.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "demos/pqueue.h"
#include "bench/util.h"

#define PAIRS 10

struct item {
	int producer;
	int seq;
	uint64_t put_ns;
};

struct receipt {
	int consumer, producer;
	uint64_t put_ns, got_ns;
};

struct board {                  /* what the consumers tell the parent */
	_Atomic unsigned n;
	struct receipt r[PAIRS];
};

static pid_t spawn_producer(const struct lesson_ctx *c, struct pqueue *q, int items)
{
	pid_t pid = lesson_fork(c);

	if (pid == 0) {
		for (int i = 0; i < items; i++) {
			struct item it = { (int)getpid(), i, now_ns() };
			if (pqueue_put(q, &it, sizeof it, 10000) != 0)
				_exit(1);
		}
		_exit(0);
	}
	return pid;
}

static int producers_consumers(const struct lesson_ctx *c)
{
	struct pqueue *q = pqueue_new(3);
	struct board *b = lesson_shared(sizeof *b);
	pid_t pids[2 * PAIRS] = { 0 };
	uint64_t t0 = now_ns();
	int st, rc = 1;

	if (!q) {
		lesson_fail(c, "process-shared queue: not supported here");
		goto out;
	}
	lesson_do(c, "%d producer processes each put one item into a queue of "
		  "size 3; then %d consumer processes each get one.", PAIRS, PAIRS);
	for (int i = 0; i < PAIRS; i++)
		pids[i] = spawn_producer(c, q, 1);
	for (int i = PAIRS; i < 2 * PAIRS; i++) {
		pids[i] = lesson_fork(c);
		if (pids[i] == 0) {
			struct item it;
			if (pqueue_get(q, &it, sizeof it, 10000) != 0)
				_exit(1);
			unsigned k = atomic_fetch_add(&b->n, 1);
			b->r[k] = (struct receipt){ (int)getpid(), it.producer, it.put_ns, now_ns() };
			_exit(0);
		}
	}
	for (int i = 0; i < 2 * PAIRS; i++) {
		if (pids[i] < 0) {
			lesson_fail(c, "fork: %s", strerror(errno));
			goto out;
		}
		lesson_wait(pids[i], &st, -1);      /* producers first, as the seed */
		pids[i] = 0;
	}
	for (unsigned i = 0; i < atomic_load(&b->n); i++)
		lesson_saw(c, "consumer %d got the item of producer %d after %s",
			   b->r[i].consumer, b->r[i].producer,
			   lesson_dur((double)(b->r[i].got_ns - b->r[i].put_ns)));
	lesson_claim(c, "queue: %u of %d items delivered in %s; at most %u "
		     "waiting at once", atomic_load(&b->n), PAIRS,
		     lesson_dur((double)(now_ns() - t0)), pqueue_peak(q));
	lesson_saw(c, "%u puts found the queue full and waited for a consumer",
		   pqueue_full_waits(q));
	lesson_why(c, "the queue never holds more than 3: the other producers "
		   "block in put until a consumer makes room.");
	rc = 0;
out:
	for (int i = 0; i < 2 * PAIRS; i++)
		lesson_kill(pids[i]);
	pqueue_free(q);
	lesson_unshare(b, sizeof *b);
	return rc;
}

static int joinable(const struct lesson_ctx *c)
{
	struct pqueue *q = pqueue_new(3);
	_Atomic unsigned *done = lesson_shared(sizeof *done);
	pid_t workers[2] = { 0 };
	uint64_t t0;
	int st, rc = 1, jrc;

	if (!q) {
		lesson_fail(c, "process-shared queue: not supported here");
		goto out;
	}
	lesson_do(c, "A JoinableQueue: this process puts 6 tasks, 2 worker "
		  "processes get them and call task_done; join() waits.");
	for (int i = 0; i < 2; i++) {
		workers[i] = lesson_fork(c);
		if (workers[i] == 0) {
			struct item it;
			while (pqueue_get(q, &it, sizeof it, 10000) == 0 && it.seq >= 0) {
				sleep_ns(5000000);              /* the work */
				atomic_fetch_add(done, 1);
				pqueue_task_done(q);
			}
			pqueue_task_done(q);                    /* the stop item */
			_exit(0);
		}
	}
	t0 = now_ns();
	for (int i = 0; i < 6; i++) {
		struct item it = { (int)getpid(), i, now_ns() };
		pqueue_put(q, &it, sizeof it, 5000);
	}
	jrc = pqueue_join(q, 5000);
	lesson_claim(c, "join returned after %u task_done calls, %s after the "
		     "first put", atomic_load(done), lesson_dur((double)(now_ns() - t0)));
	if (jrc != 0) {
		lesson_fail(c, "join timed out");
		goto out;
	}
	for (int i = 0; i < 2; i++) {
		struct item stop = { (int)getpid(), -1, now_ns() };
		pqueue_put(q, &stop, sizeof stop, 5000);
	}
	for (int i = 0; i < 2; i++) {
		lesson_wait(workers[i], &st, 5000);
		workers[i] = 0;
	}
	rc = 0;
out:
	for (int i = 0; i < 2; i++)
		lesson_kill(workers[i]);
	pqueue_free(q);
	lesson_unshare(done, sizeof *done);
	return rc;
}

static int deadlock(const struct lesson_ctx *c)
{
	struct pqueue *q = pqueue_new(3);
	int wait_ms = c->quick ? 300 : 1000, st, got = 0, rc = 1;
	char sbuf[64];
	struct item it;
	uint64_t t0;
	pid_t prod;

	if (!q)
		return lesson_fail(c, "process-shared queue: not supported here");
	lesson_do(c, "A producer puts 8 items into a queue of size 3. The "
		  "mistake: join the producer before taking anything out. We "
		  "wait %d ms instead of forever.", wait_ms);
	prod = spawn_producer(c, q, 8);
	if (prod < 0) {
		lesson_fail(c, "fork: %s", strerror(errno));
		goto out;
	}
	if (lesson_wait(prod, &st, wait_ms) != 0) {
		lesson_fail(c, "the producer finished: no deadlock to show");
		prod = 0;
		goto out;
	}
	lesson_claim(c, "deadlock detected: join timed out after %d ms", wait_ms);
	lesson_saw(c, "producer %d is alive (state %c), blocked in put; the "
		   "queue holds %u of 3 and nobody takes them", (int)prod,
		   lesson_proc_state(prod), pqueue_count(q));

	lesson_do(c, "The fix: consume first, then join.");
	while (got < 8 && pqueue_get(q, &it, sizeof it, 2000) == 0)
		got++;
	t0 = now_ns();
	lesson_wait(prod, &st, 5000);
	prod = 0;
	lesson_claim(c, "fixed: took %d items, then join returned in %s: %s", got,
		     lesson_dur((double)(now_ns() - t0)), lesson_status_str(st, sbuf, sizeof sbuf));
	lesson_why(c, "a process that has put data is not finished until the data "
		   "has left; whoever waits for it must keep consuming.");
	rc = 0;
out:
	lesson_kill(prod);
	pqueue_free(q);
	return rc;
}

static int run(const struct lesson_ctx *c)
{
	lesson_title(c, "queue", "producers, consumers, join");
	if (producers_consumers(c) || joinable(c) || deadlock(c))
		return 1;
	return 0;
}

const struct lesson lesson_queue = {
	.name = "queue",
	.summary = "10 producers, 10 consumers, a bounded queue; join deadlock",
	.seed = "001_47380365a1348ba6.txt, 000_6277c7b9c622bfbc.txt",
	.run = run,
};
