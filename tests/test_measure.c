/* test_measure.c: one measurement of a cell (bench/run/measure.c) leaves
 * the process as it found it: the heap its workers filled and freed is
 * given back to the kernel, so a later cell that forks does not copy it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wltest.h"
#include "bench/modes/mode.h"
#include "bench/run/cells.h"
#include "bench/run/measure.h"
#include "par/pin.h"

/* This process's resident private anonymous memory, in KiB: what a fork
 * copies the page table entries of. */
static long rss_anon_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "RssAnon: %ld kB", &kb) == 1)
			break;
	fclose(f);
	ck_assert_int_ge(kb, 0);
	return kb;
}

/* 16384 results of 4 KiB each, made and freed by the measurement: 64 MiB
 * that glibc keeps resident unless it is trimmed (the serial mode's, on
 * this thread; omp's and the executors' alike). Before the trim, `make
 * bench`'s process held 360 MiB of such memory and its fork-spawn cells
 * took 1.4-4.5 times as long as with it. */
START_TEST(a_measurement_gives_the_freed_heap_back)
{
	struct wlt t;
	struct pin_plan *plan;
	struct cell c;
	struct sample s;
	char err[512];
	long before, after;

	wlt_init(&t, "transfer", "4K", NULL);
	wlt_setup(&t);
	ck_assert_int_eq(pin_plan_new(&plan, "none", 1, err, sizeof err), 0);
	memset(&c, 0, sizeof c);
	c.lang = CELL_LANG_C;
	c.wi = &t.wi;
	c.mode = mode_find("serial");
	ck_assert_ptr_nonnull(c.mode);
	c.workers = 1;
	c.tasks = 16384;
	c.size = t.wi.size;
	c.plan = plan;
	c.pin = "none";
	before = rss_anon_kb();
	for (int round = 0; round < 2; round++) {
		ck_assert_msg(measure(&c, NULL, &s, err, sizeof err) == 0, "%s", err);
		ck_assert_uint_gt(s.wall_ns, 0);
		sample_release(&s);
	}
	after = rss_anon_kb();
	/* 64 MiB went through the heap twice; less than a quarter of it may
	 * stay (the allocator's own bookkeeping, a thread's cache). */
	ck_assert_msg(after - before < 16 * 1024,
		      "resident anonymous memory grew from %ld to %ld KiB", before, after);
	pin_plan_free(plan);
	wlt_teardown(&t);
}
END_TEST

static Suite *measure_suite(void)
{
	Suite *s = suite_create("measure");
	TCase *tc = tvp_tcase(s, "heap", 60);

	tcase_add_test(tc, a_measurement_gives_the_freed_heap_back);
	return s;
}

TVP_TEST_MAIN(measure_suite)
