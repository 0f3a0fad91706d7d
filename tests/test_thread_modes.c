/* test_thread_modes.c: the thread modes (thread-spawn, thread-pool,
 * executor-thread) give the serial mode's results, task for task, on the
 * noop and count workloads, with fewer and more workers than cores. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mode_cases.h"
#include "bench/modes/mode.h"
#include "testutil.h"
#include "bench/util.h"
#include "workloads/workload.h"

static void check_workload(const char *wname, const char *size)
{
	static const char *const thread_modes[] = { "thread-spawn", "thread-pool", "executor-thread" };
	static const unsigned worker_counts[] = { 1, 3, 8 };
	const struct workload *wl = workload_find(wname);
	struct workload_inst wi = { 0 };
	const uint64_t tasks = 400;
	struct outcome serial;
	char err[256];

	ck_assert_msg(wl != NULL, "workload %s is not registered", wname);
	wi.wl = wl;
	ck_assert_msg(wl->parse_size(size, &wi.size, err, sizeof err), "%s", err);
	if (wl->setup)
		ck_assert_int_eq(wl->setup(&wi, err, sizeof err), 0);
	run_mode("serial", NULL, &wi, 1, tasks, &serial);
	for (uint64_t i = 0; i < tasks; i++) {
		ck_assert_int_eq(serial.status[i], 0);
		ck_assert_msg(wl->verify(&wi, i, &serial.results[i], err, sizeof err), "%s", err);
	}
	ck_assert_str_eq(mode_kind_name(mode_find("serial")), "serial");
	for (size_t k = 0; k < sizeof thread_modes / sizeof thread_modes[0]; k++) {
		ck_assert_str_eq(mode_kind_name(mode_find(thread_modes[k])), "thread");
		for (size_t w = 0; w < sizeof worker_counts / sizeof worker_counts[0]; w++) {
			struct outcome o;

			run_mode(thread_modes[k], NULL, &wi, worker_counts[w], tasks, &o);
			ck_assert_uint_eq(o.n_wstats, worker_counts[w]);
			ck_assert_uint_eq(o.tasks_in_stats, tasks);
			for (uint64_t i = 0; i < tasks; i++) {
				ck_assert_int_eq(o.status[i], serial.status[i]);
				ck_assert_msg(o.results[i].len == serial.results[i].len &&
					      memcmp(task_result_data(&o.results[i]),
						     task_result_data(&serial.results[i]),
						     serial.results[i].len) == 0,
					      "%s %s x%u: task %llu differs from serial", wname,
					      thread_modes[k], worker_counts[w],
					      (unsigned long long)i);
			}
			free_outcome(&o);
		}
	}
	free_outcome(&serial);
	if (wl->teardown)
		wl->teardown(&wi);
	tvp_assert_no_children();
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
 * running (teardown still frees). */
START_TEST(modes_stop_on_interrupt)
{
	static const char *const names[] = { "thread-spawn", "thread-pool", "executor-thread" };
	const struct workload *wl = workload_find("count");
	struct workload_inst wi = { .wl = wl, .size = 1000000 };

	for (size_t k = 0; k < 3; k++) {
		const struct mode *md = mode_find(names[k]);
		struct mode_run m;

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
