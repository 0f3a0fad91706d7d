/* shm_state.h: a workload's state in memory shared with its workers: the
 * threads, the forked workers (they inherit the mapping) and the spawned
 * ones (they map it again by name, as Python's shared_memory does).
 *
 * DESIGN
 * The parent makes a POSIX shared memory object (shm_open of a name unique
 * to this process) and maps it MAP_SHARED; a spawned worker, a fresh program
 * without the parent's mappings, opens the same name and maps it at an
 * address of its own, so the state must hold no pointers. The name is the
 * state's own first field, so a workload keeps one pointer as before. It
 * lives until the owner frees the state (teardown runs after errors and
 * Ctrl-C too); a tvp killed outright leaves its /dev/shm/tvp-PID-* behind,
 * and the next tvp to make a state removes the names of PIDs that no longer
 * exist (Python's resource tracker is a process of its own for this; a
 * sweep at the next start needs none).
 * Where shm_open fails (no /dev/shm), the state falls back to an anonymous
 * shared mapping: threads and forked workers still share it, and exporting
 * it to a spawned worker fails saying why.
 */
#ifndef SHM_STATE_H
#define SHM_STATE_H

#include <stddef.h>

#include "workloads/workload.h"

#define SHM_STATE_NAME_MAX 64

/* The first field of every shared state: its name, "" when anonymous. */
struct shm_state_head {
	char name[SHM_STATE_NAME_MAX];
};

/* Makes len (at least sizeof struct shm_state_head) zeroed shared bytes
 * whose head holds their name; what ("contention") goes into the name.
 * Returns the address, or NULL with err set (only when even an anonymous
 * mapping fails). Call in the parent. */
void *shm_state_new(size_t len, const char *what, char *err, size_t errlen);

/* A workload's export_state when wi->state is such a state: its name as
 * malloc'd bytes, for a spawned worker. Returns 0, or -ENOTSUP with err
 * when it has none. */
int shm_state_export(const struct workload_inst *wi, void **bytes, size_t *len, char *err,
		     size_t errlen);

/* In the spawned worker (import_state): maps the state those bytes name,
 * of len bytes. Returns the address, or NULL with err set. */
void *shm_state_import(const void *bytes, size_t blen, size_t len, char *err, size_t errlen);

/* Unmaps len bytes at state; owner (the parent that made it) also removes
 * the name. NULL is accepted. */
void shm_state_free(void *state, size_t len, int owner);

#endif
