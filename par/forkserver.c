/* forkserver.c: a single-threaded process that forks children on request
 * and relays their pidfds and wait statuses (see forkserver.h).
 *
 * DESIGN
 * One SOCK_SEQPACKET socket pair: each request and each reply is one
 * message, so a short read is a protocol error, never half a message. A
 * request is a struct fs_req (FORK or WAIT) and, for FORK, the bytes for
 * the child, with its descriptors attached (SCM_RIGHTS). A reply is a
 * struct fs_reply: an errno and which call failed (fork, pidfd_open,
 * waitpid), the pid and the wait status, with the pidfd attached to a FORK
 * reply. The server handles one request at a time; the caller holds the
 * struct's lock from send to reply, so replies cannot be crossed between
 * the caller's threads. A WAIT for a child still running blocks the server
 * in waitpid: the fork pool asks only once the pidfd said the child ended.
 * The server keeps no table of its children: waitpid knows them, and
 * answers ECHILD for any other pid. At end of file on the socket the server
 * exits; its children's death signal kills any still alive.
 */
#include "par/forkserver.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "par/proc.h"
#include "par/spawn.h"
#include "par/sys.h"

enum { FS_FORK = 1, FS_WAIT = 2 };
enum { CALL_NONE, CALL_FORK, CALL_PIDFD, CALL_WAIT, CALL_REQUEST };

struct fs_req {
	uint32_t op;
	uint32_t len;           /* FORK: request bytes that follow */
	int32_t pid;            /* WAIT: whose status */
	uint32_t pad;
};

struct fs_reply {
	int32_t err;            /* 0 or a negative errno */
	uint32_t call;          /* which call failed */
	int32_t pid;
	int32_t wstatus;
};

struct forkserver {
	pid_t pid;
	int pidfd;
	int sock;
	pthread_mutex_t mu;
};

/* Sends data with up to FORKSERVER_MAX_FDS descriptors attached. */
static int send_with_fds(int sock, const void *data, size_t len, const int *fds, unsigned nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FORKSERVER_MAX_FDS)];
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

/* Receives data and descriptors (close-on-exec); returns the byte count (0
 * at end of file) or a negative errno (-EMFILE: the bytes came, with
 * *nfds of the descriptors, but not all could be received). *nfds is how
 * many descriptors came; any past FORKSERVER_MAX_FDS are closed. */
static ssize_t recv_with_fds(int sock, void *data, size_t len, int *fds, unsigned *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * FORKSERVER_MAX_FDS)];
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
				if (*nfds < FORKSERVER_MAX_FDS)
					fds[(*nfds)++] = fd;
				else
					close(fd);
			}
		}
	}
	if (mh.msg_flags & MSG_TRUNC)
		return -EPROTO;
	/* The control buffer has room for every descriptor we accept: a
	 * truncation means we had no free descriptor to receive one in. */
	if (mh.msg_flags & MSG_CTRUNC)
		return -EMFILE;
	return r;
}

/* ---- the server -------------------------------------------------------- */

/* Forks a child for one request and fills rep; returns the pidfd to send
 * back, or -1. */
static int serve_fork(int sock, forkserver_child_fn fn, void *ctx, const unsigned char *req,
		      size_t len, const int *fds, unsigned nfds, struct fs_reply *rep)
{
	pid_t me = getpid();
	pid_t pid = proc_fork_quiet();
	int pidfd;

	if (pid == 0) {
		close(sock);
		if (!proc_child_init(me, fds, nfds))
			_exit(0);
		fn(ctx, req, len, fds, nfds);
	}
	if (pid < 0) {
		rep->err = -errno;
		rep->call = CALL_FORK;
		return -1;
	}
	pidfd = proc_child_pidfd(pid);
	if (pidfd < 0) {
		rep->err = pidfd;
		rep->call = CALL_PIDFD;
		return -1;
	}
	rep->pid = (int32_t)pid;
	return pidfd;
}

/* The server's loop: one request at a time until end of file. */
__attribute__((noreturn)) static void serve(int sock, forkserver_child_fn fn, void *ctx)
{
	static unsigned char buf[sizeof(struct fs_req) + FORKSERVER_REQ_MAX];

	for (;;) {
		struct fs_reply rep = { 0, CALL_NONE, 0, 0 };
		struct fs_req h;
		int fds[FORKSERVER_MAX_FDS];
		unsigned nfds;
		int pidfd = -1;
		ssize_t r = recv_with_fds(sock, buf, sizeof buf, fds, &nfds);

		if (r == 0 || r == -ECONNRESET || r == -ENOTCONN)
			_exit(0);   /* the caller closed the socket: done */
		memcpy(&h, buf, r >= (ssize_t)sizeof h ? sizeof h : 0);
		if (r < (ssize_t)sizeof h || (size_t)r != sizeof h + (h.op == FS_FORK ? h.len : 0)) {
			rep.err = r < 0 ? (int32_t)r : -EPROTO;
			rep.call = CALL_REQUEST;
		} else if (h.op == FS_FORK) {
			pidfd = serve_fork(sock, fn, ctx, buf + sizeof h, h.len, fds, nfds, &rep);
		} else if (h.op == FS_WAIT) {
			int st = 0;

			while (waitpid(h.pid, &st, 0) < 0) {
				if (errno != EINTR) {
					rep.err = -errno;
					rep.call = CALL_WAIT;
					break;
				}
			}
			rep.pid = h.pid;
			rep.wstatus = st;
		} else {
			rep.err = -EPROTO;
			rep.call = CALL_REQUEST;
		}
		for (unsigned i = 0; i < nfds; i++)
			close(fds[i]);
		if (send_with_fds(sock, &rep, sizeof rep, &pidfd, pidfd >= 0 ? 1 : 0) < 0)
			_exit(0);
		if (pidfd >= 0)
			close(pidfd);
	}
}

