/* fork_pool.c: the process backend (fork_pool_ops): N persistent worker
 * processes fed through channels, replaced when they die, time out or have
 * run maxtasksperchild tasks.
 *
 * DESIGN
 * Forking. A process with several threads must not fork() (the child gets a
 * copy of every lock some other thread was holding, and no thread to release
 * it), yet a pool must start replacement workers long after the program may
 * have started threads. So pool_new, which must be called while the process
 * has one thread (it checks, and refuses otherwise), forks one extra
 * process: the fork server, a single-threaded copy of the parent as it was
 * then (CPython's forkserver design). A worker is forked by the parent
 * itself, with glibc's fork(), whenever the parent still has one thread (the
 * first N always; replacements in tvp run, whose loop never starts threads
 * beside a fork pool). Only when the parent has started threads since
 * pool_new does a replacement come from the server: the parent sends it the
 * new worker's channel descriptors over a UNIX socket (SCM_RIGHTS), the
 * server clones itself and answers with a pidfd of the child. The server
 * clones with CLONE_PARENT, so each worker is the parent's own child either
 * way: the parent reaps it and reads its exact exit status with
 * waitid(P_PIDFD), and PR_SET_PDEATHSIG ties it to the parent. The price of
 * the server's raw clone() is that glibc's fork bookkeeping does not run in
 * that child: its cached thread id is the server's and its robust-mutex list
 * is not registered with the kernel, so a robust or priority-inheritance
 * mutex held by such a worker is not recovered when it dies (a robust mutex
 * locked by a worker that then died hung the next locker, which is why the
 * parent forks directly whenever it can). Workers inherit memory as it was
 * when they were forked, at pool_new or later, which is what task.h
 * promises (a task_fn and any argument pointing into memory made before the
 * pool started are valid in them).
 *
 * One parent thread does everything. The parent has no helper thread: all
 * progress (posting jobs, reading results, noticing deaths, killing tasks
 * past their deadline, starting replacements) happens in ops->progress,
 * called by whichever caller thread waits, and in submit. One waiter at a
 * time is the "poller"; the others sleep on a condition variable until it
 * reports something. The parent's channel ends never block, so one thread
 * can stream a large job to one worker while another worker streams a large
 * result back.
 *
 * A job goes to one idle worker (the one spinning, else the one idle most
 * recently) in pieces of about 64 KiB of argument records, so the
 * worker starts on the first piece while the rest stream in; results come
 * back a message per piece (or per 64 KiB of results). A worker runs one job
 * at a time; a job is RUNNING (no longer cancellable) from the moment it is
 * handed to its worker, and its deadline counts from then.
 *
 * Deaths are seen without polling in a sleep loop: each worker's pidfd is in
 * the parent's poll set, a pipe channel reaches end of file, and while the
 * parent spins it looks at the pidfds at most every 0.2 ms. The parent first
 * reads whatever results the worker sent before it died, then reaps it, then
 * fails the job's unfinished records with -ECHILD and a message naming the
 * worker, its pid, the signal or exit status and the task it was running
 * (a shared scoreboard says which), then starts a replacement. Records of the
 * piece being run that had finished but not yet been sent are reported
 * failed with the rest. A task past its deadline: SIGKILL, the same path,
 * -ETIMEDOUT.
 *
 * Workers are numbered from 0 in every message. Only one idle worker spins
 * at a time (a token in the scoreboard), as in the thread pool: on a machine
 * with two cores, spinning workers would take the cores from the ones with
 * work and from the parent. The worker that finished last takes the token
 * over, and the parent gives the next job to the token's holder. Every spin
 * calls sched_yield between looks: a fork pool is often more processes than
 * cores, and a spinner that does not yield delays the very process it waits
 * for (a one-task round trip took 15 us instead of 2 us when the parent and
 * the worker shared a core); with nothing else runnable it returns at once.
 */
#include "par/pool_backend.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/sched.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "par/channel.h"
#include "par/pin.h"
#include "par/sys.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

#define CACHE_LINE 64
#define PIECE_BYTES (64u << 10)           /* argument bytes per job message */
#define RESULT_FLUSH_BYTES (64u << 10)    /* result bytes per result message */
#define DEATH_CHECK_NS 200000u            /* how often a busy parent looks at pidfds */
#define MAX_RETIRED 4096u                 /* stats kept for workers gone */
#define SPAWN_RETRY_NS 10000000u          /* after a failed fork */
#define TERM_GRACE_NS 200000000u          /* terminate: SIGTERM, then SIGKILL */
#define JOIN_GRACE_NS 5000000000ull       /* join: end of input, then SIGKILL */

/* ---- wire format ------------------------------------------------------- */

enum { MSG_RUN = 1, MSG_RESULTS = 2 };

/* Parent -> worker: a piece of a job; count * arg_size argument bytes
 * follow. */
struct wire_run {
	uint32_t kind, pad;
	uint64_t job_seq;
	uint64_t fn;            /* the task_fn's address: the same in the worker */
	uint64_t arg_size;
	uint64_t first;         /* the piece's first record, within the job */
	uint64_t count;
	uint64_t first_task;    /* pool-wide number of the piece's first record */
	uint64_t job_n;         /* records in the whole job */
};

/* Worker -> parent: outcomes of records [first, first + count); count
 * (struct wire_record, result bytes) pairs follow. */
struct wire_results {
	uint32_t kind, pad;
	uint64_t job_seq;
	uint64_t first;
	uint64_t count;
};

struct wire_record {
	int32_t status;
	uint32_t len;
};

/* ---- the scoreboard: shared by the parent, the server and workers ------ */

struct board_slot {
	alignas(CACHE_LINE) _Atomic uint64_t running;  /* task number + 1, or 0 */
	_Atomic uint64_t tasks;
	_Atomic uint64_t busy_ns;
	_Atomic int32_t pid;
	_Atomic int32_t tid;
	/* Placement, written by the worker (par/pin.h). */
	_Atomic int32_t pinned;                 /* -1 not asked, 0 failed, 1 bound */
	char bound[96];                         /* written before the worker's first task */
	_Atomic uint64_t cpus_seen[PIN_CPU_WORDS];
};

struct board {
	alignas(CACHE_LINE) _Atomic int32_t spinner;   /* pid of the idle worker spinning, or 0 */
	struct board_slot slot[];
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
	size_t sent, done;            /* records posted, records with an outcome */
	uint64_t deadline_at;         /* 0: none */
	bool killed;                  /* SIGKILLed for its deadline */
	uint64_t lifetime;            /* records this process has finished */
	uint64_t idle_since;
	uint64_t taken_tasks, taken_busy;
};

/* A retired worker (maxtasksperchild) still on its way out. */
struct exiting {
	pid_t pid;
	int pidfd;
};

struct fpool {
	struct pool *p;
	unsigned n;
	enum channel_kind kind;
	uint64_t spin_ns;
	pid_t parent_pid;

	pthread_mutex_t mu;
	pthread_cond_t cv;            /* a report, or the poller leaving */
	struct wslot *w;
	struct job *qhead, *qtail;    /* queued jobs */
	uint64_t next_seq;

	struct board *board;
	size_t board_bytes;

	pid_t server_pid;
	int server_pidfd;
	int server_sock;

	int wake_efd;                 /* submit and wake rouse a sleeping poller */
	bool poller;                  /* a thread is making progress */
	pthread_t poller_thread;
	bool poller_sleeping;
	bool stopping, stopped;

