/* pool.h: a pool of workers, threads or processes, behind one API: the C
 * counterpart of Python's multiprocessing.Pool.
 *
 * DESIGN
 * The front end (pool.c) owns everything a user sees: apply, apply_async,
 * map, imap, callbacks, pending results. It reduces every call to jobs
 * (par/pool_backend.h): a job is one task function with a chunk of argument
 * records, run by one worker. A backend (thread_pool.c, fork_pool.c) only
 * moves jobs to workers and completions back, so the two pools differ exactly
 * where threads and processes differ: in how a job and its result travel.
 *
 * Threads: a job's result is handed over by pointer (no copy); callbacks run
 * on the worker thread that finished the job. Processes: argument and result
 * bytes are copied through a channel (pipe or shared-memory ring); callbacks
 * run in whichever thread of the parent is waiting on the pool (pool_wait,
 * a get, an iterator's next, join) -- the parent has no helper threads, so it
 * may fork replacements safely.
 *
 * Ownership: the pool copies argument bytes at submission, so the caller may
 * reuse them at once. Results are moved out to the caller (task_result_move).
 * A struct pool_async is owned by the caller and freed with pool_async_free
 * (it may be freed before completion; the pool then drops the result).
 *
 * Threads: every function may be called from any thread of the parent, except
 * that pool_free must be the last call. None may be called in a worker.
 *
 * When the parent process dies, its worker processes end: at once when the
 * thread that started them was its main thread (a parent-death signal),
 * else when their channel hangs up, idle ones at once and busy ones after
 * their task (par/sys.h says why). A thread that started a pool may end
 * before the pool does.
 */
#ifndef POOL_H
#define POOL_H

#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "par/channel_kind.h"
#include "par/start_method.h"
#include "par/task.h"

struct pin_plan;

enum pool_kind { POOL_THREADS, POOL_PROCESSES };

/* Waits: a timeout in nanoseconds, or POOL_FOREVER. */
#define POOL_FOREVER INT64_MAX

struct pool_options {
	enum pool_kind kind;
	unsigned workers;                  /* at least 1 */
	void (*initializer)(void *arg);    /* once in each worker before its first task; NULL: none */
	void *initarg;
	size_t initarg_len;                /* spawn, forkserver: initarg is this many bytes,
					      copied to each worker (both 0/NULL: the
					      initializer gets NULL; one without the other is
					      refused); the initializer must be registered
					      (task_registry.h). fork: ignored */
	enum pool_start start;             /* processes: how workers start (start_method.h) */
	uint64_t maxtasksperchild;         /* processes: a worker is replaced after this many tasks; 0: never */
	enum channel_kind channel;         /* processes: how jobs and results travel */
	const struct pin_plan *pin;        /* where worker i runs; NULL: not pinned */
	uint64_t spin_ns;                  /* how long an idle waiter spins before sleeping; 0: the default */
	bool cold;                         /* pool_new returns once every worker has run one
					      task, without the POOL_WARM_NS of round trips:
					      for measuring a start itself */
	volatile sig_atomic_t *stop;       /* pool_new gives up (-EINTR) once *stop is nonzero,
					      e.g. a flag a SIGINT handler sets; NULL: never */
	pid_t (*stalled)(void *arg);       /* asked every 5 ms while pool_new or pool_wake
					      waits for its own tasks: a pid (a worker seen
					      stopped, SIGSTOP) ends the wait, the pool
					      terminated, with -ETIMEDOUT naming it; NULL:
					      never (bench/modes/stall.h is tvp's) */
	void *stalled_arg;
};

/* The spin window when spin_ns is 0: 50 us. Long enough that a caller
 * submitting tasks back to back finds a worker still spinning (waking a
 * sleeping core costs 30-40 us on the VMs tvp runs on); short enough that an
 * idle pool stops using CPU almost at once. */
#define POOL_SPIN_NS_DEFAULT 50000u

/* How long pool_new makes warm-up round trips once every worker has run a
 * task: 2 ms, enough that a first task costs what the next ones do (measured
 * on the 2-vCPU VM: 160 us after a bare start, the warmed figure after 1 ms). */
#define POOL_WARM_NS 2000000u

