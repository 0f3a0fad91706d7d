/* test_pool_shared.c: a fork pool's maps over memory shared with its workers
 * (par/shared_mem.h): results written in place exactly when the arrays are
 * shared and the workers share them, every outcome right either way, and
 * nothing lost or freed wrongly when a worker dies, the pool is terminated
 * or a slot already holds a result of the caller's; the pool's copy of the
 * registry answers as the registry does.
 *
 * Whether a result was written in place is seen by the task itself: it
 * reports whether the result slot it was given lies in the caller's array
 * (task_where), which only the in-place path does for a process. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "par/pool.h"
#include "par/shared_mem.h"
#include "par/task_registry.h"
#include "pool_cases.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum how { HOW_PLAIN, HOW_BIG, HOW_ERROR, HOW_ABORT_WITH_HEAP, HOW_SLEEP_WITH_HEAP };

/* One record: what to do, a value, and where the caller's results array
 * lies (so the task can say whether its slot is in it). */
struct where_arg {
	int64_t how, value;
	uint64_t base, n;
};

/* Result: { value * 2, 1 if out lies in the caller's array else 0 }, and
 * for HOW_BIG 200 bytes more (on the task's heap); HOW_ERROR fails with a
 * message; the last two reserve a heap result first, then abort or sleep
 * 10 s. */
static int task_where(const void *arg, size_t len, struct task_result *out)
{
	struct where_arg a;
	int64_t r[2];
	uintptr_t o = (uintptr_t)out;

	if (len != sizeof a)   /* (a spawned worker is not in a test: no ck_assert) */
		return task_result_error(out, -EINVAL, "argument of %zu bytes", len);
	memcpy(&a, arg, sizeof a);
	r[0] = a.value * 2;
	r[1] = o >= a.base && o < a.base + a.n * sizeof(struct task_result);
	switch (a.how) {
	case HOW_BIG: {
		unsigned char *b = task_result_reserve(out, sizeof r + 200);

		memcpy(b, r, sizeof r);
		memset(b + sizeof r, (int)(a.value & 0xff), 200);
		return 0;
	}
	case HOW_ERROR:
		return task_result_error(out, -EIO, "record %lld failed on purpose, "
					 "with a message longer than an inline result",
					 (long long)a.value);
	case HOW_ABORT_WITH_HEAP:
		memset(task_result_reserve(out, 4096), 1, 4096);
		signal(SIGABRT, SIG_DFL);
		abort();
	case HOW_SLEEP_WITH_HEAP:
		memset(task_result_reserve(out, 4096), 1, 4096);
		sleep(10);
		break;
	}
	task_result_set(out, r, sizeof r);
	return 0;
}
TASK_REGISTER(task_where)

/* The arrays of one map, in shared memory or not. */
struct arrays {
	size_t n;
	bool shared;
	struct where_arg *args;
	int *status;
	struct task_result *res;
};

static void *alloc(size_t bytes, bool shared)
{
	void *p = shared ? pool_shared_alloc(bytes) : calloc(1, bytes);

	ck_assert_ptr_nonnull(p);
	return p;
}

static void arrays_new(struct arrays *a, size_t n, bool shared)
{
	a->n = n;
	a->shared = shared;
	a->args = alloc(n * sizeof *a->args, shared);
	a->status = alloc(n * sizeof *a->status, shared);
	a->res = alloc(n * sizeof *a->res, shared);
	for (size_t i = 0; i < n; i++) {
		a->args[i].how = HOW_PLAIN;
		a->args[i].value = (int64_t)i;
		a->args[i].base = (uint64_t)(uintptr_t)a->res;
		a->args[i].n = n;
	}
}

static void arrays_free(struct arrays *a)
{
	for (size_t i = 0; i < a->n; i++)
		task_result_release(&a->res[i]);
	if (a->shared) {
		pool_shared_free(a->args, a->n * sizeof *a->args);
		pool_shared_free(a->status, a->n * sizeof *a->status);
		pool_shared_free(a->res, a->n * sizeof *a->res);
	} else {
		free(a->args);
		free(a->status);
		free(a->res);
	}
}