/* A spawned server's context: the role its children run and the bytes
 * that come before each request's. */
struct role_ctx {
	spawn_role_fn role;
	const unsigned char *bytes;
	size_t len;
};

__attribute__((noreturn)) static void run_role(void *ctx, const void *req, size_t len,
					       const int *fds, unsigned nfds)
{
	const struct role_ctx *rc = ctx;
	unsigned char *init = xmalloc(rc->len + len + 1);

	memcpy(init, rc->bytes, rc->len);
	memcpy(init + rc->len, req, len);
	init[rc->len + len] = 0;
	rc->role(init, rc->len + len, fds, nfds);
}

/* The spawned server (spawn role "forkserver"): init is the children's role
 * name, a NUL, then their context bytes; fds[0] is the socket. */
__attribute__((noreturn)) static void forkserver_role(const void *init, size_t len,
						      const int *fds, unsigned nfds)
{
	static struct role_ctx rc;
	size_t name_len = strnlen((const char *)init, len);

	if (nfds != 1 || name_len == len)
		_exit(SPAWN_EXIT_BAD_START);
	rc.role = spawn_role_find((const char *)init);
	if (!rc.role)
		_exit(SPAWN_EXIT_BAD_START);
	rc.bytes = (const unsigned char *)init + name_len + 1;
	rc.len = len - name_len - 1;
	signal(SIGPIPE, SIG_IGN);
	serve(fds[0], run_role, &rc);
}

SPAWN_ROLE("forkserver", forkserver_role)

/* ---- in the caller ----------------------------------------------------- */

/* The caller's handle on server pid (our child), or NULL with *rc and err
 * set (the server killed and reaped). */
static struct forkserver *fs_new(pid_t pid, int sock, char *err, size_t errlen, int *rc)
{
	struct forkserver *fs;
	int pidfd = proc_child_pidfd(pid);

	if (pidfd < 0) {
		*rc = pidfd;
		snprintf(err, errlen, "pidfd_open of the fork server: %s", strerror(-*rc));
		close(sock);
		return NULL;
	}
	fs = xcalloc(1, sizeof *fs);
	fs->pid = pid;
	fs->pidfd = pidfd;
	fs->sock = sock;
	pthread_mutex_init(&fs->mu, NULL);
	*rc = 0;
	return fs;
}

static int socket_pair(int sv[2], char *err, size_t errlen)
{
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == 0)
		return 0;
	snprintf(err, errlen, "socketpair: %s (the fork server)", strerror(errno));
	return -errno;
}

int forkserver_start(struct forkserver **out, forkserver_child_fn fn, void *ctx, char *err,
		     size_t errlen)
{
	int threads = proc_threads_settle(PROC_FORK_SAFE_THREADS, PROC_SETTLE_NS);
	pid_t parent = getpid(), pid;
	int sv[2], rc;

	*out = NULL;
	if (threads > PROC_FORK_SAFE_THREADS) {
		snprintf(err, errlen, "a fork server must be forked while the process has one "
			 "thread (it has %d)", threads);
		return -EBUSY;
	}
	rc = socket_pair(sv, err, errlen);
	if (rc < 0)
		return rc;
	pid = proc_fork_quiet();
	if (pid == 0) {
		close(sv[0]);
		if (!proc_child_init(parent, &sv[1], 1))
			_exit(0);
		serve(sv[1], fn, ctx);
	}
	rc = -errno;
	close(sv[1]);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s (the fork server)", strerror(-rc));
		close(sv[0]);
		return rc;
	}
	*out = fs_new(pid, sv[0], err, errlen, &rc);
	return rc;
}

