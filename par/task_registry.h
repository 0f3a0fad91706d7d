/* task_registry.h: task functions (and pool initializers) by name, for
 * workers that are a fresh program (the spawn start method,
 * par/start_method.h).
 *
 * DESIGN
 * A forked worker runs the parent's code at the parent's addresses, so a
 * task travels as a function pointer (par/task.h). A spawned worker is a new
 * image of the program: under ASLR its code sits elsewhere, so a pointer
 * means nothing there. The parent sends a task's registered name (on the
 * wire: a 64-bit id derived from it) and the worker looks it up in its own
 * registry: the C analogue of pickle sending a function by its qualified
 * name, which is why Python's spawn needs the function importable from the
 * main module and the `if __name__ == "__main__":` guard. The registry is
 * filled by constructors (TASK_REGISTER), so a fresh image of the same
 * program has the same entries before main runs; a worker checks the
 * registry's digest against its parent's when it starts and refuses to run
 * on a mismatch. The digest covers what was registered when main began
 * (spawn_worker_entry seals it), the only entries a fresh image is sure to
 * have: a task registered later at run time is refused by a spawned worker
 * with a message, not by the digest.
 *
 * The constructors run at priority TASK_REGISTER_PRIORITY, before any
 * constructor of default priority, so code that runs before main (or a
 * library's constructor) already finds every task. Names are C names, one
 * namespace for the whole program: a second function under a taken name is
 * refused and remembered (task_registry_conflict), and a spawn pool
 * refuses to start while there is one, so a clash is seen at once.
 */
#ifndef TASK_REGISTRY_H
#define TASK_REGISTRY_H

#include <stdint.h>

#include "par/task.h"

#define TASK_NAME_MAX 64

/* Any function the registry holds: a task_fn or an initializer
 * (void (*)(void *)), cast. */
typedef void (*task_any_fn)(void);

/* Registers fn under name (1 to TASK_NAME_MAX - 1 bytes). Returns 0 (also
 * when this very pair is registered already), -EEXIST when the name or
 * its id is taken by another function or fn has another name, -EINVAL for
 * a bad name, -ENOMEM. Thread-safe. */
int task_registry_add(const char *name, task_any_fn fn);

/* The name fn was registered under, or NULL. */
const char *task_registry_name(task_any_fn fn);

/* The id that travels for fn (never 0), or 0 when fn is not registered. */
uint64_t task_registry_id(task_any_fn fn);

/* The function registered with that id or name, or NULL. */
task_any_fn task_registry_by_id(uint64_t id);
task_any_fn task_registry_find(const char *name);

/* A digest of every (name, id) registered: equal in two images of the same
 * program that registered the same tasks. */
uint64_t task_registry_digest(void);

/* Marks everything registered so far as what every image has at load
 * time: the digest covers those entries only. Called by spawn_worker_entry
 * (in the parent and in a worker alike); later calls do nothing. */
void task_registry_seal(void);

/* The first name refused because another function holds it (or its id),
 * or NULL when there was none. */
const char *task_registry_conflict(void);

/* Before default-priority constructors (101-199 are free for programs). */
#define TASK_REGISTER_PRIORITY 150

/* Registers a task or initializer at load time, under its C name:
 *   TASK_REGISTER(workload_run_task);  at file scope. */
#define TASK_REGISTER(fn)                                                          \
	static void __attribute__((constructor(TASK_REGISTER_PRIORITY)))             \
	task_register_##fn(void)                                                     \
	{                                                                            \
		task_registry_add(#fn, (task_any_fn)(fn));                           \
	}

#endif