	uint64_t done_seq, seen_seq;  /* reports, for flagless progress */
	uint64_t next_death_check;
	uint64_t spawn_retry_at;
	char spawn_err[200];

	struct worker_stats *retired; /* workers gone since the last take_stats */
	unsigned n_retired, cap_retired;
	struct exiting *exiting;
	unsigned n_exiting, cap_exiting;

	struct pollfd *pfd;           /* the poller's poll set */
	unsigned cap_pfd;
	unsigned *pfd_first, *pfd_count; /* [n]: each channel's part of it */
};

static struct fpool *fpool_of(struct pool *p)
{
	return pool_base(p)->backend;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int pidfd_send(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

/* Reaps the exited (or exiting) child behind pidfd. Returns its wait
 * status, or -1 if it could not be had (someone else reaped it). */
static int reap(int pidfd)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0)
		if (errno != EINTR)
			return -1;
	if (si.si_code == CLD_EXITED)
		return W_EXITCODE(si.si_status, 0);
	return si.si_status & 0x7f;     /* killed or dumped: the signal */
}

/* How many threads a process may have when it forks its fork server: one,
 * its own. ThreadSanitizer runs a background thread of its own in every
 * process; its fork() interceptor stops it from holding anything across the
 * fork, so under TSan that thread is allowed too. */
#ifdef __SANITIZE_THREAD__
#define SAFE_THREADS 2
#else
#define SAFE_THREADS 1
#endif

static int count_threads(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* ---- the worker process ------------------------------------------------ */

/* Where a worker process starts, before its channel is opened. */
static void worker_enter(const struct fpool *fp, unsigned id)
{
	struct board_slot *bs = &fp->board->slot[id];
	struct worker_stats ws;

	/* The worker binds itself, after the fork (HWLOC_CPUBIND_PROCESS):
	 * the parent is never bound, so nothing it forks later inherits a
	 * mask. A failure is recorded; the run loop decides (--pin-strict). */
	memset(&ws, 0, sizeof ws);
	pin_bind_process(pool_base(fp->p)->opt.pin, id, &ws);
	memcpy(bs->bound, ws.bound, sizeof bs->bound);
	atomic_store(&bs->pinned, ws.pinned);
}

/* Gives up the spinner token if this worker still holds it. */
static void drop_token(struct board *b, int32_t me)
{
	atomic_compare_exchange_strong(&b->spinner, &me, 0);
}

/* Waits for the next job message. A worker expecting the rest of its job
 * spins first. An idle worker takes the spinner token (from whoever held
 * it: the worker that finished last is the one the parent will pick next)
 * and spins while it holds it; it sleeps once the window has passed or
 * another worker has taken the token. */
static int worker_recv(const struct fpool *fp, struct channel *ch, bool more_expected,
		       int32_t me, const void **m, size_t *len)
{
	struct board *b = fp->board;

	if (more_expected) {
		int rc = channel_recv(ch, (int64_t)fp->spin_ns, fp->spin_ns, m, len);

		if (rc != -ETIMEDOUT)
			return rc;
	} else if (fp->spin_ns) {
		uint64_t start = now_ns(), t = start;

		atomic_store(&b->spinner, me);
		while (!channel_may_have_input(ch) && t - start < fp->spin_ns &&
		       atomic_load_explicit(&b->spinner, memory_order_relaxed) == me) {
			for (int i = 0; i < 64; i++)
				cpu_relax();
			t = now_ns();
			/* The parent or a worker with a job may need this
			 * core: let them run first (see DESIGN). */
			sched_yield();
		}
		drop_token(b, me);
	}
	return channel_recv(ch, POOL_FOREVER, 0, m, len);
}

struct outbuf {
	unsigned char *b;
	size_t len, cap;
};

static void out_put(struct outbuf *o, const void *p, size_t n)
{
	if (o->cap - o->len < n) {
		o->cap = (o->cap + n) * 2;
		o->b = xrealloc(o->b, o->cap);
	}
	memcpy(o->b + o->len, p, n);
	o->len += n;
}

/* Sends the outcomes of records [first, first + count). */
static void send_results(struct channel *ch, uint64_t seq, uint64_t first, uint64_t count,
			 struct outbuf *o)
{
	struct wire_results h = { MSG_RESULTS, 0, seq, first, count };
	struct iovec iov[2] = { { &h, sizeof h }, { o->b, o->len } };

	if (channel_send(ch, iov, 2) != 0)
		_exit(0);               /* the parent has gone or let us go */
	o->len = 0;
}

/* Runs one piece of a job and sends its outcomes back. */
static void worker_run(struct board_slot *bs, struct channel *ch, const struct wire_run *h,
		       const unsigned char *args, struct outbuf *o)
{
	task_fn fn = (task_fn)(uintptr_t)h->fn;
	uint64_t sent_to = 0;
	uint64_t t0 = now_ns(), busy = 0;

	for (uint64_t i = 0; i < h->count; i++) {
		struct task_result r = TASK_RESULT_INIT;
		struct wire_record rec;
		int st;

		atomic_store_explicit(&bs->running, h->first_task + i + 1, memory_order_relaxed);
		st = fn(args + i * h->arg_size, h->arg_size, &r);
		if (r.len > UINT32_MAX)
			st = task_result_error(&r, -EMSGSIZE, "result of %zu bytes is too large",
					       r.len);
		rec.status = st;
		rec.len = (uint32_t)r.len;
		if (!r.heap && o->cap - o->len >= sizeof rec + TASK_RESULT_INLINE) {
			/* The common small result: no calls. */
			memcpy(o->b + o->len, &rec, sizeof rec);
			memcpy(o->b + o->len + sizeof rec, r.inl, TASK_RESULT_INLINE);
			o->len += sizeof rec + r.len;
		} else {
			out_put(o, &rec, sizeof rec);
			out_put(o, task_result_data(&r), r.len);
			task_result_release(&r);
		}
		if (o->len >= RESULT_FLUSH_BYTES && i + 1 < h->count) {
			uint64_t t = now_ns();

			busy += t - t0;
			atomic_store_explicit(&bs->tasks, atomic_load(&bs->tasks) + (i + 1 - sent_to),
					      memory_order_relaxed);
			send_results(ch, h->job_seq, h->first + sent_to, i + 1 - sent_to, o);
			sent_to = i + 1;
			t0 = now_ns();
		}
	}
	busy += now_ns() - t0;
	pin_cpu_bits_note(bs->cpus_seen);
	atomic_store_explicit(&bs->running, 0, memory_order_relaxed);
	atomic_store_explicit(&bs->tasks, atomic_load(&bs->tasks) + (h->count - sent_to),
			      memory_order_relaxed);
	atomic_store_explicit(&bs->busy_ns, atomic_load(&bs->busy_ns) + busy, memory_order_release);
	send_results(ch, h->job_seq, h->first + sent_to, h->count - sent_to, o);
}

/* The life of a worker: receive a piece, run it, send the outcomes, until
 * the parent closes the channel. Never returns. */
static __attribute__((noreturn)) void worker_main(const struct fpool *fp, unsigned id,
						  int *fds, unsigned nfds)
{
	struct board_slot *bs = &fp->board->slot[id];
	struct outbuf o = { NULL, 0, 0 };
	unsigned char *abuf = NULL;
	size_t abuf_cap = 0;
	struct channel *ch;
	bool more_expected = false;
	int32_t me;

	sys_child_after_fork();
	signal(SIGPIPE, SIG_IGN);
	/* The parent may have died before PDEATHSIG was armed. */
	if (getppid() != fp->parent_pid)
		_exit(0);
	worker_enter(fp, id);
	if (channel_open_worker(&ch, fp->kind, fds, nfds) < 0)
		_exit(71);
	me = (int32_t)getpid();
	atomic_store(&bs->tid, (int32_t)syscall(SYS_gettid));
	atomic_store(&bs->pid, me);
	if (pool_base(fp->p)->opt.initializer)
		pool_base(fp->p)->opt.initializer(pool_base(fp->p)->opt.initarg);
	for (;;) {
		const void *m;
		size_t len;
		struct wire_run h;
		const unsigned char *args;
		size_t bytes;

		if (worker_recv(fp, ch, more_expected, me, &m, &len) != 1)
			_exit(0);
		if (len < sizeof h)
			_exit(72);
		memcpy(&h, m, sizeof h);
		if (h.kind != MSG_RUN || (h.arg_size && h.count > SIZE_MAX / h.arg_size))
			_exit(72);
		bytes = (size_t)(h.count * h.arg_size);
		if (len - sizeof h != bytes)
			_exit(72);
		/* Messages sit at 16-byte boundaries of the inbox (channel.c)
		 * and the header is 64 bytes, so the records are aligned as
		 * malloc would align them; copy only if that ever changes. */
		args = (const unsigned char *)m + sizeof h;
		if ((uintptr_t)args % alignof(max_align_t) != 0 && bytes) {
			if (abuf_cap < bytes) {
				abuf = xrealloc(abuf, bytes);
				abuf_cap = bytes;
			}
			memcpy(abuf, args, bytes);
			args = abuf;
		}
		worker_run(bs, ch, &h, args, &o);
		more_expected = h.first + h.count < h.job_n;
	}
}

/* ---- the fork server --------------------------------------------------- */

struct spawn_req {
	uint32_t slot;
	uint32_t nfds;
};

struct spawn_reply {
	int32_t err;            /* 0 or a negative errno */
	int32_t pid;
};

/* Sends data with up to CHANNEL_MAX_FDS descriptors attached. */
static int send_with_fds(int sock, const void *data, size_t len, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CHANNEL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)data, len };
	struct msghdr mh;
	ssize_t w;

	memset(&mh, 0, sizeof mh);
	memset(&u, 0, sizeof u);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds) {
		struct cmsghdr *c;

		mh.msg_control = u.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		w = sendmsg(sock, &mh, MSG_NOSIGNAL);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return -errno;
	return w == (ssize_t)len ? 0 : -EPROTO;
}

