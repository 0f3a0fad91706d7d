/* channel_pipe.c: the pipe transport of channels: one pipe down (jobs), one
 * pipe up (results), as Python's multiprocessing does it.
 *
 * DESIGN
 * Every byte crosses the kernel twice (a write and a read), as in Python's
 * multiprocessing. A dead peer is the pipe's own end of file: once the
 * worker's process is gone no one holds the write end of the up pipe.
 *
 * Every end is non-blocking; channel.c's loops poll. The pipes are enlarged
 * to 256 KiB (when the system allows) so that a job or a result of that size
 * goes across in one write.
 *
 * What a round trip cost (issue 13: 4-7 times one over shm on a quiet
 * machine). strace -c -f over 2000 pool_apply of an empty task on a
 * one-worker fork pool counted, per round trip: 3.4 read (1.4 of them
 * EAGAIN: the parent looking), 2 writev, 2 rt_sigprocmask (a SIGPIPE guard
 * around the parent's writes), 1.1 ppoll and 0.6 poll; the same over shm: 2
 * sched_yield and nothing else. And a worker waiting on a pipe slept in
 * ppoll at once, so each job handed to it paid a wake-up (30-40 us to wake a
 * sleeping core here), where a shm worker spinning in its window sees a job
 * in well under a microsecond. Two changes, each the cheapest that keeps
 * the pipe a pipe:
 *
 * - A waiting end spins like the shm channel's, within the same window, but
 *   a look is a system call: ioctl(FIONREAD) says whether bytes wait
 *   (may_read), and only then is read() called. Past the window it sleeps in
 *   poll as before. A dead writer reads as 0 bytes waiting, so the spin runs
 *   out and poll then reports the hang-up.
 * - No SIGPIPE guard. A write to a pipe whose reader is dead raises SIGPIPE,
 *   which would kill the writer; the parent must not change a disposition
 *   that belongs to the program, so it blocked SIGPIPE around every write (2
 *   system calls). Instead the parent keeps a read end of each down pipe
 *   open itself and never reads it: a pipe with a reader never raises
 *   SIGPIPE. A dead worker is still found by its pidfd and by the up pipe's
 *   end of file, after which writes say -EPIPE as before; until then they
 *   fill the pipe and then wait for room, as for a live worker that is slow. The guard remains for the
 *   case the extra descriptor cannot be had (EMFILE). A pool's worker
 *   ignores SIGPIPE: it is the pool's own process.
 *
 * What is left is the kernel's: a write and a read on each side, where shm
 * needs no system call at all while both ends are awake.
 */
#include "par/channel_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define PIPE_BYTES (256 << 10)

