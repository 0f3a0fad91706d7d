/* capacity.c: the parallel capacity probe, the PSI and schedstat readers and
 * the contended rule.
 *
 * DESIGN
 * What it measures. A VM's host can take a core for seconds; nothing in the
 * guest shows it (no steal time here), and a single-thread reference loop
 * does not either: it runs on whichever core is left. So the probe runs the
 * reference loop on every usable PU at once, one thread bound to each,
 * released together by a barrier, for about a millisecond. A PU delivering
 * its best runs the loop at its best ns per iteration; a PU shared with
 * another runnable task (a hog in the guest, the host's vCPU preempted) runs
 * it slower or starts late. Delivered cores = sum of best / observed, each
 * term at most 1. Bests are per run and per kind of PU: the fastest any PU
 * of the kind ran the loop with every PU busy (the all-core speed, which is
 * what a parallel cell meets). Per kind rather than per PU because a PU
 * taken for the whole run would otherwise set its own low best and look
 * whole; alike PUs (all of them on a VM; hwloc's cpukinds tell big from
 * little cores) run the loop alike. The first probes of a run set the bests,
 * so the caller keeps every probe's per-PU figures and recomputes against
 * the run's final bests before deciding anything.
 *
 * When. Only between samples: the probe's threads would compete with a
 * measurement's workers. Its threads are joined, and gone from the kernel's
 * thread count, before it returns, so the process forks as single-threaded
 * as it was (tvp's fork pools check that count and require one thread); a
 * persistent prober thread would break that, so every probe pays for
 * creating its threads (tens of microseconds, counted in cost_ns, which the
 * caller keeps out of wall_ns).
 *
 * The rule. A sample is contended when the lower of the probes before and
 * after it found the PUs its cell could use (the min(workers, PUs) best
 * ones) delivering under 90% of their best, or when its tasks waited on a
 * run queue for more than 10% of the CPU time its workers could have had,
 * beyond the (workers - PUs) x wall that oversubscription explains. 10%
 * because of what the samples feed: findings call two cells alike within
 * +-5%, and a sample that lost 10% of its CPU can move a ratio by twice that
 * band; a lower threshold would sit inside the probe's own spread (its
 * threads wake a few tens of microseconds apart, a few percent of its
 * millisecond), and flagging most samples would leave too few clean rounds
 * to pair. (To check on a quiet machine: the 2-vCPU VM this was written on
 * was at 90-99% CPU pressure throughout, where the probe rightly read 0.5-
 * 1.6 cores, reaching 1.99 only in lulls.) The
 * loss is per cell rather than an absolute number of cores (say 0.5): a
 * 2-worker cell on a 64-PU machine that lost one core lost nothing, and a
 * serial cell on 2 PUs with one taken still has a whole core.
 */
#include "bench/capacity.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/stats.h"
#include "bench/util.h"
#include "workloads/count.h"

#define PROBER_STACK (64 * 1024)
#define SETTLE_MAX_NS 200000000ull   /* wait at most 0.2 s for exits */

int capacity_init(struct capacity *c, const int *cpus, unsigned n, uint64_t iters)
{
	cpu_set_t set;

	memset(c, 0, sizeof *c);
	if (!cpus) {
		CPU_ZERO(&set);
		if (sched_getaffinity(0, sizeof set, &set) != 0)
			return -errno;
		n = (unsigned)CPU_COUNT(&set);
	}
	if (n == 0)
		return -EINVAL;
	c->n_pus = n;
	c->cpus = xmalloc(n * sizeof *c->cpus);
	c->best_ns_per_iter = xcalloc(n, sizeof *c->best_ns_per_iter);
	c->kind = xcalloc(n, sizeof *c->kind);
	c->iters = iters ? iters : CAPACITY_ITERS;
	if (cpus) {
		memcpy(c->cpus, cpus, n * sizeof *cpus);
	} else {
		unsigned k = 0;
		for (int cpu = 0; cpu < CPU_SETSIZE && k < n; cpu++)
			if (CPU_ISSET(cpu, &set))
				c->cpus[k++] = cpu;
	}
	return 0;
}

void capacity_release(struct capacity *c)
{
	free(c->cpus);
	free(c->best_ns_per_iter);
	free(c->kind);
	memset(c, 0, sizeof *c);
}

/* The start line: every prober waits, bound, until all are ready and the
 * caller says go (or stop, when a thread could not be made). A barrier
 * cannot be abandoned when pthread_create fails half-way; this can. */
