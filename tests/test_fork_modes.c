/* test_fork_modes.c: the process modes (fork-spawn, fork-pool and
 * executor-fork on both channels) give the serial mode's results, task for
 * task, on the noop and count workloads, with fewer and more workers than
 * cores; they stop on an interrupt and leave no child behind. The modes
 * come from the registry (modes[]): a new process mode is checked with no
 * change here. (A channel is an enum parsed by the CLI: test_run_options
 * checks that a bad one is refused.) */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "mode_cases.h"
#include "bench/modes/mode.h"
#include "testutil.h"
#include "bench/util.h"
#include "workloads/workload.h"

/* The process modes: every registered mode whose workers are processes. */
static bool fork_mode(const struct mode *md)
{
	bool match = md->flags & MODE_FORKS;

	if (match)
		ck_assert_str_eq(mode_kind_name(md), "process");
	return match;
}

static void check_workload(const char *wname, const char *size)
{
	check_modes_vs_serial(wname, size, 300, fork_mode);
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
	const struct workload *wl = workload_find("count");
	struct workload_inst wi = { .wl = wl, .size = 1000000 };

	for (size_t k = 0; k < modes_count; k++) {
		const struct mode *md = modes[k];
		struct mode_run m;

		if (!fork_mode(md))
			continue;
		memset(&m, 0, sizeof m);
		m.wi = &wi;
		m.workers = 2;
		m.tasks = 20000;
		m.channel = CHANNEL_SHM;
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

static Suite *fork_modes_suite(void)
{
	Suite *s = suite_create("fork-modes");
	TCase *tc = tvp_tcase(s, "vs-serial", 120);

	tcase_add_test(tc, noop_equals_serial);
	tcase_add_test(tc, count_equals_serial);
	tcase_add_test(tc, modes_stop_on_interrupt);
	return s;
}

TVP_TEST_MAIN(fork_modes_suite)
