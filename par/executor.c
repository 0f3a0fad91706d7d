/* executor.c: executors and futures (concurrent.futures) over a pool: a
 * future is one pool_apply_async and its pending result.
 *
 * DESIGN
 * A future wraps a struct pool_async. The pool calls the future's callback
 * exactly once (success, failure, or -ECANCELED when cancelled or dropped),
 * and the callback is the one place a future becomes done: it records the
 * outcome, sets f->done, and fires every waiter registered with the
 * executor. The result bytes stay in the pool_async until someone asks for
 * them; the first future_result moves them into the future, later calls copy.
 *
 * Waiting on several futures (executor_wait, as_completed) registers a
 * waiter (a flag) with the executor, then loops: clear the flag, look at the
 * futures, sleep in pool_wait_flag until a callback sets the flag. A
 * callback stores f->done before it reads the waiter count, and a waiter
 * counts itself before it looks at f->done (both sequentially consistent),
 * so no completion falls between a look and a sleep. Callbacks take the
 * executor's lock only while someone waits.
 *
 * Lifetimes: a future has two references, the caller's and the pending
 * callback's, so it may be freed while its task runs. executor_free shuts
 * down (waiting), frees the pool, and detaches the futures and waiters still
 * alive: after that every future is done, and its functions no longer touch
 * the pool. executor_free must not race with calls on the same executor's
 * futures in other threads.
 */
#include "par/executor.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "par/sys.h"

struct waiter {
	_Atomic int fired;
	struct executor *ex;
	struct waiter *prev, *next;
};

struct executor {
	struct pool *p;
	pthread_mutex_t lock;          /* the lists, shut */
	struct future *live;           /* futures not yet freed, newest first */
	struct waiter *waiters;
	_Atomic int n_waiters;
	bool shut;
	bool joined;
};

struct future {
	struct executor *ex;           /* NULL once the executor is freed */
	struct pool_async *a;
	_Atomic int refs;              /* the caller's + the pending callback's */
	_Atomic int done;              /* set by the callback */
	int outcome;                   /* the status the callback saw */
	pthread_mutex_t lock;          /* taken, status, result */
	bool taken;
	int status;
	struct task_result result;
	struct future *prev, *next;    /* ex->live, under ex->lock */
};

/* ---- futures ----------------------------------------------------------- */

static void future_unref(struct future *f)
{
	if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) != 1)
		return;
	pool_async_free(f->a);
	task_result_release(&f->result);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static void fire_waiters(struct executor *ex)
{
	if (atomic_load(&ex->n_waiters) == 0)
		return;
	pthread_mutex_lock(&ex->lock);
	for (struct waiter *w = ex->waiters; w; w = w->next)
		atomic_store(&w->fired, 1);
	pthread_mutex_unlock(&ex->lock);
}

/* The pool's callback: on a worker thread (threads) or in the thread making
 * progress (processes). */
static void future_settle(struct future *f, int outcome)
{
	struct executor *ex = f->ex;

	f->outcome = outcome;
	atomic_store(&f->done, 1);
	if (ex)
		fire_waiters(ex);
	future_unref(f);
}

static void on_result(void *ud, const struct task_result *r)
{
	future_settle(ud, 0);
}

static void on_error(void *ud, int err, const struct task_result *msg)
{
	future_settle(ud, err);
}