static struct pool *new_pool(enum channel_kind ch, enum pool_start start, unsigned workers)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = workers, .channel = ch,
				    .start = start };
	struct pool *p = NULL;
	char err[256] = "";
	int rc = pool_new(&p, &opt, err, sizeof err);

	ck_assert_msg(rc == 0, "pool_new: %s (%d)", err, rc);
	return p;
}

static void free_pool(struct pool *p)
{
	pool_free(p);
	tvp_assert_no_children();
}

/* Record i of a HOW_PLAIN map came back right, written in place or not. */
static void check_plain(const struct arrays *a, size_t i, int64_t in_place)
{
	int64_t r[2];

	ck_assert_msg(a->status[i] == 0, "record %zu: status %d (%s)", i, a->status[i],
		      case_msg(&a->res[i]));
	ck_assert_uint_eq(a->res[i].len, sizeof r);
	memcpy(r, task_result_data(&a->res[i]), sizeof r);
	ck_assert_int_eq(r[0], 2 * (int64_t)i);
	ck_assert_msg(r[1] == in_place, "record %zu: written %s", i,
		      r[1] ? "in place, not expected" : "through the channel, not in place");
}

/* pool_map of a's records in chunks of chunk, then every record checked
 * as check_plain does. */
static void map_plain(struct pool *p, const struct arrays *a, size_t chunk, int64_t in_place)
{
	ck_assert_int_eq(pool_map(p, task_where, a->args, sizeof *a->args, a->n, chunk, a->res,
				  a->status), 0);
	for (size_t i = 0; i < a->n; i++)
		check_plain(a, i, in_place);
}

static const size_t chunks[] = { 0, 1, 7 };

/* Shared arrays made before the pool: every record in place, whatever the
 * chunk size (0: the default, one job per quarter of a worker's share). */
START_TEST(shared_before_the_pool_is_written_in_place)
{
	struct arrays a;
	struct pool *p;

	arrays_new(&a, 5000, true);
	p = new_pool(CHANNEL_SHM, POOL_START_FORK, 3);
	map_plain(p, &a, chunks[_i], 1);
	free_pool(p);
	arrays_free(&a);
}
END_TEST

/* Every other case goes through the channel, and is as right. */
START_TEST(not_shared_goes_through_the_channel)
{
	struct arrays a;
	struct pool *p;

	switch (_i) {
	case 0:   /* private memory */
		arrays_new(&a, 3000, false);
		p = new_pool(CHANNEL_SHM, POOL_START_FORK, 2);
		break;
	case 1:   /* shared, but made after the workers were forked */
		p = new_pool(CHANNEL_SHM, POOL_START_FORK, 2);
		arrays_new(&a, 3000, true);
		break;
	case 2: { /* shared before, freed, and made again (likely at the same
		     address, where the workers still have the old pages) */
		struct arrays old;

		arrays_new(&old, 3000, true);
		p = new_pool(CHANNEL_SHM, POOL_START_FORK, 2);
		arrays_free(&old);
		arrays_new(&a, 3000, true);
		break;
	}
	case 3:   /* the pipe channel stays a pipe */
		arrays_new(&a, 3000, true);
		p = new_pool(CHANNEL_PIPE, POOL_START_FORK, 2);
		break;
	default:  /* spawned workers share nothing of ours */
		arrays_new(&a, 3000, true);
		p = new_pool(CHANNEL_SHM, POOL_START_SPAWN, 2);
		break;
	}
	map_plain(p, &a, 0, 0);
	free_pool(p);
	arrays_free(&a);
}
END_TEST

/* Large results, errors, and slots that hold a result of the caller's on
 * the heap come back through the channel (the old result freed: the leak
 * checker of `make check` sees it otherwise); the rest stay in place. */
