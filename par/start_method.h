/* start_method.h: how a process worker starts: the C counterparts of
 * Python's multiprocessing start methods (get_context("fork"), "spawn",
 * "forkserver"). Used by the fork pool (pool_options.start), the executor
 * over it, and the driver's fork-spawn mode.
 *
 *   fork        the parent forks the worker with glibc's fork(): a copy of
 *               the parent, same code and memory, cheap; refused once the
 *               parent has other threads (a child would inherit locks they
 *               held, with no thread to release them).
 *   spawn       the worker is a fresh program: posix_spawn of this program
 *               (par/spawn.h), its channel's descriptors inherited. It
 *               shares no memory with the parent and has other code
 *               addresses, so tasks travel by name (par/task_registry.h).
 *               Works from a parent with threads.
 *   forkserver  a single-threaded server process, started with the pool,
 *               forks the workers with glibc's fork() and relays each
 *               child's pidfd and exit status (par/forkserver.h). As in
 *               CPython, the server is a fresh program (spawned, as above),
 *               so its workers are copies of a fresh image, not of the
 *               parent: tasks travel by name as under spawn, and a pool
 *               starts the same way whether the parent has threads or not.
 *               Starting costs one spawn and N forks.
 */
#ifndef START_METHOD_H
#define START_METHOD_H

#include <stdbool.h>

enum pool_start {
	POOL_START_FORK = 0,   /* the zero value: what tvp always did */
	POOL_START_SPAWN,
	POOL_START_FORKSERVER,
};

#define POOL_START_COUNT 3

/* "fork", "spawn", "forkserver". */
const char *pool_start_name(enum pool_start s);

/* Parses one of those names; returns 0, or -EINVAL for anything else. */
int pool_start_parse(const char *name, enum pool_start *out);

/* True when a worker started this way is a fresh image of the program
 * (spawn, forkserver): it inherits no memory of the parent, so its tasks and
 * initializer must be registered (par/task_registry.h), the initializer's
 * argument travels as pool_options.initarg_len bytes, and a workload's
 * state must be rebuilt in the worker. False for fork. */
bool pool_start_by_name(enum pool_start s);

#endif
