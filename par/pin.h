/* pin.h: where workers run: the machine's topology (hwloc), placement plans
 * (`--pin none|compact|scatter|pu:LIST|core:LIST`), binding a worker thread
 * or forked worker to its place, and proof of where it actually ran.
 *
 * Use:
 *   1. pin_topology_load() once, in main, before any worker exists.
 *   2. pin_plan_new() for each (policy, workers) pair to run.
 *   3. Each worker, first thing: pin_bind_thread() (a pool thread, a spawned
 *      thread) or pin_bind_process() (a forked worker, in the child after
 *      fork); then pin_note_cpu() around its tasks (a spawned thread), or
 *      pin_cpu_bits_note() on a shared bitmap that the pool turns into
 *      worker_stats.ran_on with pin_cpu_bits_take() (the pools).
 *   4. The run loop reads worker_stats.bound / .ran_on / .pinned /
 *      .bind_errno, decides whether a failed binding is a warning or an
 *      error (--pin-strict), and calls pin_ran_outside() to warn.
 *
 * Nothing here prints: failures come back as negative errnos, messages in
 * an err buffer, or fields of struct worker_stats.
 *
 * Cpusets in text (worker_stats.bound, .ran_on, pin_plan_cpuset_text, the
 * JSON's allowed_pus) are hwloc list syntax ("0", "0-3", "0,2,4-7") of OS CPU
 * numbers: what taskset, /proc and sched_getcpu call CPUs. The explicit
 * policies pu:LIST and core:LIST instead take LOGICAL indexes among the PUs
 * or cores this process may use: under `taskset -c 1`, pu:0 is OS CPU 1.
 */
#ifndef PIN_H
#define PIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <hwloc.h>

#include "par/task.h"

/* ---- The topology ------------------------------------------------------ */

/* Loads the topology, once: later calls return 0 and do nothing. hwloc reads
 * HWLOC_SYNTHETIC / HWLOC_XMLFILE from the environment as usual (the tests
 * describe made-up machines that way). The topology is then restricted to
 * the CPUs this process may use: those its cgroup allows and, when the
 * topology is this machine's, those in the calling thread's CPU binding (what
 * taskset sets, and what workers inherit).
 * Returns 0, or a negative errno with a message in err (no "tvp:" prefix).
 * Call from the main thread before any other thread or worker exists. */
int pin_topology_load(char *err, size_t errlen);

/* Frees the topology. Plans made from it must be freed first. */
void pin_topology_free(void);

/* The restricted topology (what plans are made from), or NULL when not
 * loaded. Read-only for callers; safe to read from several threads. */
hwloc_topology_t pin_topology(void);

/* The whole machine's topology, including CPUs this process may not use;
 * NULL when not loaded. For display (tvp topo). */
hwloc_topology_t pin_machine_topology(void);

/* The OS CPUs this process may use (the restricted topology's cpuset), or
 * NULL when not loaded. */
hwloc_const_cpuset_t pin_allowed_cpuset(void);

/* Whether the loaded topology is this machine's (not synthetic / XML), and
 * whether hwloc can bind a thread / the calling process here. All false when
 * not loaded. */
bool pin_topology_is_this_system(void);
bool pin_can_bind_threads(void);
bool pin_can_bind_processes(void);


/* ---- Plans ------------------------------------------------------------- */

struct pin_plan;

/* Makes the plan for `workers` workers under `policy`:
 *   none             no binding (a plan whose pin_plan_is_none() is true;
 *                    never NULL on success)
 *   compact, close   worker i on the i-th PU: the PUs of one core, then the
 *                    next core, then the next package
 *   scatter, spread  spread over packages, then cores (hwloc_distrib): one
 *                    worker per core while cores last, then the cores' other
 *                    PUs
 *   pu:LIST          worker i on the i-th listed PU
 *   core:LIST        worker i on (every PU of) the i-th listed core
 * LIST is like 0,2,4-7: logical indexes among the PUs / cores this process
 * may use. When there are more workers than places, the plan wraps around to
 * the first place again (pin_plan_wraps). Loads the topology if needed
 * (except for none). Returns 0 with *out set (free with pin_plan_free), or
 * -EINVAL with err saying what was wrong and what is accepted, for example
 * "pu:99 does not exist: this process may use pu:0-1 (OS CPUs 0-1)" (no
 * "tvp:" prefix; the caller exits 2), or another negative errno when the
 * topology cannot be loaded (exit 1). */
int pin_plan_new(struct pin_plan **out, const char *policy, unsigned workers,
		 char *err, size_t errlen);
