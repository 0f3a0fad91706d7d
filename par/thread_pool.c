/* thread_pool.c: the thread backend (thread_pool_ops): N persistent pthreads
 * taking jobs from one queue.
 *
 * DESIGN
 * One FIFO of jobs under a mutex, with its length mirrored in an atomic
 * (q_len) so idle threads can watch it without taking the lock. A job's
 * results are written in place by the worker (threads share memory: nothing
 * is copied), then the worker reports it with pool_job_done() and wakes any
 * caller sleeping in progress.
 *
 * Waiting is spin-then-sleep on both sides, because on the virtual machines
 * tvp targets a thread sleeping in the kernel takes 30-40 us to wake up,
 * whatever the mechanism, while a round trip between two spinning threads
 * takes well under a microsecond:
 *   - an idle worker spins on q_len for opt.spin_ns, then sleeps on a futex
 *     (work_seq). Only one idle worker spins at a time (the spinner token):
 *     spinning workers would otherwise take the cores from the workers and
 *     the caller that have something to do (the test machine has 2 cores);
 *   - a caller waiting for a result (progress) spins on its flag for
 *     opt.spin_ns, then sleeps on a futex (done_seq).
 * Every spinner calls sched_yield between looks, as the fork pool's do
 * (fork_child.c, fork_poll.c): when the caller and the worker share a core
 * (the scheduler puts threads of one process together; a build beside the
 * benchmark; more workers than PUs), a spinner that does not yield holds the
 * core the other needs until its time slice ends. Measured on the 2-vCPU VM
 * under other builds, a pool of one worker: a first task took 104 us
 * without the yield and 4-8 us with it, a warmed apply 104-311 us against
 * 11-20 us, and the same with both pinned to one CPU. With nothing else runnable the call returns
 * at once, at the price of a system call per look.
 * After the window everything sleeps, so an idle pool uses no CPU. Sleepers
 * announce themselves in a counter before a last look, and wakers bump the
 * futex word before reading the counter; both sequentially consistent, so a
 * wake-up is never lost and a syscall is made only when someone sleeps.
 *
 * The default window is POOL_SPIN_NS_DEFAULT (50 us): submitting tasks
 * back to back finds a spinning worker, an idle pool goes quiet within
 * 50 us. The cost is up to one core spinning for 50 us after each burst.
 *
 * Terminate drops the queued jobs (each reported CANCELLED) and lets the
 * running ones finish: a thread cannot be killed safely (pthread_cancel or
 * a signal would leave the locks and heap it was using in any state), so a
 * task that never returns keeps terminate and pool_free waiting. Use the
 * fork pool when a task must be killable.
 *
 * Worker threads block SIGINT, SIGTERM and SIGCHLD, so those reach the
 * thread that started the pool (which decides what to do about them).
 */
#include "par/pool_backend.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "par/pin.h"
#include "par/sys.h"

#define CACHE_LINE 64

struct worker {
	struct tpool *tp;
	unsigned index;
	pthread_t thread;
	int32_t tid;
	int32_t pinned;                /* as worker_stats.pinned */
	int32_t bind_errno;            /* as worker_stats.bind_errno */
	char bound[96];
	/* Written by the worker, taken by take_stats. */
	_Atomic uint64_t tasks;
	_Atomic uint64_t busy_ns;
	_Atomic uint64_t cpus_seen[PIN_CPU_WORDS];
} __attribute__((aligned(CACHE_LINE)));  /* no false sharing between workers */

struct tpool {
	struct pool *p;
	unsigned n;
	unsigned started;              /* threads created, for stopping on failure */
	struct worker *w;

	pthread_mutex_t qlock;         /* head, tail, job state QUEUED <-> in the queue */
	struct job *head, *tail;
	_Atomic size_t q_len;
	_Atomic int stop;              /* workers end once the queue is empty */

	/* Workers waiting for work. */
	_Atomic uint32_t work_seq __attribute__((aligned(CACHE_LINE)));
	_Atomic int idle_sleepers;
	_Atomic int spinners;          /* 0 or 1: the spinner token */

	/* Callers waiting for results. */
	_Atomic uint32_t done_seq __attribute__((aligned(CACHE_LINE)));
	_Atomic int done_sleepers;
	_Atomic uint32_t seen_seq;     /* done_seq at the end of the last flagless progress */

	/* Start-up: start waits until every worker has recorded its tid. */
	pthread_mutex_t start_lock;
	pthread_cond_t start_cond;
	unsigned ready;
};

static struct tpool *tpool_of(struct pool *p)
{
	return pool_base(p)->backend;
}

