/* capacity.h: how many cores the machine delivers right now on the PUs a
 * run may use (a parallel probe run between samples, never during one), the
 * CPU pressure stall and the run-queue delay over a sample, and the rule
 * that calls a sample contended. */
#ifndef CAPACITY_H
#define CAPACITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Reference work per PU and probe: count_loop iterations, about 1.2 ms at
 * the 0.3 ns per iteration of the machines we build on. */
#define CAPACITY_ITERS 4000000ull

/* A sample is contended when the probes around it found the PUs it could
 * use delivering less than this share of their best (capacity_share), or
 * when its tasks waited to run more than this share of their CPU time
 * beyond what oversubscription explains. capacity.c says why 10%. */
#define CAPACITY_MIN_SHARE 0.90
#define CAPACITY_MAX_RUNQ_SHARE 0.10

/* The probe's state for one run: which PUs, and each one's best speed. */
struct capacity {
	unsigned n_pus;
	int *cpus;                  /* [n_pus] OS CPU numbers probed */
	double *best_ns_per_iter;   /* [n_pus] the fastest seen this run on
	                             * any PU of the same kind; 0 before the
	                             * first probe */
	unsigned *kind;             /* [n_pus] which PUs are alike: all 0 after
	                             * capacity_init (a homogeneous machine);
	                             * set them from hwloc's cpukinds where a
	                             * machine has big and little cores */
	uint64_t iters;             /* count_loop iterations per PU */
};

/* Sets up c to probe the OS CPUs cpus[0..n) (cpus NULL: every CPU in the
 * calling thread's affinity, which is what taskset and the cgroup allow and
 * what pin_allowed_cpuset() holds on this machine), iters per PU per probe
 * (0: CAPACITY_ITERS). Returns 0, -EINVAL when there is no CPU, or the
 * negative errno of sched_getaffinity. Release with capacity_release. */
int capacity_init(struct capacity *c, const int *cpus, unsigned n, uint64_t iters);
void capacity_release(struct capacity *c);

/* One probe's result. */
struct capacity_reading {
	double cores;        /* delivered cores: sum over PUs of best / observed
	                      * ns per iteration, against the bests including
	                      * this probe; in (0, n_pus] */
	uint64_t cost_ns;    /* the probe's own wall time, first thread started
	                      * to last one joined: keep it out of wall_ns */
	unsigned bound;      /* threads that could be bound to their PU */
};

/* Measures now: one thread per PU, each bound to its PU where the system
 * allows (sched_setaffinity; unbound otherwise, and r->bound says so),
 * released together by a barrier, each running count_loop(c->iters); a PU's
 * observed time runs from the earliest start of any thread to its own end,
 * so a thread that waited for its PU counts as a slow PU. Writes each PU's
 * observed ns per iteration into ns_per_iter[0..c->n_pus) (keep them:
 * capacity_cores and capacity_share recompute against the run's final
 * bests), updates c's bests, and fills *r. Every thread is joined, and gone
 * from /proc/self/status's Threads: count (up to 0.2 s is spent waiting for
 * that), before it returns, so a process that was single-threaded is again
 * and may start a fork pool at once.
 * Call only while no worker of a measurement is alive (it would compete
 * with them), from one thread at a time. Returns 0, or the negative errno of
 * pthread_create (threads already made are joined; nothing recorded). */
int capacity_probe(struct capacity *c, double *ns_per_iter, struct capacity_reading *r);

/* ---- Pure arithmetic (tested on made-up figures) ---------------------- */

/* Folds a probe's observed ns per iteration into the bests: best[i] becomes
 * the fastest seen on any PU j with kind[j] == kind[i] (kind NULL: on PU i
 * alone). A best of 0 is none yet; an observed 0 or NaN is ignored. */
void capacity_note_best(double *best, const double *observed, const unsigned *kind, unsigned n);

/* Delivered cores: the sum over PUs of best[i] / observed[i], each term at
 * most 1; a PU with no best or no observation counts 0. */
double capacity_cores(const double *best, const double *observed, unsigned n);

/* The share of their best that the PUs a cell of `workers` workers could
 * use delivered: the mean of the min(workers, n) largest per-PU terms (the
 * scheduler puts the workers on the freest PUs). 1 for an untouched
 * machine, 0.5 for a 2-worker cell on 2 PUs when one is taken, still 1 for a
 * 1-worker cell then. For a pinned cell, pass only the figures of the PUs
 * its plan uses. NaN when n or workers is 0. */
double capacity_share(const double *best, const double *observed, unsigned n, unsigned workers);

/* Parses /proc/pressure/cpu text: the "some" line's total= (microseconds
 * during which some runnable task waited for a CPU). Returns 0, or -EINVAL. */
int capacity_parse_pressure(const char *text, uint64_t *some_total_us);

/* Parses a schedstat file ("run_ns wait_ns timeslices"): the second field,
 * the time the task spent runnable on a run queue. Returns 0, or -EINVAL. */
int capacity_parse_schedstat(const char *text, uint64_t *wait_ns);

/* ---- Reading the kernel's counters ------------------------------------ */

/* The CPU pressure "some" total now, in microseconds. Returns 0, or
 * -ENOENT when the kernel has no PSI (the figure is then unknown, not an
 * error), or another negative errno. Read before and after a sample. */
int capacity_pressure_us(uint64_t *some_total_us);

/* The run-queue delay so far (ns) of every live thread of this process and
 * of the processes pids[0..n) (a fork pool's workers; their threads too).
 * Read before and after a sample while the same tasks live: a task that
 * ended in between is missing from the second sum (spawn modes), so the
 * difference is then unknown. Returns how many tasks were read (> 0), or
 * -ENOENT when schedstat is not available here. */
int capacity_runq_ns(const pid_t *pids, size_t n, uint64_t *wait_ns);

/* ---- The rule ----------------------------------------------------------- */

/* What is known about one sample. */
struct capacity_sample {
	double share;      /* the lower capacity_share of the probes before and
	                    * after it; NaN when not probed */
	double runq_ns;    /* run-queue delay of its tasks over it; NaN unknown */
	double wall_ns;    /* its wall time */
	unsigned workers;  /* the cell's workers (1 for serial) */
	unsigned pus;      /* PUs it may use */
};

/* Why a sample is contended: bits, 0 when clean. */
#define CAPACITY_LOST_CORES 1u   /* share < CAPACITY_MIN_SHARE */
#define CAPACITY_RUNQ       2u   /* waited beyond CAPACITY_MAX_RUNQ_SHARE */

/* The contended rule (capacity.c explains the thresholds). Unknown figures
 * (NaN) flag nothing. Pure. */
unsigned capacity_contended(const struct capacity_sample *s);

#endif
