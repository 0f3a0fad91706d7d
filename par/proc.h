/* proc.h: small process helpers for the runtime: a child's wait status as
 * text, pidfds (signal, reap), counting this process's threads.
 *
 * None is async-signal-safe; all may be called from any thread, and in a
 * child after fork.
 */
#ifndef PROC_H
#define PROC_H

#include <stddef.h>

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

/* Threads of the calling process (from /proc/self/status), or -1. */
int proc_count_threads(void);

#endif