/* Receives data and descriptors; returns the byte count (0 at end of file)
 * or a negative errno. *nfds is how many descriptors came. */
static ssize_t recv_with_fds(int sock, void *data, size_t len, int *fds, unsigned *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * CHANNEL_MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { data, len };
	struct msghdr mh;
	ssize_t r;

	memset(&mh, 0, sizeof mh);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof u.buf;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	*nfds = 0;
	if (r < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			unsigned k = (unsigned)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (unsigned i = 0; i < k; i++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
				if (*nfds < CHANNEL_MAX_FDS)
					fds[(*nfds)++] = fd;
				else
					close(fd);
			}
		}
	}
	return r;
}

/* The fork server: one thread, one loop. For each request it clones a
 * worker (CLONE_PARENT: the pool's parent is the worker's parent) and
 * answers with the worker's pid and a pidfd for it. Never returns. */
static __attribute__((noreturn)) void server_main(const struct fpool *fp, int sock)
{
	sigset_t none;

	sys_child_after_fork();
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (getppid() != fp->parent_pid)
		_exit(0);
	/* Hold nothing but the socket (and stdio): a worker inherits what
	 * the server holds, and must not keep other workers' channels open. */
	if (sock > 3)
		close_range(3, (unsigned)sock - 1, 0);
	close_range((unsigned)sock + 1, ~0u, 0);
	for (;;) {
		struct spawn_req req;
		struct spawn_reply rep = { 0, 0 };
		int fds[CHANNEL_MAX_FDS];
		unsigned nfds;
		int pidfd = -1;
		ssize_t r = recv_with_fds(sock, &req, sizeof req, fds, &nfds);
		long pid;

		if (r <= 0)
			_exit(0);       /* the parent closed the socket: the pool is done */
		if ((size_t)r != sizeof req || req.slot >= fp->n || req.nfds != nfds) {
			rep.err = -EPROTO;
		} else {
			pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | CLONE_PIDFD | SIGCHLD),
				      NULL, &pidfd, NULL, 0);
			if (pid == 0) {
				close(sock);
				worker_main(fp, req.slot, fds, nfds);
			}
			if (pid < 0)
				rep.err = -errno;
			else
				rep.pid = (int32_t)pid;
		}
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		if (send_with_fds(sock, &rep, sizeof rep, &pidfd, pidfd >= 0 ? 1 : 0) < 0)
			_exit(0);
		if (pidfd >= 0)
			close(pidfd);
	}
}

/* ---- starting and stopping workers (parent, under mu) ------------------ */

