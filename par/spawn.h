/* spawn.h: starting a worker as a fresh image of this program
 * (posix_spawn of /proc/self/exe), for the spawn start method
 * (par/start_method.h).
 *
 * DESIGN
 * A spawned worker runs main() again, so the program must let it in before
 * it does anything else: main calls spawn_worker_entry(argc, argv) first (the
 * C counterpart of `if __name__ == "__main__":` in reverse: a spawned worker
 * takes the other branch). argv[1] is SPAWN_ARGV1, argv[2] the role (what
 * kind of worker: "pool", "task"), argv[3] a label for people ("worker 3
 * of pool 12345"), so /proc/PID/cmdline shows what the process is. The
 * role's function is looked up by name among the registered roles; it gets
 * the descriptors the parent passed (renumbered from 3, in order) and the
 * initial bytes, which travel through a pipe (arbitrary size, not visible
 * in ps). posix_spawn uses CLONE_VM|CLONE_VFORK and exec, so it is safe
 * from a parent with threads. Every descriptor the worker did not get is
 * close-on-exec in the parent (tvp's rule) or closed by the role.
 */
#ifndef SPAWN_H
#define SPAWN_H

#include <stddef.h>
#include <sys/types.h>

#define SPAWN_ARGV1 "--tvp-spawned-worker"
#define SPAWN_MAX_FDS 6

/* A role's main: never returns (exits with its own code). fds[i] is
 * descriptor 3 + i. init holds the parent's init bytes (freed at exit). */
typedef void (*spawn_role_fn)(const void *init, size_t len, const int *fds, unsigned nfds)
	__attribute__((noreturn));

/* Registers a role (from a constructor: SPAWN_ROLE). Returns 0, -EEXIST,
 * -EINVAL, -ENOMEM. */
int spawn_role_add(const char *name, spawn_role_fn fn);

#define SPAWN_ROLE(name, fn)                                                        \
	static void __attribute__((constructor)) spawn_role_##fn(void)                \
	{                                                                           \
		spawn_role_add(name, fn);                                           \
	}

/* Call first in main(). Returns at once unless argv[1] is SPAWN_ARGV1;
 * otherwise runs the role and never returns (exit 70 with one line on
 * stderr for an unknown role or unreadable init bytes). */
void spawn_worker_entry(int argc, char **argv);

/* Starts this program as a worker in role, with fds[0..nfds) as its
 * descriptors 3.. and init[0..len) as its init bytes. Returns 0 with *pid
 * and *pidfd (the caller's child: waitid(P_PIDFD) reaps it), or a negative
 * errno with err set ("posix_spawn /proc/self/exe: ..."). */
int spawn_worker(const char *role, const char *label, const void *init, size_t len,
		 const int *fds, unsigned nfds, pid_t *pid, int *pidfd, char *err, size_t errlen);

#endif
