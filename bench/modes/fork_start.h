/* fork_start.h: how the fork-spawn mode starts the process of one task,
 * under each start method (par/start_method.h), and what that process does.
 *
 * DESIGN
 *   fork        fork() in the run loop's one thread: a copy of tvp that
 *               finds the workload instance at the parent's address.
 *   spawn       spawn_worker(role "task"): a fresh tvp (its /proc/PID/cmdline
 *               names the role and the task) whose init bytes are the
 *               instance (workloads/workload_wire.h), then the task index and
 *               its slot's CPUs; it rebuilds the instance and runs the task.
 *   forkserver  a fresh tvp started by setup as a fork server
 *               (forkserver_spawn, role "task"), single-threaded, whose
 *               children get the same bytes (the instance as the server's
 *               context, the task as the request): CPython's forkserver,
 *               with no fork of tvp itself.
 * Whichever started it, the process binds itself to its slot's CPUs (part
 * of what starting a worker costs), runs its task, writes a struct
 * fork_start_head and the result bytes to its pipe, and exits. The parent
 * reaps it as its own child (fork, spawn) or asks the server for its wait
 * status (forkserver).
 */
#ifndef FORK_START_H
#define FORK_START_H

#include <stdint.h>
#include <sys/types.h>

#include "bench/modes/mode.h"

/* What a task's process writes before its result bytes. */
struct fork_start_head {
	int32_t status;
	int32_t pinned;             /* as worker_stats.pinned */
	uint64_t busy_ns;
	uint64_t len;
	int32_t cpu;                /* where the task ended, or -1 */
	char bound[96];
};

struct fork_start;

/* Prepares m->start for a measurement of m (the mode's setup, not timed):
 * spawn encodes the instance, forkserver also starts the server. Returns 0 with
 * *out, or a negative errno with m->err set. */
int fork_start_new(struct fork_start **out, struct mode_run *m);

/* Starts task index's process for slot, its outcome to go to wfd, the
 * write end of its pipe (rfd, the read end, is closed in a forked child;
 * the caller closes its copy of wfd after). Returns 0 with *pid and *pidfd
 * (-1 under fork), or a negative errno with m->err set. */
int fork_start_task(struct fork_start *fs, struct mode_run *m, unsigned slot, uint64_t index,
		    int rfd, int wfd, pid_t *pid, int *pidfd);

/* After the process closed its pipe: waits for it to end, stores its wait
 * status and closes pidfd. */
void fork_start_reap(struct fork_start *fs, pid_t pid, int pidfd, int *wstatus);

/* Kills the process (SIGKILL) and reaps it. */
void fork_start_kill(struct fork_start *fs, pid_t pid, int pidfd);

/* Stops the server, frees the bytes. NULL is accepted. */
void fork_start_free(struct fork_start *fs);

#endif