struct pool;
struct pool_async;   /* a pending result (multiprocessing's AsyncResult) */
struct pool_iter;    /* results of imap / imap_unordered, as they come */

/* Called once with the result when a job succeeds (callback) or fails
 * (error_callback, with the negative errno and the message). NULL: none. */
typedef void (*pool_callback)(void *ud, const struct task_result *r);
typedef void (*pool_error_callback)(void *ud, int err, const struct task_result *msg);

/* Starts a pool and returns when it is ready to time: every worker is up
 * (created, placed, its initializer run), has run a task of the pool's own,
 * and the pool has made round trips for POOL_WARM_NS, so the first task a
 * caller hands over finds an idle, warm pool (see pool.c's DESIGN). Tasks
 * are numbered, and pool_take_stats counts, from here. Returns 0 with *out
 * set, or a negative errno with what failed in err ("fork: Resource
 * temporarily unavailable (worker 17 of 64)"); -EINTR when opt->stop was
 * set meanwhile (checked between forks and while warming, so a Ctrl-C ends
 * even a large pool's start within milliseconds). On failure nothing is
 * left running; a worker that could not start fails pool_new with the
 * message its warm-up task failed with. Threads: an initializer that never
 * returns keeps pool_new waiting. Processes: under the fork start method,
 * call while the calling process has no other thread (else -EBUSY, with the
 * methods that work named in err); spawn and forkserver start from any
 * thread, with other threads running, and run only registered tasks (a
 * task that is not fails with -ENOENT and says so). */
int pool_new(struct pool **out, const struct pool_options *opt, char *err, size_t errlen);

/* Makes the pool's workers awake again, as pool_new leaves them: one empty
 * task per worker, then round trips for POOL_WAKE_NS, for a caller that is
 * about to time a hand-off after doing other things for longer than the
 * spin window (its idle workers have gone to sleep meanwhile, and the
 * first task would time their wake-up). Its tasks are not numbered, not
 * counted towards maxtasksperchild, and the statistics they leave are
 * taken and dropped: call it where pool_take_stats would lose nothing
 * (right after pool_new or pool_take_stats), from the one thread using the
 * pool. Returns 0, or the status of a round trip that failed (its message
 * in err; -ETIMEDOUT when opt.stalled named a stopped worker, the pool
 * then terminated). */
int pool_wake(struct pool *p, char *err, size_t errlen);

/* pool_wake, then a map of fn over records [0, n) of args into status and
 * results (chunks of one record) as the last of the wake's tasks: not
 * numbered, not counted, statistics dropped, as pool_wake's. For a caller
 * about to time a map over the same arrays: the workers have then read
 * those records and whatever fn reads, and written those slots, and the
 * pool has run the path its next map takes (results in place, when the
 * arrays are shared: par/shared_mem.h), so the timed map does not pay a
 * worker's first touches. fn should read and leave the slots as it found
 * them (status 0, no result); n may be 0. Returns as pool_wake, or the
 * first failed record's status with its message in err. */
int pool_wake_map(struct pool *p, task_fn fn, const void *args, size_t arg_size, size_t n,
		  struct task_result *results, int *status, char *err, size_t errlen);

/* How long pool_wake makes round trips once every worker has run its
 * task: 50 us, the spin window, so that the worker spinning last is the
 * one that just answered. */
#define POOL_WAKE_NS 50000u

/* Runs one task and waits for it. Returns the task's status (0 or negative
 * errno; a worker that died gives -ECHILD with a message that names the
 * signal or exit code) with its result or message moved into out. */
int pool_apply(struct pool *p, task_fn fn, const void *arg, size_t arg_len,
	       struct task_result *out);

/* Queues one task. deadline_ns (processes only; 0: none) is how long the task
 * may run: past it the worker is killed and replaced, and the task fails with
 * -ETIMEDOUT. Returns a pending result, or NULL with errno EINVAL when the
 * pool is closed. */
struct pool_async *pool_apply_async(struct pool *p, task_fn fn, const void *arg, size_t arg_len,
				    pool_callback cb, pool_error_callback ecb, void *ud,
				    uint64_t deadline_ns);

