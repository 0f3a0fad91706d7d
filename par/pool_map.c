/* pool_map.c: the pool front end's map, imap and imap_unordered: n records
 * cut into chunks of chunksize records, one job each, and the iterators
 * that hand results out (see pool.h; requests and waiting are pool.c).
 *
 * DESIGN
 * An imap request owns its status and result arrays; job_done[j] is set
 * (release) when job j is reported, and the ordered iterator hands out
 * records in order as their jobs complete. imap_unordered keeps the jobs in
 * the order they were reported (finished[], under the request's lock) and
 * sets `avail` after each report, which is the reader's flag to wait on.
 */
#include "par/pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "par/pool_impl.h"
#include "par/sys.h"

/* ---- map and imap ------------------------------------------------------ */

/* multiprocessing's default: about four chunks per worker. */
static size_t default_chunksize(size_t n, unsigned workers)
{
	size_t per = 4 * (size_t)workers;
	size_t c = n / per + (n % per != 0);

	return c ? c : 1;
}

/* Builds and submits a request over n records. status and results are the
 * caller's arrays (map) or NULL (imap: the request makes its own). Returns
 * NULL with errno EINVAL (closed) or EOVERFLOW. */
static struct req *map_req(struct pool *p, enum req_kind kind, task_fn fn, const void *args,
			   size_t arg_size, size_t n, size_t chunksize, int *status,
			   struct task_result *results, pool_callback cb, void *ud)
{
	struct req *r;
	uint64_t first;

	if (arg_size && n > SIZE_MAX / arg_size) {
		errno = EOVERFLOW;
		return NULL;
	}
	if (pool_submit_begin(p) < 0) {
		errno = EINVAL;
		return NULL;
	}
	r = xcalloc(1, sizeof *r);
	r->p = p;
	r->kind = kind;
	r->n = n;
	r->arg_size = arg_size;
	r->chunksize = chunksize ? chunksize : default_chunksize(n, p->base.opt.workers);
	r->njobs = n / r->chunksize + (n % r->chunksize != 0);
	r->jobs = xcalloc(r->njobs, sizeof *r->jobs);
	if (status) {
		/* map: the caller's arguments, read in place (they live until the
		 * request is done, as its arrays do). A copy cost a fresh
		 * mapping's page faults in every map: 3 ms of a million empty
		 * tasks' 18 ms on the 2-vCPU VM. */
		r->args = (unsigned char *)args;
	} else {
		r->owns_args = true;
		r->args = xmalloc(n * arg_size);
		if (n && arg_size)
			memcpy(r->args, args, n * arg_size);
	}
	if (status) {
		r->status = status;
		r->results = results;
	} else {
		r->owns_arrays = true;
		r->status = xcalloc(n, sizeof *r->status);
		r->results = xcalloc(n, sizeof *r->results); /* all zero: TASK_RESULT_INIT */
	}
	r->cb = cb;
	r->ud = ud;
	if (kind == REQ_IMAP)
		r->job_done = xcalloc(r->njobs, sizeof *r->job_done);
	if (kind == REQ_IMAP_UNORDERED) {
		pthread_mutex_init(&r->lock, NULL);
		r->finished = xcalloc(r->njobs, sizeof *r->finished);
	}
	atomic_init(&r->refs, 1 + (int)r->njobs);
	atomic_init(&r->jobs_left, r->njobs);
	first = atomic_fetch_add_explicit(&p->next_task, n, memory_order_relaxed);
	for (size_t i = 0; i < r->njobs; i++) {
		size_t lo = i * r->chunksize;
		size_t cnt = n - lo < r->chunksize ? n - lo : r->chunksize;

		pool_job_init(&r->jobs[i], r, fn, r->args + lo * arg_size, arg_size, cnt, first + lo,
			 &r->status[lo], &r->results[lo], 0);
	}
	if (r->njobs == 0) {
		if (cb) {
			struct task_result empty = TASK_RESULT_INIT;

			cb(ud, &empty);
		}
		atomic_store(&r->done, 1);
	}
	pool_submit_all(p, r);
	pool_submit_end(p);
	return r;
}

struct pool_async *pool_map_async(struct pool *p, task_fn fn, const void *args, size_t arg_size,
				  size_t n, size_t chunksize, struct task_result *results,
				  int *status, pool_callback cb, void *ud)
{
	return (struct pool_async *)map_req(p, REQ_MAP, fn, args, arg_size, n, chunksize, status,
					    results, cb, ud);
}

int pool_map(struct pool *p, task_fn fn, const void *args, size_t arg_size, size_t n,
	     size_t chunksize, struct task_result *results, int *status)
{
	struct pool_async *a = pool_map_async(p, fn, args, arg_size, n, chunksize, results, status,
					      NULL, NULL);

	if (!a)
		return -errno;
	pool_async_wait(a, POOL_FOREVER);
	pool_async_free(a);
	return 0;
}

struct pool_iter *pool_imap(struct pool *p, task_fn fn, const void *args, size_t arg_size,
			    size_t n, size_t chunksize)
{
	return (struct pool_iter *)map_req(p, REQ_IMAP, fn, args, arg_size, n, chunksize, NULL,
					   NULL, NULL, NULL);
}

struct pool_iter *pool_imap_unordered(struct pool *p, task_fn fn, const void *args,
				      size_t arg_size, size_t n, size_t chunksize)
{
	return (struct pool_iter *)map_req(p, REQ_IMAP_UNORDERED, fn, args, arg_size, n,
					   chunksize, NULL, NULL, NULL, NULL);
}

static void hand_out(struct req *r, size_t rec, size_t *index, int *status,
		     struct task_result *out)
{
	if (index)
		*index = rec;
	if (status)
		*status = r->status[rec];
	if (out)
		task_result_move(out, &r->results[rec]);
	else
		task_result_release(&r->results[rec]);
}

/* One reader at a time per iterator. */
int pool_iter_next(struct pool_iter *it, int64_t timeout_ns, size_t *index, int *status,
		   struct task_result *out)
{
	struct req *r = &it->r;
	uint64_t deadline = pool_deadline_of(timeout_ns);

	if (r->next >= r->n)
		return 0;
	if (r->kind == REQ_IMAP) {
		size_t rec = r->next;
		int rc = pool_wait_until(r->p, &r->job_done[rec / r->chunksize], deadline);

		if (rc < 0)
			return rc;
		hand_out(r, rec, index, status, out);
		r->next++;
		return 1;
	}
	for (;;) {
		int rc;

		/* Clear avail before looking: a report after the look sets it
		 * again, so the wait below cannot miss it. */
		pthread_mutex_lock(&r->lock);
		atomic_store(&r->avail, 0);
		if (r->slot < r->n_finished) {
			struct job *j = &r->jobs[r->finished[r->slot]];
			size_t rec = (size_t)(j->status - r->status) + r->rec;

			if (++r->rec == j->n) {
				r->slot++;
				r->rec = 0;
			}
			pthread_mutex_unlock(&r->lock);
			hand_out(r, rec, index, status, out);
			r->next++;
			return 1;
		}
		pthread_mutex_unlock(&r->lock);
		rc = pool_wait_until(r->p, &r->avail, deadline);
		if (rc < 0)
			return rc;
	}
}

void pool_iter_free(struct pool_iter *it)
{
	if (it)
		pool_req_unref(&it->r);
}

