/* pool_backend.h: the seam between the pool front end (pool.c) and the two
 * backends (thread_pool.c, fork_pool.c). Not for users of the pool: they
 * include par/pool.h.
 *
 * DESIGN
 * The front end turns apply, map and imap into jobs. A job is one task
 * function over a chunk of n argument records; its outcome is n statuses and
 * n results. A backend takes a job (submit), has a worker run it, fills in
 * the job's statuses and results, and reports it with pool_job_done(). That
 * is all a backend does; ordering, callbacks, iterators and pending results
 * live in the front end once for both.
 *
 * Job state moves QUEUED -> RUNNING -> DONE, or QUEUED -> CANCELLED; the
 * backend makes every transition with an atomic compare-and-swap on
 * job->state, so a cancel and a worker's start can race safely. One more,
 * once per job: RUNNING -> QUEUED when the worker process it was handed to
 * died before beginning it (killed while idle, before the parent saw it):
 * the job never ran, so it goes back to the queue's head rather than fail. A job whose
 * worker died is DONE with status -ECHILD (or -ETIMEDOUT past its deadline)
 * for its unfinished records and a message naming the worker, its pid, the
 * signal or exit code, and the task.
 *
 * pool_job_done may be called from a worker thread (threads) or from the
 * parent thread that is making progress (processes). The front end never
 * holds its own lock while calling into the backend.
 *
 * A job belongs to a request the caller may free at any time, so the front
 * end frees the job's memory as soon as it is reported: a backend must not
 * touch j (not even j->next) once pool_job_done(p, j) has been called. The
 * front end fills opt.spin_ns with POOL_SPIN_NS_DEFAULT when it was 0, so a
 * backend always sees the window to use.
 */
#ifndef POOL_BACKEND_H
#define POOL_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "par/pool.h"

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_CANCELLED };

struct job {
	task_fn fn;
	unsigned char *args;          /* n records of arg_size bytes; owned by the job */
	size_t arg_size;
	size_t n;
	uint64_t first_task;          /* pool-wide number of record 0, for messages */
	int *status;                  /* [n], filled by the backend */
	struct task_result *results;  /* [n], filled by the backend */
	uint64_t deadline_ns;         /* processes: run time allowed; 0: none */
	_Atomic int state;            /* enum job_state */
	struct job *next;             /* free for the backend's queue */
	bool requeued;                /* the backend's: RUNNING -> QUEUED once already */
	void *owner;                  /* the front end's */
};

struct pool_backend_ops {
	/* Starts opt->workers workers. Returns 0, or a negative errno with err
	 * set, having stopped whatever it started. */
	int (*start)(struct pool *p, char *err, size_t errlen);
	/* Hands n jobs over, in order (state QUEUED; a request's jobs, one
	 * array). The backend calls pool_job_done(p, j) for each when it is
	 * DONE. Never blocks for long. */
	void (*submit)(struct pool *p, struct job *jobs, size_t n);
	/* Tries QUEUED -> CANCELLED and removes the job from the queue; true if
	 * it did (the backend will not touch j again). */
	bool (*cancel)(struct pool *p, struct job *j);
	/* Makes progress (processes: read results, notice dead workers, kill
	 * workers past a deadline, fork replacements) and waits up to timeout_ns
	 * until pool_job_done has been called at least once since the previous
	 * call, or until *flag becomes nonzero (flag may be NULL). Spins for
	 * opt->spin_ns before sleeping. Returns 0 or -ETIMEDOUT. */
	int (*progress)(struct pool *p, int64_t timeout_ns, const _Atomic int *flag);
	/* After the front end closed the pool: wait for queued and running jobs
	 * to finish and for the workers to end. Returns 0 or a negative errno. */
	int (*join)(struct pool *p);
	/* Marks every queued job CANCELLED (reporting each with pool_job_done),
	 * then stops the workers (see pool_terminate). */
	void (*terminate)(struct pool *p);
	/* Frees the backend's state; workers are gone already. */
	void (*destroy)(struct pool *p);
	/* As pool_take_stats. */
	unsigned (*take_stats)(struct pool *p, struct worker_stats *out, unsigned max);
	/* Wakes every thread waiting in progress so it looks at its flag again:
	 * the front end calls it after setting a flag itself, outside
	 * pool_job_done (a job it cancelled). NULL only if no thread can sleep
	 * in progress past a flag another thread set. */
	void (*wake)(struct pool *p);
};

/* The part of struct pool a backend sees. The front end embeds it first in
 * its own struct. */
struct pool_base {
	const struct pool_backend_ops *ops;
	struct pool_options opt;
	void *backend;                /* the backend's own state */
	bool warming;                 /* pool_new's warm-up runs: its jobs are the pool's
					 own, not counted toward maxtasksperchild */
	bool starting;                /* pool_new waits for its workers' first tasks: a
					 waiter sleeps at once, it does not spin
					 (pool_life.c) */
};

static inline struct pool_base *pool_base(struct pool *p)
{
	return (struct pool_base *)p;
}

/* Called by a backend for each job it finishes (DONE or CANCELLED). */
void pool_job_done(struct pool *p, struct job *j);

extern const struct pool_backend_ops thread_pool_ops;
extern const struct pool_backend_ops fork_pool_ops;

#endif
