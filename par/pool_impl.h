/* pool_impl.h: what the pool front end's files (pool.c, pool_map.c)
 * share: the request behind every call, and the helpers both use. */
#ifndef POOL_IMPL_H
#define POOL_IMPL_H

#include <pthread.h>
#include <stdatomic.h>

#include "par/pool.h"
#include "par/pool_backend.h"

enum req_kind { REQ_APPLY, REQ_MAP, REQ_IMAP, REQ_IMAP_UNORDERED };

struct req {
	struct pool *p;
	enum req_kind kind;
	_Atomic int refs;             /* the caller's handle + jobs not reported */
	_Atomic int done;             /* every job reported; the waiters' flag */
	_Atomic size_t jobs_left;

	size_t n;                     /* records */
	size_t arg_size;
	size_t chunksize;
	size_t njobs;
	struct job *jobs;
	unsigned char *args;          /* every record (read only: map's are the caller's) */
	int *status;                  /* [n] */
	struct task_result *results;  /* [n] */
	bool owns_arrays;             /* imap: status and results are ours */
	bool owns_args;               /* imap: args is our copy (map: the caller's) */

	pool_callback cb;
	pool_error_callback ecb;
	void *ud;

	/* imap: job_done[j] is set when job j is reported; next is the next
	 * record to hand out (ordered) or how many were handed out (unordered). */
	_Atomic int *job_done;
	size_t next;
	/* imap_unordered: jobs in the order they were reported. */
	pthread_mutex_t lock;
	size_t *finished;
	size_t n_finished;            /* under lock */
	size_t slot, rec;             /* where the reader is in finished[] */
	_Atomic int avail;            /* set after each report; the reader clears it */

	/* apply: the single job and its outcome live here. */
	struct job job1;
	int status1;
	struct task_result result1;
};

/* The caller's handles are requests. */
struct pool_async {
	struct req r;
};
struct pool_iter {
	struct req r;
};

enum pool_phase { PHASE_LIVE, PHASE_JOINED, PHASE_TERMINATED };

struct pool {
	struct pool_base base;        /* first: what the backend sees */
	_Atomic int closed;
	_Atomic int submitting;       /* submitters between their check and submit */
	_Atomic uint64_t next_task;   /* pool-wide task numbers, for messages */
	/* Serialises join, terminate and free against each other. Never taken
	 * by pool_job_done, so holding it while the backend joins is safe. */
	pthread_mutex_t life_lock;
	enum pool_phase phase;
};

/* Drops one reference to r; the last frees it. */
void pool_req_unref(struct req *r);

/* Makes j the job of records args[0..n) of r, numbered from first_task,
 * with a deadline of deadline_ns per task (0: none). */
void pool_job_init(struct job *j, struct req *r, task_fn fn, unsigned char *args,
		   size_t arg_size, size_t n, uint64_t first_task, int *status,
		   struct task_result *results, uint64_t deadline_ns);

/* Brackets a submission against pool_close: 0, or -EINVAL when closed. */
int pool_submit_begin(struct pool *p);
void pool_submit_end(struct pool *p);

/* Submits every job of r. */
void pool_submit_all(struct pool *p, struct req *r);

/* The absolute deadline for a timeout (POOL_FOREVER: none). */
uint64_t pool_deadline_of(int64_t timeout_ns);

/* Makes progress until *flag is set or deadline passes: 0 or -ETIMEDOUT. */
int pool_wait_until(struct pool *p, const _Atomic int *flag, uint64_t deadline);

#endif
