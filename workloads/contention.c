/* contention.c: the `contention` workload: every task increments one shared
 * counter --size times, under the lock --lock names.
 *
 * Lesson: `count += 1` is three steps (load, add, store). Two workers that
 * interleave them both load 41 and both store 42: an update is lost. The seeds
 * warn about this with multiprocessing's Value and its lock; here it is
 * measured. `--lock none` shows the lost updates as a count (on x86 often a
 * whole worker's worth: each core reads back its own last store and never
 * sees the other's); `--lock mutex` makes every increment exact at the price
 * of a lock round trip (and, when workers fight over it, of sleeping in the
 * kernel); `--lock atomic` lets the CPU do load-add-store as one indivisible
 * instruction, exact and far cheaper, though the cache line holding the
 * counter still bounces between cores. `--lock private` is an ordinary thread
 * mutex, to set against the process-shared robust one: on Linux sharing costs
 * nothing, robustness a few nanoseconds a lock.
 *
 * DESIGN
 * The counter and its mutex live in shared memory made by setup, before any
 * pool starts, so threads and forked workers alike touch the same bytes; a
 * spawned worker maps it again by name (shm_state.h), as Python's
 * shared_memory does.
 * The mutex is process-shared (PTHREAD_PROCESS_SHARED), so the same code is
 * valid for threads and processes, and robust (PTHREAD_MUTEX_ROBUST): if a
 * worker dies holding it, the next locker gets EOWNERDEAD instead of waiting
 * for ever, marks it consistent and goes on (counted as owner_died).
 * `--lock private` uses a mutex with default attributes, which is only valid
 * among the threads of one process: its futex wake-ups are keyed by address
 * space, so a forked waiter would never be woken: `tvp run` refuses it with
 * process modes (refuse_start), and a task that finds itself in a process
 * other than the one setup ran in refuses to run, with an error, rather than
 * risk that hang.
 *
 * Each task adds its --size to a shared `expected` total once it is done, so
 * the counters hook knows how many increments were asked for without being
 * told the task count: lost_updates = expected - counter. prepare() resets
 * everything (and re-initialises the mutex) before each measurement.
 */
#include "workloads/contention.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench/util.h"
#include "workloads/shm_state.h"
#include "workloads/workload.h"

#define CONTENTION_MIN 1ull
#define CONTENTION_MAX 1000000000000ull

enum lock_kind { LOCK_MUTEX, LOCK_PRIVATE, LOCK_ATOMIC, LOCK_NONE };

static const char *const lock_names[] = { "mutex", "private", "atomic", "none" };

/* In shared memory (shm_state.h): seen by every thread and every worker
 * process, forked or spawned. */
struct contention_shared {
	struct shm_state_head head;     /* its name, for spawned workers */
	pthread_mutex_t lock;           /* process-shared, robust */
	pthread_mutex_t plock;          /* --lock private: default attributes */
	pid_t owner_pid;                /* the process setup ran in */
	uint64_t count;                 /* --lock mutex, private and none */
	_Atomic uint64_t acount;        /* --lock atomic */
	_Atomic uint64_t expected;      /* increments finished tasks asked for */
	_Atomic uint64_t owner_died;    /* EOWNERDEAD recoveries */
	enum lock_kind kind;
};

static bool parse_lock(const char *text, enum lock_kind *kind)
{
	for (size_t i = 0; i < ARRAY_SIZE(lock_names); i++)
		if (text && strcmp(text, lock_names[i]) == 0) {
			*kind = (enum lock_kind)i;
			return true;
		}
	return false;
}

static bool check_lock(const char *text, char *err, size_t errlen)
{
	enum lock_kind k;

	if (parse_lock(text, &k))
		return true;
	snprintf(err, errlen, "--lock '%s' is not known; accepted: mutex, private, atomic, none",
		 text);
	return false;
}

static bool contention_parse_size(const char *text, uint64_t *size, char *err, size_t errlen)
{
	return parse_count(text, CONTENTION_MIN, CONTENTION_MAX, size, err, errlen);
}

static uint64_t contention_default_size(bool quick)
{
	return quick ? 10000ull : 1000000ull;
}

static int init_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int rc;

	rc = pthread_mutexattr_init(&a);
	if (rc)
		return -rc;
	rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (!rc)
		rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (!rc)
		rc = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return -rc;
}