struct gate {
	pthread_mutex_t lock;
	pthread_cond_t ready_cv, go_cv;
	unsigned ready;
	int state;                  /* 0 wait, 1 go, -1 stop */
};

struct prober {
	int cpu;
	uint64_t iters;
	struct gate *gate;
	uint64_t start_ns, end_ns;
	bool bound;
};

static bool gate_wait(struct gate *g)
{
	int state;

	pthread_mutex_lock(&g->lock);
	g->ready++;
	pthread_cond_signal(&g->ready_cv);
	while (g->state == 0)
		pthread_cond_wait(&g->go_cv, &g->lock);
	state = g->state;
	pthread_mutex_unlock(&g->lock);
	return state > 0;
}

static void gate_open(struct gate *g, unsigned threads, int state)
{
	pthread_mutex_lock(&g->lock);
	while (state > 0 && g->ready < threads)
		pthread_cond_wait(&g->ready_cv, &g->lock);
	g->state = state;
	pthread_cond_broadcast(&g->go_cv);
	pthread_mutex_unlock(&g->lock);
}

static void *prober_main(void *arg)
{
	struct prober *p = arg;
	cpu_set_t set;

	/* On Linux, pid 0 is the calling thread: only this one is bound. */
	CPU_ZERO(&set);
	CPU_SET(p->cpu, &set);
	p->bound = sched_setaffinity(0, sizeof set, &set) == 0;
	if (!gate_wait(p->gate))
		return NULL;
	p->start_ns = now_ns();
	count_loop(p->iters);
	p->end_ns = now_ns();
	return NULL;
}

/* Reads a small /proc file into buf (NUL-terminated). Returns 0 or a
 * negative errno. */
static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t got;

	if (fd < 0)
		return -errno;
	do
		got = read(fd, buf, len - 1);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	buf[got] = '\0';
	close(fd);
	return 0;
}

/* The process's thread count as the kernel keeps it (what the fork pool
 * checks before it forks), or -1 when /proc is not readable. */
static int threads_now(void)
{
	char buf[2048], *line;
	int n;

	if (read_small("/proc/self/status", buf, sizeof buf) != 0 ||
	    !(line = strstr(buf, "\nThreads:")) || sscanf(line, "\nThreads: %d", &n) != 1)
		return -1;
	return n;
}

/* Waits until the joined probers have left the kernel's thread count:
 * pthread_join returns once a thread cleared its tid, a moment before the
 * kernel releases it, and a fork pool started in that moment would see a
 * second thread and refuse to fork. */
static void settle(int threads)
{
	uint64_t t0 = now_ns();

	while (threads > 0 && threads_now() > threads && now_ns() - t0 < SETTLE_MAX_NS)
		sleep_ns(20000);
}

int capacity_probe(struct capacity *c, double *ns_per_iter, struct capacity_reading *r)
{
	struct prober *p = xcalloc(c->n_pus, sizeof *p);
	pthread_t *tid = xcalloc(c->n_pus, sizeof *tid);
	struct gate gate = { .lock = PTHREAD_MUTEX_INITIALIZER, .ready_cv = PTHREAD_COND_INITIALIZER,
			     .go_cv = PTHREAD_COND_INITIALIZER };
	pthread_attr_t attr;
	uint64_t t0 = now_ns(), first = UINT64_MAX;
	int threads = threads_now(), rc = 0;
	unsigned made;

	memset(r, 0, sizeof *r);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, PROBER_STACK);
	for (made = 0; made < c->n_pus; made++) {
		p[made] = (struct prober){ .cpu = c->cpus[made], .iters = c->iters, .gate = &gate };
		rc = -pthread_create(&tid[made], &attr, prober_main, &p[made]);
		if (rc != 0)
			break;
	}
	gate_open(&gate, made, rc == 0 ? 1 : -1);
	for (unsigned i = 0; i < made; i++)
		pthread_join(tid[i], NULL);
	settle(threads);
	r->cost_ns = now_ns() - t0;
	pthread_attr_destroy(&attr);
	if (rc == 0) {
		for (unsigned i = 0; i < c->n_pus; i++)
			if (p[i].start_ns < first)
				first = p[i].start_ns;
		for (unsigned i = 0; i < c->n_pus; i++) {
			ns_per_iter[i] = (double)(p[i].end_ns - first) / (double)c->iters;
			r->bound += p[i].bound;
		}
		capacity_note_best(c->best_ns_per_iter, ns_per_iter, c->kind, c->n_pus);
		r->cores = capacity_cores(c->best_ns_per_iter, ns_per_iter, c->n_pus);
	}
	free(tid);
	free(p);
	return rc;
}

