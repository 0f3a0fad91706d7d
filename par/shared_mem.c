/* shared_mem.c: memory shared with a fork pool's workers (shared_mem.h).
 *
 * DESIGN
 * Why: a process pool copies every result back into the caller's private
 * array on the parent's one core, while a thread pool's workers write it in
 * parallel. In a map of 1,000,000 empty tasks at 2 workers on the 2-vCPU VM
 * the parent spent 8 ns a record (decode and the argument copy into the
 * ring; 44 bytes of results a record), the workers 5 each: the fork pool
 * took 10 ms to the thread pool's 3-4.5. Memory the workers share removes
 * both copies; what is left per record is what a thread pool does.
 *
 * Regions are kept in a small list under a mutex, each with a generation
 * (a counter bumped per allocation). A fork pool notes the generation when
 * it starts (before it forks its server and workers): a region is shared
 * with its workers only if it is still allocated and its generation is no
 * newer. A region freed and another allocated at the same address has a
 * newer generation, so no worker is sent to write into pages it does not
 * share. A process with thousands of regions would want a tree.
 *
 * Look-ups go through a copy of the list kept by their user (struct
 * shared_mem_cache, one per fork pool): the registry has an epoch, bumped
 * by every allocation and free, and a copy made at one epoch answers as
 * long as it has not moved; the pool's warm-up makes it, so a timed map
 * finds it fresh. A fork pool asks three times per job (arguments,
 * statuses, results): under the lock, in a one-task map timed by tvp run,
 * that was 0.4-0.7 us of the submit's 1.3-1.8 on the 2-vCPU VM (three lock
 * round trips over list nodes gone cold since the warm-up), against 0.7
 * for a thread pool's whole submit; through the copy, 0.2-0.35 (timestamps
 * in a build made for it, one clock read of about 50 ns included).
 */
#include "par/shared_mem.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/mman.h>

struct region {
	uintptr_t lo, hi;
	uint64_t gen;
	struct region *next;
};

static pthread_mutex_t regions_mu = PTHREAD_MUTEX_INITIALIZER;
static struct region *regions;
static uint64_t last_gen;
static _Atomic uint64_t epoch = 1;   /* moves with every change of the list */

void *pool_shared_alloc(size_t bytes)
{
	struct region *r = malloc(sizeof *r);
	void *p;

	if (!r || bytes == 0) {
		int err = r ? EINVAL : ENOMEM;

		free(r);
		errno = err;
		return NULL;
	}
	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		free(r);
		errno = ENOMEM;
		return NULL;
	}
	r->lo = (uintptr_t)p;
	r->hi = r->lo + bytes;
	pthread_mutex_lock(&regions_mu);
	r->gen = ++last_gen;
	r->next = regions;
	regions = r;
	atomic_fetch_add_explicit(&epoch, 1, memory_order_release);
	pthread_mutex_unlock(&regions_mu);
	return p;
}

void pool_shared_free(void *p, size_t bytes)
{
	struct region **pr, *r = NULL;

	if (!p)
		return;
	pthread_mutex_lock(&regions_mu);
	for (pr = &regions; *pr; pr = &(*pr)->next)
		if ((*pr)->lo == (uintptr_t)p) {
			r = *pr;
			*pr = r->next;
			break;
		}
	atomic_fetch_add_explicit(&epoch, 1, memory_order_release);
	pthread_mutex_unlock(&regions_mu);
	free(r);
	munmap(p, bytes);
}

uint64_t shared_mem_generation(void)
{
	uint64_t g;

	pthread_mutex_lock(&regions_mu);
	g = last_gen;
	pthread_mutex_unlock(&regions_mu);
	return g;
}

static bool inside(uintptr_t a, size_t len, uintptr_t lo, uintptr_t hi)
{
	return a >= lo && a <= hi && len <= hi - a;
}

/* The region holding [a, a + len), or NULL. regions_mu held. */
static const struct region *find(uintptr_t a, size_t len)
{
	for (const struct region *r = regions; r; r = r->next)
		if (inside(a, len, r->lo, r->hi))
			return r;
	return NULL;
}

bool shared_mem_covers(const void *p, size_t len, uint64_t upto)
{
	const struct region *r;
	bool yes;

	if (!p || upto == 0)
		return false;
	pthread_mutex_lock(&regions_mu);
	r = find((uintptr_t)p, len);
	yes = r && r->gen <= upto;
	pthread_mutex_unlock(&regions_mu);
	return yes;
}

bool shared_mem_covers_cached(struct shared_mem_cache *c, const void *p, size_t len,
			      uint64_t upto)
{
	uintptr_t a = (uintptr_t)p;

	if (!p || upto == 0)
		return false;
	if (c->epoch != atomic_load_explicit(&epoch, memory_order_acquire)) {
		const struct region *r;

		pthread_mutex_lock(&regions_mu);
		c->epoch = atomic_load_explicit(&epoch, memory_order_relaxed);
		c->n = 0;
		for (r = regions; r && c->n < SHARED_MEM_CACHED; r = r->next, c->n++) {
			c->r[c->n].lo = r->lo;
			c->r[c->n].hi = r->hi;
			c->r[c->n].gen = r->gen;
		}
		c->all = r == NULL;
		pthread_mutex_unlock(&regions_mu);
	}
	for (unsigned k = 0; k < c->n; k++)
		if (inside(a, len, c->r[k].lo, c->r[k].hi))
			return c->r[k].gen <= upto;
	return c->all ? false : shared_mem_covers(p, len, upto);
}

/* A fork copies no page table entries of a shared mapping: each worker
 * would map the pages itself, a fault per 16 pages, in its first map (a
 * fresh pool's map of a million empty tasks took 2,200 of them, a third of
 * its time on the 2-vCPU VM). Done at the worker's start, it is the pool's
 * setup. Kernels before 5.14 refuse MADV_POPULATE_WRITE: the pages then
 * fault as before. The list is the one inherited from the parent, which
 * forked us with one thread: its lock is free. */
void shared_mem_populate(void)
{
#ifdef MADV_POPULATE_WRITE
	pthread_mutex_lock(&regions_mu);
	for (struct region *r = regions; r; r = r->next)
		(void)madvise((void *)r->lo, r->hi - r->lo, MADV_POPULATE_WRITE);
	pthread_mutex_unlock(&regions_mu);
#endif
}