int forkserver_spawn(struct forkserver **out, const char *role, const void *ctx,
		     size_t ctx_len, const char *label, char *err, size_t errlen)
{
	size_t name_len = strlen(role);
	unsigned char *init;
	char why[200];
	pid_t pid;
	int sv[2], pidfd, rc;

	*out = NULL;
	if (!spawn_role_find(role)) {
		snprintf(err, errlen, "fork server: no spawn role '%s'", role);
		return -ENOENT;
	}
	rc = socket_pair(sv, err, errlen);
	if (rc < 0)
		return rc;
	init = xmalloc(name_len + 1 + ctx_len);
	memcpy(init, role, name_len + 1);
	if (ctx_len)
		memcpy(init + name_len + 1, ctx, ctx_len);
	rc = spawn_worker("forkserver", label, init, name_len + 1 + ctx_len, &sv[1], 1, &pid,
			  &pidfd, why, sizeof why);
	free(init);
	close(sv[1]);
	if (rc < 0) {
		snprintf(err, errlen, "%s (the fork server)", why);
		close(sv[0]);
		return rc;
	}
	close(pidfd);   /* fs_new opens its own */
	*out = fs_new(pid, sv[0], err, errlen, &rc);
	return rc;
}

/* One request and its reply, under the lock. Returns 0 with *rep (and the
 * reply's descriptor in *fd, or -1), -EMFILE with *rep when its descriptor
 * could not be received, or -EPIPE when the server is gone. */
static int call(struct forkserver *fs, const struct fs_req *h, const void *data,
		const int *fds, unsigned nfds, struct fs_reply *rep, int *fd)
{
	unsigned char buf[sizeof *h + FORKSERVER_REQ_MAX];
	int got[FORKSERVER_MAX_FDS];
	unsigned ngot = 0;
	ssize_t r;
	int rc;

	memcpy(buf, h, sizeof *h);
	if (h->len)
		memcpy(buf + sizeof *h, data, h->len);
	*fd = -1;
	pthread_mutex_lock(&fs->mu);
	rc = send_with_fds(fs->sock, buf, sizeof *h + h->len, fds, nfds);
	if (rc == 0) {
		r = recv_with_fds(fs->sock, rep, sizeof *rep, got, &ngot);
		if (r == -EMFILE)
			rc = -EMFILE;
		else
			rc = r == (ssize_t)sizeof *rep ? 0 : -EPIPE;
	}
	pthread_mutex_unlock(&fs->mu);
	if (rc == 0 && ngot == 1 && rep->err == 0)
		*fd = got[0];
	else
		for (unsigned i = 0; i < ngot; i++)
			close(got[i]);
	return rc;
}

int forkserver_fork(struct forkserver *fs, const void *req, size_t len, const int *fds,
		    unsigned nfds, pid_t *pid, int *pidfd, char *err, size_t errlen)
{
	static const char *const calls[] = { "fork server", "fork", "pidfd_open", "waitpid",
					     "request" };
	struct fs_req h = { FS_FORK, (uint32_t)len, 0, 0 };
	struct fs_reply rep;
	int rc;

	if (len > FORKSERVER_REQ_MAX || nfds > FORKSERVER_MAX_FDS) {
		snprintf(err, errlen, "fork server: a request of %zu bytes and %u descriptors "
			 "(at most %d and %d)", len, nfds, FORKSERVER_REQ_MAX, FORKSERVER_MAX_FDS);
		return -EINVAL;
	}
	rc = call(fs, &h, req, fds, nfds, &rep, pidfd);
	if (rc == -EMFILE) {
		/* The child runs without us: it ends when its channel does. */
		snprintf(err, errlen, "fork server (pid %d): receiving the pidfd of its child: %s",
			 (int)fs->pid, strerror(-rc));
		return rc;
	}
	if (rc < 0) {
		snprintf(err, errlen, "fork server (pid %d) is gone", (int)fs->pid);
		return rc;
	}
	if (rep.err == 0 && *pidfd < 0)
		rep.err = -EPROTO;
	if (rep.err < 0) {
		snprintf(err, errlen, "fork server (pid %d): %s: %s", (int)fs->pid,
			 calls[rep.call < 5 ? rep.call : 0], strerror(-rep.err));
		return rep.err;
	}
	*pid = rep.pid;
	return 0;
}

int forkserver_wait(struct forkserver *fs, pid_t pid, int *wstatus)
{
	struct fs_req h = { FS_WAIT, 0, (int32_t)pid, 0 };
	struct fs_reply rep;
	int fd, rc = call(fs, &h, NULL, NULL, 0, &rep, &fd);

	if (rc < 0)
		return -EPIPE;
	if (rep.err < 0)
		return rep.err;
	*wstatus = rep.wstatus;
	return 0;
}

pid_t forkserver_pid(const struct forkserver *fs)
{
	return fs->pid;
}

void forkserver_stop(struct forkserver *fs)
{
	struct pollfd pfd;

	if (!fs)
		return;
	close(fs->sock);
	pfd.fd = fs->pidfd;
	pfd.events = POLLIN;
	while (poll(&pfd, 1, 1000) < 0 && errno == EINTR)
		;
	if (!(pfd.revents & POLLIN))
		proc_pidfd_signal(fs->pidfd, SIGKILL);
	proc_pidfd_reap(fs->pidfd);
	close(fs->pidfd);
	pthread_mutex_destroy(&fs->mu);
	free(fs);
}