static void board_reset(struct board_slot *bs)
{
	atomic_store(&bs->running, 0);
	atomic_store(&bs->tasks, 0);
	atomic_store(&bs->busy_ns, 0);
	atomic_store(&bs->pid, 0);
	atomic_store(&bs->tid, 0);
	atomic_store(&bs->pinned, -1);
	bs->bound[0] = '\0';
	for (int k = 0; k < PIN_CPU_WORDS; k++)
		atomic_store(&bs->cpus_seen[k], 0);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

/* Forks the worker for slot id from this (single-threaded) process with
 * glibc's fork(). The child keeps stdio and its channel descriptors and
 * closes everything else, as the server's children do. Returns 0 with
 * rep->pid and *pidfd set, or a negative errno. */
static int fork_direct(struct fpool *fp, unsigned id, int *fds, unsigned nfds,
		       struct spawn_reply *rep, int *pidfd)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	/* Signals stay blocked across the fork until the child has reset the
	 * handlers it inherited: a SIGTERM from terminate that reached a new
	 * worker first would otherwise run the parent's handler in it (a test
	 * runner's handler that kills its whole process group did exactly
	 * that). posix_spawn does the same. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	e = errno;
	if (pid == 0) {
		int keep[CHANNEL_MAX_FDS];
		unsigned lo = 3;
		sigset_t none;

		for (int sig = 1; sig < NSIG; sig++) {
			struct sigaction sa;
			if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
			    sa.sa_handler != SIG_IGN)
				signal(sig, SIG_DFL);
		}
		sys_child_after_fork();
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);

		memcpy(keep, fds, nfds * sizeof *keep);
		qsort(keep, nfds, sizeof *keep, cmp_int);
		for (unsigned i = 0; i < nfds; i++) {
			if ((unsigned)keep[i] > lo)
				close_range(lo, (unsigned)keep[i] - 1, 0);
			lo = (unsigned)keep[i] + 1;
		}
		close_range(lo, ~0u, 0);
		worker_main(fp, id, fds, nfds);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (pid < 0)
		return -e;
	*pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (*pidfd < 0) {
		e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -e;
	}
	rep->pid = (int32_t)pid;
	rep->err = 0;
	return 0;
}

/* Starts a worker in slot s: forked here while this process has one thread,
 * else by the fork server. Returns 0, or a negative errno with err set. */
static int spawn(struct fpool *fp, struct wslot *s, char *err, size_t errlen)
{
	struct spawn_req req = { s->id, 0 };
	struct spawn_reply rep;
	int fds[CHANNEL_MAX_FDS];
	unsigned nfds;
	struct channel *ch;
	bool direct;
	ssize_t r;
	int rc;

	rc = channel_new(&ch, fp->kind);
	if (rc < 0) {
		snprintf(err, errlen, "%s channel for worker %u: %s", channel_kind_name(fp->kind),
			 s->id, strerror(-rc));
		return rc;
	}
	board_reset(&fp->board->slot[s->id]);
	req.nfds = channel_worker_fds(ch, fds);
	direct = count_threads() <= SAFE_THREADS;
	if (direct)   /* one thread: fork here, with glibc's fork (see DESIGN) */
		rc = fork_direct(fp, s->id, fds, req.nfds, &rep, &fds[0]);
	else
		rc = send_with_fds(fp->server_sock, &req, sizeof req, fds, req.nfds);
	if (rc == 0 && !direct) {
		r = recv_with_fds(fp->server_sock, &rep, sizeof rep, fds, &nfds);
		if (r < 0)
			rc = (int)r;
		else if (r != sizeof rep || (rep.err == 0 && nfds != 1))
			rc = -EPIPE;
		else
			rc = rep.err;
	}
	if (rc == -EPIPE || rc == -ECONNRESET) {
		snprintf(err, errlen, "fork server (pid %d) is gone (worker %u of %u)",
			 (int)fp->server_pid, s->id, fp->n);
		goto out_free_channel;
	}
	if (rc < 0) {
		snprintf(err, errlen, "fork: %s (worker %u of %u)", strerror(-rc), s->id, fp->n);
		goto out_free_channel;
	}
	channel_parent_ready(ch);
	s->ch = ch;
	s->pid = rep.pid;
	s->pidfd = fds[0];
	s->state = W_IDLE;
	s->job = NULL;
	s->lifetime = 0;
	s->killed = false;
	s->idle_since = 0;
	s->taken_tasks = s->taken_busy = 0;
	return 0;

out_free_channel:
	channel_free(ch);
	return rc;
}

/* Records what the process in slot s did since the last take_stats. Past
 * MAX_RETIRED entries (maxtasksperchild 1 over a million tasks, never
 * taken) the rest are added into the last entry, so memory stays bounded. */
static void retire_stats(struct fpool *fp, struct wslot *s)
{
	struct board_slot *bs = &fp->board->slot[s->id];
	uint64_t tasks = atomic_load(&bs->tasks) - s->taken_tasks;
	uint64_t busy = atomic_load(&bs->busy_ns) - s->taken_busy;
	struct worker_stats *ws;

	if (fp->n_retired == MAX_RETIRED) {
		fp->retired[MAX_RETIRED - 1].tasks += tasks;
		fp->retired[MAX_RETIRED - 1].busy_ns += busy;
		return;
	}
	if (fp->n_retired == fp->cap_retired) {
		fp->cap_retired = fp->cap_retired ? 2 * fp->cap_retired : 8;
		fp->retired = xrealloc(fp->retired, fp->cap_retired * sizeof *fp->retired);
	}
	ws = &fp->retired[fp->n_retired++];
	memset(ws, 0, sizeof *ws);
	ws->pid = s->pid;
	ws->tid = atomic_load(&bs->tid) ? atomic_load(&bs->tid) : s->pid;
	ws->tasks = tasks;
	ws->busy_ns = busy;
	ws->pinned = atomic_load(&bs->pinned);
	memcpy(ws->bound, bs->bound, sizeof ws->bound);
	pin_cpu_bits_take(bs->cpus_seen, ws->ran_on, sizeof ws->ran_on);
}

static void push_done(struct job **fin, struct job *j)
{
	j->next = *fin;
	*fin = j;
}

/* Fails the records of s's job that have no outcome, and finishes it. */
static void fail_job(struct fpool *fp, struct wslot *s, int err, const char *msg,
		     struct job **fin)
{
	struct job *j = s->job;

	for (size_t k = s->done; k < j->n; k++) {
		j->status[k] = err;
		task_result_error(&j->results[k], err, "%s", msg);
	}
	atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
	push_done(fin, j);
	s->job = NULL;
}

/* What the job of a dead worker fails with. */
static void death_message(struct fpool *fp, struct wslot *s, int status, char *msg, size_t len)
{
	uint64_t running = atomic_load(&fp->board->slot[s->id].running);
	uint64_t task = running ? running - 1 : s->job->first_task + s->done;

	if (s->killed) {
		char d[32];

		format_duration(d, sizeof d, (double)s->job->deadline_ns);
		snprintf(msg, len, "task %" PRIu64 " ran past its deadline of %s: worker %u (pid %d) "
			 "was killed and replaced", task, d, s->id, (int)s->pid);
	} else if (status < 0) {
		snprintf(msg, len, "worker %u (pid %d) ended (status unknown) while running task %"
			 PRIu64, s->id, (int)s->pid, task);
	} else if (WIFEXITED(status)) {
		snprintf(msg, len, "worker %u (pid %d) exited with status %d while running task %"
			 PRIu64, s->id, (int)s->pid, WEXITSTATUS(status), task);
	} else {
		int sig = WTERMSIG(status);
		const char *d = sigdescr_np(sig);

		snprintf(msg, len, "worker %u (pid %d) killed by signal %d (%s) while running task %"
			 PRIu64, s->id, (int)s->pid, sig, d ? d : "unknown signal", task);
	}
}

static bool handle_results(struct fpool *fp, struct wslot *s, const void *m, size_t len,
			   struct job **fin);

/* Reads what a worker sent before the end. */
static void drain(struct fpool *fp, struct wslot *s, struct job **fin)
{
	const void *m;
	size_t len;

	while (s->ch && channel_try_recv(s->ch, &m, &len) == 1)
		if (!handle_results(fp, s, m, len, fin))
			break;
}

/* The worker in s is dead or dying (its pidfd is readable, its channel
 * ended, or we killed it): read its last results, reap it, fail its job,
 * free the slot. why_err: 0 for a death, else the status to fail the job
 * with (terminate). */
static void bury(struct fpool *fp, struct wslot *s, int why_err, struct job **fin)
{
	int status;

	drain(fp, s, fin);
	status = reap(s->pidfd);
	retire_stats(fp, s);
	drop_token(fp->board, s->pid);
	if (s->job) {
		char msg[300];

		if (why_err) {
			uint64_t running = atomic_load(&fp->board->slot[s->id].running);

			snprintf(msg, sizeof msg, "the pool was terminated while worker %u (pid %d) "
				 "was running task %" PRIu64, s->id, (int)s->pid,
				 running ? running - 1 : s->job->first_task + s->done);
			fail_job(fp, s, why_err, msg, fin);
		} else {
			death_message(fp, s, status, msg, sizeof msg);
			fail_job(fp, s, s->killed ? -ETIMEDOUT : -ECHILD, msg, fin);
		}
	}
	channel_free(s->ch);
	s->ch = NULL;
	close_fd(&s->pidfd);
	s->state = W_EMPTY;
	s->pid = 0;
}

/* maxtasksperchild: lets the (idle) worker in s go; it exits when it sees
 * its channel close. */
static void retire(struct fpool *fp, struct wslot *s)
{
	retire_stats(fp, s);
	channel_free(s->ch);
	s->ch = NULL;
	if (fp->n_exiting == fp->cap_exiting) {
		fp->cap_exiting = fp->cap_exiting ? 2 * fp->cap_exiting : 8;
		fp->exiting = xrealloc(fp->exiting, fp->cap_exiting * sizeof *fp->exiting);
	}
	fp->exiting[fp->n_exiting].pid = s->pid;
	fp->exiting[fp->n_exiting].pidfd = s->pidfd;
	fp->n_exiting++;
	s->pidfd = -1;
	s->pid = 0;
	s->state = W_EMPTY;
}

/* ---- the parent's work (under mu) -------------------------------------- */

/* Records the outcomes in one results message. Returns false (and kills
 * the worker) if the message makes no sense. */
static bool handle_results(struct fpool *fp, struct wslot *s, const void *m, size_t len,
			   struct job **fin)
{
	const unsigned char *b = m, *end = b + len;
	struct wire_results h;
	struct job *j = s->job;

	if (len < sizeof h)
		goto bad;
	memcpy(&h, b, sizeof h);
	b += sizeof h;
	if (h.kind != MSG_RESULTS || !j || h.job_seq != s->job_seq || h.first != s->done ||
	    h.count > j->n - s->done)
		goto bad;
	for (uint64_t i = 0; i < h.count; i++) {
		struct wire_record rec;
		size_t k = (size_t)(h.first + i);

		if ((size_t)(end - b) < sizeof rec)
			goto bad;
		memcpy(&rec, b, sizeof rec);
		b += sizeof rec;
		if ((size_t)(end - b) < rec.len)
			goto bad;
		j->status[k] = rec.status;
		if (rec.len <= TASK_RESULT_INLINE && !j->results[k].heap) {
			/* The common small result: no calls. */
			memcpy(j->results[k].inl, b, rec.len);
			j->results[k].len = rec.len;
		} else {
			task_result_set(&j->results[k], b, rec.len);
		}
		b += rec.len;
	}
	s->done += (size_t)h.count;
	if (s->done < j->n)
		return true;
	atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
	push_done(fin, j);
	s->job = NULL;
	s->state = W_IDLE;
	s->idle_since = now_ns();
	s->lifetime += j->n;
	s->deadline_at = 0;
	return true;
bad:
	fprintf(stderr, "tvp: fork pool: worker %u (pid %d) sent a malformed message; killing it\n",
		s->id, (int)s->pid);
	pidfd_send(s->pidfd, SIGKILL);
	fp->next_death_check = 0;
	return false;
}

/* Posts pieces of s's job while the channel takes them. */
static void feed(struct fpool *fp, struct wslot *s)
{
	struct job *j = s->job;

	while (j && !channel_send_pending(s->ch) && s->sent < j->n) {
		size_t per = j->arg_size ? PIECE_BYTES / j->arg_size : j->n;
		size_t cnt = j->n - s->sent;
		struct wire_run h;

		if (per == 0)
			per = 1;
		if (cnt > per)
			cnt = per;
		memset(&h, 0, sizeof h);
		h.kind = MSG_RUN;
		h.job_seq = s->job_seq;
		h.fn = (uint64_t)(uintptr_t)j->fn;
		h.arg_size = j->arg_size;
		h.first = s->sent;
		h.count = cnt;
		h.first_task = j->first_task + s->sent;
		h.job_n = j->n;
		if (channel_post(s->ch, &h, sizeof h, j->args + s->sent * j->arg_size,
				 cnt * j->arg_size) < 0) {
			fp->next_death_check = 0;   /* it is dead: see to it soon */
			return;
		}
		s->sent += cnt;
	}
}

/* Hands queued jobs to idle workers, the most recently idle first. */
static bool dispatch(struct fpool *fp, uint64_t now)
{
	bool any = false;

	while (fp->qhead) {
		int32_t spinner = atomic_load_explicit(&fp->board->spinner, memory_order_relaxed);
		struct wslot *best = NULL;
		struct job *j;
		int expect = JOB_QUEUED;

		/* The spinning worker if it is idle (it sees the job in well
		 * under a microsecond), else the one idle most recently. */
		for (unsigned i = 0; i < fp->n; i++) {
			struct wslot *s = &fp->w[i];

			if (s->state != W_IDLE)
				continue;
			if (spinner && s->pid == spinner) {
				best = s;
				break;
			}
			if (!best || s->idle_since > best->idle_since)
				best = s;
		}
		if (!best)
			break;
		j = fp->qhead;
		fp->qhead = j->next;
		if (!fp->qhead)
			fp->qtail = NULL;
		/* Jobs in the queue are QUEUED (cancel takes them out under
		 * mu); the CAS is the contract's transition. */
		if (!atomic_compare_exchange_strong(&j->state, &expect, JOB_RUNNING))
			continue;
		best->state = W_BUSY;
		best->job = j;
		best->job_seq = ++fp->next_seq;
		best->sent = best->done = 0;
		best->killed = false;
		best->deadline_at = j->deadline_ns ? now + j->deadline_ns : 0;
		feed(fp, best);
		any = true;
	}
	return any;
}

/* Fails every queued job: no worker exists and none can be started. */
static void fail_queue(struct fpool *fp, struct job **fin)
{
	while (fp->qhead) {
		struct job *j = fp->qhead;
		int expect = JOB_QUEUED;

		fp->qhead = j->next;
		if (!atomic_compare_exchange_strong(&j->state, &expect, JOB_RUNNING))
			continue;
		for (size_t k = 0; k < j->n; k++) {
			j->status[k] = -EAGAIN;
			task_result_error(&j->results[k], -EAGAIN, "no worker could be started: %s",
					  fp->spawn_err);
		}
		atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
		push_done(fin, j);
	}
	fp->qtail = NULL;
}

/* Looks at every pidfd without waiting; buries the dead. */
static bool check_deaths(struct fpool *fp, struct job **fin)
{
	unsigned n = 0, k = 0;
	bool any = false;

	if (fp->cap_pfd < fp->n + fp->n_exiting) {
		fp->cap_pfd = 4 * (fp->n + fp->n_exiting) + 8;
		fp->pfd = xrealloc(fp->pfd, fp->cap_pfd * sizeof *fp->pfd);
	}
	for (unsigned i = 0; i < fp->n; i++) {
		fp->pfd[n].fd = fp->w[i].state == W_EMPTY ? -1 : fp->w[i].pidfd;
		fp->pfd[n].events = POLLIN;
		fp->pfd[n++].revents = 0;
	}
	for (unsigned i = 0; i < fp->n_exiting; i++) {
		fp->pfd[n].fd = fp->exiting[i].pidfd;
		fp->pfd[n].events = POLLIN;
		fp->pfd[n++].revents = 0;
	}
	if (poll(fp->pfd, n, 0) <= 0)
		return false;
	for (unsigned i = 0; i < fp->n; i++) {
		if (fp->pfd[i].revents) {
			bury(fp, &fp->w[i], 0, fin);
			any = true;
		}
	}
	for (unsigned i = 0; i < fp->n_exiting; i++) {
		if (fp->pfd[fp->n + i].revents) {
			reap(fp->exiting[i].pidfd);
			close(fp->exiting[i].pidfd);
			fp->exiting[i].pidfd = -1;
		}
	}
	for (unsigned i = 0; i < fp->n_exiting; i++)
		if (fp->exiting[i].pidfd >= 0)
			fp->exiting[k++] = fp->exiting[i];
	fp->n_exiting = k;
	return any;
}

/* Starts workers in empty slots (not too often after a failure). */
static void refill(struct fpool *fp, uint64_t now, struct job **fin)
{
	unsigned live = 0;
	bool failed = false;

	if (fp->stopping)
		return;
	for (unsigned i = 0; i < fp->n; i++) {
		if (fp->w[i].state != W_EMPTY) {
			live++;
			continue;
		}
		if (failed || now < fp->spawn_retry_at)
			continue;
		if (spawn(fp, &fp->w[i], fp->spawn_err, sizeof fp->spawn_err) == 0) {
			live++;
		} else {
			failed = true;
			fp->spawn_retry_at = now + SPAWN_RETRY_NS;
		}
	}
	/* Never leave a job waiting for a worker that cannot come. */
	if (live == 0 && fp->qhead)
		fail_queue(fp, fin);
}

/* One non-blocking round of everything. Returns true if anything moved. */
static bool pump(struct fpool *fp, struct job **fin)
{
	uint64_t maxtasks = pool_base(fp->p)->opt.maxtasksperchild;
	uint64_t now = now_ns();
	bool moved = false;

	for (unsigned i = 0; i < fp->n; i++) {
		struct wslot *s = &fp->w[i];
		const void *m;
		size_t len;
		int rc;

		if (s->state == W_EMPTY)
			continue;
		if (channel_send_pending(s->ch)) {
			rc = channel_flush(s->ch);
			if (rc < 0)
				fp->next_death_check = 0;
			else if (rc == 0)
				moved = true;
		}
		while ((rc = channel_try_recv(s->ch, &m, &len)) == 1) {
			moved = true;
			if (!handle_results(fp, s, m, len, fin))
				break;
			if (s->state != W_BUSY)
				break;
		}
		if (s->state == W_IDLE && maxtasks && s->lifetime >= maxtasks) {
			retire(fp, s);
			continue;
		}
		if (rc < 0) {
			/* End of stream: the worker is gone. */
			bury(fp, s, 0, fin);
			moved = true;
			continue;
		}
		if (s->state == W_BUSY) {
			feed(fp, s);
			if (s->deadline_at && now >= s->deadline_at && !s->killed) {
				pidfd_send(s->pidfd, SIGKILL);
				s->killed = true;
				fp->next_death_check = 0;
			}
		}
	}
	if (now >= fp->next_death_check) {
		if (check_deaths(fp, fin))
			moved = true;
		fp->next_death_check = now + DEATH_CHECK_NS;
	}
	refill(fp, now, fin);
	if (dispatch(fp, now))
		moved = true;
	return moved;
}

/* Reports finished jobs without holding mu (callbacks may submit). */
static void deliver(struct fpool *fp, struct job *fin)
{
	if (!fin)
		return;
	pthread_mutex_unlock(&fp->mu);
	while (fin) {
		struct job *next = fin->next;   /* j is not ours after the call */

		pool_job_done(fp->p, fin);
		fin = next;
	}
	pthread_mutex_lock(&fp->mu);
	fp->done_seq++;
	pthread_cond_broadcast(&fp->cv);
}

/* ---- sleeping ---------------------------------------------------------- */

/* Sleeps in poll on every channel, pidfd and the wake eventfd, until
 * something happens or until `until`. Returns false without sleeping when a
 * channel has something to do already. Called with mu held; drops it while
 * asleep. */
static bool sleep_poll(struct fpool *fp, uint64_t until)
{
	unsigned need = fp->n * (CHANNEL_MAX_POLLFDS + 1) + fp->n_exiting + 1;
	unsigned n = 0, armed = 0;
	unsigned *first = fp->pfd_first, *count = fp->pfd_count;
	struct timespec ts, *tsp = NULL;
	uint64_t now;
	bool slept = true;

	if (fp->cap_pfd < need) {
		fp->cap_pfd = need;
		fp->pfd = xrealloc(fp->pfd, need * sizeof *fp->pfd);
	}
	for (unsigned i = 0; i < fp->n; i++) {
		struct wslot *s = &fp->w[i];

		first[i] = n;
		count[i] = 0;
		if (s->state == W_EMPTY)
			continue;
		if (!channel_arm(s->ch)) {
			slept = false;
			break;
		}
		armed = i + 1;
		count[i] = channel_pollfds(s->ch, &fp->pfd[n]);
		n += count[i];
		fp->pfd[n].fd = s->pidfd;
		fp->pfd[n].events = POLLIN;
		fp->pfd[n++].revents = 0;
	}
	if (slept) {
		uint64_t v;

		for (unsigned i = 0; i < fp->n_exiting; i++) {
			fp->pfd[n].fd = fp->exiting[i].pidfd;
			fp->pfd[n].events = POLLIN;
			fp->pfd[n++].revents = 0;
		}
		fp->pfd[n].fd = fp->wake_efd;
		fp->pfd[n].events = POLLIN;
		fp->pfd[n++].revents = 0;
		now = now_ns();
		if (until != UINT64_MAX) {
			uint64_t left = until > now ? until - now : 0;

			ts.tv_sec = (time_t)(left / 1000000000u);
			ts.tv_nsec = (long)(left % 1000000000u);
			tsp = &ts;
		}
		fp->poller_sleeping = true;
		pthread_mutex_unlock(&fp->mu);
		if (ppoll(fp->pfd, n, tsp, NULL) < 0)
			for (unsigned i = 0; i < n; i++)
				fp->pfd[i].revents = 0;
		pthread_mutex_lock(&fp->mu);
		fp->poller_sleeping = false;
		if (fp->pfd[n - 1].revents)
			while (read(fp->wake_efd, &v, sizeof v) < 0 && errno == EINTR)
				;
		/* A pidfd may have fired: look at them all next round. */
		fp->next_death_check = 0;
	}
	for (unsigned i = 0; i < armed; i++)
		if (fp->w[i].state != W_EMPTY && count[i])
			channel_disarm(fp->w[i].ch, &fp->pfd[first[i]], count[i]);
	return slept;
}

static bool is_ready(struct fpool *fp, const _Atomic int *flag, uint64_t base)
{
	if (flag)
		return atomic_load_explicit(flag, memory_order_acquire) != 0;
	return fp->done_seq != base;
}

/* The earliest deadline of a running job, or `until`. */
static uint64_t next_wakeup(struct fpool *fp, uint64_t until)
{
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state == W_BUSY && fp->w[i].deadline_at && !fp->w[i].killed &&
		    fp->w[i].deadline_at < until)
			until = fp->w[i].deadline_at;
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state == W_EMPTY && fp->spawn_retry_at < until)
			until = fp->spawn_retry_at;
	return until;
}

