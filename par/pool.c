/* pool.c: the pool front end: apply, map, imap, pending results, callbacks
 * and waiting, once for both backends (see pool.h and pool_backend.h).
 *
 * DESIGN
 * Every call becomes a request (struct req) that owns one or more jobs: apply
 * makes one job of one record; map and imap cut n records into chunks of
 * chunksize records, one job each. The backend runs jobs and reports each
 * with pool_job_done(), which is where the front end calls callbacks, marks
 * iterator slots and sets the request's done flag.
 *
 * Lifetime: a request is reference-counted: one reference for the caller's
 * handle (pool_async, pool_iter, or the frame of pool_apply / pool_map) and
 * one per job not yet reported. So a caller may free a pending result at any
 * time; the last report frees the memory, and nothing ever writes into freed
 * memory. (Map's result arrays are the caller's and must live until the map
 * is done, freed handle or not.)
 *
 * Waiting: every wait is a loop around ops->progress with a flag that the
 * front end sets (with release order) after the results are in place: the
 * request's done flag, an imap job's slot, an imap_unordered "something
 * arrived" flag. progress is where the fork backend reads its channels, so a
 * waiting thread is what moves a process pool forward; a thread backend just
 * spins and sleeps there.
 *
 * Callbacks run inside pool_job_done, before the done flag is set (so a get
 * that returns sees the callback's effects): on the worker thread for
 * threads, in the parent thread making progress for processes. Each
 * apply_async gets exactly one call: callback on success, error_callback on
 * failure, including -ECANCELED when the task was cancelled or dropped by
 * terminate (multiprocessing would call neither and leave a get hanging).
 *
 * Closing races submission without a lock: a submitter announces itself
 * (submitting++) and then checks closed; close sets closed and then waits
 * for submitting to reach 0. Both are sequentially consistent, so either the
 * submitter sees closed or close sees the submitter and waits for its jobs
 * to be queued before join can look at the queue.
 *
 * Setup means setup: pool_new warms a pool before it returns (pool_life.c
 * says how and why).
 *
 * Backends: pool_new takes thread_pool_ops for POOL_THREADS and
 * fork_pool_ops (fork_pool.c) for POOL_PROCESSES. Map, imap and their
 * iterators are pool_map.c; starting, warming, joining and freeing a pool
 * pool_life.c; what the files share is pool_impl.h.
 */
#include "par/pool.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "par/pool_backend.h"
#include "par/pool_impl.h"
#include "par/sys.h"
#include "par/task_registry.h"


static const struct pool_backend_ops *ops_of(struct pool *p)
{
	return p->base.ops;
}

/* ---- requests ---------------------------------------------------------- */

static void req_free(struct req *r)
{
	if (r->owns_arrays) {
		for (size_t i = 0; i < r->n; i++)
			task_result_release(&r->results[i]);
		free(r->results);
		free(r->status);
	} else if (r->kind == REQ_APPLY) {
		task_result_release(&r->result1);
	}
	if (r->kind == REQ_IMAP_UNORDERED)
		pthread_mutex_destroy(&r->lock);
	if (r->jobs != &r->job1)
		free(r->jobs);
	if (r->owns_args)
		free(r->args);
	free(r->job_done);
	free(r->finished);
	free(r);
}

void pool_req_unref(struct req *r)
{
	if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
		req_free(r);
}

/* A job the backend (terminate) or the front end (cancel) dropped: each of
 * its records fails with -ECANCELED and says so. */
static void fill_cancelled(struct job *j)
{
	for (size_t k = 0; k < j->n; k++) {
		j->status[k] = -ECANCELED;
		task_result_error(&j->results[k], -ECANCELED,
				  "task %" PRIu64 " was cancelled before it started",
				  j->first_task + k);
	}
}

/* Everything that happens when a job is reported, DONE or CANCELLED. The
 * last statement may free the request (and j with it). */
static void job_finished(struct req *r, struct job *j)
{
	size_t ji = (size_t)(j - r->jobs);

	switch (r->kind) {
	case REQ_APPLY:
		if (r->status1 == 0) {
			if (r->cb)
				r->cb(r->ud, &r->result1);
		} else if (r->ecb) {
			r->ecb(r->ud, r->status1, &r->result1);
		}
		break;
	case REQ_IMAP:
		atomic_store_explicit(&r->job_done[ji], 1, memory_order_release);
		break;
	case REQ_IMAP_UNORDERED:
		pthread_mutex_lock(&r->lock);
		r->finished[r->n_finished++] = ji;
		pthread_mutex_unlock(&r->lock);
		atomic_store_explicit(&r->avail, 1, memory_order_release);
		break;
	case REQ_MAP:
		break;
	}
	/* acq_rel: the last reporter sees every other job's results, and
	 * publishes them all with the done flag. */
	if (atomic_fetch_sub_explicit(&r->jobs_left, 1, memory_order_acq_rel) == 1) {
		if (r->kind == REQ_MAP && r->cb) {
			struct task_result empty = TASK_RESULT_INIT;

			r->cb(r->ud, &empty);
		}
		atomic_store_explicit(&r->done, 1, memory_order_release);
	}
	pool_req_unref(r);
}

