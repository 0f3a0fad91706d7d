/* proc.h: small process helpers for the runtime: a child's wait status as
 * text, pidfds (signal, reap), counting this process's threads, and forking
 * a worker process safely (the one reset a forked child makes).
 *
 * None is async-signal-safe; all may be called from any thread, and in a
 * child after fork.
 */
#ifndef PROC_H
#define PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How many threads a process may have when it forks: one, its own.
 * ThreadSanitizer runs a background thread of its own in every process; its
 * fork() interceptor stops it from holding anything across the fork, so
 * under TSan that thread is allowed too. */
#ifdef __SANITIZE_THREAD__
#define PROC_FORK_SAFE_THREADS 2
#else
#define PROC_FORK_SAFE_THREADS 1
#endif

/* Most descriptors proc_child_init keeps. */
#define PROC_MAX_KEEP 8

/* Writes what ended a child into buf, from a wait status as waitpid gives
 * it: "exited with status 3" or "killed by signal 11 (Segmentation fault)".
 * Returns buf. */
char *proc_status_text(int status, char *buf, size_t len);

/* Sends sig to the process behind pidfd. Returns 0 or a negative errno. */
int proc_pidfd_signal(int pidfd, int sig);

/* Waits for the child behind pidfd to end and reaps it, retrying on EINTR.
 * Returns its wait status (as waitpid would give it), or -1 if it could not
 * be had (someone else reaped it). */
int proc_pidfd_reap(int pidfd);

/* A pidfd for pid, a child the caller has just made. If it cannot be had,
 * the child is killed and reaped, and the negative errno returned. */
int proc_child_pidfd(pid_t pid);

/* Threads of the calling process (from /proc/self/status), or -1. */
int proc_count_threads(void);

/* proc_count_threads, after waiting up to wait_ns for the count to fall to
 * most: a thread that pthread_join has just returned for is still counted
 * until the kernel has reaped it, a few microseconds later (a fork pool
 * started right after a thread pool was freed refused to fork, "this
 * process has 2 threads", in make check). */
int proc_threads_settle(int most, uint64_t wait_ns);

/* How long a fork waits for joined threads to be reaped. */
#define PROC_SETTLE_NS 50000000u

/* glibc's fork() with every signal blocked across it: the parent's mask is
 * restored in the parent; the child keeps every signal blocked until it
 * calls proc_child_init (so a signal cannot run a handler it inherited).
 * Returns as fork() does (errno set on -1). Call only while the process
 * has at most PROC_FORK_SAFE_THREADS threads. */
pid_t proc_fork_quiet(void);

/* The one reset in a freshly forked worker or server (libuv's
 * uv__process_child_init): caught signals back to their defaults, SIGINT
 * and SIGPIPE ignored, the parent-death signal armed (SIGKILL), every signal
 * unblocked, every descriptor above stderr closed except keep[0..nkeep)
 * (at most PROC_MAX_KEEP). Returns false when the parent is no longer
 * parent_pid (it died before the death signal was armed: _exit then). */
bool proc_child_init(pid_t parent_pid, const int *keep, unsigned nkeep);

#endif