/* The poller's loop: pump, spin, sleep. mu held. */
static int poll_loop(struct fpool *fp, uint64_t deadline, const _Atomic int *flag,
		     uint64_t base)
{
	bool outer = !fp->poller;
	uint64_t spin_end = now_ns() + fp->spin_ns;
	int rc;

	fp->poller = true;
	fp->poller_thread = pthread_self();
	for (;;) {
		struct job *fin = NULL;
		bool moved = pump(fp, &fin);
		uint64_t now;

		deliver(fp, fin);
		if (is_ready(fp, flag, base)) {
			rc = 0;
			break;
		}
		now = now_ns();
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		if (fp->stopping) {
			rc = -ETIMEDOUT;
			break;
		}
		if (moved)
			spin_end = now + fp->spin_ns;
		if (now < spin_end) {
			/* Let submitters in while spinning. */
			pthread_mutex_unlock(&fp->mu);
			for (int i = 0; i < 32; i++)
				cpu_relax();
			/* A worker sharing our core is what we wait for:
			 * let it run first. */
			sched_yield();
			pthread_mutex_lock(&fp->mu);
			continue;
		}
		sleep_poll(fp, next_wakeup(fp, deadline));
	}
	if (outer) {
		fp->poller = false;
		pthread_cond_broadcast(&fp->cv);
	}
	return rc;
}

