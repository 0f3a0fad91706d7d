/* test_placement.c: placement through the pools, on the real machine: a
 * thread-pool worker and a fork-pool worker bound to PU 1 run on PU 1 (as
 * sched_getcpu and /proc/<pid>/status say), the parent is never left bound,
 * and the worker statistics report the binding. Skipped (and said so) where
 * the machine cannot bind or has one usable PU. */
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "par/pin.h"
#include "par/pool.h"
#include "testutil.h"
#include "bench/util.h"

/* "0-1" etc.: this process's Cpus_allowed_list. */
static void allowed_list(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];

	buf[0] = '\0';
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "Cpus_allowed_list: %63s", buf) == 1)
			break;
	if (f)
		fclose(f);
	(void)len;
}

/* A task that reports {sched_getcpu after some work, Cpus_allowed_list}. */
static int where_am_i(const void *arg, size_t len, struct task_result *out)
{
	char buf[80];
	volatile unsigned long x = 0;
	int cpu;

	for (unsigned long i = 0; i < 20000000; i++)
		x += i;
	cpu = sched_getcpu();
	memset(buf, 0, sizeof buf);
	memcpy(buf, &cpu, sizeof cpu);
	allowed_list(buf + sizeof cpu, sizeof buf - sizeof cpu);
	task_result_set(out, buf, sizeof buf);
	return 0;
}

/* Skips the test unless this machine can bind and has two usable PUs. */
static void require_binding(void)
{
	char err[256];

	if (pin_topology_load(err, sizeof err) != 0 || !pin_can_bind_threads() ||
	    !pin_can_bind_processes() || hwloc_bitmap_weight(pin_allowed_cpuset()) < 2)
		tvp_skip("this machine cannot bind, or has one usable PU");
}

static void bound_to_pu1(enum pool_kind kind, enum channel_kind ch)
{
	struct pin_plan *plan;
	struct pool *p;
	struct pool_options opt = { .kind = kind, .workers = 2, .channel = ch };
	struct worker_stats ws[8];
	char err[256], before[64], after[64], want[16];
	unsigned n;

	require_binding();
	ck_assert_int_eq(pin_plan_new(&plan, "pu:1", 2, err, sizeof err), 0);
	pin_plan_cpuset_text(plan, 0, want, sizeof want);   /* the OS number of pu:1 */
	opt.pin = plan;
	allowed_list(before, sizeof before);
	ck_assert_msg(pool_new(&p, &opt, err, sizeof err) == 0, "%s", err);
	allowed_list(after, sizeof after);
	ck_assert_msg(strcmp(before, after) == 0, "the parent was left bound: %s, was %s", after, before);
	for (int t = 0; t < 4; t++) {
		struct task_result r = TASK_RESULT_INIT;
		int cpu;
		char cpu_text[16];

		ck_assert_int_eq(pool_apply(p, where_am_i, NULL, 0, &r), 0);
		memcpy(&cpu, task_result_data(&r), sizeof cpu);
		snprintf(cpu_text, sizeof cpu_text, "%d", cpu);
		ck_assert_msg(strcmp(cpu_text, want) == 0, "ran on CPU %d, bound to %s", cpu, want);
		if (kind == POOL_PROCESSES)   /* a thread's mask is not the process's */
			ck_assert_str_eq((const char *)task_result_data(&r) + sizeof cpu, want);
		task_result_release(&r);
	}
	n = pool_take_stats(p, ws, 8);
	ck_assert_uint_ge(n, 2);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(ws[i].pinned, 1);
		ck_assert_str_eq(ws[i].bound, want);
		if (ws[i].tasks)
			ck_assert_str_eq(ws[i].ran_on, want);
	}
	pool_free(p);
	pin_plan_free(plan);
	allowed_list(after, sizeof after);
	ck_assert_str_eq(before, after);
	tvp_assert_no_children();
}

START_TEST(thread_pool_worker_on_pu1)
{
	bound_to_pu1(POOL_THREADS, CHANNEL_SHM);
}
END_TEST

START_TEST(fork_pool_worker_on_pu1)
{
	bound_to_pu1(POOL_PROCESSES, CHANNEL_SHM);
	bound_to_pu1(POOL_PROCESSES, CHANNEL_PIPE);
}
END_TEST

START_TEST(run_records_placement)
{
	char *dir, *out;
	struct tvp_cmd c;
	json_error_t jerr;
	json_t *doc, *cell;
	size_t i, pinned_cells = 0;

	require_binding();
	dir = tvp_tmpdir();
	out = xasprintf("%s/p.json", dir);
	tvp_run_cli(&c, 120, "run", "--quick", "--mode", "thread-pool,fork-pool,thread-spawn,fork-spawn",
		    "--workers", "2", "--pin", "none,scatter", "--repeat", "1", "--quiet", "--output", out, NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	tvp_cmd_free(&c);
	doc = json_load_file(out, 0, &jerr);
	ck_assert_msg(doc, "%s", jerr.text);
	json_array_foreach(json_object_get(doc, "results"), i, cell) {
		size_t k;
		json_t *w;
		if (strcmp(json_string_value(json_object_get(cell, "pin")), "scatter") != 0)
			continue;
		pinned_cells++;
		json_array_foreach(json_object_get(json_array_get(json_object_get(cell, "samples"), 0), "workers"), k, w) {
			ck_assert(json_is_true(json_object_get(w, "pinned")));
			ck_assert(json_is_false(json_object_get(w, "ran_outside")));
		}
	}
	ck_assert_uint_eq(pinned_cells, 4);
	json_decref(doc);
	tvp_rm_rf(dir);
	free(out);
	free(dir);
}
END_TEST

static Suite *placement_suite(void)
{
	Suite *s = suite_create("placement");
	TCase *tc = tvp_tcase(s, "pools", 60);

	tcase_add_test(tc, thread_pool_worker_on_pu1);
	tcase_add_test(tc, fork_pool_worker_on_pu1);
	tcase_add_test(tc, run_records_placement);
	return s;
}

TVP_TEST_MAIN(placement_suite)
