/* test_fork_modes.c: the process modes (fork-spawn, fork-pool and
 * executor-fork on both channels) give the serial mode's results, task for
 * task, on the noop and count workloads, with fewer and more workers than
 * cores; they stop on an interrupt and leave no child behind. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mode_cases.h"
#include "bench/modes/mode.h"
#include "testutil.h"
#include "bench/util.h"
#include "workloads/workload.h"

static void check_workload(const char *wname, const char *size)
{
	static const struct {
		const char *mode, *channel;
	} runs[] = {
		{ "fork-spawn", NULL },      { "fork-pool", "pipe" },     { "fork-pool", "shm" },
		{ "executor-fork", "pipe" }, { "executor-fork", "shm" },
	};
	static const unsigned worker_counts[] = { 1, 3, 8 };
	const struct workload *wl = workload_find(wname);
	struct workload_inst wi = { 0 };
	const uint64_t tasks = 300;
	struct outcome serial;
	char err[256];

	ck_assert_msg(wl != NULL, "workload %s is not registered", wname);
	wi.wl = wl;
	ck_assert_msg(wl->parse_size(size, &wi.size, err, sizeof err), "%s", err);
	if (wl->setup)
		ck_assert_int_eq(wl->setup(&wi, err, sizeof err), 0);
	run_mode("serial", NULL, &wi, 1, tasks, &serial);
	for (uint64_t i = 0; i < tasks; i++)
		ck_assert_int_eq(serial.status[i], 0);
	for (size_t k = 0; k < ARRAY_SIZE(runs); k++) {
		ck_assert_str_eq(mode_kind_name(mode_find(runs[k].mode)), "process");
		ck_assert(mode_find(runs[k].mode)->flags & MODE_FORKS);
		for (size_t w = 0; w < ARRAY_SIZE(worker_counts); w++) {
			struct outcome o;
			size_t bad = 0;

			run_mode(runs[k].mode, runs[k].channel, &wi, worker_counts[w], tasks, &o);
			ck_assert_uint_ge(o.n_wstats, worker_counts[w]);
			ck_assert_uint_eq(o.tasks_in_stats, tasks);
			for (uint64_t i = 0; i < tasks; i++)
				bad += o.status[i] != serial.status[i] ||
				       o.results[i].len != serial.results[i].len ||
				       memcmp(task_result_data(&o.results[i]),
					      task_result_data(&serial.results[i]),
					      serial.results[i].len) != 0;
			ck_assert_msg(bad == 0, "%s %s/%s x%u: %zu tasks differ from serial", wname,
				      runs[k].mode, runs[k].channel ? runs[k].channel : "-",
				      worker_counts[w], bad);
			free_outcome(&o);
		}
	}
	free_outcome(&serial);
	if (wl->teardown)
		wl->teardown(&wi);
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

START_TEST(modes_stop_on_interrupt)
{
	static const char *const names[] = { "fork-spawn", "fork-pool", "executor-fork" };
	const struct workload *wl = workload_find("count");
	struct workload_inst wi = { .wl = wl, .size = 1000000 };

	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		const struct mode *md = mode_find(names[k]);
		struct mode_run m;

		memset(&m, 0, sizeof m);
		m.wi = &wi;
		m.workers = 2;
		m.tasks = 20000;
		m.channel = "shm";
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
		tvp_assert_no_children();
	}
}
END_TEST

START_TEST(bad_channel_is_refused)
{
	const struct mode *md = mode_find("fork-pool");
	struct workload_inst wi = { .wl = workload_find("noop"), .size = 1 };
	struct mode_run m;

	memset(&m, 0, sizeof m);
	m.wi = &wi;
	m.workers = 2;
	m.tasks = 10;
	m.channel = "carrier-pigeon";
	ck_assert_int_eq(md->setup(&m), -EINVAL);
	ck_assert_ptr_nonnull(strstr(m.err, "pipe, shm"));
	tvp_assert_no_children();
}
END_TEST

static Suite *fork_modes_suite(void)
{
	Suite *s = suite_create("fork-modes");
	TCase *tc = tvp_tcase(s, "vs-serial", 120);

	tcase_add_test(tc, noop_equals_serial);
	tcase_add_test(tc, count_equals_serial);
	tcase_add_test(tc, modes_stop_on_interrupt);
	tcase_add_test(tc, bad_channel_is_refused);
	return s;
}

TVP_TEST_MAIN(fork_modes_suite)
