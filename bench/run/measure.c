/* measure.c: one measurement of one C cell of `tvp run` (measure.h).
 *
 * DESIGN
 * What is timed. A capacity probe (bench/capacity.h: the reference loop on
 * every usable PU at once) runs just before and just after, outside every
 * timed span, so every sample carries how many cores the machine delivered
 * around it (run.c flags contended samples once the run's bests are known).
 * The CPU pressure stall and the run-queue delay are read just before
 * execute and just after it, before teardown. Then the
 * workload's prepare (not timed), the mode's setup (timed apart: setup_ns),
 * the mode's ready (not timed: a pool's workers fell asleep during the
 * pressure and run-queue reads, which take longer than its spin window, and
 * a one-task cell then timed their wake-up: 19 us for a thread pool and 87
 * us for a fork pool over shm, against 2.3-2.4 us warm; it also lets each
 * worker touch the first records, mode.h), the mode's execute
 * (timed: wall_ns is CLOCK_MONOTONIC around exactly that call), teardown,
 * and verification of every task's result (not timed; a wrong result fails
 * the cell, it is not a warning).
 *
 * Resource figures. User and system CPU, context switches and page faults
 * come from getrusage: RUSAGE_SELF around execute covers every thread of
 * this process; RUSAGE_CHILDREN is read before execute and after teardown,
 * because a child's usage is only added once it has been reaped, and a
 * pool's workers are reaped in teardown (their start-up, a few hundred
 * microseconds of CPU, is therefore included). Peak RSS is the process's (and
 * its reaped children's) peak so far, as the kernel keeps it.
 *
 * Stalls. A worker stopped (SIGSTOP) would stall execute until SIGCONT;
 * the pool modes' watchdog (bench/modes/stall.h) fails the measurement
 * instead, past a bound derived here from the cell's earlier samples.
 *
 * The heap between measurements. Every fork copies the page table entries
 * of the parent's resident private memory, so what tvp's own heap holds is
 * part of every fork-spawn sample (and of a fork pool's start-up). glibc
 * keeps freed memory at its own discretion: a serial cell of 16384 transfer
 * results of 4 KiB left 64 MiB resident (an omp cell as much), and it
 * raises its mmap and trim thresholds (up to 32 and 64 MiB) as large blocks
 * are freed, after which the 4 MiB results of thread-pool, executor-thread
 * and omp cells piled up in the worker threads' arenas, 30-60 MiB a cell.
 * `tvp bench --quick` held a median 139 MiB (up to 410), and its fork-spawn
 * cells took 3.6-5.1 ms a noop task against 0.38 ms in a run of their own;
 * sleep 16 x 20 ms at 16 workers 66-74 ms against 26. Two things fix it,
 * as `tvp overhead` already did the first: after every measurement the
 * heap is trimmed (malloc_trim: free pages of every arena and the main
 * heap's top go back), and main() fixes both thresholds at their documented
 * 128 KiB (util_heap_fixed_thresholds), so a block that large is mapped for
 * itself and unmapped when freed (malloc_trim cannot shrink the top of a
 * thread's arena: with the trim alone, five quick benches of nine still
 * had fork-spawn at 3.1-6.3 ms a noop task, the two whose heap was logged
 * at 290 MiB after a measurement). With both, three quick benches held 3-4 MiB between
 * measurements (70-84 MiB at most, inside a cell), fork-spawn took
 * 0.44-0.56 ms a noop task and sleep 16 x 20 ms at 16 workers 24-27 ms.
 * The price is the same for every mode: a cell that allocates its results
 * pays their first touch (page faults) in its timed span, every time, as a
 * program's first map does; before, it depended on what ran before it (one
 * serial transfer cell took 11.7 or 29.8 ms as its memory happened to be
 * resident or not).
 *
 * Placement. Workers report a failed binding as pinned 0 with bind_errno;
 * under --pin-strict (mode_run.pin_strict) that fails the measurement here,
 * naming the worker, its CPUs and the reason. Without it the sample keeps
 * the worker as it ran and the run loop warns once. A mode must leave tvp's
 * own thread on the CPUs it had: every later thread and process inherits
 * them. The omp mode once left it bound to one PU after an omp@scatter
 * cell, and make bench's unpinned count cells that followed ran on one core
 * (1.00x at 2 workers). So each measurement compares the thread's CPUs
 * before and after, puts them back if a mode moved them, and says so on
 * stderr once per mode.
 */
#include "bench/run/measure.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench/units.h"
#include "bench/util.h"
#include "par/pin.h"
#include "bench/capacity.h"

struct usage {
	double user_ns, sys_ns;
	long vcsw, ivcsw, minflt, majflt, maxrss_kb;
};

