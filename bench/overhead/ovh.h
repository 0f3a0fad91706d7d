/* ovh.h: the benchmark kernels of `tvp overhead` (bench/overhead.c runs
 * them): what one kernel is, the registry, and the helpers the kernels share
 * (a partner thread or process, CPU binding, /proc/PID/smaps_rollup, idle
 * threads' memory, /bin/true).
 *
 * DESIGN
 * A kernel measures one operation (a fork, a round trip, a message) and is a
 * table of three functions. setup makes what the operation needs and is not
 * timed: a partner to ping-pong with, buffers, a helper process holding 1 GiB.
 * run performs `iters` operations and times exactly those with
 * CLOCK_MONOTONIC (inside the kernel, because only the kernel knows where the
 * operations start: in a helper process, for instance). teardown undoes
 * setup and leaves no thread or child behind. The driver grows iters until
 * one run takes a few milliseconds (calibration), then calls setup, run,
 * teardown once per sample.
 *
 * A kernel with OVH_ONCE measures a quantity, not a time (memory in bytes):
 * run is called with iters = 1 and reports the quantity. A kernel with
 * OVH_BATCH runs a batch of its own size (a million tasks) per call, with
 * iters = 1, and says how many operations that was.
 *
 * Threads and fork: a kernel's setup and run may fork only while the process
 * has one thread; every kernel that starts a thread joins it in teardown (or
 * before run returns), so the next kernel may fork.
 */
#ifndef OVH_H
#define OVH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <sys/types.h>

#include "par/channel_kind.h"
#include "par/start_method.h"

/* Where the two parties of a two-party kernel (a ping-pong) run. */
enum ovh_pin {
	OVH_PIN_NONE,   /* the scheduler places both */
	OVH_PIN_SAME,   /* both bound to one PU */
	OVH_PIN_DIFF,   /* bound to two different PUs */
};

/* What a kernel measures; --only selects by group, and the JSON records the
 * group, kind and unit by the names ovh_group_name & co. return. */
enum ovh_group {
	OVH_GROUP_CREATION,   /* starting (and ending) a worker or a pool */
	OVH_GROUP_HANDOFF,    /* a task handed to a pool or executor */
	OVH_GROUP_WAKEUP,     /* ping-pong round trips */
	OVH_GROUP_IPC,        /* bandwidth between two parties */
	OVH_GROUP_MEMORY,     /* what a worker costs in memory */
	OVH_GROUP_START,      /* a process pool by start method (fork, spawn, forkserver),
				 a thread pool beside it: start-up, hand-off, memory */
	OVH_GROUP_COUNT
};

enum ovh_kind {
	OVH_KIND_THREAD,      /* the parties are threads */
	OVH_KIND_PROCESS,     /* the parties are processes */
	OVH_KIND_NONE,        /* a baseline in one thread (memcpy) */
};

enum ovh_unit {
	OVH_UNIT_NS,          /* ns per operation */
	OVH_UNIT_BYTES_PER_S, /* bandwidth: ns per message, reported as bytes/s too */
	OVH_UNIT_BYTES,       /* a quantity (OVH_ONCE) */
};

/* "creation", "thread", "bytes_per_s", "same"...: the names the JSON, --list,
 * --only and --pin use. */
const char *ovh_group_name(enum ovh_group g);
const char *ovh_kind_name(enum ovh_kind k);
const char *ovh_unit_name(enum ovh_unit u);

const char *ovh_pin_name(enum ovh_pin p);

/* The group (or placement) called name, or -1. */
int ovh_group_find(const char *name);
int ovh_pin_find(const char *name);

enum ovh_flags {
	OVH_ONCE = 1u << 0,    /* a quantity per sample, not a time per operation */
	OVH_BATCH = 1u << 1,   /* one run is a batch of its own size (sample.ops): not calibrated */
	OVH_WORKERS = 1u << 2, /* runs ovh_ctx.workers workers: the JSON records how many */
	OVH_BY_NAME = 1u << 3, /* runs only when --only names it: every sample starts a job of
	                        * its own (an mpirun: seconds under load), which would
	                        * take minutes of every default run */
	OVH_NEEDS_OMP = 1u << 4, /* needs OpenMP built in (ovh_absent says when it is not) */
	OVH_NEEDS_MPI = 1u << 5, /* needs Open MPI (tvp-mpi-worker) built */
	OVH_PER_WORKER = 1u << 6, /* the figure is for ovh_ctx.workers workers: the JSON
				     adds it per worker */
};

#define OVH_MAX_EXTRA 3

/* What the driver gives every kernel. */
struct ovh_ctx {
	unsigned workers;   /* N for the memory kernels (and pools) */
	int cpu[2];         /* OS CPU numbers of party 0 (the caller) and 1; -1: not bound */
	bool quick;
};

/* What one run reports. */
struct ovh_sample {
	double value;                  /* timed kernels: ns for all iters; OVH_ONCE: the quantity */
	uint64_t ops;                  /* OVH_BATCH: operations the run performed */
	double extra[OVH_MAX_EXTRA];   /* figures named by ovh_bench.extra (OVH_ONCE kernels) */
};