static int contention_setup(struct workload_inst *wi, char *err, size_t errlen)
{
	struct contention_shared *sh;
	const char *lock = workload_opt(wi, "lock");
	int rc;

	sh = shm_state_new(sizeof *sh, "contention", err, errlen);
	if (!sh)
		return -ENOMEM;
	if (!parse_lock(lock, &sh->kind)) {
		check_lock(lock, err, errlen);
		rc = -EINVAL;
		goto out_unmap;
	}
	rc = init_mutex(&sh->lock);
	if (rc) {
		snprintf(err, errlen, "process-shared robust mutex: %s", strerror(-rc));
		goto out_unmap;
	}
	rc = -pthread_mutex_init(&sh->plock, NULL);
	if (rc) {
		snprintf(err, errlen, "mutex: %s", strerror(-rc));
		pthread_mutex_destroy(&sh->lock);
		goto out_unmap;
	}
	sh->owner_pid = getpid();
	wi->state = sh;
	return 0;

out_unmap:
	shm_state_free(sh, sizeof *sh, 1);
	return rc;
}

static int contention_prepare(struct workload_inst *wi, char *err, size_t errlen)
{
	struct contention_shared *sh = wi->state;
	int rc;

	/* No worker runs between measurements, so re-initialising is safe, and
	 * it clears a mutex left unrecoverable by a worker killed last time. */
	pthread_mutex_destroy(&sh->lock);
	rc = init_mutex(&sh->lock);
	if (rc) {
		snprintf(err, errlen, "process-shared robust mutex: %s", strerror(-rc));
		return rc;
	}
	pthread_mutex_destroy(&sh->plock);
	rc = -pthread_mutex_init(&sh->plock, NULL);
	if (rc) {
		snprintf(err, errlen, "mutex: %s", strerror(-rc));
		return rc;
	}
	sh->count = 0;
	atomic_store(&sh->acount, 0);
	atomic_store(&sh->expected, 0);
	atomic_store(&sh->owner_died, 0);
	return 0;
}

static int count_with_mutex(struct contention_shared *sh, uint64_t n, struct task_result *out)
{
	for (uint64_t i = 0; i < n; i++) {
		int rc = pthread_mutex_lock(&sh->lock);

		if (rc == EOWNERDEAD) {
			/* The holder died; whatever it did to count under the
			 * lock was one whole increment or none. */
			atomic_fetch_add(&sh->owner_died, 1);
			rc = pthread_mutex_consistent(&sh->lock);
			if (rc) {
				/* Unlocking it unrepaired makes the mutex
				 * unrecoverable: the others fail, not hang. */
				pthread_mutex_unlock(&sh->lock);
				return task_result_error(out, -rc, "pthread_mutex_consistent: %s",
							 strerror(rc));
			}
		}
		if (rc)
			return task_result_error(out, -rc, "pthread_mutex_lock: %s", strerror(rc));
		sh->count++;
		pthread_mutex_unlock(&sh->lock);
	}
	return 0;
}

static int count_with_private_mutex(struct contention_shared *sh, uint64_t n,
				    struct task_result *out)
{
	if (getpid() != sh->owner_pid)
		return task_result_error(out, -EINVAL,
					 "--lock private is a mutex for threads of one process, and this "
					 "task runs in a forked process (use --lock mutex with process "
					 "modes)");
	for (uint64_t i = 0; i < n; i++) {
		pthread_mutex_lock(&sh->plock);
		sh->count++;
		pthread_mutex_unlock(&sh->plock);
	}
	return 0;
}

/* The unlocked read-modify-write. Races on purpose: that is the lesson, so
 * ThreadSanitizer is told not to look. */
__attribute__((noinline, no_sanitize_thread))
static void count_without_lock(struct contention_shared *sh, uint64_t n)
{
	volatile uint64_t *c = &sh->count;

	for (uint64_t i = 0; i < n; i++) {
		uint64_t v = *c;
		*c = v + 1;
	}
}

static int contention_task(const struct workload_inst *wi, uint64_t index,
			   struct task_result *out)
{
	struct contention_shared *sh = wi->state;
	uint64_t n = wi->size;
	int rc;

	switch (sh->kind) {
	case LOCK_MUTEX:
		rc = count_with_mutex(sh, n, out);
		if (rc)
			return rc;
		break;
	case LOCK_PRIVATE:
		rc = count_with_private_mutex(sh, n, out);
		if (rc)
			return rc;
		break;
	case LOCK_ATOMIC:
		for (uint64_t i = 0; i < n; i++)
			atomic_fetch_add_explicit(&sh->acount, 1, memory_order_relaxed);
		break;
	case LOCK_NONE:
		count_without_lock(sh, n);
		break;
	}
	atomic_fetch_add(&sh->expected, n);
	task_result_set(out, &n, sizeof n);
	return 0;
}

static bool contention_verify(const struct workload_inst *wi, uint64_t index,
			      const struct task_result *r, char *err, size_t errlen)
{
	return workload_verify_u64(r, index, wi->size, "increments done", err, errlen);
}