static void cond_wait_until(struct fpool *fp, uint64_t until_ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(until_ns / 1000000000u);
	ts.tv_nsec = (long)(until_ns % 1000000000u);
	pthread_cond_timedwait(&fp->cv, &fp->mu, &ts);
}

static int fp_progress(struct pool *p, int64_t timeout_ns, const _Atomic int *flag)
{
	struct fpool *fp = fpool_of(p);
	uint64_t now = now_ns();
	uint64_t deadline = timeout_ns == POOL_FOREVER ? UINT64_MAX :
			    now + (uint64_t)(timeout_ns > 0 ? timeout_ns : 0);
	uint64_t base;
	int rc;

	pthread_mutex_lock(&fp->mu);
	base = flag ? 0 : fp->seen_seq;
	for (;;) {
		if (is_ready(fp, flag, base)) {
			rc = 0;
			break;
		}
		if (fp->stopping || (fp->poller && !pthread_equal(fp->poller_thread, pthread_self()))) {
			/* Someone else pumps (or nothing is left to pump): wait
			 * for its reports. */
			now = now_ns();
			if (now >= deadline) {
				rc = -ETIMEDOUT;
				break;
			}
			cond_wait_until(fp, deadline < now + 50000000u ? deadline : now + 50000000u);
			continue;
		}
		rc = poll_loop(fp, deadline, flag, base);
		break;
	}
	if (!flag)
		fp->seen_seq = fp->done_seq;
	pthread_mutex_unlock(&fp->mu);
	return rc;
}