/* Runs fn over n argument records of arg_size bytes each, laid end to end,
 * in chunks of chunksize records (0: Python's default, n / (4 * workers)
 * rounded up). status[i] and results[i] receive record i's outcome. Returns 0
 * when every task ran (a task may still have failed: see status), or a
 * negative errno. A process pool (fork, shm) reads arguments and writes
 * small results in place when they lie in memory from pool_shared_alloc
 * made before the pool (par/shared_mem.h): as fast as a thread pool's map;
 * otherwise every record travels through the channel. */
int pool_map(struct pool *p, task_fn fn, const void *args, size_t arg_size, size_t n,
	     size_t chunksize, struct task_result *results, int *status);

/* The same without waiting: cb is called once when all are done (with an
 * empty result), and the arrays (args included: they are read in place, not
 * copied) must live until then. */
struct pool_async *pool_map_async(struct pool *p, task_fn fn, const void *args, size_t arg_size,
				  size_t n, size_t chunksize, struct task_result *results,
				  int *status, pool_callback cb, void *ud);

/* Lazy maps: results come out through pool_iter_next, in submission order
 * (imap) or in completion order (imap_unordered). */
struct pool_iter *pool_imap(struct pool *p, task_fn fn, const void *args, size_t arg_size,
			    size_t n, size_t chunksize);
struct pool_iter *pool_imap_unordered(struct pool *p, task_fn fn, const void *args,
				      size_t arg_size, size_t n, size_t chunksize);

/* Waits up to timeout_ns for the next result. Returns 1 with *index (the
 * record's position), *status and out set; 0 when every result has been
 * returned; -ETIMEDOUT. */
int pool_iter_next(struct pool_iter *it, int64_t timeout_ns, size_t *index, int *status,
		   struct task_result *out);
void pool_iter_free(struct pool_iter *it);

/* Pending results. wait returns 0 when done or -ETIMEDOUT. get also moves
 * the result (or message) into out and returns the task's status; -ETIMEDOUT
 * if not done in time; -ECANCELED if it was cancelled. */
bool pool_async_ready(struct pool_async *a);
bool pool_async_running(struct pool_async *a);  /* a worker has started it (processes:
						  was handed it; false again if that worker
						  died before beginning it, pool_backend.h) */
int pool_async_wait(struct pool_async *a, int64_t timeout_ns);
int pool_async_get(struct pool_async *a, int64_t timeout_ns, struct task_result *out);
/* Cancels a job no worker has started; returns true if it will never run. */
bool pool_async_cancel(struct pool_async *a);
void pool_async_free(struct pool_async *a);

/* Makes progress and waits up to timeout_ns for any job of the pool to
 * complete. Returns 0 if one did, -ETIMEDOUT. (For executor_wait and
 * as_completed, which wait on several results at once.) */
int pool_wait_any(struct pool *p, int64_t timeout_ns);

/* Makes progress and waits up to timeout_ns until *flag is nonzero. Returns
 * 0 if it is, -ETIMEDOUT. For waiting on several results at once without a
 * lost wake-up: the caller sets up a flag its callbacks set (as the executor
 * does), checks its condition, then waits here; pool_wait_any cannot do this
 * because a completion between the check and the call would go unseen. */
int pool_wait_flag(struct pool *p, const _Atomic int *flag, int64_t timeout_ns);

/* No more tasks may be submitted. */
void pool_close(struct pool *p);
/* After close: waits for every queued task to finish and the workers to end.
 * Returns 0 or a negative errno. */
int pool_join(struct pool *p);
/* Drops queued tasks (their results fail with -ECANCELED) and stops the
 * workers. Threads: running tasks finish first (a thread cannot be killed
 * safely). Processes: SIGTERM, SIGKILL after a short grace, every worker
 * reaped. */
void pool_terminate(struct pool *p);
/* Terminates if needed and frees everything. No thread or child remains. */
void pool_free(struct pool *p);

/* What each worker has done since the last call (tasks, busy time, pid, tid,
 * placement); returns how many entries it wrote into out (at most max).
 * Replaced workers are included. */
unsigned pool_take_stats(struct pool *p, struct worker_stats *out, unsigned max);

unsigned pool_workers(const struct pool *p);
enum pool_kind pool_kind(const struct pool *p);

#endif