START_TEST(large_results_errors_and_held_slots_travel)
{
	struct arrays a;
	struct pool *p;

	arrays_new(&a, 900, true);
	for (size_t i = 0; i < a.n; i++) {
		if (i % 3 == 1)
			a.args[i].how = HOW_BIG;
		else if (i % 3 == 2)
			a.args[i].how = HOW_ERROR;
		if (i % 5 == 0) {   /* the caller's own result, on its heap */
			char old[100];

			memset(old, 'x', sizeof old);
			task_result_set(&a.res[i], old, sizeof old);
		}
	}
	p = new_pool(CHANNEL_SHM, POOL_START_FORK, 2);
	ck_assert_int_eq(pool_map(p, task_where, a.args, sizeof *a.args, a.n, 64, a.res, a.status),
			 0);
	for (size_t i = 0; i < a.n; i++) {
		int64_t r[2];

		if (i % 3 == 2) {
			char want[120];

			snprintf(want, sizeof want, "record %zu failed on purpose", i);
			ck_assert_int_eq(a.status[i], -EIO);
			ck_assert_msg(strstr(case_msg(&a.res[i]), want), "record %zu: '%s'", i,
				      case_msg(&a.res[i]));
			continue;
		}
		if (i % 3 == 0) {
			check_plain(&a, i, i % 5 != 0);
			continue;
		}
		ck_assert_int_eq(a.status[i], 0);
		ck_assert_uint_eq(a.res[i].len, sizeof r + 200);
		memcpy(r, task_result_data(&a.res[i]), sizeof r);
		ck_assert_int_eq(r[0], 2 * (int64_t)i);
		ck_assert_int_eq(r[1], i % 5 != 0);
		for (size_t k = 0; k < 200; k++)
			ck_assert_int_eq(((const unsigned char *)task_result_data(&a.res[i]))[16 + k],
					 (int)(i & 0xff));
	}
	free_pool(p);
	arrays_free(&a);
}
END_TEST

/* A worker that dies inside a task that had put its result on the worker's
 * heap, in place: the slot holds a pointer into the dead worker, which the
 * parent must drop, not free. Its job's records fail (-ECHILD, naming the
 * task); every other job, the ones prefetched behind it included, runs. */
START_TEST(a_worker_dies_holding_a_heap_result_in_place)
{
	enum { N = 64, CHUNK = 8, BAD = 37 };
	struct arrays a;
	struct pool *p;
	char want[80];

	arrays_new(&a, N, true);
	a.args[BAD].how = HOW_ABORT_WITH_HEAP;
	p = new_pool(CHANNEL_SHM, POOL_START_FORK, 2);
	ck_assert_int_eq(pool_map(p, task_where, a.args, sizeof *a.args, N, CHUNK, a.res, a.status),
			 0);
	snprintf(want, sizeof want, "while running task %d", BAD);
	for (size_t i = 0; i < N; i++) {
		if (i / CHUNK != BAD / CHUNK) {
			check_plain(&a, i, 1);
		} else if (i >= BAD) {
			ck_assert_int_eq(a.status[i], -ECHILD);
			ck_assert_msg(strstr(case_msg(&a.res[i]), "killed by signal 6") &&
				      strstr(case_msg(&a.res[i]), want), "record %zu: '%s'", i,
				      case_msg(&a.res[i]));
		} else {
			/* Finished before the death but not yet reported:
			 * failed with the rest (fork_death.c). */
			ck_assert_int_eq(a.status[i], -ECHILD);
		}
	}
	/* The pool goes on, in place, with a replacement (the failed slots
	 * emptied: a message on the caller's heap would travel). */
	a.args[BAD].how = HOW_PLAIN;
	for (size_t i = 0; i < N; i++)
		task_result_release(&a.res[i]);
	map_plain(p, &a, CHUNK, 1);
	free_pool(p);
	arrays_free(&a);
}
END_TEST

/* Terminated while tasks run in place holding heap results: every record
 * ends -ECANCELED with a message, nothing of a worker's is freed, no child
 * is left. */