/* Rouses a poller asleep in poll. mu held. */
static void rouse(struct fpool *fp)
{
	uint64_t one = 1;

	if (fp->poller_sleeping)
		while (write(fp->wake_efd, &one, sizeof one) < 0 && errno == EINTR)
			;
}

static void fp_wake(struct pool *p)
{
	struct fpool *fp = fpool_of(p);

	pthread_mutex_lock(&fp->mu);
	pthread_cond_broadcast(&fp->cv);
	rouse(fp);
	pthread_mutex_unlock(&fp->mu);
}

/* ---- the ops ----------------------------------------------------------- */

static void fp_submit(struct pool *p, struct job *j)
{
	struct fpool *fp = fpool_of(p);

	pthread_mutex_lock(&fp->mu);
	j->next = NULL;
	if (fp->qtail)
		fp->qtail->next = j;
	else
		fp->qhead = j;
	fp->qtail = j;
	/* Hand it over at once if a worker is idle: the round trip starts
	 * now, not when the caller begins to wait. */
	if (!fp->stopping)
		dispatch(fp, now_ns());
	rouse(fp);
	pthread_mutex_unlock(&fp->mu);
}

static bool fp_cancel(struct pool *p, struct job *j)
{
	struct fpool *fp = fpool_of(p);
	struct job **pp;
	bool ok = false;

	pthread_mutex_lock(&fp->mu);
	for (pp = &fp->qhead; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			int expect = JOB_QUEUED;

			if (atomic_compare_exchange_strong(&j->state, &expect, JOB_CANCELLED)) {
				*pp = j->next;
				if (fp->qtail == j) {
					fp->qtail = NULL;
					for (struct job *q = fp->qhead; q; q = q->next)
						fp->qtail = q;
				}
				ok = true;
			}
			break;
		}
	}
	pthread_mutex_unlock(&fp->mu);
	return ok;
}

/* Stops taking part: makes the poller leave and waits until it has. */
static void quiesce(struct fpool *fp)
{
	fp->stopping = true;
	while (fp->poller && !pthread_equal(fp->poller_thread, pthread_self())) {
		rouse(fp);
		cond_wait_until(fp, now_ns() + 10000000u);
	}
}

/* Waits up to grace_ns for every live and exiting worker to end, then
 * SIGKILLs the rest. mu held. */
static void await_exits(struct fpool *fp, uint64_t grace_ns)
{
	uint64_t until = now_ns() + grace_ns;

	for (;;) {
		unsigned n = 0;
		uint64_t now = now_ns();
		struct timespec ts;

		if (fp->cap_pfd < fp->n + fp->n_exiting) {
			fp->cap_pfd = fp->n + fp->n_exiting;
			fp->pfd = xrealloc(fp->pfd, fp->cap_pfd * sizeof *fp->pfd);
		}
		/* A readable pidfd stays readable: poll only the others. */
		for (unsigned i = 0; i < fp->n; i++) {
			if (fp->w[i].state == W_EMPTY)
				continue;
			fp->pfd[n].fd = fp->w[i].pidfd;
			fp->pfd[n].events = POLLIN;
			fp->pfd[n++].revents = 0;
		}
		for (unsigned i = 0; i < fp->n_exiting; i++) {
			fp->pfd[n].fd = fp->exiting[i].pidfd;
			fp->pfd[n].events = POLLIN;
			fp->pfd[n++].revents = 0;
		}
		if (n == 0)
			return;
		if (poll(fp->pfd, n, 0) == (int)n)
			return;
		if (now >= until)
			break;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(until - now < 5000000u ? until - now : 5000000u);
		nanosleep(&ts, NULL);   /* a grace period, not a wait for an event */
	}
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state != W_EMPTY)
			pidfd_send(fp->w[i].pidfd, SIGKILL);
	for (unsigned i = 0; i < fp->n_exiting; i++)
		pidfd_send(fp->exiting[i].pidfd, SIGKILL);
}

/* Reaps every worker (they are dead or dying), failing unfinished jobs with
 * err, and the exiting ones. mu held. */
static void bury_all(struct fpool *fp, int err, struct job **fin)
{
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state != W_EMPTY)
			bury(fp, &fp->w[i], err, fin);
	for (unsigned i = 0; i < fp->n_exiting; i++) {
		reap(fp->exiting[i].pidfd);
		close(fp->exiting[i].pidfd);
	}
	fp->n_exiting = 0;
}

/* Ends the fork server: end of file on its socket, then reap. */
static void stop_server(struct fpool *fp)
{
	struct pollfd pfd;

	if (fp->server_pid <= 0)
		return;
	close_fd(&fp->server_sock);
	pfd.fd = fp->server_pidfd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 1000) != 1)
		pidfd_send(fp->server_pidfd, SIGKILL);
	reap(fp->server_pidfd);
	close_fd(&fp->server_pidfd);
	fp->server_pid = 0;
}