void pin_plan_free(struct pin_plan *p);

/* Splits a --pin option value into policies: "none,compact,pu:0,2,4-7,core:1"
 * gives none / compact / pu:0,2,4-7 / core:1. Commas separate policies,
 * except that an item starting with a digit continues the pu: or core: list
 * before it. Only splits: check each policy with pin_plan_new. Returns 0 with
 * *items (malloc'd strings in a malloc'd array; free with pin_policies_free)
 * and *n set, or -EINVAL with err set (an empty item, or digits with no list
 * before them). */
int pin_policies_split(const char *text, char ***items, size_t *n, char *err, size_t errlen);
void pin_policies_free(char **items, size_t n);

/* CPUs a worker was seen on, as a bitmap a worker can update without locks
 * and without allocating (in a thread, or in shared memory for a forked
 * worker): CPUs 0 to PIN_CPU_WORDS * 64 - 1. */
#define PIN_CPU_WORDS 16

/* Sets the bit of the CPU the caller runs on now (sched_getcpu). Safe from
 * any thread or process; a few tens of nanoseconds. */
void pin_cpu_bits_note(_Atomic uint64_t *words);

/* Takes the bitmap (reading and clearing it) and writes it as hwloc list
 * text ("0-1,4") into buf. */
void pin_cpu_bits_take(_Atomic uint64_t *words, char *buf, size_t len);

/* The canonical policy: "none", "compact", "scatter", or the list as given
 * ("pu:0,2,4-7"); the string lives as long as the plan. */
const char *pin_plan_policy(const struct pin_plan *p);
bool pin_plan_is_none(const struct pin_plan *p);
unsigned pin_plan_workers(const struct pin_plan *p);

/* True when two workers share a PU (more workers than places, or a list
 * naming a PU twice). Never for none. */
bool pin_plan_wraps(const struct pin_plan *p);

/* Worker i's cpuset (OS CPUs), or NULL for none. i past the plan's workers
 * wraps around (i % workers), as for binding. */
hwloc_const_cpuset_t pin_plan_cpuset(const struct pin_plan *p, unsigned worker);

/* The same as hwloc list text into buf ("" for none). */
void pin_plan_cpuset_text(const struct pin_plan *p, unsigned worker, char *buf, size_t len);


/* ---- Binding ----------------------------------------------------------- */

/* Binds the calling thread to worker i's cpuset (HWLOC_CPUBIND_THREAD: only
 * this thread; other threads keep theirs). Fills ws->pinned and ws->bound:
 *   none plan or p NULL: pinned -1, bound "", bind_errno 0, returns 0;
 *   bound:               pinned 1, bound = the binding read back,
 *                        bind_errno 0, returns 0;
 *   failed:              pinned 0, bound "", bind_errno = the positive
 *                        errno, returns it negated (-ENOSYS: cannot bind
 *                        here, or the topology is synthetic or XML).
 * Prints nothing: the caller decides what a failure means.
 * Thread-safe: every worker may call it at once. */
int pin_bind_thread(const struct pin_plan *p, unsigned worker, struct worker_stats *ws);

/* The same for the whole calling process (HWLOC_CPUBIND_PROCESS): call it in
 * a forked worker, in the child, after fork and before any thread is made in
 * it. Never call it in the parent: a binding is inherited across fork, and
 * the parent must stay free to run anywhere. */
int pin_bind_process(const struct pin_plan *p, unsigned worker, struct worker_stats *ws);

/* The same from a cpuset in list text (pin_plan_cpuset_text), without a
 * topology: for a worker that is a fresh image of the program, whose parent
 * made the plan (loading a topology in every worker would cost more than
 * starting it). "" is none (pinned -1). Binds with sched_setaffinity, so
 * call it while the process has one thread. Fills ws as pin_bind_process. */
int pin_bind_process_cpus(const char *cpus, struct worker_stats *ws);

/* Adds the CPU the calling thread last ran on to ws->ran_on (hwloc list
 * text). Cheap: about 40 ns when that CPU is already listed (one getcpu and
 * a small hwloc bitmap; measured on a 2-PU VM), more when it adds one. Call
 * around each job (or task). Works without a plan; without a topology it
 * falls back on sched_getcpu. Safe in any thread and after fork; ws belongs
 * to the calling worker. */
void pin_note_cpu(struct worker_stats *ws);

/* True when the worker was bound (pinned 1) and ran_on names a CPU outside
 * bound: the run loop warns about it. */
bool pin_ran_outside(const struct worker_stats *ws);

#endif
