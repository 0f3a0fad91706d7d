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
 * share. The list is searched per message (a piece of about 64 KiB of
 * arguments), so its length does not matter; a process with thousands of
 * regions would want a tree.
 */
#include "par/shared_mem.h"

#include <errno.h>
#include <pthread.h>
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

bool shared_mem_covers(const void *p, size_t len, uint64_t upto)
{
	uintptr_t a = (uintptr_t)p;
	bool yes = false;

	if (!p || upto == 0)
		return false;
	pthread_mutex_lock(&regions_mu);
	for (struct region *r = regions; r; r = r->next)
		if (a >= r->lo && a <= r->hi && len <= r->hi - a) {
			yes = r->gen <= upto;
			break;
		}
	pthread_mutex_unlock(&regions_mu);
	return yes;
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