struct ovh_bench {
	const char *name;       /* stable: scripts and --only use it */
	enum ovh_group group;
	enum ovh_kind kind;
	enum ovh_unit unit;
	const char *summary;    /* one line, for --list, the table and the JSON */
	enum ovh_pin pin;
	unsigned flags;         /* enum ovh_flags */
	uint64_t bytes;         /* message size (ipc), bytes touched (fork-touch); 0: none */
	int variant;            /* the kernel file's own: which mechanism */
	enum channel_kind channel;   /* a process pool's (handoff kernels) */
	const char *mode;       /* handoff batches: the `tvp run` mode they run */
	unsigned workers;       /* OVH_WORKERS: a fixed count (hand-off to many
				   workers); 0: ovh_ctx.workers (--workers) */
	const char *extra[OVH_MAX_EXTRA];   /* names of sample.extra[], NULL-terminated */
	bool has_start;         /* a process pool started by `start` (group start) */
	enum pool_start start;
	/* The kernel this one is held against, and issue 14's target for the
	 * ratio of their medians (0: none): the JSON adds versus, ratio and
	 * target_ratio, the report says whether the target was met. */
	const char *versus;
	double target_ratio;

	/* Not timed. Returns 0 with *state set, or a negative errno with why in
	 * err; on failure nothing is left running. */
	int (*setup)(const struct ovh_bench *b, const struct ovh_ctx *c, void **state, char *err,
		     size_t errlen);
	/* Performs iters operations (1 for OVH_ONCE) and fills out. Returns 0,
	 * or a negative errno with why in err. */
	int (*run)(void *state, uint64_t iters, struct ovh_sample *out, char *err, size_t errlen);
	/* Frees what setup made: no thread or child remains. */
	void (*teardown)(void *state);
};

/* The registry (bench/overhead/registry.c): each kernel file exports an
 * array of kernels and its length, one line each in the registry's table.
 * ovh_count and ovh_get walk every kernel in --list order; ovh_find returns
 * the kernel called name, or NULL. */
struct ovh_set {
	const struct ovh_bench *benches;
	const size_t *count;
};
size_t ovh_count(void);
const struct ovh_bench *ovh_get(size_t i);
const struct ovh_bench *ovh_find(const char *name);

/* Why b is not built into this tvp ("not built: Open MPI not found"), or
 * NULL when it is. Such a kernel is listed (--list, and as skipped in the
 * JSON) but has no functions to run. */
const char *ovh_absent(const struct ovh_bench *b);

/* ---- helpers ------------------------------------------------------------ */

/* A partner: fn(arg) run in a new thread or a forked child (which then
 * _exits), bound to cpu when cpu >= 0. A forked partner ignores SIGINT and
 * dies with the parent (sys_child_after_fork). */
struct ovh_partner {
	bool process;
	bool running;
	pid_t pid;
	pthread_t thread;
	int cpu;
	void (*fn)(void *arg);
	void *arg;
};

/* Starts p. Processes: call while the process has one thread. Returns 0, or
 * a negative errno with why in err. */
int ovh_partner_start(struct ovh_partner *p, bool process, int cpu, void (*fn)(void *arg),
		      void *arg, char *err, size_t errlen);

/* Waits for a partner that has been told to stop. A process that does not
 * end within timeout_ns is killed. Returns 0, or -ECHILD if a process ended
 * by a signal or with a non-zero status. Idempotent. */
int ovh_partner_wait(struct ovh_partner *p, uint64_t timeout_ns);

/* A futex wait on *w while it holds val (until ts, relative; NULL: no
 * limit), and a wake of one waiter. private: the waiters are threads of
 * this process (FUTEX_PRIVATE_FLAG); a word in memory shared with other
 * processes needs false. */
void ovh_futex_wait(_Atomic uint32_t *w, uint32_t val, bool private, const struct timespec *ts);
void ovh_futex_wake(_Atomic uint32_t *w, bool private);

/* Binds the calling thread to one OS CPU. Returns 0 or a negative errno. */
int ovh_bind_self(int cpu);

/* The OS CPUs the calling thread may use, in order, into cpus (at most max);
 * returns how many (at least 1). */
unsigned ovh_allowed_cpus(int *cpus, unsigned max);

/* Reads Rss and Pss of a process (0: this one) from /proc/PID/smaps_rollup,
 * in bytes, plus Shared_Clean + Shared_Dirty into *shared (may be NULL).
 * Does not allocate. Returns 0 or a negative errno. */
int ovh_smaps_rollup(pid_t pid, uint64_t *rss, uint64_t *pss, uint64_t *shared);

/* Rss of a process (0: this one), and the PSS of the memory it made:
 * anonymous and shared memory (Pss_Anon + Pss_Shmem), not the file pages
 * it only maps (a library's code), whose share moves whenever another
 * program maps or unmaps them; all of Pss before Linux 5.10. Does not
 * allocate. Returns 0 or a negative errno. */
int ovh_memory_made(pid_t pid, uint64_t *rss, uint64_t *pss);

/* ovh_memory_made summed over process root and every process under it
 * (children, their children: a pool's fork server and its workers), from
 * /proc. Returns 0 or a negative errno. */
int ovh_tree_memory(pid_t root, uint64_t *rss, uint64_t *pss);

/* The PSS (into out->value) and RSS (out->extra[0]) that n idle threads
 * add to this process, each on a fresh stack and blocked in read() like an
 * idle pool worker (memory.c); the PSS is ovh_memory_made's.
 * Returns 0 or a negative errno with err. */
int ovh_idle_threads_memory(unsigned n, struct ovh_sample *out, char *err, size_t errlen);

/* /bin/true (or /usr/bin/true), or NULL when neither is there. */
const char *ovh_true_path(void);

/* waitpid that retries on EINTR. Returns the status, or a negative errno. */
int ovh_waitpid(pid_t pid);

/* Reaps pid and returns 0 if it exited with 0; else a negative errno with
 * what (the program) and how it ended in err. -EINTR when Ctrl-C reached
 * the child. */
int ovh_reap_ok(pid_t pid, const char *what, char *err, size_t errlen);

/* Writes why into err and returns rc (a negative errno). */
int ovh_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
