/* test_thread_modes.c: the thread modes (thread-spawn, thread-pool,
 * executor-thread) give the serial mode's results, task for task, on the
 * noop and count workloads, with fewer and more workers than cores. The
 * modes come from the registry (modes[]): a new thread mode is checked with
 * no change here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mode_cases.h"
#include "bench/modes/mode.h"
#include "testutil.h"
#include "bench/util.h"
#include "workloads/workload.h"

/* The thread modes: every registered mode whose workers are threads. */
static bool thread_mode(const struct mode *md)
{
	bool match = !(md->flags & (MODE_SERIAL | MODE_FORKS));

	if (match)
		ck_assert_str_eq(mode_kind_name(md), "thread");
	return match;
}

static void check_workload(const char *wname, const char *size)
{
	ck_assert_str_eq(mode_kind_name(mode_find("serial")), "serial");
	check_modes_vs_serial(wname, size, 400, thread_mode);
}

START_TEST(noop_equals_serial)
{
	check_workload("noop", "1");
}
END_TEST

START_TEST(count_equals_serial)
{
	check_workload("count", "20K");
}
END_TEST

START_TEST(noop_workload)
{
	const struct workload *wl = workload_find("noop");
	struct workload_inst wi = { .wl = wl, .size = 1 };
	struct task_result r = TASK_RESULT_INIT;
	char err[200];
	uint64_t v = 41;

	ck_assert_uint_eq(wl->default_tasks(2, false), 1000000);
	ck_assert_uint_eq(wl->default_tasks(2, true), 100000);
	ck_assert(wl->parse_size("5K", &v, err, sizeof err) && v == 5000);
	ck_assert(!wl->parse_size("x", &v, err, sizeof err));
	ck_assert_int_eq(wl->task(&wi, 41, &r), 0);
	ck_assert(wl->verify(&wi, 41, &r, err, sizeof err));
	ck_assert(!wl->verify(&wi, 42, &r, err, sizeof err));
	ck_assert_ptr_nonnull(strstr(err, "42"));
	ck_assert_str_eq(wl->rate_key, "ns_per_task");
	task_result_release(&r);
}
END_TEST

/* An interrupt seen by a mode ends it with -EINTR and leaves nothing
 * running (teardown still frees). A pool finishes the chunk under way before
 * it stops, so tasks are kept short (about 30 us): long enough that the
 * batch outlasts the first look at the flag, short enough that a chunk ends
 * within the time limit on a loaded machine. */
START_TEST(modes_stop_on_interrupt)
{
	const struct workload *wl = workload_find("count");
	struct workload_inst wi = { .wl = wl, .size = 100000 };

	for (size_t k = 0; k < modes_count; k++) {
		const struct mode *md = modes[k];
		struct mode_run m;

		if (!thread_mode(md))
			continue;
		memset(&m, 0, sizeof m);
		m.wi = &wi;
		m.workers = 2;
		m.tasks = 200000;
		m.status = xcalloc(m.tasks, sizeof *m.status);
		m.results = xcalloc(m.tasks, sizeof *m.results);
		ck_assert_int_eq(md->setup ? md->setup(&m) : 0, 0);
		tvp_interrupted = SIGINT;
		ck_assert_int_eq(md->execute(&m), -EINTR);
		tvp_interrupted = 0;
		if (md->teardown)
			md->teardown(&m);
		for (uint64_t i = 0; i < m.tasks; i++)
			task_result_release(&m.results[i]);
		free(m.status);
		free(m.results);
	}
}
END_TEST

static Suite *thread_modes_suite(void)
{
	Suite *s = suite_create("thread-modes");
	TCase *tc = tvp_tcase(s, "vs-serial", 60);

	tcase_add_test(tc, noop_workload);
	tcase_add_test(tc, noop_equals_serial);
	tcase_add_test(tc, count_equals_serial);
	tcase_add_test(tc, modes_stop_on_interrupt);
	return s;
}

TVP_TEST_MAIN(thread_modes_suite)