static ssize_t pipe_write_some(struct channel *ch, const struct iovec *iov, unsigned n)
{
	struct pipe_end *pe = &ch->u.pipe;
	sigset_t pipe_set, old;
	bool guard = pe->guard_sigpipe;
	ssize_t w;
	int err;

	if (pe->peer_gone)
		return -EPIPE;   /* a read saw its end (no SIGPIPE with hold_fd) */
	if (guard) {
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
		/* Already blocked by the caller: leave its pending set alone. */
		if (sigismember(&old, SIGPIPE)) {
			pthread_sigmask(SIG_SETMASK, &old, NULL);
			guard = false;
		}
	}
	do
		w = writev(pe->wfd, iov, (int)n);
	while (w < 0 && errno == EINTR);
	err = errno;
	if (guard) {
		if (w < 0 && err == EPIPE) {
			struct timespec zero = { 0, 0 };

			sigtimedwait(&pipe_set, NULL, &zero);
		}
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
	if (w >= 0)
		return w;
	if (err == EAGAIN)
		return 0;
	return err == EPIPE ? -EPIPE : -err;
}

static ssize_t pipe_read_some(struct channel *ch, void *buf, size_t len)
{
	ssize_t r;

	do
		r = read(ch->u.pipe.rfd, buf, len);
	while (r < 0 && errno == EINTR);
	if (r > 0)
		return r;
	if (r == 0 || errno != EAGAIN) {
		ch->u.pipe.peer_gone = true;
		return -EPIPE;
	}
	return 0;
}

static bool pipe_may_read(struct channel *ch)
{
	int n = 0;

	/* An error: let the read say what it is. */
	return ioctl(ch->u.pipe.rfd, FIONREAD, &n) != 0 || n > 0;
}

static bool pipe_arm(struct channel *ch, bool want_write)
{
	return true;     /* poll itself sees everything */
}

static unsigned pipe_pollfds(struct channel *ch, bool want_write, struct pollfd *pfd)
{
	unsigned n = 0;

	pfd[n].fd = ch->u.pipe.rfd;
	pfd[n].events = POLLIN;
	pfd[n++].revents = 0;
	if (want_write) {
		pfd[n].fd = ch->u.pipe.wfd;
		pfd[n].events = POLLOUT;
		pfd[n++].revents = 0;
	}
	return n;
}

static void pipe_disarm(struct channel *ch, const struct pollfd *pfd, unsigned n)
{
}

static unsigned pipe_worker_fds(const struct channel *ch, int *fds)
{
	fds[0] = ch->u.pipe.peer_fds[0];
	fds[1] = ch->u.pipe.peer_fds[1];
	return 2;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void pipe_parent_ready(struct channel *ch)
{
	close_fd(&ch->u.pipe.peer_fds[0]);
	close_fd(&ch->u.pipe.peer_fds[1]);
}

static void pipe_close(struct channel *ch, bool quietly)
{
	/* Closing the write end is how the peer learns: end of file. */
	close_fd(&ch->u.pipe.rfd);
	close_fd(&ch->u.pipe.wfd);
	close_fd(&ch->u.pipe.hold_fd);
	pipe_parent_ready(ch);
}

static const struct channel_transport pipe_transport = {
	.spins = true,
	.cheap_look = false,
	.write_some = pipe_write_some,
	.read_some = pipe_read_some,
	.may_read = pipe_may_read,
	.arm = pipe_arm,
	.pollfds = pipe_pollfds,
	.disarm = pipe_disarm,
	.worker_fds = pipe_worker_fds,
	.parent_ready = pipe_parent_ready,
	.close = pipe_close,
};

/* A write needs the guard unless SIGPIPE is ignored already (as it is in a
 * pool's worker). */
static bool sigpipe_needs_guard(void)
{
	struct sigaction sa;

	return sigaction(SIGPIPE, NULL, &sa) != 0 || sa.sa_handler != SIG_IGN;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int channel_pipe_new(struct channel *ch)
{
	struct pipe_end *pe = &ch->u.pipe;
	int down[2], up[2];
	int rc;

	if (pipe2(down, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(up, O_CLOEXEC) < 0) {
		rc = -errno;
		goto out_close_down;
	}
	/* Bigger pipes: fewer trips for large jobs and results. Not fatal. */
	(void)fcntl(down[1], F_SETPIPE_SZ, PIPE_BYTES);
	(void)fcntl(up[1], F_SETPIPE_SZ, PIPE_BYTES);
	/* The parent's ends never block (channel.h); these O_NONBLOCK flags
	 * belong to the parent's open file descriptions only. */
	if ((rc = set_nonblock(down[1])) < 0 || (rc = set_nonblock(up[0])) < 0)
		goto out_close_up;
	pe->wfd = down[1];
	pe->rfd = up[0];
	pe->peer_fds[0] = down[0];
	pe->peer_fds[1] = up[1];
	/* A reader of our own, so that no write raises SIGPIPE (see DESIGN). */
	pe->hold_fd = fcntl(down[0], F_DUPFD_CLOEXEC, 0);
	pe->guard_sigpipe = pe->hold_fd < 0 && sigpipe_needs_guard();
	ch->t = &pipe_transport;
	return 0;

out_close_up:
	close(up[0]);
	close(up[1]);
out_close_down:
	close(down[0]);
	close(down[1]);
	return rc;
}

int channel_pipe_open(struct channel *ch, const int *fds, unsigned nfds)
{
	struct pipe_end *pe = &ch->u.pipe;
	int rc = -EINVAL;

	if (nfds != 2)
		goto out_close;
	if ((rc = set_nonblock(fds[0])) < 0 || (rc = set_nonblock(fds[1])) < 0)
		goto out_close;
	pe->rfd = fds[0];
	pe->wfd = fds[1];
	pe->peer_fds[0] = pe->peer_fds[1] = -1;
	pe->hold_fd = -1;
	pe->guard_sigpipe = sigpipe_needs_guard();
	ch->t = &pipe_transport;
	return 0;

out_close:
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return rc;
}
