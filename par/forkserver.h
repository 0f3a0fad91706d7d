/* forkserver.h: a single-threaded process that forks children on request,
 * for the forkserver start method (par/start_method.h) and for the fork
 * pool's replacements once its parent has threads.
 *
 * DESIGN
 * CPython's forkserver: forked while the caller has one thread, the server
 * is a clean copy of it (code, memory, registered tasks) that never starts
 * a thread, so forking from it is always safe. The caller sends a request
 * (bytes, and descriptors with SCM_RIGHTS) over a UNIX socket; the server
 * forks with glibc's fork() (so the child's thread id cache and robust-mutex
 * list are right and a robust mutex it dies holding is recovered), runs
 * child_fn in the child, and answers with the child's pid and a pidfd for
 * it. The child is the server's, not the caller's: the caller polls and
 * signals it through the pidfd, and asks the server for its wait status
 * (forkserver_wait), which the server reaps and relays. The server and its
 * children die with the caller (PR_SET_PDEATHSIG, checked after arming).
 * Calls are serialised by the server's own lock: any thread may call.
 */
#ifndef FORKSERVER_H
#define FORKSERVER_H

#include <stddef.h>
#include <sys/types.h>

#define FORKSERVER_REQ_MAX 256
#define FORKSERVER_MAX_FDS 6

struct forkserver;

/* What a forked child runs: ctx as given to forkserver_start (valid: the
 * child is a copy of the server, a copy of the caller at start), the
 * request bytes, and the descriptors sent with it. Never returns. */
typedef void (*forkserver_child_fn)(void *ctx, const void *req, size_t len, const int *fds,
				    unsigned nfds) __attribute__((noreturn));

/* Forks the server. Call while the process has one thread. Returns 0 with
 * *out, or a negative errno with err set. */
int forkserver_start(struct forkserver **out, forkserver_child_fn fn, void *ctx, char *err,
		     size_t errlen);

/* Has the server fork a child. Returns 0 with *pid and *pidfd (pollable,
 * signalable, not waitable by the caller), -EPIPE when the server is gone,
 * or the negative errno of the server's failed fork. */
int forkserver_fork(struct forkserver *fs, const void *req, size_t len, const int *fds,
		    unsigned nfds, pid_t *pid, int *pidfd);

/* The wait status of a child the server forked, once it has ended (its
 * pidfd polled readable; otherwise this waits). Returns 0 with *wstatus,
 * -ECHILD when the server knows no such child, -EPIPE when the server is
 * gone. */
int forkserver_wait(struct forkserver *fs, pid_t pid, int *wstatus);

pid_t forkserver_pid(const struct forkserver *fs);

/* Ends the server (end of file on its socket; SIGKILL after a second) and
 * reaps it; children still alive get SIGKILL (their PDEATHSIG). NULL is
 * accepted. */
void forkserver_stop(struct forkserver *fs);

#endif
