/* fork_server.c: starting a fork pool worker, forked by the parent itself
 * or cloned by the fork server.
 *
 * DESIGN
 * A process with several threads must not fork() (the child gets a copy of
 * every lock some other thread was holding, and no thread to release it),
 * yet a pool must start replacement workers long after the program may have
 * started threads. So fp_start, which must be called while the process has
 * one thread, forks one extra process: the fork server, a single-threaded
 * copy of the parent as it was then (CPython's forkserver design). A worker
 * is forked by the parent itself, with glibc's fork(), whenever the parent
 * still has one thread (the first N always; replacements in tvp run, whose
 * loop never starts threads beside a fork pool). Only when the parent has
 * started threads since does a replacement come from the server: the parent
 * sends it the new worker's channel descriptors over a UNIX socket
 * (SCM_RIGHTS), the server clones itself and answers with a pidfd of the
 * child. The server clones with CLONE_PARENT, so each worker is the
 * parent's own child either way: the parent reaps it and reads its exact
 * exit status with waitid(P_PIDFD), and PR_SET_PDEATHSIG ties it to the
 * parent. The price of the server's raw clone() is that glibc's fork
 * bookkeeping does not run in that child: its cached thread id is the
 * server's and its robust-mutex list is not registered with the kernel, so
 * a robust or priority-inheritance mutex held by such a worker is not
 * recovered when it dies (a robust mutex locked by a worker that then died
 * hung the next locker, which is why the parent forks directly whenever it
 * can). Workers inherit memory as it was when they were forked, at pool_new
 * or later, which is what task.h promises.
 */
#include "par/fork_pool_impl.h"

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "par/proc.h"

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
 * answers with the worker's pid and a pidfd for it. */
__attribute__((noreturn)) void fork_server_main(const struct fork_child *c, unsigned n, int sock)
{
	if (!fork_child_init(c->parent_pid, &sock, 1))
		_exit(0);
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
		if ((size_t)r != sizeof req || req.slot >= n || req.nfds != nfds) {
			rep.err = -EPROTO;
		} else {
			pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | CLONE_PIDFD | SIGCHLD),
				      NULL, &pidfd, NULL, 0);
			if (pid == 0) {
				struct fork_child mine = *c;

				mine.id = req.slot;
				if (!fork_child_init(c->parent_pid, fds, nfds))
					_exit(0);
				fork_child_main(&mine, fds, nfds);
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

/* ---- in the parent ----------------------------------------------------- */

static void board_reset(struct board_slot *bs)
{
	atomic_store(&bs->running, 0);
	atomic_store(&bs->tasks, 0);
	atomic_store(&bs->busy_ns, 0);
	atomic_store(&bs->pid, 0);
	atomic_store(&bs->tid, 0);
	atomic_store(&bs->pinned, -1);
	atomic_store(&bs->bind_errno, 0);
	atomic_store(&bs->claim, 0);
	bs->bound[0] = '\0';
	for (int k = 0; k < PIN_CPU_WORDS; k++)
		atomic_store(&bs->cpus_seen[k], 0);
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
	 * handlers it inherited (fork_child_init); posix_spawn does the same. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	e = errno;
	if (pid == 0) {
		struct fork_child mine = fp->child;

		mine.id = id;
		if (!fork_child_init(mine.parent_pid, fds, nfds))
			_exit(0);
		fork_child_main(&mine, fds, nfds);
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
int fork_server_spawn(struct fpool *fp, struct wslot *s, char *err, size_t errlen)
{
	struct spawn_req req = { s->id, 0 };
	struct spawn_reply rep;
	int fds[CHANNEL_MAX_FDS];
	unsigned nfds;
	struct channel *ch;
	bool direct;
	ssize_t r;
	int rc;

	rc = channel_new(&ch, fp->child.kind);
	if (rc < 0) {
		snprintf(err, errlen, "%s channel for worker %u: %s", channel_kind_name(fp->child.kind),
			 s->id, strerror(-rc));
		return rc;
	}
	board_reset(&fp->board->slot[s->id]);
	req.nfds = channel_worker_fds(ch, fds);
	direct = proc_count_threads() <= SAFE_THREADS;
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
	s->malformed = false;
	s->idle_since = 0;
	s->taken_tasks = s->taken_busy = 0;
	return 0;

out_free_channel:
	channel_free(ch);
	return rc;
}