static void futex_wait(_Atomic uint32_t *word, uint32_t val, uint64_t timeout_ns)
{
	struct timespec ts, *tsp = NULL;

	if (timeout_ns != UINT64_MAX) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
		ts.tv_nsec = (long)(timeout_ns % 1000000000u);
		tsp = &ts;
	}
	/* EINTR, EAGAIN (the word changed) and ETIMEDOUT all mean "look
	 * again", which every caller does. */
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

/* ---- the queue --------------------------------------------------------- */

/* Takes the oldest job and marks it RUNNING, under the lock: so QUEUED
 * means "in the queue" to anyone holding the lock, and cancel can trust it. */
static struct job *pop(struct tpool *tp)
{
	struct job *j;

	if (atomic_load_explicit(&tp->q_len, memory_order_relaxed) == 0)
		return NULL;
	pthread_mutex_lock(&tp->qlock);
	j = tp->head;
	if (j) {
		int expect = JOB_QUEUED;

		tp->head = j->next;
		if (!tp->head)
			tp->tail = NULL;
		atomic_fetch_sub(&tp->q_len, 1);
		atomic_compare_exchange_strong(&j->state, &expect, JOB_RUNNING);
	}
	pthread_mutex_unlock(&tp->qlock);
	return j;
}

static void tp_submit_one(struct pool *p, struct job *j)
{
	struct tpool *tp = tpool_of(p);

	j->next = NULL;
	pthread_mutex_lock(&tp->qlock);
	if (tp->tail)
		tp->tail->next = j;
	else
		tp->head = j;
	tp->tail = j;
	atomic_fetch_add(&tp->q_len, 1);
	pthread_mutex_unlock(&tp->qlock);

	atomic_fetch_add(&tp->work_seq, 1);
	/* A spinning worker will take one job; wake a sleeper for the rest. */
	if (atomic_load(&tp->idle_sleepers) > 0 &&
	    atomic_load(&tp->q_len) > (size_t)atomic_load(&tp->spinners))
		futex_wake(&tp->work_seq, 1);
}

static void tp_submit(struct pool *p, struct job *jobs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		tp_submit_one(p, &jobs[i]);
}

/* Unlinking is a walk from the head: cancels usually hit old jobs (the
 * executor cancels in submission order), which sit near the head. */
static bool tp_cancel(struct pool *p, struct job *j)
{
	struct tpool *tp = tpool_of(p);
	int expect = JOB_QUEUED;
	bool ok = false;

	pthread_mutex_lock(&tp->qlock);
	if (atomic_compare_exchange_strong(&j->state, &expect, JOB_CANCELLED)) {
		struct job *prev = NULL;

		for (struct job *q = tp->head; q; prev = q, q = q->next) {
			if (q != j)
				continue;
			if (prev)
				prev->next = q->next;
			else
				tp->head = q->next;
			if (tp->tail == q)
				tp->tail = prev;
			atomic_fetch_sub(&tp->q_len, 1);
			break;
		}
		ok = true;
	}
	pthread_mutex_unlock(&tp->qlock);
	return ok;
}

/* ---- workers ----------------------------------------------------------- */

/* Wakes the callers sleeping in progress (after a report, or when the front
 * end set a flag itself). */
static void tp_wake(struct pool *p)
{
	struct tpool *tp = tpool_of(p);

	atomic_fetch_add(&tp->done_seq, 1);
	if (atomic_load(&tp->done_sleepers) > 0)
		futex_wake(&tp->done_seq, INT_MAX);
}

/* An idle worker: spin for the window if no other worker is spinning, then
 * sleep until a submit (or stop) bumps work_seq. Returns to look again. */
static void wait_for_work(struct tpool *tp)
{
	uint64_t spin_ns = pool_base(tp->p)->opt.spin_ns;
	int none = 0;
	uint32_t seq;

	if (atomic_compare_exchange_strong(&tp->spinners, &none, 1)) {
		uint64_t end = now_ns() + spin_ns;
		bool seen = false;

		do {
			for (int i = 0; i < 64 && !seen; i++) {
				seen = atomic_load_explicit(&tp->q_len, memory_order_relaxed) ||
				       atomic_load_explicit(&tp->stop, memory_order_relaxed);
				cpu_relax();
			}
			if (!seen)
				sched_yield();   /* see DESIGN: spinners yield */
		} while (!seen && now_ns() < end);
		atomic_store(&tp->spinners, 0);
		if (seen)
			return;
	}
	seq = atomic_load(&tp->work_seq);
	atomic_fetch_add(&tp->idle_sleepers, 1);
	if (atomic_load(&tp->q_len) == 0 && !atomic_load(&tp->stop))
		futex_wait(&tp->work_seq, seq, UINT64_MAX);
	atomic_fetch_sub(&tp->idle_sleepers, 1);
}

