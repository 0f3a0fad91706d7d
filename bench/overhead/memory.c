/* memory.c: memory kernels of `tvp overhead`: the resident (RSS) and
 * proportional (PSS) memory that N idle workers add, as threads and as
 * processes, and what forked workers share copy-on-write until they write.
 *
 * Lesson: RSS counts every page a process can touch, shared or not, so N
 * forked workers seem to cost N times the parent. PSS divides each shared
 * page among the processes that map it, so summed over processes it is the
 * memory really used. Right after fork a child shares every page with its
 * parent; it gets a private copy of a page only when one of them writes it
 * (copy-on-write). An idle thread costs its touched stack and thread-local
 * storage; an idle process costs the pages it and its parent have written
 * since the fork, plus kernel memory (page tables) that neither figure shows.
 *
 * DESIGN
 * Threads: N threads on freshly mmap'd stacks of the default size (glibc
 * would otherwise reuse the cached stacks of earlier kernels, whose pages are
 * already resident), each blocked in read() on a pipe like an idle pool
 * worker. Added = (tvp's figure with them) - (without), divided by N; the
 * PSS is that of the memory tvp made (ovh_memory_made: anonymous and
 * shared), because a thread maps no file, and tvp's share of its
 * libraries' pages moves whenever another program maps or unmaps them
 * (seen: -100 KiB between two readings on a busy machine).
 *
 * Processes: N forked children, each blocked in read(). Added = (tvp's
 * figure + the children's) - (tvp's before), divided by N: for PSS the memory
 * the children really add; for RSS what a naive sum of ps(1) shows.
 *
 * Copy-on-write: a helper process (so the buffer never sits in tvp) maps and
 * writes 64 MiB, forks N children, reads each child's PSS and shared bytes,
 * lets every child write its whole copy of the buffer, and reads the PSS
 * again. Figures per child.
 *
 * All figures come from /proc/PID/smaps_rollup, read without allocating.
 */
#include "bench/overhead/ovh.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/util.h"

enum { MEM_THREADS, MEM_PROCESSES, MEM_COW_BEFORE, MEM_COW_AFTER };

#define COW_BYTES (64ull << 20)

struct mem {
	const struct ovh_bench *b;
	unsigned workers;
};

/* What the copy-on-write helper sends back, per child. */
struct cow_report {
	int64_t status;             /* 0 or a negative errno */
	double pss_before, shared_before, pss_after;
};

struct idle_thread {
	int fd;                     /* read end of the release pipe */
	_Atomic unsigned *ready;
};

