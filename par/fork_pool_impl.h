/* fork_pool_impl.h: what the files of the fork pool share (private to
 * par/fork_*.c): the scoreboard, the parent's state, the narrow struct a
 * worker gets, and the functions one file calls in another.
 *
 * The files, by role:
 *   fork_wire.h      the messages and the workers' exit codes
 *   fork_child.c     a worker's life, after the fork
 *   fork_image.c     a worker that is a fresh image (spawn, forkserver):
 *                    its start-up bytes, its role "pool"
 *   fork_server.c    starting workers by start method: forked directly,
 *                    by a fork server, or spawned
 *   fork_dispatch.c  jobs to workers, results back (the parent's pump)
 *   fork_prefetch.c  a second job in flight per worker
 *   fork_poll.c      waiting: the poller, spinning, sleeping in ppoll
 *   fork_death.c     workers that end: reaping, failing their job, retiring
 *   fork_pool.c      start, join, terminate, stats: the ops table
 * Parent functions are called with fpool.mu held unless they say otherwise.
 */
#ifndef FORK_POOL_IMPL_H
#define FORK_POOL_IMPL_H

#include <poll.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "par/channel.h"
#include "par/forkserver.h"
#include "par/pin.h"
#include "par/shared_mem.h"
#include "par/pool_backend.h"
#include "par/proc.h"

#define CACHE_LINE 64
#define PIECE_BYTES (64u << 10)           /* argument bytes per job message */
#define RESULT_FLUSH_BYTES (64u << 10)    /* result bytes per result message */
#define DEATH_CHECK_NS 200000u            /* how often a busy parent looks at pidfds */
#define QUIET_PUMP_NS 25000u              /* a spinning parent's pump without news */
#define FULL_PUMP_NS 1000000u             /* a pump of every slot, at least this often */
#define BOARD_READY_WORDS 16u             /* the board's ready bits: 1024, one per */
#define BOARD_READY_BITS (64u * BOARD_READY_WORDS)  /* worker, shared beyond */
#define LONG_JOB_RECORDS 256u             /* a job with this many outcomes to come
					     keeps its worker busy for a while */
#define MAX_RETIRED 4096u                 /* stats kept for workers gone */
#define SPAWN_RETRY_NS 10000000u          /* after a failed fork */
#define TERM_GRACE_NS 200000000u          /* terminate: SIGTERM, then SIGKILL */
#define JOIN_GRACE_NS 5000000000ull       /* join: end of input, then SIGKILL */

/* ---- the scoreboard: shared by the parent, the server and workers ------ */

struct board_slot {
	alignas(CACHE_LINE) _Atomic uint64_t running;  /* task number + 1, or 0 */
	_Atomic uint64_t started;               /* the job_seq of the last piece it began:
						   a job handed to it that it never began
						   goes to another worker when it dies
						   (fork_death.c) */
	_Atomic uint64_t in_place;              /* the last task (number + 1) it ran writing
						   its result straight into the caller's
						   shared array: when this equals running at
						   its death, the slot may hold a pointer
						   into the dead worker's heap (fork_death.c) */
	_Atomic uint64_t tasks;
	_Atomic uint64_t busy_ns;
	_Atomic int32_t pid;
	_Atomic int32_t tid;
	/* Placement, written by the worker (par/pin.h). */
	_Atomic int32_t pinned;                 /* -1 not asked, 0 failed, 1 bound */
	_Atomic int32_t bind_errno;             /* pinned 0: why (a positive errno) */
	char bound[96];                         /* written before the worker's first task */
	_Atomic uint64_t cpus_seen[PIN_CPU_WORDS];
	/* The job_seq of the prefetched job the worker has not started, or
	 * 0: whoever swaps it to 0 first (the worker to start it, the parent
	 * to take it back) owns the job (fork_prefetch.c). */
	alignas(CACHE_LINE) _Atomic uint64_t claim;
};

struct board {
	alignas(CACHE_LINE) _Atomic int32_t spinner;   /* number + 1 of the idle worker
							  spinning, or 0 */
	alignas(CACHE_LINE) _Atomic uint64_t news;     /* result messages sent and prefetched
							  jobs claimed, by all workers: what a
							  spinning parent watches (fork_poll.c) */
	/* Bit i % BOARD_READY_BITS: worker i sent results or claimed a job
	 * since the parent last looked (board_note_ready). */
	alignas(CACHE_LINE) _Atomic uint64_t ready[BOARD_READY_WORDS];
	struct board_slot slot[];
};

/* What worker `id` does after it sent results or claimed a job: its ready
 * bit, then news (fork_dispatch_pump reads them in the other order). */
