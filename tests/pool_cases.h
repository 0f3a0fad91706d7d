/* pool_cases.h: the pool and executor API tests, written once (pool_cases.c)
 * and run on each backend: a test file builds its suite for one
 * configuration, then adds what only its backend promises:
 *
 *   #include "pool_cases.h"
 *   static Suite *s(void)
 *   {
 *           return pool_cases_suite("pool-fork-shm",
 *                                   (struct case_config){ POOL_PROCESSES, CHANNEL_SHM });
 *   }
 *   TVP_TEST_MAIN(s)
 *
 * Also the tasks and helpers those backend files share with the cases.
 */
#ifndef POOL_CASES_H
#define POOL_CASES_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

#include "par/channel_kind.h"
#include "par/executor.h"
#include "par/pool.h"

/* What the shared cases run on. One configuration per test binary: the
 * suite builders keep it in a file-static variable, set before Check forks
 * each test, which case_pool and the cases read. */
struct case_config {
	enum pool_kind kind;
	enum channel_kind channel;   /* processes: how jobs and results travel */
	enum pool_start start;       /* processes: how workers start */
};

/* The pool cases (map, async, life) and the executor cases (futures, wait,
 * shutdown) as a suite called name, on cfg. Call one of them once per
 * binary, before any helper below that makes a pool. */
Suite *pool_cases_suite(const char *name, struct case_config cfg);
Suite *executor_cases_suite(const char *name, struct case_config cfg);

/* Tasks (task_fn), pure functions of their argument bytes, so they run in a
 * thread, a forked worker or a spawned one alike (registered by name,
 * par/task_registry.h):
 *   case_square    arg int64 v; result v * v
 *   case_fail_odd  arg int64 v; odd v fails with -EIO and "odd value V",
 *                  even v returns v
 *   case_sleep     arg int64 ms; sleeps that long, returns ms */
int case_square(const void *arg, size_t len, struct task_result *out);
int case_fail_odd(const void *arg, size_t len, struct task_result *out);
int case_sleep(const void *arg, size_t len, struct task_result *out);

/* Returns { pid } of the process that ran it (arguments ignored). */
int case_pid(const void *arg, size_t len, struct task_result *out);

/* The pid of the worker that ran one case_pid (pool_apply); fails the test
 * if it failed. */
int64_t case_apply_pid(struct pool *p);

/* The int64 at the start of a result, or -1 when it is shorter. */
int64_t case_i64(const struct task_result *r);

/* A result's bytes as a string (a message), cut at 599 bytes; the buffer
 * is static, overwritten by the next call. */
const char *case_msg(const struct task_result *r);

/* A pool of workers workers on the configuration; fails the test if it
 * cannot be made. */
struct pool *case_pool(unsigned workers);

/* pool_new with opt; fails the test if it fails. */
struct pool *case_start(const struct pool_options *opt);

/* Frees p (or an executor), then fails the test if a child process is left. */
void case_pool_free(struct pool *p);
void case_executor_free(struct executor *ex);

/* Wait (up to 10 s) until a worker has started a (or f); fail the test if
 * none does. */
void case_wait_running(struct pool_async *a);
void case_wait_future_running(struct future *f);

/* pool_map of case_square over 0..n-1 in chunks of chunksize (0: the
 * pool's default); fails the test unless every record is right. */
void case_check_map(struct pool *p, size_t n, size_t chunksize);

#endif