void pool_job_done(struct pool *p, struct job *j)
{
	if (atomic_load_explicit(&j->state, memory_order_acquire) == JOB_CANCELLED)
		fill_cancelled(j);
	job_finished(j->owner, j);
}

void pool_job_init(struct job *j, struct req *r, task_fn fn, unsigned char *args,
		     size_t arg_size, size_t n, uint64_t first_task, int *status,
		     struct task_result *results, uint64_t deadline_ns)
{
	j->fn = fn;
	j->args = args;
	j->arg_size = arg_size;
	j->n = n;
	j->first_task = first_task;
	j->status = status;
	j->results = results;
	j->deadline_ns = deadline_ns;
	atomic_init(&j->state, JOB_QUEUED);
	j->next = NULL;
	j->requeued = false;
	j->owner = r;
}

/* Announces a submitter; fails with -EINVAL when the pool is closed. */
int pool_submit_begin(struct pool *p)
{
	atomic_fetch_add(&p->submitting, 1);
	if (atomic_load(&p->closed)) {
		atomic_fetch_sub(&p->submitting, 1);
		return -EINVAL;
	}
	return 0;
}

void pool_submit_end(struct pool *p)
{
	atomic_fetch_sub(&p->submitting, 1);
}

/* A pool whose workers are fresh images (spawn, forkserver) can run only
 * registered tasks: r's jobs fail at once, each record with the reason,
 * rather than travel to a worker that cannot run them. Returns true if so. */
static bool refuse_unregistered(struct pool *p, struct req *r)
{
	const struct pool_options *o = &p->base.opt;

	if (o->kind != POOL_PROCESSES || !pool_start_by_name(o->start) || r->njobs == 0 ||
	    task_registry_id((task_any_fn)r->jobs[0].fn) != 0)
		return false;
	for (size_t i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];

		for (size_t k = 0; k < j->n; k++) {
			j->status[k] = -ENOENT;
			task_result_error(&j->results[k], -ENOENT, "task function is not registered "
					  "(TASK_REGISTER); a %s pool runs tasks by name",
					  pool_start_name(o->start));
		}
		atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
		pool_job_done(p, j);   /* the caller's reference keeps r alive */
	}
	return true;
}

void pool_submit_all(struct pool *p, struct req *r)
{
	if (refuse_unregistered(p, r))
		return;
	if (r->njobs)
		ops_of(p)->submit(p, r->jobs, r->njobs);
}

/* ---- waiting ----------------------------------------------------------- */

uint64_t pool_deadline_of(int64_t timeout_ns)
{
	if (timeout_ns == POOL_FOREVER)
		return UINT64_MAX;
	if (timeout_ns < 0)
		timeout_ns = 0;
	return now_ns() + (uint64_t)timeout_ns;
}

/* Waits until *flag is set or the deadline passes; always makes progress
 * at least once, so a zero timeout still pumps a process pool. */
int pool_wait_until(struct pool *p, const _Atomic int *flag, uint64_t deadline)
{
	bool tried = false;

	for (;;) {
		int64_t left;

		if (atomic_load_explicit(flag, memory_order_acquire))
			return 0;
		if (deadline == UINT64_MAX) {
			left = POOL_FOREVER;
		} else {
			uint64_t now = now_ns();

			if (now >= deadline && tried)
				return -ETIMEDOUT;
			left = now >= deadline ? 0 : (int64_t)(deadline - now);
		}
		ops_of(p)->progress(p, left, flag);
		tried = true;
	}
}

int pool_wait_flag(struct pool *p, const _Atomic int *flag, int64_t timeout_ns)
{
	return pool_wait_until(p, flag, pool_deadline_of(timeout_ns));
}

int pool_wait_any(struct pool *p, int64_t timeout_ns)
{
	if (timeout_ns < 0)
		timeout_ns = 0;
	return ops_of(p)->progress(p, timeout_ns, NULL);
}