static void usage_read(int who, struct usage *u)
{
	struct rusage ru;

	getrusage(who, &ru);
	u->user_ns = (double)ru.ru_utime.tv_sec * 1e9 + (double)ru.ru_utime.tv_usec * 1e3;
	u->sys_ns = (double)ru.ru_stime.tv_sec * 1e9 + (double)ru.ru_stime.tv_usec * 1e3;
	u->vcsw = ru.ru_nvcsw;
	u->ivcsw = ru.ru_nivcsw;
	u->minflt = ru.ru_minflt;
	u->majflt = ru.ru_majflt;
	u->maxrss_kb = ru.ru_maxrss;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Probes cap into a new array of cap->n_pus figures; adds the cost to
 * s->probe_ns. NULL when the probe could not run. */
static double *probe(struct capacity *cap, struct sample *s)
{
	double *v = xcalloc(cap->n_pus, sizeof *v);
	struct capacity_reading r;

	if (capacity_probe(cap, v, &r) != 0) {
		free(v);
		return NULL;
	}
	s->probe_ns += r.cost_ns;
	return v;
}

/* The median PU's ns per iteration of a probe (the /1 reference). */
static double median_pu(const double *v, unsigned n)
{
	double *t = xcalloc(n, sizeof *t), m;

	memcpy(t, v, n * sizeof *t);
	qsort(t, n, sizeof *t, cmp_double);
	m = n % 2 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
	free(t);
	return m;
}

/* What the kernel says now: the pressure stall and, when the cell's tasks
 * are this process's threads that live across execute (serial, thread
 * pools and executors), their run-queue delay. NaN when unknown. */
struct kernel_reading {
	double pressure_us, runq_ns;
};

static void kernel_read(const struct cell *c, struct kernel_reading *k)
{
	uint64_t v;

	k->pressure_us = capacity_pressure_us(&v) == 0 ? (double)v : NAN;
	k->runq_ns = NAN;
	if (!(c->mode->flags & MODE_FORKS) && c->mode->family != MODE_FAMILY_SPAWN &&
	    capacity_runq_ns(NULL, 0, &v) > 0)
		k->runq_ns = (double)v;
}

/* The watchdog's bound (bench/modes/stall.h): a stopped worker is named
 * only once the measurement has run STALL_FACTOR times the cell's longest
 * sample so far, and at least STALL_FLOOR_NS: a long multiple of what it
 * should take, so a cell that is merely slow is never touched (and a
 * running worker never is: only a stopped one). */
#define STALL_FACTOR 10
#define STALL_FLOOR_NS 10000000000ull

static uint64_t stall_bound(const struct cell *c)
{
	uint64_t longest = 0;

	for (size_t k = 0; k < c->samples.n; k++)
		if (c->samples.items[k].wall_ns > longest)
			longest = c->samples.items[k].wall_ns;
	return longest > STALL_FLOOR_NS / STALL_FACTOR ? STALL_FACTOR * longest : STALL_FLOOR_NS;
}

/* The lower of the address-space and data limits (ulimit -v, -d), in bytes;
 * UINT64_MAX when neither is set. */
static uint64_t memory_limit(void)
{
	uint64_t limit = UINT64_MAX;
	const int which[] = { RLIMIT_AS, RLIMIT_DATA };
	struct rlimit rl;

	for (size_t i = 0; i < ARRAY_SIZE(which); i++)
		if (getrlimit(which[i], &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
		    (uint64_t)rl.rlim_cur < limit)
			limit = (uint64_t)rl.rlim_cur;
	return limit;
}

/* This process's address space now, in bytes (0: unknown). */
static uint64_t memory_used(void)
{
	unsigned long long pages = 0;
	FILE *f = fopen("/proc/self/statm", "re");

	if (f) {
		if (fscanf(f, "%llu", &pages) != 1)
			pages = 0;
		fclose(f);
	}
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* A measurement's results live in this process until they are verified:
 * a transfer cell of 16 tasks of 64 MiB holds 1 GiB, plus one result in
 * flight in a fork pool's channel. Under an address-space or data limit
 * such allocations would fail where they cannot be undone (xmalloc aborts
 * the process), so a cell whose results cannot fit fails alone, here,
 * before it runs. Returns 0, or -ENOMEM with why in err. */
static int check_memory(const struct cell *c, char *err, size_t errlen)
{
	uint64_t per = c->wi->wl->kind == WORKLOAD_TRANSFER ? c->size : 0;
	uint64_t limit = memory_limit(), used, need;
	char b_need[UNITS_LEN], b_left[UNITS_LEN], b_per[UNITS_LEN];

	if (per == 0 || limit == UINT64_MAX)
		return 0;
	need = per > UINT64_MAX / (c->tasks + 1) ? UINT64_MAX : per * (c->tasks + 1);
	used = memory_used();
	if (used < limit && need < limit - used)
		return 0;
	units_bytes(b_need, sizeof b_need, (double)need);
	units_bytes(b_per, sizeof b_per, (double)per);
	units_bytes(b_left, sizeof b_left, used < limit ? (double)(limit - used) : 0.0);
	snprintf(err, errlen, "its results need %s (%" PRIu64 " tasks of %s, one more in flight) "
		 "but the memory limit (ulimit -v or -d) leaves %s", b_need, c->tasks, b_per, b_left);
	return -ENOMEM;
}

/* Checks every task's status and result, then the batch. Returns true, or
 * false with the first problem in err. */
static bool verify(const struct cell *c, const struct mode_run *m, char *err, size_t errlen)
{
	const struct workload *wl = c->wi->wl;
	char why[400];

	for (uint64_t i = 0; i < c->tasks; i++) {
		if (m->status[i] != 0) {
			snprintf(err, errlen, "task %" PRIu64 " failed: %.300s", i,
				 task_error_text(&m->results[i], m->status[i], why, sizeof why));
			return false;
		}
		if (!wl->verify(c->wi, i, &m->results[i], why, sizeof why)) {
			snprintf(err, errlen, "wrong result: %s", why);
			return false;
		}
	}
	if (wl->verify_batch && !wl->verify_batch(c->wi, c->tasks, why, sizeof why)) {
		snprintf(err, errlen, "wrong result: %s", why);
		return false;
	}
	return true;
}

/* --pin-strict: the first worker whose binding failed fails the
 * measurement. Returns 0, or -EPERM with m->err naming it. */
static int check_strict(const struct cell *c, struct mode_run *m)
{
	for (unsigned i = 0; i < m->n_wstats && m->pin_strict; i++) {
		const struct worker_stats *w = &m->wstats[i];
		char cpus[96];

		if (w->pinned != 0)
			continue;
		pin_plan_cpuset_text(c->plan, i, cpus, sizeof cpus);
		snprintf(m->err, sizeof m->err, "cannot bind worker %u (%s) to CPUs %s: %s (--pin-strict)",
			 i, mode_kind_name(c->mode), cpus,
			 w->bind_errno ? strerror(w->bind_errno) : "reason not reported");
		return -EPERM;
	}
	return 0;
}

/* The workers' statistics, copied before teardown frees them. */
static void record_workers(struct sample *s, const struct mode_run *m)
{
	s->n_workers = m->n_wstats;
	s->workers = xcalloc(m->n_wstats ? m->n_wstats : 1, sizeof *s->workers);
	memcpy(s->workers, m->wstats, m->n_wstats * sizeof *s->workers);
}

/* The usage deltas (u: self before and after execute, children before
 * execute and after teardown) and the workload's counters. */
static void record_usage(struct sample *s, const struct cell *c, const struct usage u[4])
{
	const struct workload *wl = c->wi->wl;
	const struct usage *s0 = &u[0], *s1 = &u[1], *ch0 = &u[2], *ch1 = &u[3];

	s->user_ns = s1->user_ns - s0->user_ns;
	s->sys_ns = s1->sys_ns - s0->sys_ns;
	s->children_user_ns = ch1->user_ns - ch0->user_ns;
	s->children_sys_ns = ch1->sys_ns - ch0->sys_ns;
	s->voluntary_ctxsw = (s1->vcsw - s0->vcsw) + (ch1->vcsw - ch0->vcsw);
	s->involuntary_ctxsw = (s1->ivcsw - s0->ivcsw) + (ch1->ivcsw - ch0->ivcsw);
	s->minor_faults = (s1->minflt - s0->minflt) + (ch1->minflt - ch0->minflt);
	s->major_faults = (s1->majflt - s0->majflt) + (ch1->majflt - ch0->majflt);
	s->max_rss_kb = s1->maxrss_kb;
	s->children_max_rss_kb = ch1->maxrss_kb;
	s->n_counters = wl->counters ? wl->counters(c->wi, s->counters, SAMPLE_MAX_COUNTERS) : 0;
}

/* A mode must leave the calling thread's CPUs as it found them: every
 * thread and process made later inherits them (DESIGN: placement). Puts
 * them back and says so once per mode when one did not. */
static void keep_caller_cpus(const struct cell *c, const cpu_set_t *before)
{
	static const struct mode *told[16];
	static size_t ntold;
	cpu_set_t now;
	bool seen = false;

	if (sched_getaffinity(0, sizeof now, &now) != 0 || CPU_EQUAL(&now, before))
		return;
	sched_setaffinity(0, sizeof *before, before);
	for (size_t i = 0; i < ntold; i++)
		seen |= told[i] == c->mode;
	if (seen)
		return;
	if (ntold < ARRAY_SIZE(told))
		told[ntold++] = c->mode;
	fprintf(stderr, "tvp: %s left tvp's thread bound to %d of its %d CPUs; given back (a bug of "
		"the mode)\n", c->mode->name, CPU_COUNT(&now), CPU_COUNT(before));
}

int measure(const struct cell *c, struct capacity *cap, struct sample *out, char *err,
	    size_t errlen)
{
	const struct workload *wl = c->wi->wl;
	struct mode_run m;
	struct usage u[4];   /* see record_usage */
	struct kernel_reading k0, k1;
	struct sample s;
	cpu_set_t cpus;
	bool have_cpus = sched_getaffinity(0, sizeof cpus, &cpus) == 0;
	uint64_t t0;
	int rc;

	memset(&m, 0, sizeof m);
	memset(&s, 0, sizeof s);
	memset(out, 0, sizeof *out);
	m.wi = c->wi;
	m.workers = c->workers;
	m.channel = c->channel;
	m.start = c->start;
	m.pin = c->plan;
	m.pin_strict = c->pin_strict;
	m.stall_ns = stall_bound(c);
	m.mpi_hosts = c->mpi_hosts;
	m.mpi_transport = c->mpi_transport;
	mode_run_alloc_arrays(&m, c->tasks);

	if (check_memory(c, err, errlen) != 0) {
		rc = -1;
		goto out;
	}
	s.pressure_us = s.runq_ns = s.capacity = NAN;
	if (cap && (s.probe_before = probe(cap, &s)) != NULL) {
		s.probe_pus = cap->n_pus;
		s.ref_ns_per_iter = median_pu(s.probe_before, cap->n_pus);
	}
	if (wl->prepare && (rc = wl->prepare(c->wi, m.err, sizeof m.err)) != 0) {
		snprintf(err, errlen, "%s: prepare: %s", wl->name, m.err);
		rc = -1;
		goto out;
	}
	t0 = now_ns();
	if (c->mode->setup && (rc = c->mode->setup(&m)) != 0) {
		snprintf(err, errlen, "%s: setup: %s", c->mode->name, m.err[0] ? m.err : strerror(-rc));
		rc = rc == -EINTR ? -EINTR : -1;
		goto out;
	}
	s.setup_ns = now_ns() - t0;
	kernel_read(c, &k0);
	/* After the slow reads (40-100 us), before the fast ones: a pool's
	 * workers are awake again when execute begins (mode.h). */
	if (c->mode->ready && (rc = c->mode->ready(&m)) != 0) {
		snprintf(err, errlen, "%s: ready: %s", c->mode->name, m.err[0] ? m.err : strerror(-rc));
		rc = rc == -EINTR ? -EINTR : -1;
		if (c->mode->teardown)
			c->mode->teardown(&m);
		goto out;
	}
	usage_read(RUSAGE_SELF, &u[0]);
	usage_read(RUSAGE_CHILDREN, &u[2]);
	t0 = now_ns();
	rc = c->mode->execute(&m);
	s.wall_ns = now_ns() - t0;
	kernel_read(c, &k1);
	s.pressure_us = k1.pressure_us - k0.pressure_us;
	s.runq_ns = k1.runq_ns - k0.runq_ns;
	usage_read(RUSAGE_SELF, &u[1]);
	if (c->mode->collect)
		c->mode->collect(&m);
	if (rc == 0)
		rc = check_strict(c, &m);
	if (rc == 0)
		record_workers(&s, &m);
	if (c->mode->teardown)
		c->mode->teardown(&m);
	usage_read(RUSAGE_CHILDREN, &u[3]);
	if (rc == -EINTR)
		goto out;
	/* A failed measurement keeps its figures too: a workload's counters
	 * say how it failed (net's connect_errors, timeouts). */
	record_usage(&s, c, u);
	if (rc != 0) {
		snprintf(err, errlen, "%s: %s", c->mode->name, m.err[0] ? m.err : strerror(-rc));
		rc = -1;
		goto out_failed;
	}
	if (!verify(c, &m, err, errlen)) {
		rc = -1;
		goto out_failed;
	}
	if (s.probe_before && !(s.probe_after = probe(cap, &s))) {
		free(s.probe_before);
		s.probe_before = NULL;
		s.probe_pus = 0;
	}
out_failed:
	*out = s;
	memset(&s, 0, sizeof s);
out:
	sample_release(&s);
	mode_run_free_arrays(&m);
	if (have_cpus)
		keep_caller_cpus(c, &cpus);
	/* Give the freed heap back (DESIGN: the heap between measurements). */
	malloc_trim(0);
	return rc;
}
