/* mode.h: the mode interface: how `tvp run` executes a batch of tasks
 * (serially, a thread per task, a pool of processes, ...). One file per mode,
 * one line each in bench/modes/registry.c.
 *
 * DESIGN
 * The run loop knows nothing about threads or processes. For one measurement
 * it fills a struct mode_run, calls setup (not timed: a pool's start-up is
 * recorded apart as setup_ns), execute (timed: wall_ns is exactly this call),
 * then teardown. A spawn mode does its creating inside execute, because
 * creating is what it measures. execute runs every task through
 * workload_run_task (workloads/workload.h) and leaves each task's status and
 * result bytes in the arrays the run loop gave it; the run loop verifies them
 * after the timed region.
 *
 * A mode that forks must do so only while the process has one thread: the run
 * loop guarantees that no thread of an earlier measurement is alive when
 * setup or execute is called.
 */
#ifndef MODE_H
#define MODE_H

#include <stdbool.h>
#include <stdint.h>

#include "par/channel_kind.h"
#include "par/start_method.h"
#include "par/task.h"
#include "workloads/workload.h"

struct pin_plan;

enum mode_flags {
	MODE_SERIAL  = 1u << 0, /* runs on the calling thread; workers is 1 */
	MODE_FORKS   = 1u << 1, /* its workers are processes */
	MODE_CHANNEL = 1u << 2, /* takes a --channel (pipe, shm) */
	/* Its workers are another program that rebuilds the workload instance
	 * (mpi): no cell for a workload with local_state. */
	MODE_OWN_PROGRAM = 1u << 3,
	MODE_START   = 1u << 4, /* takes a --start (fork, spawn, forkserver) */
};

/* Open MPI's transport between ranks (--mpi-transport). */
enum mode_mpi_transport {
	MODE_MPI_SM,                  /* shared memory: btl self,vader */
	MODE_MPI_TCP,                 /* TCP: btl self,tcp */
};

struct mode_run {
	/* Set by the run loop before setup; read-only for the mode. */
	const struct workload_inst *wi;
	unsigned workers;
	uint64_t tasks;
	enum channel_kind channel;    /* MODE_CHANNEL modes: the transport */
	enum pool_start start;        /* MODE_START modes: how workers start */
	const struct pin_plan *pin;   /* where worker i runs; NULL: not pinned */
	/* --pin-strict: a worker that could not be bound (wstats[i].pinned 0)
	 * fails the measurement; the run loop checks after execute. */
	bool pin_strict;
	/* The watchdog's bound (bench/modes/stall.h): past it, a worker process
	 * found stopped fails the measurement, named. 0: none. */
	uint64_t stall_ns;

	/* Per task, allocated by the run loop, filled by execute: status[i] is
	 * 0 or a negative errno, results[i] the bytes task i returned (empty on
	 * entry). */
	int *status;
	struct task_result *results;

	/* Per worker, allocated by the mode and filled by execute; valid until
	 * teardown, which frees them. */
	struct worker_stats *wstats;
	unsigned n_wstats;

	char err[256];                /* why setup or execute failed */
	void *state;                  /* the mode's own */

	/* Set by the run loop for the mpi mode (--mpi-hosts, --mpi-transport). */
	const char *mpi_hosts;        /* a hostfile for mpirun; NULL: this machine */
	enum mode_mpi_transport mpi_transport;
};

/* How a mode uses its workers, for grouping in reports and findings. */
enum mode_family {
	MODE_FAMILY_SERIAL,           /* no workers: the baseline */
	MODE_FAMILY_SPAWN,            /* a new worker per task */
	MODE_FAMILY_POOL,             /* persistent workers, map over the tasks */
	MODE_FAMILY_EXECUTOR,         /* persistent workers, one future per task */
};

struct mode {
	const char *name;
	const char *summary;          /* one line, for --help and the JSON */
	unsigned flags;               /* enum mode_flags */
	enum mode_family family;
	bool python;                  /* --python has a CPython cell for it
	                               * (workloads/python/, same mode name) */

	/* Not timed. Returns 0, or a negative errno with m->err set. NULL: no
	 * setup. */
	int (*setup)(struct mode_run *m);

	/* Not timed, called last before execute, after tvp's own reads around
	 * it (usage, pressure, run-queue: 40-100 us, longer than a pool's spin
	 * window): makes the workers awake again, so that execute times a
	 * warm pool's hand-off, as setup left it, not the wake-up of workers
	 * tvp let fall asleep, nor their first touches of this measurement's
	 * arrays (the pool modes map workload_touch_task, which runs no task,
	 * over the first records: pool_wake_map). Must leave every status 0
	 * and every result empty. NULL: nothing to do. Returns as setup
	 * does. */
	int (*ready)(struct mode_run *m);

	/* Timed. Runs all m->tasks tasks. Returns 0 when every task ran (a task
	 * may still have failed: see m->status), -EINTR when tvp_interrupted was
	 * seen between tasks, or another negative errno with m->err set when the
	 * mode itself failed. */
	int (*execute)(struct mode_run *m);

	/* Not timed, right after execute and tvp's reads that close the
	 * timed region: fills m->wstats with what the workers did, for a mode
	 * whose workers keep that themselves (a pool: 2.7-3 us to take, which
	 * a one-task cell timed as work). NULL: execute filled it. */
	void (*collect)(struct mode_run *m);

	/* Frees what setup and execute made; leaves no thread or child behind.
	 * Called after every setup that returned 0. NULL: nothing to do. */
	void (*teardown)(struct mode_run *m);
};

/* Allocates m->status and m->results for tasks tasks (empty results, zero
 * statuses), every page already written, in memory a fork does not copy
 * (MADV_DONTFORK): workers send results through their channel or pipe and
 * never touch these arrays, so neither the page faults of a fresh array nor
 * copy-on-write faults after a fork land in the timed region, and a fork
 * does not copy their page tables. Sets m->tasks. Call before setup; free with
 * mode_run_free_arrays (which releases the results too). */
void mode_run_alloc_arrays(struct mode_run *m, uint64_t tasks);
void mode_run_free_arrays(struct mode_run *m);

/* Frees m->wstats (a teardown's last step) and zeroes n_wstats. */
void mode_run_free_wstats(struct mode_run *m);

/* The registry (bench/modes/registry.c), serial first. */
extern const struct mode *const modes[];
extern const size_t modes_count;

/* "serial", "thread" or "process", from the mode's flags: the kind the
 * JSON records and the reports group by. */
const char *mode_kind_name(const struct mode *m);

/* The mode called name, or NULL. */
const struct mode *mode_find(const char *name);

#endif