static int fp_join(struct pool *p)
{
	struct fpool *fp = fpool_of(p);
	struct job *fin = NULL;

	/* The front end has closed the pool: drain what is queued and
	 * running, making progress ourselves. */
	for (;;) {
		bool busy;

		pthread_mutex_lock(&fp->mu);
		busy = fp->qhead != NULL;
		for (unsigned i = 0; i < fp->n; i++)
			busy = busy || fp->w[i].state == W_BUSY;
		pthread_mutex_unlock(&fp->mu);
		if (!busy)
			break;
		fp_progress(p, 100000000, NULL);
	}
	pthread_mutex_lock(&fp->mu);
	quiesce(fp);
	/* End of input tells each worker to exit. */
	for (unsigned i = 0; i < fp->n; i++) {
		if (fp->w[i].state != W_EMPTY) {
			channel_free(fp->w[i].ch);
			fp->w[i].ch = NULL;
		}
	}
	await_exits(fp, JOIN_GRACE_NS);
	bury_all(fp, -ECANCELED, &fin);
	stop_server(fp);
	fp->stopped = true;
	deliver(fp, fin);
	pthread_mutex_unlock(&fp->mu);
	return 0;
}

static void fp_terminate(struct pool *p)
{
	struct fpool *fp = fpool_of(p);
	struct job *fin = NULL;

	pthread_mutex_lock(&fp->mu);
	quiesce(fp);
	while (fp->qhead) {
		struct job *j = fp->qhead;
		int expect = JOB_QUEUED;

		fp->qhead = j->next;
		if (atomic_compare_exchange_strong(&j->state, &expect, JOB_CANCELLED))
			push_done(&fin, j);
	}
	fp->qtail = NULL;
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state != W_EMPTY)
			pidfd_send(fp->w[i].pidfd, SIGTERM);
	for (unsigned i = 0; i < fp->n_exiting; i++)
		pidfd_send(fp->exiting[i].pidfd, SIGTERM);
	await_exits(fp, TERM_GRACE_NS);
	bury_all(fp, -ECANCELED, &fin);
	stop_server(fp);
	fp->stopped = true;
	deliver(fp, fin);
	pthread_mutex_unlock(&fp->mu);
}

static void fp_free_state(struct fpool *fp)
{
	for (unsigned i = 0; i < fp->n; i++) {
		channel_free(fp->w[i].ch);
		close_fd(&fp->w[i].pidfd);
	}
	if (fp->board)
		munmap(fp->board, fp->board_bytes);
	close_fd(&fp->wake_efd);
	close_fd(&fp->server_sock);
	close_fd(&fp->server_pidfd);
	pthread_cond_destroy(&fp->cv);
	pthread_mutex_destroy(&fp->mu);
	free(fp->w);
	free(fp->retired);
	free(fp->exiting);
	free(fp->pfd);
	free(fp->pfd_first);
	free(fp->pfd_count);
	free(fp);
}

static void fp_destroy(struct pool *p)
{
	struct fpool *fp = fpool_of(p);

	if (!fp)
		return;
	if (!fp->stopped)
		fp_terminate(p);
	fp_free_state(fp);
	pool_base(p)->backend = NULL;
}

static unsigned fp_take_stats(struct pool *p, struct worker_stats *out, unsigned max)
{
	struct fpool *fp = fpool_of(p);
	unsigned k = 0;

	pthread_mutex_lock(&fp->mu);
	for (unsigned i = 0; i < fp->n_retired && k < max; i++)
		out[k++] = fp->retired[i];
	fp->n_retired = 0;
	for (unsigned i = 0; i < fp->n; i++) {
		struct wslot *s = &fp->w[i];
		struct board_slot *bs = &fp->board->slot[i];
		uint64_t tasks, busy;

		if (s->state == W_EMPTY)
			continue;
		tasks = atomic_load(&bs->tasks);
		busy = atomic_load(&bs->busy_ns);
		if (k < max) {
			memset(&out[k], 0, sizeof out[k]);
			out[k].pid = s->pid;
			out[k].tid = atomic_load(&bs->tid) ? atomic_load(&bs->tid) : s->pid;
			out[k].tasks = tasks - s->taken_tasks;
			out[k].busy_ns = busy - s->taken_busy;
			out[k].pinned = atomic_load(&bs->pinned);
			memcpy(out[k].bound, bs->bound, sizeof out[k].bound);
			pin_cpu_bits_take(bs->cpus_seen, out[k].ran_on, sizeof out[k].ran_on);
			k++;
		}
		s->taken_tasks = tasks;
		s->taken_busy = busy;
	}
	pthread_mutex_unlock(&fp->mu);
	return k;
}

static int fp_start(struct pool *p, char *err, size_t errlen)
{
	const struct pool_options *opt = &pool_base(p)->opt;
	struct fpool *fp = xcalloc(1, sizeof *fp);
	pthread_condattr_t ca;
	int sv[2], threads, rc;
	pid_t pid;

	fp->p = p;
	fp->n = opt->workers;
	fp->kind = opt->channel;
	fp->spin_ns = opt->spin_ns;
	fp->parent_pid = getpid();
	fp->wake_efd = fp->server_sock = fp->server_pidfd = -1;
	pthread_mutex_init(&fp->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&fp->cv, &ca);
	pthread_condattr_destroy(&ca);
	fp->w = xcalloc(fp->n, sizeof *fp->w);
	fp->pfd_first = xcalloc(fp->n, sizeof *fp->pfd_first);
	fp->pfd_count = xcalloc(fp->n, sizeof *fp->pfd_count);
	for (unsigned i = 0; i < fp->n; i++) {
		fp->w[i].id = i;
		fp->w[i].pidfd = -1;
	}
	pool_base(p)->backend = fp;

	threads = count_threads();
	if (threads > SAFE_THREADS) {
		snprintf(err, errlen, "a fork pool must be started while the process has one thread "
			 "(it has %d): it forks its fork server then", threads);
		rc = -EBUSY;
		goto out_free;
	}
	fp->board_bytes = sizeof(struct board) + fp->n * sizeof(struct board_slot);
	fp->board = mmap(NULL, fp->board_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			 -1, 0);
	if (fp->board == MAP_FAILED) {
		fp->board = NULL;
		rc = -errno;
		snprintf(err, errlen, "mmap of the scoreboard: %s", strerror(-rc));
		goto out_free;
	}
	fp->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fp->wake_efd < 0) {
		rc = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(-rc));
		goto out_free;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		snprintf(err, errlen, "socketpair: %s", strerror(-rc));
		goto out_free;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s (the fork server)", strerror(-rc));
		close(sv[0]);
		close(sv[1]);
		goto out_free;
	}
	if (pid == 0) {
		close(sv[0]);
		server_main(fp, sv[1]);
	}
	close(sv[1]);
	fp->server_sock = sv[0];
	fp->server_pid = pid;
	fp->server_pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fp->server_pidfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "pidfd_open: %s", strerror(-rc));
		close_fd(&fp->server_sock);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fp->server_pid = 0;
		goto out_free;
	}
	for (unsigned i = 0; i < fp->n; i++) {
		rc = spawn(fp, &fp->w[i], err, errlen);
		if (rc < 0)
			goto out_stop;
	}
	return 0;

out_stop:
	{
		struct job *fin = NULL;

		for (unsigned i = 0; i < fp->n; i++)
			if (fp->w[i].state != W_EMPTY)
				pidfd_send(fp->w[i].pidfd, SIGKILL);
		bury_all(fp, 0, &fin);
		fp->n_retired = 0;
		stop_server(fp);
	}
out_free:
	fp_free_state(fp);
	pool_base(p)->backend = NULL;
	return rc;
}

const struct pool_backend_ops fork_pool_ops = {
	.start = fp_start,
	.submit = fp_submit,
	.cancel = fp_cancel,
	.progress = fp_progress,
	.join = fp_join,
	.terminate = fp_terminate,
	.destroy = fp_destroy,
	.take_stats = fp_take_stats,
	.wake = fp_wake,
};