static inline void board_note_ready(struct board *b, unsigned id)
{
	unsigned bit = id % BOARD_READY_BITS;

	atomic_fetch_or_explicit(&b->ready[bit / 64], (uint64_t)1 << (bit % 64),
				 memory_order_release);
	atomic_fetch_add_explicit(&b->news, 1, memory_order_release);
}

/* Gives up the spinner token if worker `me` still holds it. */
static inline void board_drop_token(struct board *b, int32_t me)
{
	atomic_compare_exchange_strong(&b->spinner, &me, 0);
}

/* ---- what a worker gets ------------------------------------------------ */

/* Everything a worker process needs, and nothing of the parent's state:
 * copied into the child by the fork, or rebuilt from its start-up bytes in
 * a fresh image (fork_image.c). */
struct fork_child {
	unsigned id;                  /* the worker's number, from 0 */
	pid_t parent_pid;             /* the pool's process */
	enum channel_kind kind;
	uint64_t spin_ns;
	struct board *board;          /* MAP_SHARED */
	const struct pin_plan *pin;   /* forked: NULL: not pinned */
	void (*initializer)(void *arg);
	void *initarg;
	/* A fresh image: tasks come as registry ids, and the place as text. */
	bool by_name;
	int pin_mode;                 /* by_name: -1 none, 0 cannot bind (pin_errno), 1 bind */
	int pin_errno;
	const char *pin_cpus;         /* pin_mode 1: OS CPUs as list text */
};

/* ---- the parent's state ------------------------------------------------ */

enum wstate { W_EMPTY, W_IDLE, W_BUSY };

struct wslot {
	unsigned id;
	enum wstate state;
	pid_t pid;
	int pidfd;
	struct channel *ch;
	struct job *job;              /* W_BUSY: the job it runs */
	uint64_t job_seq;
	bool claimed;                 /* job is RUNNING; false: prefetched, maybe not started */
	struct job *next;             /* prefetched behind job (QUEUED), or NULL */
	uint64_t next_seq;
	size_t sent, done;            /* records posted, records with an outcome */
	uint64_t deadline_at;         /* 0: none */
	bool killed;                  /* SIGKILLed for its deadline */
	bool malformed;               /* SIGKILLed for a message that made no sense */
	bool served;                  /* forked by the fork server: its child, not ours */
	uint64_t lifetime;            /* records this process has finished */
	int idle_prev, idle_next;     /* W_IDLE: its neighbours in fpool.idle (slot numbers), -1: none */
	uint64_t taken_tasks, taken_busy;
};

/* A retired worker (maxtasksperchild) still on its way out. */
struct exiting {
	pid_t pid;
	int pidfd;
	bool served;                  /* the fork server's child, not ours */
};

struct fpool {
	struct pool *p;
	unsigned n;
	struct fork_child child;      /* the template each worker gets (id set per worker) */

	pthread_mutex_t mu;
	pthread_cond_t cv;            /* a report, or the poller leaving */
	struct wslot *w;
	struct job *qhead, *qtail;    /* queued jobs */
	uint64_t next_seq;
	unsigned n_prefetched;        /* slots with a next job */
	unsigned prefetch_at;         /* where fork_prefetch_jobs looks first (mod n) */
	unsigned pus;                 /* PUs this process may use, at the start */

	struct board *board;
	size_t board_bytes;
	int board_fd;                 /* the memfd behind it (fresh images map it) */

	enum pool_start start;
	uint64_t shared_gen;          /* shared memory up to this generation is the
					 workers' too (shared_mem.h); 0: none */
	struct shared_mem_cache shared_seen;   /* look-ups of it, under mu */
	struct forkserver *fs;        /* fork: for replacements; forkserver: every worker */
	unsigned char *tmpl;          /* fresh images: the start-up bytes all share */
	size_t tmpl_len;
	task_fn sent_fn;              /* fresh images: the last task sent, and its id */
	uint64_t sent_id;

	int wake_efd;                 /* submit and wake rouse a sleeping poller */
	int death_epfd;               /* an epoll set of every worker's pidfd (fork_death.c) */
	int chan_efd;                 /* shm: every worker wakes the sleeping poller by it
					 (channel_share_wake); -1: pipes */
	unsigned unwatched;           /* pidfds it could not take: look at all of them */
	bool poller;                  /* a thread is making progress */
	pthread_t poller_thread;
	bool poller_sleeping;
	bool stopping, stopped;