static uint64_t counter_value(const struct contention_shared *sh)
{
	/* Read after every worker finished (the run loop waited for them). */
	return sh->kind == LOCK_ATOMIC ? atomic_load(&sh->acount) : sh->count;
}

static bool contention_verify_batch(const struct workload_inst *wi, uint64_t tasks,
				    char *err, size_t errlen)
{
	struct contention_shared *sh = wi->state;
	uint64_t want = tasks * wi->size, done = atomic_load(&sh->expected);
	uint64_t got = counter_value(sh);

	if (done != want) {
		snprintf(err, errlen, "tasks finished %" PRIu64 " increments, expected %" PRIu64,
			 done, want);
		return false;
	}
	/* Without a lock, losing updates is the expected outcome: it is
	 * reported as the lost_updates counter, not as an error. */
	if (sh->kind != LOCK_NONE && got != want) {
		snprintf(err, errlen, "--lock %s: counter is %" PRIu64 ", expected %" PRIu64
			 " (%" PRId64 " updates lost)", lock_names[sh->kind], got, want,
			 (int64_t)(want - got));
		return false;
	}
	return true;
}

static unsigned contention_counters(const struct workload_inst *wi,
				    struct workload_counter *out, unsigned max)
{
	const struct contention_shared *sh = wi->state;
	double want = (double)atomic_load(&sh->expected), got = (double)counter_value(sh);
	unsigned n = 0;

	if (n < max)
		out[n++] = (struct workload_counter){ "lost_updates", want - got };
	if (n < max && sh->kind == LOCK_MUTEX)
		out[n++] = (struct workload_counter){ "owner_died",
						      (double)atomic_load(&sh->owner_died) };
	return n;
}

pthread_mutex_t *contention_lock(const struct workload_inst *wi)
{
	struct contention_shared *sh = wi->state;

	return &sh->lock;
}

static void contention_teardown(struct workload_inst *wi)
{
	struct contention_shared *sh = wi->state;

	if (!sh)
		return;
	pthread_mutex_destroy(&sh->lock);
	pthread_mutex_destroy(&sh->plock);
	shm_state_free(sh, sizeof *sh, 1);
	wi->state = NULL;
}

/* A process worker cannot use a thread-only mutex; the others serve every
 * start method. */
static const char *contention_refuse_start(const struct workload_inst *wi, enum pool_start start)
{
	enum lock_kind k;

	if (parse_lock(workload_opt(wi, "lock"), &k) && k == LOCK_PRIVATE)
		return "--lock private is a mutex for the threads of one process, and this mode's "
		       "workers are processes; use --lock mutex (process-shared), or thread modes only";
	return NULL;
}

/* A spawned worker maps the same shared memory by name (export_state). */
static int contention_import(struct workload_inst *wi, const void *bytes, size_t len, char *err,
			     size_t errlen)
{
	wi->state = shm_state_import(bytes, len, sizeof(struct contention_shared), err, errlen);
	return wi->state ? 0 : -EINVAL;
}

static void contention_drop(struct workload_inst *wi)
{
	shm_state_free(wi->state, sizeof(struct contention_shared), 0);
	wi->state = NULL;
}

/* Nanoseconds of wall time per increment, all tasks together. */
static double contention_rate(const struct workload_inst *wi, uint64_t tasks, double wall_ns)
{
	return wall_ns / ((double)tasks * (double)wi->size);
}

static const struct workload_option contention_options[] = {
	{ "lock", "KIND", "mutex",
	  "mutex (process-shared, robust), private (threads only), atomic (C11 fetch-add) or none "
	  "(loses updates)",
	  check_lock },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct workload workload_contention = {
	.name = "contention",
	.summary = "shared state: every task increments one shared counter SIZE times under --lock",
	.size_unit = "increments",
	.size_help = "an increment count such as 1M (K/M/G = 10^3/10^6/10^9), from 1 to 1000G",
	.parse_size = contention_parse_size,
	.default_size = contention_default_size,
	.setup = contention_setup,
	.task = contention_task,
	.verify = contention_verify,
	.prepare = contention_prepare,
	.verify_batch = contention_verify_batch,
	.counters = contention_counters,
	.teardown = contention_teardown,
	.rate_key = "ns_per_incr",
	.rate_label = "ns/incr",
	.rate = contention_rate,
	.options = contention_options,
	.refuse_start = contention_refuse_start,
	.export_state = shm_state_export,
	.import_state = contention_import,
	.drop_state = contention_drop,
	.local_state = true,   /* the shared counter lives in tvp's memory */
};