START_TEST(terminate_while_in_place)
{
	enum { N = 4 };
	struct arrays a;
	struct pool *p;
	struct pool_async *as;

	arrays_new(&a, N, true);
	for (size_t i = 0; i < N; i++)
		a.args[i].how = HOW_SLEEP_WITH_HEAP;
	p = new_pool(CHANNEL_SHM, POOL_START_FORK, 2);
	as = pool_map_async(p, task_where, a.args, sizeof *a.args, N, 1, a.res, a.status, NULL,
			    NULL);
	ck_assert_ptr_nonnull(as);
	for (int k = 0; k < 10000 && !pool_async_running(as); k++)
		usleep(1000);
	ck_assert(pool_async_running(as));
	usleep(20000);   /* into the sleep, past the reservation */
	pool_terminate(p);
	ck_assert_int_eq(pool_async_wait(as, POOL_FOREVER), 0);
	pool_async_free(as);
	for (size_t i = 0; i < N; i++) {
		ck_assert_int_eq(a.status[i], -ECANCELED);
		ck_assert_uint_gt(a.res[i].len, 0);
	}
	free_pool(p);
	arrays_free(&a);
}
END_TEST

/* The registry's look-ups through a copy (shared_mem_covers_cached) give
 * what the registry gives, as regions come and go, with more regions than
 * the copy holds, for spans inside, across and outside them; a region made
 * after the generation a pool noted is not the workers'. */
START_TEST(cached_look_ups_agree_with_the_registry)
{
	enum { N = SHARED_MEM_CACHED + 4, PAGE = 4096 };
	struct shared_mem_cache c;
	unsigned char *r[N];
	uint64_t upto;

	memset(&c, 0, sizeof c);
	for (int i = 0; i < N; i++)
		ck_assert_ptr_nonnull(r[i] = pool_shared_alloc(2 * PAGE));
	upto = shared_mem_generation();
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < N; i++) {
			const struct {
				const void *p;
				size_t len;
			} q[] = {
				{ r[i], 2 * PAGE }, { r[i] + PAGE, 8 }, { r[i] + PAGE, 2 * PAGE },
				{ r[i] + 2 * PAGE - 1, 1 }, { r[i] - 1, 4 }, { &c, sizeof c },
			};

			for (size_t k = 0; k < ARRAY_SIZE(q); k++)
				ck_assert_msg(shared_mem_covers_cached(&c, q[k].p, q[k].len, upto) ==
					      shared_mem_covers(q[k].p, q[k].len, upto),
					      "round %d region %d query %zu", round, i, k);
		}
		/* Remake one region (perhaps at the same address): newer. */
		pool_shared_free(r[round], 2 * PAGE);
		ck_assert_ptr_nonnull(r[round] = pool_shared_alloc(2 * PAGE));
		ck_assert(!shared_mem_covers_cached(&c, r[round], 8, upto));
		ck_assert(shared_mem_covers_cached(&c, r[round], 8, shared_mem_generation()));
	}
	ck_assert(shared_mem_covers_cached(&c, r[N - 1], 8, upto));
	ck_assert(!shared_mem_covers_cached(&c, NULL, 8, upto));
	for (int i = 0; i < N; i++)
		pool_shared_free(r[i], 2 * PAGE);
	ck_assert(!shared_mem_covers_cached(&c, r[N - 1], 8, upto));
}
END_TEST

static Suite *pool_shared_suite(void)
{
	Suite *s = suite_create("pool-shared");
	TCase *tc = tcase_create("in-place");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, shared_before_the_pool_is_written_in_place, 0, ARRAY_SIZE(chunks));
	tcase_add_loop_test(tc, not_shared_goes_through_the_channel, 0, 5);
	tcase_add_test(tc, large_results_errors_and_held_slots_travel);
	tcase_add_test(tc, a_worker_dies_holding_a_heap_result_in_place);
	tcase_add_test(tc, terminate_while_in_place);
	tcase_add_test(tc, cached_look_ups_agree_with_the_registry);
	suite_add_tcase(s, tc);
	return s;
}

TVP_TEST_MAIN(pool_shared_suite)