	uint64_t done_seq, seen_seq;  /* reports, for flagless progress */
	uint64_t next_death_check;
	uint64_t spawn_retry_at;
	uint64_t pump_news;           /* board->news when the last pump began */
	uint64_t pump_at;             /* when it began */
	uint64_t full_pump_at;        /* when the last pump of every slot began */
	bool dispatch_left;           /* a dispatch left a send waiting for room */
	bool pump_busy;               /* it left work only a pump notices (a send
					 waiting for room, pieces to feed, a
					 deadline, a message half read...) */
	char spawn_err[200];

	struct worker_stats *retired; /* workers gone since the last take_stats */
	unsigned n_retired, cap_retired;
	struct exiting *exiting;
	unsigned n_exiting, cap_exiting;

	struct pollfd *pfd;           /* the poller's poll set */
	unsigned cap_pfd;
	unsigned *pfd_first, *pfd_count; /* [n]: each channel's part of it */
	int idle_first, idle_last;    /* the W_IDLE slots, the one idle most recently first
					 (fork_dispatch.c); -1: none */
};

static inline struct fpool *fpool_of(struct pool *p)
{
	return pool_base(p)->backend;
}

/* ---- fork_child.c ------------------------------------------------------ */

/* The life of worker c->id, whose channel descriptors are fds: receive a
 * piece, run it, send the outcomes, until the parent closes the channel.
 * Call right after proc_child_init (par/proc.h). Never returns. */
__attribute__((noreturn)) void fork_child_main(const struct fork_child *c, int *fds,
					       unsigned nfds);

/* ---- fork_image.c ------------------------------------------------------ */

/* What one worker of a fresh image gets besides the shared bytes. */
struct fork_image_slot {
	uint32_t id;
	int32_t pin_mode;             /* as fork_child.pin_mode */
	int32_t pin_errno;
	char cpus[220];
};

/* Builds fp->tmpl (the start-up bytes every fresh worker shares: the
 * registry digest, the channel kind, the initializer's id and argument
 * bytes). Returns 0, or a negative errno with err set (an unregistered
 * initializer, a registry conflict). */
int fork_image_template(struct fpool *fp, char *err, size_t errlen);

/* Fills what worker id gets besides the template (its place as text). */
void fork_image_slot(const struct fpool *fp, unsigned id, struct fork_image_slot *out);

/* ---- fork_server.c ----------------------------------------------------- */

/* What fp_start does first, by start method: the scoreboard (a memfd), and
 * the fork server (fork: forked, for replacements once the parent has
 * threads; forkserver: spawned, for every worker), with the checks that
 * come with them (fork refuses a parent with threads). Returns 0, or a
 * negative errno with err set, having undone what it did. */
int fork_server_start(struct fpool *fp, char *err, size_t errlen);

/* Stops the fork server, if any: after every worker it forked is reaped. */
void fork_server_stop(struct fpool *fp);

/* Starts a worker in the empty slot s. Returns 0, or a negative errno with
 * err naming the call that failed. */
int fork_server_spawn(struct fpool *fp, struct wslot *s, char *err, size_t errlen);

/* Reaps a worker that has ended (its pidfd readable) or is about to:
 * waitid on the pidfd for our own child, forkserver_wait for the server's.
 * Returns its wait status, or -1 if it could not be had. */
int fork_server_reap(struct fpool *fp, pid_t pid, int pidfd, bool served);

/* ---- fork_results.c ---------------------------------------------------- */

/* Records the outcomes in one results message of s. Returns false (and
 * kills the worker) if the message makes no sense. */
bool fork_dispatch_results(struct fpool *fp, struct wslot *s, const void *m, size_t len,
			   struct job **fin);

/* ---- fork_dispatch.c --------------------------------------------------- */

/* Whether j goes to a worker in one message: PIECE_BYTES of arguments at
 * most, or arguments the workers read in place (par/shared_mem.h). */
bool fork_dispatch_one_piece(struct fpool *fp, const struct job *j);

/* Posts records [first, first + cnt) of j to s's worker as job seq, with
 * the wire_run flags. Returns 0, or a negative errno (the worker is dead:
 * the pump will see to it). */
int fork_dispatch_post(struct fpool *fp, struct wslot *s, struct job *j, uint64_t seq,
		       size_t first, size_t cnt, uint32_t flags);

/* Puts slot s in state st, keeping the list of idle slots: a slot that
 * becomes idle goes first (a job just ended: its worker is the likeliest to
 * be spinning still), or last when `fresh` (a new worker). */
void fork_slot_state(struct fpool *fp, struct wslot *s, enum wstate st, bool fresh);

/* Hands queued jobs to idle workers (taking prefetched ones back for them
 * when the queue is empty), then prefetches. Returns true if any moved. */
bool fork_dispatch_jobs(struct fpool *fp, uint64_t now);

