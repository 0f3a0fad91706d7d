/* spawn.h: starting a worker as a fresh image of this program
 * (posix_spawn of /proc/self/exe), for the spawn start method
 * (par/start_method.h).
 *
 * DESIGN
 * A spawned worker runs main() again, so the program must let it in before
 * it does anything else: main calls spawn_worker_entry(argc, argv) first (the
 * C counterpart of `if __name__ == "__main__":` in reverse: a spawned worker
 * takes the other branch). argv[1] is SPAWN_ARGV1, argv[2] the role (what
 * kind of worker: "pool", "forkserver"), argv[3] a label for people ("worker
 * 3 of pool 12345"), so /proc/PID/cmdline shows what the process is. The
 * role's function is looked up by name among the registered roles; it gets
 * the descriptors the parent passed (renumbered from 3, in order) and the
 * initial bytes, which travel in a memfd written before the spawn and seen
 * by the worker as descriptor SPAWN_INIT_FD (any size, no blocking write
 * after the spawn, not visible in ps). posix_spawn uses CLONE_VM|CLONE_VFORK
 * and exec, so it is safe from a parent with threads. The worker starts
 * with no signal blocked and every signal at its default, and holds no
 * descriptor but stdio and its own: the file actions close the rest.
 *
 * Before the role runs, the entry point does what every worker needs: it
 * ignores SIGINT (the parent decides when a run stops), and arms
 * PR_SET_PDEATHSIG (SIGKILL), checking afterwards that the parent is still
 * the one that spawned it. The death signal follows the parent THREAD
 * that spawned the worker, so it is armed only when that was the parent's
 * main thread (the init bytes' header says so; sys.h): a worker spawned
 * by a thread that then returned was killed under its pool.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#define SPAWN_ARGV1 "--tvp-spawned-worker"
#define SPAWN_MAX_FDS 6
#define SPAWN_INIT_FD (3 + SPAWN_MAX_FDS)   /* where a worker finds its init bytes */
#define SPAWN_EXIT_BAD_START 70              /* unknown role, unreadable init bytes */

/* A role's main: never returns (exits with its own code). fds[i] is
 * descriptor 3 + i. init holds the parent's init bytes (valid until the
 * process ends). */
typedef void (*spawn_role_fn)(const void *init, size_t len, const int *fds, unsigned nfds)
	__attribute__((noreturn));

/* Registers a role (from a constructor: SPAWN_ROLE). Returns 0 (also for
 * this very pair again), -EEXIST (the name is another function's),
 * -EINVAL, -ENOMEM (more than a few roles). */
int spawn_role_add(const char *name, spawn_role_fn fn);

/* The role registered under name, or NULL. */
spawn_role_fn spawn_role_find(const char *name);

/* Registers a role at load time, before default-priority constructors:
 *   SPAWN_ROLE("pool", fork_image_role);  at file scope. */
#define SPAWN_ROLE_PRIORITY 150
#define SPAWN_ROLE(name, fn)                                                        \
	static void __attribute__((constructor(SPAWN_ROLE_PRIORITY))) spawn_role_##fn(void) \
	{                                                                           \
		spawn_role_add(name, fn);                                           \
	}

/* Call first in main(). Returns at once unless argv[1] is SPAWN_ARGV1
 * (having noted argv[0] and that the program has an entry point for
 * workers, and sealed the task registry: task_registry_seal); otherwise
 * runs the role and never returns (exit SPAWN_EXIT_BAD_START with one line
 * on stderr for a malformed command line, an unknown role or unreadable
 * init bytes; exit 0 when the parent is already gone). */
void spawn_worker_entry(int argc, char **argv);

/* Starts this program as a worker in role, with fds[0..nfds) (at most
 * SPAWN_MAX_FDS) as its descriptors 3.. and init[0..len) as its init
 * bytes. Safe from any thread, with other threads running. Returns 0 with
 * *pid and *pidfd (the caller's child: waitid(P_PIDFD) reaps it), or a
 * negative errno with err naming the call that failed ("posix_spawn
 * /proc/self/exe: ...", "memfd_create: ..."). -ENOEXEC when main never
 * called spawn_worker_entry (a spawned copy would run main instead). The
 * caller keeps its fds. */
int spawn_worker(const char *role, const char *label, const void *init, size_t len,
		 const int *fds, unsigned nfds, pid_t *pid, int *pidfd, char *err, size_t errlen);

#endif