/* ---- apply ------------------------------------------------------------- */

struct pool_async *pool_apply_async(struct pool *p, task_fn fn, const void *arg, size_t arg_len,
				    pool_callback cb, pool_error_callback ecb, void *ud,
				    uint64_t deadline_ns)
{
	/* One allocation: the request, then the argument copy, aligned for any
	 * record type a task may cast its argument to. */
	size_t off = (sizeof(struct req) + alignof(max_align_t) - 1) &
		     ~(alignof(max_align_t) - 1);
	struct req *r;

	if (pool_submit_begin(p) < 0) {
		errno = EINVAL;
		return NULL;
	}
	r = xcalloc(1, off + arg_len);
	r->p = p;
	r->kind = REQ_APPLY;
	r->n = 1;
	r->arg_size = arg_len;
	r->chunksize = 1;
	r->njobs = 1;
	r->jobs = &r->job1;
	r->args = (unsigned char *)r + off;
	if (arg_len)
		memcpy(r->args, arg, arg_len);
	r->status = &r->status1;
	r->results = &r->result1;
	r->cb = cb;
	r->ecb = ecb;
	r->ud = ud;
	atomic_init(&r->refs, 2);
	atomic_init(&r->jobs_left, 1);
	pool_job_init(&r->job1, r, fn, r->args, arg_len, 1,
		 atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed),
		 &r->status1, &r->result1, deadline_ns);
	pool_submit_all(p, r);
	pool_submit_end(p);
	return (struct pool_async *)r;
}

int pool_apply(struct pool *p, task_fn fn, const void *arg, size_t arg_len,
	       struct task_result *out)
{
	struct pool_async *a = pool_apply_async(p, fn, arg, arg_len, NULL, NULL, NULL, 0);
	int rc;

	if (!a)
		return -EINVAL;
	rc = pool_async_get(a, POOL_FOREVER, out);
	pool_async_free(a);
	return rc;
}

/* ---- pending results --------------------------------------------------- */

bool pool_async_ready(struct pool_async *a)
{
	struct req *r = &a->r;

	if (atomic_load_explicit(&r->done, memory_order_acquire))
		return true;
	/* Give a process pool the chance to read what has arrived. */
	ops_of(r->p)->progress(r->p, 0, &r->done);
	return atomic_load_explicit(&r->done, memory_order_acquire);
}

bool pool_async_running(struct pool_async *a)
{
	struct req *r = &a->r;

	for (size_t i = 0; i < r->njobs; i++) {
		int s = atomic_load_explicit(&r->jobs[i].state, memory_order_acquire);

		if (s == JOB_RUNNING || s == JOB_DONE)
			return true;
	}
	return false;
}

int pool_async_wait(struct pool_async *a, int64_t timeout_ns)
{
	if (atomic_load_explicit(&a->r.done, memory_order_acquire))
		return 0;
	return pool_wait_until(a->r.p, &a->r.done, pool_deadline_of(timeout_ns));
}

int pool_async_get(struct pool_async *a, int64_t timeout_ns, struct task_result *out)
{
	struct req *r = &a->r;
	int rc = pool_async_wait(a, timeout_ns);

	if (rc < 0)
		return rc;
	if (r->kind == REQ_APPLY) {
		if (out)
			task_result_move(out, &r->result1);
		return r->status1;
	}
	/* map: the first failure, with a copy of its message (the caller's
	 * arrays keep the original). */
	for (size_t i = 0; i < r->n; i++) {
		if (r->status[i] != 0) {
			if (out)
				task_result_set(out, task_result_data(&r->results[i]),
						r->results[i].len);
			return r->status[i];
		}
	}
	if (out)
		task_result_release(out);
	return 0;
}

bool pool_async_cancel(struct pool_async *a)
{
	struct req *r = &a->r;
	bool all = true, any = false;

	if (atomic_load_explicit(&r->done, memory_order_acquire))
		return false;
	for (size_t i = 0; i < r->njobs; i++) {
		struct job *j = &r->jobs[i];

		if (ops_of(r->p)->cancel(r->p, j)) {
			/* The backend has let go of j; report it ourselves. The
			 * caller's reference keeps r alive through this. */
			fill_cancelled(j);
			job_finished(r, j);
			any = true;
		} else {
			all = false;
		}
	}
	if (any && ops_of(r->p)->wake)
		ops_of(r->p)->wake(r->p);
	return all;
}

void pool_async_free(struct pool_async *a)
{
	if (a)
		pool_req_unref(&a->r);
}