/* One non-blocking round of everything. Returns true if anything moved. */
bool fork_dispatch_pump(struct fpool *fp, struct job **fin);

/* Whether a pump now could find anything the last one did not: news on the
 * board, work it left (pump_busy), a death check due, or QUIET_PUMP_NS
 * since it (fork_poll.c's DESIGN). */
bool fork_dispatch_pump_due(struct fpool *fp, uint64_t now);

/* Reports finished jobs, dropping mu meanwhile (callbacks may submit). */
void fork_dispatch_deliver(struct fpool *fp, struct job *fin);

/* ops->submit and ops->cancel. */
void fork_dispatch_submit(struct pool *p, struct job *jobs, size_t n);
bool fork_dispatch_cancel(struct pool *p, struct job *j);

/* Puts j on the list of finished jobs. */
void fork_dispatch_push_done(struct job **fin, struct job *j);

/* Puts j (QUEUED) at the head of the queue. */
void fork_dispatch_push_front(struct fpool *fp, struct job *j);

/* ---- fork_prefetch.c --------------------------------------------------- */

/* Posts queued jobs to busy workers as their next job, while the queue's
 * head may be prefetched. Returns true if any was posted. */
bool fork_prefetch_jobs(struct fpool *fp);

/* s's job is done: its prefetched job, if any, becomes its job (not yet
 * known to be RUNNING). */
void fork_prefetch_promote(struct fpool *fp, struct wslot *s);

/* Marks s's job RUNNING once the worker has started it (it won the claim,
 * or its results came). */
void fork_prefetch_note_claim(struct fpool *fp, struct wslot *s);

/* Takes j back from s if the worker has not started it and its message is
 * all sent: j is then s's next job no more (or s is idle again) and still
 * QUEUED. Returns false if not (noting j RUNNING if the worker won). */
bool fork_prefetch_take_back(struct fpool *fp, struct wslot *s, struct job *j);

/* Takes a prefetched job back from any worker, for an idle one. Returns it
 * (QUEUED), or NULL. */
struct job *fork_prefetch_steal(struct fpool *fp);

/* The worker in s is dead or dying: its jobs it never started go back to
 * the head of the queue (err 0) or are CANCELLED onto fin (err: the pool is
 * terminated). */
void fork_prefetch_return(struct fpool *fp, struct wslot *s, int err, struct job **fin);

/* ---- fork_poll.c ------------------------------------------------------- */

/* Puts every worker's pidfd (-1 for an empty slot, which poll skips) and
 * then every exiting worker's into pfd, growing fp->pfd first when pfd is
 * NULL (then pfd is fp->pfd). Returns the number of entries written; *live,
 * if not NULL, is how many are real descriptors. */
unsigned fork_poll_pidfds(struct fpool *fp, struct pollfd *pfd, unsigned *live);

/* Makes sure fp->pfd has room for need entries. */
void fork_poll_reserve(struct fpool *fp, unsigned need);

/* ops->progress and ops->wake. */
int fork_poll_progress(struct pool *p, int64_t timeout_ns, const _Atomic int *flag);
void fork_poll_wake(struct pool *p);

/* Rouses a poller asleep in ppoll. */
void fork_poll_rouse(struct fpool *fp);

/* pthread_cond_timedwait on fp->cv until until_ns (CLOCK_MONOTONIC). */
void fork_poll_cond_wait_until(struct fpool *fp, uint64_t until_ns);

/* ---- fork_death.c ------------------------------------------------------ */

/* The worker in s is dead or dying: reads its last results, reaps it, fails
 * its job (why_err 0: with -ECHILD or -ETIMEDOUT and a message saying how it
 * died; else with why_err, the pool being terminated), frees the slot. */
void fork_death_bury(struct fpool *fp, struct wslot *s, int why_err, struct job **fin);

/* maxtasksperchild: lets the idle worker in s go (it exits at end of input). */
void fork_death_retire(struct fpool *fp, struct wslot *s);

/* Looks at every pidfd without waiting; buries the dead. Returns true if
 * any was. */
bool fork_death_check(struct fpool *fp, struct job **fin);

/* Adds a new worker's pidfd to fp->death_epfd; takes it out before it is
 * closed. */
void fork_death_watch(struct fpool *fp, int pidfd);
void fork_death_unwatch(struct fpool *fp, int pidfd);

/* Waits up to grace_ns for every live and exiting worker to end, then
 * SIGKILLs the rest. */
void fork_death_await(struct fpool *fp, uint64_t grace_ns);

/* Buries every worker (failing unfinished jobs with err) and reaps the
 * exiting ones. */
void fork_death_bury_all(struct fpool *fp, int err, struct job **fin);

#endif