static void note_cpu(struct worker *w)
{
	pin_cpu_bits_note(w->cpus_seen);
}

static void run_job(struct worker *w, struct job *j)
{
	struct pool *p = w->tp->p;
	uint64_t t0, dt;
	size_t n = j->n;

	note_cpu(w);
	t0 = now_ns();
	for (size_t k = 0; k < n; k++)
		j->status[k] = j->fn(j->args + k * j->arg_size, j->arg_size, &j->results[k]);
	dt = now_ns() - t0;
	atomic_fetch_add_explicit(&w->tasks, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&w->busy_ns, dt, memory_order_relaxed);
	atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
	pool_job_done(p, j);   /* j may be gone after this */
	tp_wake(p);
}

/* Where a worker thread starts, before its initializer and first task. */
static void worker_started(struct worker *w)
{
	struct tpool *tp = w->tp;

	const struct pool_options *opt = &pool_base(tp->p)->opt;
	struct worker_stats ws;

	w->tid = (int32_t)syscall(SYS_gettid);
	/* Each thread binds itself (HWLOC_CPUBIND_THREAD): binding it from the
	 * creating thread, or process-wide, would move the caller too. A
	 * failure is recorded as "pinned": false; the run loop decides
	 * whether that is an error (--pin-strict). */
	memset(&ws, 0, sizeof ws);
	pin_bind_thread(opt->pin, w->index, &ws);
	w->pinned = ws.pinned;
	w->bind_errno = ws.bind_errno;
	snprintf(w->bound, sizeof w->bound, "%s", ws.bound);
	pthread_mutex_lock(&tp->start_lock);
	tp->ready++;
	pthread_cond_signal(&tp->start_cond);
	pthread_mutex_unlock(&tp->start_lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct tpool *tp = w->tp;
	const struct pool_options *opt = &pool_base(tp->p)->opt;

	worker_started(w);
	if (opt->initializer)
		opt->initializer(opt->initarg);
	for (;;) {
		struct job *j = pop(tp);

		if (!j) {
			if (!atomic_load(&tp->stop)) {
				wait_for_work(tp);
				continue;
			}
			/* Stop was set after the last submit: one more look,
			 * now that the stop load ordered us after it. */
			j = pop(tp);
			if (!j)
				break;
		}
		run_job(w, j);
	}
	return NULL;
}

/* Workers finish the queue, then end; joins them all. */
static void stop_workers(struct tpool *tp)
{
	atomic_store(&tp->stop, 1);
	atomic_fetch_add(&tp->work_seq, 1);
	futex_wake(&tp->work_seq, INT_MAX);
	for (unsigned i = 0; i < tp->started; i++)
		pthread_join(tp->w[i].thread, NULL);
	tp->started = 0;
}

static void tpool_free(struct tpool *tp)
{
	pthread_mutex_destroy(&tp->qlock);
	pthread_mutex_destroy(&tp->start_lock);
	pthread_cond_destroy(&tp->start_cond);
	free(tp->w);
	free(tp);
}

static int tp_start(struct pool *p, char *err, size_t errlen)
{
	const struct pool_options *opt = &pool_base(p)->opt;
	unsigned n = opt->workers;
	struct tpool *tp = xaligned_zalloc(CACHE_LINE, sizeof *tp);
	sigset_t block, old;

	tp->p = p;
	tp->n = n;
	tp->w = xaligned_zalloc(CACHE_LINE, sizeof *tp->w * n);
	pthread_mutex_init(&tp->qlock, NULL);
	pthread_mutex_init(&tp->start_lock, NULL);
	pthread_cond_init(&tp->start_cond, NULL);
	pool_base(p)->backend = tp;

	/* Threads inherit the signal mask: block the process-directed signals
	 * while creating them, restore it afterwards. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &tp->w[i];
		int rc;

		w->tp = tp;
		w->index = i;
		if (opt->stop && *opt->stop)
			rc = EINTR;
		else
			rc = pthread_create(&w->thread, NULL, worker_main, w);
		if (rc) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			if (rc == EINTR)
				snprintf(err, errlen, "interrupted while starting worker %u of %u", i + 1, n);
			else
				snprintf(err, errlen, "pthread_create: %s (worker %u of %u)",
					 strerror(rc), i + 1, n);
			stop_workers(tp);
			tpool_free(tp);
			pool_base(p)->backend = NULL;
			return -rc;
		}
		tp->started++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);

	pthread_mutex_lock(&tp->start_lock);
	while (tp->ready < n)
		pthread_cond_wait(&tp->start_cond, &tp->start_lock);
	pthread_mutex_unlock(&tp->start_lock);
	return 0;
}

/* ---- callers ----------------------------------------------------------- */

static bool progress_ready(struct tpool *tp, const _Atomic int *flag, uint32_t base)
{
	if (flag)
		return atomic_load_explicit(flag, memory_order_acquire) != 0;
	return atomic_load(&tp->done_seq) != base;
}

/* Nothing to pump in a thread pool: spin, then sleep until a worker reports
 * (done_seq moves) and the flag is set, or the time is up. */
static int tp_progress(struct pool *p, int64_t timeout_ns, const _Atomic int *flag)
{
	struct tpool *tp = tpool_of(p);
	uint64_t now = now_ns();
	uint64_t deadline = timeout_ns == POOL_FOREVER ? UINT64_MAX :
			    now + (uint64_t)(timeout_ns > 0 ? timeout_ns : 0);
	uint64_t spin_end = now + pool_base(p)->opt.spin_ns;
	uint32_t base = flag ? 0 : atomic_load(&tp->seen_seq);
	int rc = 0;

	if (pool_base(p)->starting)
		spin_end = now;   /* workers starting: sleep at once (pool_life.c) */
	if (spin_end > deadline)
		spin_end = deadline;
	/* A zero timeout (a readiness poll) looks once and leaves. */
	while (!progress_ready(tp, flag, base)) {
		if (now_ns() >= spin_end)
			goto sleep;
		for (int i = 0; i < 16; i++) {
			cpu_relax();
			if (progress_ready(tp, flag, base))
				goto out;
		}
		sched_yield();   /* see DESIGN: spinners yield */
	}
	goto out;
sleep:
	for (;;) {
		uint32_t seq = atomic_load(&tp->done_seq);

		if (progress_ready(tp, flag, base))
			goto out;
		now = now_ns();
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			goto out;
		}
		atomic_fetch_add(&tp->done_sleepers, 1);
		if (!progress_ready(tp, flag, base))
			futex_wait(&tp->done_seq, seq,
				   deadline == UINT64_MAX ? UINT64_MAX : deadline - now);
		atomic_fetch_sub(&tp->done_sleepers, 1);
	}
out:
	if (!flag)
		atomic_store(&tp->seen_seq, atomic_load(&tp->done_seq));
	return rc;
}

static int tp_join(struct pool *p)
{
	stop_workers(tpool_of(p));
	return 0;
}

static void tp_terminate(struct pool *p)
{
	struct tpool *tp = tpool_of(p);
	struct job *list, *next;

	pthread_mutex_lock(&tp->qlock);
	list = tp->head;
	tp->head = tp->tail = NULL;
	for (struct job *j = list; j; j = j->next) {
		int expect = JOB_QUEUED;

		atomic_compare_exchange_strong(&j->state, &expect, JOB_CANCELLED);
	}
	atomic_store(&tp->q_len, 0);
	pthread_mutex_unlock(&tp->qlock);
	for (struct job *j = list; j; j = next) {
		next = j->next;   /* before the report, which may free j */
		pool_job_done(p, j);
	}
	tp_wake(p);
	stop_workers(tp);
}

static void tp_destroy(struct pool *p)
{
	struct tpool *tp = tpool_of(p);

	if (!tp)
		return;
	stop_workers(tp);   /* no-op when joined or terminated */
	tpool_free(tp);
	pool_base(p)->backend = NULL;
}

/* Writes the set bits as an hwloc-style list: "0-3,6". */
static unsigned tp_take_stats(struct pool *p, struct worker_stats *out, unsigned max)
{
	struct tpool *tp = tpool_of(p);
	unsigned n = tp->n < max ? tp->n : max;
	int32_t pid = (int32_t)getpid();

	for (unsigned i = 0; i < n; i++) {
		struct worker *w = &tp->w[i];

		memset(&out[i], 0, sizeof out[i]);
		out[i].pid = pid;
		out[i].tid = w->tid;
		out[i].tasks = atomic_exchange_explicit(&w->tasks, 0, memory_order_relaxed);
		out[i].busy_ns = atomic_exchange_explicit(&w->busy_ns, 0, memory_order_relaxed);
		out[i].pinned = w->pinned;
		out[i].bind_errno = w->bind_errno;
		snprintf(out[i].bound, sizeof out[i].bound, "%s", w->bound);
		pin_cpu_bits_take(w->cpus_seen, out[i].ran_on, sizeof out[i].ran_on);
	}
	return n;
}

const struct pool_backend_ops thread_pool_ops = {
	.start = tp_start,
	.submit = tp_submit,
	.cancel = tp_cancel,
	.progress = tp_progress,
	.join = tp_join,
	.terminate = tp_terminate,
	.destroy = tp_destroy,
	.take_stats = tp_take_stats,
	.wake = tp_wake,
};