static void *idle_thread_main(void *arg)
{
	struct idle_thread *t = arg;
	char c;

	atomic_fetch_add(t->ready, 1);
	while (read(t->fd, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static int mem_setup(const struct ovh_bench *b, const struct ovh_ctx *c, void **state, char *err,
		     size_t errlen)
{
	struct mem *s = xcalloc(1, sizeof *s);

	s->b = b;
	s->workers = c->workers;
	*state = s;
	return 0;
}

static void mem_teardown(void *state)
{
	free(state);
}

int ovh_idle_threads_memory(unsigned n, struct ovh_sample *out, char *err, size_t errlen)
{
	unsigned started = 0;
	pthread_t *th = xcalloc(n, sizeof *th);
	void **stacks = xcalloc(n, sizeof *stacks);
	struct idle_thread arg;
	_Atomic unsigned ready = 0;
	pthread_attr_t attr;
	size_t stack_bytes;
	uint64_t rss0, pss0, rss1, pss1;
	int rel[2], rc;

	if (pipe2(rel, O_CLOEXEC) != 0) {
		rc = ovh_fail(err, errlen, -errno, "pipe: %s", strerror(errno));
		goto out_free;
	}
	pthread_attr_init(&attr);
	pthread_attr_getstacksize(&attr, &stack_bytes);
	arg.fd = rel[0];
	arg.ready = &ready;
	rc = ovh_memory_made(0, &rss0, &pss0);
	if (rc) {
		rc = ovh_fail(err, errlen, rc, "reading /proc/self/smaps_rollup: %s", strerror(-rc));
		goto out_close;
	}
	for (; started < n; started++) {
		void *st = mmap(NULL, stack_bytes, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		int e;

		if (st == MAP_FAILED) {
			rc = ovh_fail(err, errlen, -errno, "mmap of a thread stack: %s", strerror(errno));
			goto out_join;
		}
		stacks[started] = st;
		pthread_attr_setstack(&attr, st, stack_bytes);
		e = pthread_create(&th[started], &attr, idle_thread_main, &arg);
		if (e) {
			munmap(st, stack_bytes);
			stacks[started] = NULL;
			rc = ovh_fail(err, errlen, -e, "pthread_create (thread %u of %u): %s", started + 1,
				      n, strerror(e));
			goto out_join;
		}
	}
	while (atomic_load(&ready) < n)
		sleep_ns(100000);
	sleep_ns(1000000);   /* let each thread reach its read() */
	rc = ovh_memory_made(0, &rss1, &pss1);
	if (rc) {
		rc = ovh_fail(err, errlen, rc, "reading /proc/self/smaps_rollup: %s", strerror(-rc));
		goto out_join;
	}
	out->value = ((double)pss1 - (double)pss0) / n;
	out->extra[0] = ((double)rss1 - (double)rss0) / n;
out_join:
	close(rel[1]);
	rel[1] = -1;
	for (unsigned i = 0; i < started; i++) {
		pthread_join(th[i], NULL);
		munmap(stacks[i], stack_bytes);
	}
out_close:
	pthread_attr_destroy(&attr);
	close(rel[0]);
	if (rel[1] >= 0)
		close(rel[1]);
out_free:
	free(stacks);
	free(th);
	return rc;
}

/* Forks n children that report on ready_fd and wait for EOF on rel[0]; if
 * before_exit is set, each child also waits for one byte on go[0] (EOF: it
 * leaves), then calls it and reports again. Returns how many started
 * (pids[]), with *rc set on failure. */
static unsigned fork_idle(unsigned n, pid_t *pids, int ready_fd, int rel[2], int go[2],
			  void (*before_exit)(void *), void *arg, int *rc)
{
	unsigned i;

	*rc = 0;
	for (i = 0; i < n; i++) {
		pids[i] = fork();
		if (pids[i] < 0) {
			*rc = -errno;
			break;
		}
		if (pids[i] == 0) {
			char c = 'r';

			sys_child_after_fork();
			close(rel[1]);
			if (go)
				close(go[1]);
			write_full(ready_fd, &c, 1);
			if (before_exit) {
				if (read_full(go[0], &c, 1) != 0)
					_exit(1);
				before_exit(arg);
				write_full(ready_fd, &c, 1);
			}
			while (read(rel[0], &c, 1) < 0 && errno == EINTR)
				;
			_exit(0);
		}
	}
	return i;
}

static int reap_all(const pid_t *pids, unsigned n)
{
	int rc = 0;

	for (unsigned i = 0; i < n; i++) {
		int st = ovh_waitpid(pids[i]);
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			rc = -ECHILD;
	}
	return rc;
}

static int measure_processes(struct mem *s, struct ovh_sample *out, char *err, size_t errlen)
{
	unsigned n = s->workers, started;
	pid_t *pids = xcalloc(n, sizeof *pids);
	uint64_t rss0, pss0, rss, pss;
	double rss_sum, pss_sum;
	int rdy[2], rel[2], rc, rc2;
	char c;

	if (pipe2(rdy, O_CLOEXEC) != 0) {
		free(pids);
		return ovh_fail(err, errlen, -errno, "pipe: %s", strerror(errno));
	}
	if (pipe2(rel, O_CLOEXEC) != 0) {
		rc = ovh_fail(err, errlen, -errno, "pipe: %s", strerror(errno));
		goto out_rdy;
	}
	rc = ovh_smaps_rollup(0, &rss0, &pss0, NULL);
	if (rc) {
		rc = ovh_fail(err, errlen, rc, "reading /proc/self/smaps_rollup: %s", strerror(-rc));
		goto out_rel;
	}
	started = fork_idle(n, pids, rdy[1], rel, NULL, NULL, NULL, &rc);
	if (rc) {
		rc = ovh_fail(err, errlen, rc, "fork (worker %u of %u): %s", started + 1, n, strerror(-rc));
		goto out_reap;
	}
	for (unsigned i = 0; i < n && rc == 0; i++)
		rc = read_full(rdy[0], &c, 1);
	if (rc) {
		rc = ovh_fail(err, errlen, rc, "a worker did not start: %s", strerror(-rc));
		goto out_reap;
	}
	sleep_ns(1000000);   /* let each child reach its read() */
	rc = ovh_smaps_rollup(0, &rss, &pss, NULL);
	rss_sum = (double)rss;
	pss_sum = (double)pss;
	for (unsigned i = 0; i < n && rc == 0; i++) {
		rc = ovh_smaps_rollup(pids[i], &rss, &pss, NULL);
		rss_sum += (double)rss;
		pss_sum += (double)pss;
	}
	if (rc) {
		rc = ovh_fail(err, errlen, rc, "reading smaps_rollup: %s", strerror(-rc));
		goto out_reap;
	}
	out->value = (pss_sum - (double)pss0) / n;
	out->extra[0] = (rss_sum - (double)rss0) / n;
out_reap:
	close(rel[1]);
	rel[1] = -1;
	rc2 = reap_all(pids, started);
	if (rc == 0 && rc2)
		rc = ovh_fail(err, errlen, rc2, "a worker ended abnormally");
out_rel:
	close(rel[0]);
	if (rel[1] >= 0)
		close(rel[1]);
out_rdy:
	close(rdy[0]);
	close(rdy[1]);
	free(pids);
	return rc;
}

static unsigned char *cow_buffer;

static void cow_write(void *arg)
{
	memset(cow_buffer, 0x77, COW_BYTES);
}

/* In the copy-on-write helper: does the whole sequence and returns its
 * report. */
static struct cow_report cow_helper(unsigned n)
{
	struct cow_report r = { 0, 0, 0, 0 };
	pid_t *pids = xcalloc(n, sizeof *pids);
	unsigned started = 0;
	uint64_t rss, pss, shared;
	int rdy[2], rel[2], go[2], rc;
	char c = 'g';

	cow_buffer = mmap(NULL, COW_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (cow_buffer == MAP_FAILED || pipe(rdy) || pipe(rel) || pipe(go)) {
		r.status = -errno;
		return r;
	}
	memset(cow_buffer, 0x11, COW_BYTES);
	started = fork_idle(n, pids, rdy[1], rel, go, cow_write, NULL, &rc);
	for (unsigned i = 0; i < started && rc == 0; i++)
		rc = read_full(rdy[0], &c, 1);
	sleep_ns(1000000);
	for (unsigned i = 0; i < started && rc == 0; i++) {
		rc = ovh_smaps_rollup(pids[i], &rss, &pss, &shared);
		r.pss_before += (double)pss / n;
		r.shared_before += (double)shared / n;
	}
	for (unsigned i = 0; i < started && rc == 0; i++)
		rc = write_full(go[1], &c, 1);
	for (unsigned i = 0; i < started && rc == 0; i++)
		rc = read_full(rdy[0], &c, 1);
	for (unsigned i = 0; i < started && rc == 0; i++) {
		rc = ovh_smaps_rollup(pids[i], &rss, &pss, NULL);
		r.pss_after += (double)pss / n;
	}
	close(go[1]);   /* a child still waiting for "go" sees EOF and leaves */
	close(rel[1]);
	if (reap_all(pids, started) && rc == 0)
		rc = -ECHILD;
	r.status = rc;
	return r;
}

static int measure_cow(struct mem *s, struct ovh_sample *out, char *err, size_t errlen)
{
	struct cow_report r;
	int res[2], rc;
	pid_t helper;

	if (pipe2(res, O_CLOEXEC) != 0)
		return ovh_fail(err, errlen, -errno, "pipe: %s", strerror(errno));
	helper = fork();
	if (helper < 0) {
		rc = -errno;
		close(res[0]);
		close(res[1]);
		return ovh_fail(err, errlen, rc, "fork: %s", strerror(-rc));
	}
	if (helper == 0) {
		sys_child_after_fork();
		close(res[0]);
		r = cow_helper(s->workers);
		write_full(res[1], &r, sizeof r);
		_exit(0);
	}
	close(res[1]);
	rc = read_full(res[0], &r, sizeof r);
	close(res[0]);
	ovh_waitpid(helper);
	if (rc == 0 && r.status)
		rc = (int)r.status;
	if (rc)
		return ovh_fail(err, errlen, rc, "copy-on-write helper: %s", strerror(-rc));
	out->value = s->b->variant == MEM_COW_BEFORE ? r.pss_before : r.pss_after;
	out->extra[0] = r.shared_before;
	return 0;
}

static int mem_run(void *state, uint64_t iters, struct ovh_sample *out, char *err, size_t errlen)
{
	struct mem *s = state;

	switch (s->b->variant) {
	case MEM_THREADS:
		return ovh_idle_threads_memory(s->workers, out, err, errlen);
	case MEM_PROCESSES:
		return measure_processes(s, out, err, errlen);
	default:
		return measure_cow(s, out, err, errlen);
	}
}

#define MEM(nm, var, knd, sum, ex)                                                          \
	{ .name = nm, .group = OVH_GROUP_MEMORY, .kind = OVH_KIND_##knd, .unit = OVH_UNIT_BYTES, \
	  .summary = sum, .flags = OVH_ONCE | OVH_WORKERS, .variant = var,                  \
	  .extra = { ex, NULL }, .setup = mem_setup, .run = mem_run, .teardown = mem_teardown }

/* Pool-level figures (a thread pool's and a fork pool's N workers, made with
 * pool_new from bench/par/pool.h) belong here once the pools of branches
 * rt-thread and rt-fork are merged into main; until then these kernels
 * measure bare idle threads and processes, which is what a pool's workers
 * are underneath. */
const struct ovh_bench ovh_memory_benches[] = {
	MEM("thread-worker-memory", MEM_THREADS, THREAD,
	    "PSS added per idle thread (N threads); rss_added_bytes: RSS added per thread",
	    "rss_added_bytes"),
	MEM("process-worker-memory", MEM_PROCESSES, PROCESS,
	    "PSS added per idle forked child (N children); rss_added_bytes: RSS summed naively per child",
	    "rss_added_bytes"),
	MEM("cow-64mib-child-pss-before-write", MEM_COW_BEFORE, PROCESS,
	    "PSS per child of a parent holding 64 MiB, before the child writes it",
	    "shared_bytes"),
	MEM("cow-64mib-child-pss-after-write", MEM_COW_AFTER, PROCESS,
	    "PSS per child of a parent holding 64 MiB, after the child wrote all of it",
	    "shared_bytes_before_write"),
};
const size_t ovh_memory_benches_count = ARRAY_SIZE(ovh_memory_benches);