struct future *executor_submit(struct executor *ex, task_fn fn, const void *arg, size_t arg_len,
			       uint64_t deadline_ns)
{
	struct future *f;
	bool shut;

	pthread_mutex_lock(&ex->lock);
	shut = ex->shut;
	pthread_mutex_unlock(&ex->lock);
	if (shut) {
		errno = EINVAL;
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->ex = ex;
	atomic_init(&f->refs, 2);
	pthread_mutex_init(&f->lock, NULL);
	f->a = pool_apply_async(ex->p, fn, arg, arg_len, on_result, on_error, f, deadline_ns);
	if (!f->a) {
		/* Closed under us: no callback will come. */
		pthread_mutex_destroy(&f->lock);
		free(f);
		errno = EINVAL;
		return NULL;
	}
	pthread_mutex_lock(&ex->lock);
	f->next = ex->live;
	if (ex->live)
		ex->live->prev = f;
	ex->live = f;
	pthread_mutex_unlock(&ex->lock);
	return f;
}

bool future_done(struct future *f)
{
	if (atomic_load(&f->done))
		return true;
	pool_async_ready(f->a);   /* lets a process pool read what arrived */
	return atomic_load(&f->done);
}

bool future_running(struct future *f)
{
	return !future_done(f) && pool_async_running(f->a);
}

bool future_cancelled(struct future *f)
{
	/* Done without ever having started: cancelled, by future_cancel,
	 * shutdown(cancel_futures) or a terminated pool. */
	return future_done(f) && f->outcome == -ECANCELED && !pool_async_running(f->a);
}

bool future_cancel(struct future *f)
{
	if (future_cancelled(f))
		return true;   /* Python: cancelling twice is still a success */
	return pool_async_cancel(f->a);
}

/* Waits, then moves the result out of the pending result once; the lock
 * makes concurrent result calls on one future safe. */
static int future_take(struct future *f, int64_t timeout_ns)
{
	/* The pool runs a job's callback (which marks the future done) just
	 * before it publishes the result as ready, as CPython's AsyncResult
	 * does. A future already seen done must not time out in that gap: its
	 * result is a few instructions away. */
	int rc = pool_async_wait(f->a, atomic_load(&f->done) ? POOL_FOREVER : timeout_ns);

	if (rc < 0)
		return rc;
	pthread_mutex_lock(&f->lock);
	if (!f->taken) {
		f->status = pool_async_get(f->a, 0, &f->result);
		f->taken = true;
	}
	return 0;   /* with f->lock held */
}

int future_result(struct future *f, int64_t timeout_ns, struct task_result *out)
{
	int rc = future_take(f, timeout_ns);

	if (rc < 0)
		return rc;
	if (out)
		task_result_set(out, task_result_data(&f->result), f->result.len);
	rc = f->status;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int future_exception(struct future *f, int64_t timeout_ns, struct task_result *msg)
{
	int rc = future_take(f, timeout_ns);

	if (rc < 0)
		return rc;
	rc = f->status;
	if (msg) {
		if (rc < 0)
			task_result_set(msg, task_result_data(&f->result), f->result.len);
		else
			task_result_release(msg);
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void future_free(struct future *f)
{
	struct executor *ex;

	if (!f)
		return;
	ex = f->ex;
	if (ex) {
		pthread_mutex_lock(&ex->lock);
		if (f->prev)
			f->prev->next = f->next;
		else
			ex->live = f->next;
		if (f->next)
			f->next->prev = f->prev;
		pthread_mutex_unlock(&ex->lock);
	}
	future_unref(f);
}

/* ---- waiting on several ------------------------------------------------ */

static void waiter_add(struct waiter *w, struct executor *ex)
{
	w->ex = ex;
	w->prev = NULL;
	atomic_init(&w->fired, 0);
	if (!ex)
		return;
	pthread_mutex_lock(&ex->lock);
	w->next = ex->waiters;
	if (ex->waiters)
		ex->waiters->prev = w;
	ex->waiters = w;
	atomic_fetch_add(&ex->n_waiters, 1);
	pthread_mutex_unlock(&ex->lock);
}

static void waiter_remove(struct waiter *w)
{
	struct executor *ex = w->ex;

	if (!ex)
		return;
	pthread_mutex_lock(&ex->lock);
	if (w->prev)
		w->prev->next = w->next;
	else
		ex->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	atomic_fetch_sub(&ex->n_waiters, 1);
	pthread_mutex_unlock(&ex->lock);
	w->ex = NULL;
}

/* The executor the futures share, or NULL when they come from several (or
 * their executors are gone). */
static struct executor *common_executor(struct future *const *fs, size_t n)
{
	struct executor *ex = n ? fs[0]->ex : NULL;

	for (size_t i = 1; i < n; i++)
		if (fs[i]->ex != ex)
			return NULL;
	return ex;
}

/* Sleeps until the waiter fires or the deadline; futures from several
 * executors are polled every millisecond instead (documented in the
 * header: rare, and each future_done still pumps its own pool). */
static int waiter_sleep(struct waiter *w, uint64_t deadline)
{
	uint64_t now = now_ns();
	int64_t left = deadline == UINT64_MAX ? POOL_FOREVER :
		       (int64_t)(deadline > now ? deadline - now : 0);

	if (!w->ex) {
		sleep_ns(left > 1000000 ? 1000000 : (uint64_t)left);
		return 0;
	}
	return pool_wait_flag(w->ex->p, &w->fired, left);
}

static uint64_t deadline_of(int64_t timeout_ns)
{
	if (timeout_ns == POOL_FOREVER)
		return UINT64_MAX;
	return now_ns() + (uint64_t)(timeout_ns > 0 ? timeout_ns : 0);
}

int executor_wait(struct future *const *fs, size_t n, enum wait_when when, int64_t timeout_ns,
		  bool *done)
{
	uint64_t deadline = deadline_of(timeout_ns);
	struct waiter w;
	bool tried = false;
	int rc;

	waiter_add(&w, common_executor(fs, n));
	for (;;) {
		size_t ndone = 0;
		bool failed = false, met;

		atomic_store(&w.fired, 0);
		for (size_t i = 0; i < n; i++) {
			/* After a sleep in pool_wait_flag (which pumped the
			 * pool) the flag is enough; otherwise ask the pool. */
			bool d = tried && w.ex ? atomic_load(&fs[i]->done) != 0 : future_done(fs[i]);

			if (done)
				done[i] = d;
			if (d) {
				ndone++;
				if (fs[i]->outcome != 0 && !future_cancelled(fs[i]))
					failed = true;
			}
		}
		met = when == WAIT_ALL_COMPLETED ? ndone == n :
		      when == WAIT_FIRST_COMPLETED ? ndone > 0 || n == 0 :
		      failed || ndone == n;
		if (met) {
			rc = 0;
			break;
		}
		if (tried && now_ns() >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		waiter_sleep(&w, deadline);
		tried = true;
	}
	waiter_remove(&w);
	return rc;
}

struct as_completed {
	struct future **fs;
	size_t n;
	bool *yielded;
	size_t count;
	struct waiter w;
};

struct as_completed *as_completed_new(struct future *const *fs, size_t n)
{
	struct as_completed *ac = xcalloc(1, sizeof *ac);

	ac->fs = xcalloc(n, sizeof *ac->fs);
	if (n)
		memcpy(ac->fs, fs, n * sizeof *fs);
	ac->n = n;
	ac->yielded = xcalloc(n, sizeof *ac->yielded);
	waiter_add(&ac->w, common_executor(fs, n));
	return ac;
}

int as_completed_next(struct as_completed *ac, int64_t timeout_ns, size_t *index)
{
	uint64_t deadline = deadline_of(timeout_ns);
	bool tried = false;

	for (;;) {
		if (ac->count == ac->n)
			return 0;
		atomic_store(&ac->w.fired, 0);
		for (size_t i = 0; i < ac->n; i++) {
			if (ac->yielded[i] || !future_done(ac->fs[i]))
				continue;
			ac->yielded[i] = true;
			ac->count++;
			if (index)
				*index = i;
			return 1;
		}
		if (tried && now_ns() >= deadline)
			return -ETIMEDOUT;
		waiter_sleep(&ac->w, deadline);
		tried = true;
	}
}

void as_completed_free(struct as_completed *ac)
{
	if (!ac)
		return;
	waiter_remove(&ac->w);
	free(ac->yielded);
	free(ac->fs);
	free(ac);
}

/* ---- the executor ------------------------------------------------------ */

int executor_new(struct executor **out, const struct pool_options *opt, char *err, size_t errlen)
{
	struct executor *ex = xcalloc(1, sizeof *ex);
	int rc = pool_new(&ex->p, opt, err, errlen);

	*out = NULL;
	if (rc < 0) {
		free(ex);
		return rc;
	}
	pthread_mutex_init(&ex->lock, NULL);
	*out = ex;
	return 0;
}

void executor_shutdown(struct executor *ex, bool wait, bool cancel_futures)
{
	pthread_mutex_lock(&ex->lock);
	ex->shut = true;
	pthread_mutex_unlock(&ex->lock);
	pool_close(ex->p);
	if (cancel_futures) {
		struct future **all = NULL;
		size_t n = 0, cap = 0;

		/* Take references under the lock, cancel outside it: a
		 * successful cancel runs the callback, which may take the lock. */
		pthread_mutex_lock(&ex->lock);
		for (struct future *f = ex->live; f; f = f->next) {
			if (atomic_load(&f->done))
				continue;
			if (n == cap)
				all = xrealloc(all, (cap = cap ? 2 * cap : 64) * sizeof *all);
			atomic_fetch_add(&f->refs, 1);
			all[n++] = f;
		}
		pthread_mutex_unlock(&ex->lock);
		/* The list is newest first; cancel oldest first: they sit at
		 * the head of the queue, where the thread backend's cancel
		 * finds them at once. */
		for (size_t i = 0; i < n / 2; i++) {
			struct future *t = all[i];

			all[i] = all[n - 1 - i];
			all[n - 1 - i] = t;
		}
		for (size_t i = 0; i < n; i++) {
			pool_async_cancel(all[i]->a);
			future_unref(all[i]);
		}
		free(all);
	}
	if (wait) {
		pool_join(ex->p);
		ex->joined = true;
	}
}

void executor_free(struct executor *ex)
{
	if (!ex)
		return;
	executor_shutdown(ex, true, false);
	pool_free(ex->p);
	pthread_mutex_lock(&ex->lock);
	for (struct future *f = ex->live; f; f = f->next)
		f->ex = NULL;
	for (struct waiter *w = ex->waiters; w; w = w->next)
		w->ex = NULL;
	pthread_mutex_unlock(&ex->lock);
	pthread_mutex_destroy(&ex->lock);
	free(ex);
}

struct pool *executor_pool(struct executor *ex)
{
	return ex->p;
}