void capacity_note_best(double *best, const double *observed, const unsigned *kind, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned j = 0; j < n; j++) {
			if (j != i && (!kind || kind[j] != kind[i]))
				continue;
			if (observed[j] > 0 && (best[i] == 0 || observed[j] < best[i]))
				best[i] = observed[j];
		}
}

/* PU i's delivered share of its best, in [0, 1]. */
static double pu_term(const double *best, const double *observed, unsigned i)
{
	if (!(best[i] > 0) || !(observed[i] > 0))
		return 0;
	return fmin(1, best[i] / observed[i]);
}

double capacity_cores(const double *best, const double *observed, unsigned n)
{
	double sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += pu_term(best, observed, i);
	return sum;
}

static int cmp_desc(const void *a, const void *b)
{
	return stats_cmp_double(b, a);
}

double capacity_share(const double *best, const double *observed, unsigned n, unsigned workers)
{
	unsigned k = workers < n ? workers : n;
	double *t, sum = 0;

	if (k == 0)
		return NAN;
	t = xmalloc(n * sizeof *t);
	for (unsigned i = 0; i < n; i++)
		t[i] = pu_term(best, observed, i);
	qsort(t, n, sizeof *t, cmp_desc);
	for (unsigned i = 0; i < k; i++)
		sum += t[i];
	free(t);
	return sum / k;
}

int capacity_parse_pressure(const char *text, uint64_t *some_total_us)
{
	const char *line = text, *total;
	unsigned long long v;

	while (line && strncmp(line, "some ", 5) != 0) {
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	if (!line)
		return -EINVAL;
	total = strstr(line, "total=");
	if (!total || (strchr(line, '\n') && total > strchr(line, '\n')) ||
	    sscanf(total, "total=%llu", &v) != 1)
		return -EINVAL;
	*some_total_us = v;
	return 0;
}

int capacity_parse_schedstat(const char *text, uint64_t *wait_ns)
{
	unsigned long long run, wait;

	if (sscanf(text, "%llu %llu", &run, &wait) != 2)
		return -EINVAL;
	*wait_ns = wait;
	return 0;
}

int capacity_pressure_us(uint64_t *some_total_us)
{
	char buf[512];
	int rc = read_small("/proc/pressure/cpu", buf, sizeof buf);

	/* Without PSI the file is absent (ENOENT) or, with psi=0 on the
	 * kernel's command line, unreadable (EOPNOTSUPP): both mean unknown. */
	if (rc == -EOPNOTSUPP)
		rc = -ENOENT;
	return rc ? rc : capacity_parse_pressure(buf, some_total_us);
}

/* Adds the run-queue delay of every thread of pid (0: this process) to
 * *sum; returns the threads read. */
static int runq_of(pid_t pid, uint64_t *sum)
{
	char path[64], file[64 + 256 + 16], buf[128];
	struct dirent *e;
	DIR *d;
	int read_n = 0;
	uint64_t wait;

	if (pid)
		snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	else
		snprintf(path, sizeof path, "/proc/self/task");
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(file, sizeof file, "%s/%s/schedstat", path, e->d_name);
		if (read_small(file, buf, sizeof buf) == 0 && capacity_parse_schedstat(buf, &wait) == 0) {
			*sum += wait;
			read_n++;
		}
	}
	closedir(d);
	return read_n;
}

int capacity_runq_ns(const pid_t *pids, size_t n, uint64_t *wait_ns)
{
	int tasks;

	*wait_ns = 0;
	tasks = runq_of(0, wait_ns);
	if (tasks == 0)
		return -ENOENT;
	for (size_t i = 0; i < n; i++)
		tasks += runq_of(pids[i], wait_ns);
	return tasks;
}

unsigned capacity_contended(const struct capacity_sample *s)
{
	unsigned why = 0;
	double usable = s->workers < s->pus ? s->workers : s->pus;
	double over = s->workers > s->pus ? s->workers - s->pus : 0;

	if (s->share < CAPACITY_MIN_SHARE)
		why |= CAPACITY_LOST_CORES;
	/* w workers busy on p < w PUs wait (w - p) x wall between them by
	 * construction; only the wait beyond that is the machine's. */
	if (usable > 0 && s->wall_ns > 0 &&
	    s->runq_ns - over * s->wall_ns > CAPACITY_MAX_RUNQ_SHARE * usable * s->wall_ns)
		why |= CAPACITY_RUNQ;
	return why;
}
