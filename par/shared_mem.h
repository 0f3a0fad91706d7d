/* shared_mem.h: memory a caller shares with a fork pool's workers, so that
 * a map's arguments are read, and its small results written, where they lie
 * instead of travelling through the channel (multiprocessing's
 * sharedctypes, for a pool's own arrays).
 *
 * Memory from pool_shared_alloc is an anonymous MAP_SHARED mapping: a
 * process forked while it exists maps the same pages at the same address.
 * A fork pool (start method fork, channel shm) started after the
 * allocation uses it for pool_map: when a map's argument records lie in
 * such memory, a worker reads them in place; when its status and results
 * arrays both do, a worker writes each small result (one that fits
 * TASK_RESULT_INLINE, into a slot whose heap is NULL) straight into
 * results[i] and status[i], and only larger results and the count travel.
 * Everything else works as with private memory (a region allocated after
 * the pool started, imap, the executor, the pipe channel, spawn and
 * forkserver workers: all through the channel). A thread pool and serial
 * code use it as any memory.
 *
 * A caller must not free it while a map that uses it is running (as with
 * any array given to pool_map_async).
 */
#ifndef PAR_SHARED_MEM_H
#define PAR_SHARED_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* bytes of zeroed shared memory, page-aligned. Returns NULL with errno set
 * (ENOMEM). Thread-safe. */
void *pool_shared_alloc(size_t bytes);

/* Frees what pool_shared_alloc returned (bytes as given). NULL: nothing. */
void pool_shared_free(void *p, size_t bytes);

/* For the fork pool: the generation of the newest region (0: none yet);
 * and whether [p, p + len) lies inside one region that is still allocated
 * and whose generation is at most upto (so it existed when a process
 * started at generation upto was forked). */
uint64_t shared_mem_generation(void);
bool shared_mem_covers(const void *p, size_t len, uint64_t upto);

/* A copy of the registry, kept by one user (a fork pool, under its lock)
 * and refreshed when a region has been allocated or freed since: a look-up
 * then reads the registry's epoch and the copy, not its lock and list.
 * Zeroed memory is an empty cache. */
#define SHARED_MEM_CACHED 8
struct shared_mem_cache {
	uint64_t epoch;             /* the registry's epoch when copied; 0: never */
	unsigned n;                 /* regions copied */
	bool all;                   /* every region is in the copy */
	struct {
		uintptr_t lo, hi;
		uint64_t gen;
	} r[SHARED_MEM_CACHED];
};

/* shared_mem_covers, answered from c (refreshed first if stale). */
bool shared_mem_covers_cached(struct shared_mem_cache *c, const void *p, size_t len,
			      uint64_t upto);

/* For a fork pool worker, right after its fork: maps every region it
 * inherited into its own page tables (MADV_POPULATE_WRITE), so that its
 * first map does not fault its way through them. */
void shared_mem_populate(void);

#endif
