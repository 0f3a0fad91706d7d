/* forkserver.h: a single-threaded process that forks children on request,
 * for the forkserver start method (par/start_method.h) and for the fork
 * pool's replacements once its parent has threads.
 *
 * DESIGN
 * CPython's forkserver: a server that never starts a thread, so forking
 * from it is always safe. It comes in two kinds. forkserver_start forks it
 * while the caller has one thread: a copy of the caller as it was then
 * (code, memory, registered tasks), whose children run a function with a
 * context pointer valid in the copy (the fork pool's replacements under the
 * fork method). forkserver_spawn spawns it as a fresh image of the program
 * (par/spawn.h), safe from a caller with threads: its children run a spawn
 * role, with the context bytes given at start followed by the request's
 * bytes as the role's init bytes (the forkserver start method). The caller
 * sends a request (bytes, and descriptors with SCM_RIGHTS) over a UNIX
 * socket; the server forks with glibc's fork() (so the child's thread id
 * cache and robust-mutex list are right and a robust mutex it dies holding
 * is recovered), resets the child (par/proc.h: proc_child_init, keeping the
 * request's descriptors only), runs the child's function, and answers with
 * the child's pid and a pidfd for it. The child is the server's, not the
 * caller's: the caller polls and signals it through the pidfd, and asks the
 * server for its wait status (forkserver_wait), which the server reaps and
 * relays. The server dies with the caller (PR_SET_PDEATHSIG, checked after
 * arming, when the caller's main thread started it; else when its socket
 * hangs up: sys.h) and its children with the server. Calls are serialised by a lock
 * of the struct: any thread of the caller may call.
 */
#ifndef FORKSERVER_H
#define FORKSERVER_H

#include <stddef.h>
#include <sys/types.h>

#define FORKSERVER_REQ_MAX 4096
#define FORKSERVER_MAX_FDS 6

struct forkserver;

/* What a forked child runs: ctx as given to forkserver_start (valid: the
 * child is a copy of the server, a copy of the caller at start), the
 * request bytes, and the descriptors sent with it. Never returns. */
typedef void (*forkserver_child_fn)(void *ctx, const void *req, size_t len, const int *fds,
				    unsigned nfds) __attribute__((noreturn));

/* Forks the server. Call while the process has one thread (else -EBUSY).
 * Returns 0 with *out, or a negative errno with err set. */
int forkserver_start(struct forkserver **out, forkserver_child_fn fn, void *ctx, char *err,
		     size_t errlen);

/* Spawns the server as a fresh image (spawn role "forkserver", labelled
 * label). Its children run the spawn role `role` with ctx[0..ctx_len)
 * followed by the request bytes as init bytes, and the request's
 * descriptors. Safe from any thread. Returns 0 with *out, or a negative
 * errno with err set (as spawn_worker; -ENOENT for an unknown role). */
int forkserver_spawn(struct forkserver **out, const char *role, const void *ctx,
		     size_t ctx_len, const char *label, char *err, size_t errlen);

/* Has the server fork a child (len at most FORKSERVER_REQ_MAX, nfds at most
 * FORKSERVER_MAX_FDS). Returns 0 with *pid and *pidfd (pollable,
 * signalable, not waitable by the caller), -EPIPE when the server is gone,
 * or the negative errno of the call that failed, with err naming it
 * ("fork server (pid 123): fork: Resource temporarily unavailable"). */
int forkserver_fork(struct forkserver *fs, const void *req, size_t len, const int *fds,
		    unsigned nfds, pid_t *pid, int *pidfd, char *err, size_t errlen);

/* The wait status of a child the server forked, once it has ended (its
 * pidfd polled readable; otherwise this waits, and the server with it).
 * Returns 0 with *wstatus, -ECHILD when the server knows no such child,
 * -EPIPE when the server is gone. */
int forkserver_wait(struct forkserver *fs, pid_t pid, int *wstatus);

pid_t forkserver_pid(const struct forkserver *fs);

/* Ends the server (end of file on its socket; SIGKILL after a second) and
 * reaps it; children still alive get SIGKILL (their PDEATHSIG). NULL is
 * accepted. */
void forkserver_stop(struct forkserver *fs);

#endif
