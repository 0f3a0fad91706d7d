/* test_measure.c: one measurement of a cell (bench/run/measure.c) leaves
 * the process as it found it: the heap its workers filled and freed is
 * given back to the kernel, so a later cell that forks does not copy it;
 * tvp's malloc thresholds keep large blocks out of the heap; and a mode
 * that leaves tvp's thread bound to fewer CPUs is undone. */
#include <malloc.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wltest.h"
#include "bench/modes/mode.h"
#include "bench/run/cells.h"
#include "bench/run/measure.h"
#include "bench/util.h"
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

/* A C cell of mode md with one unpinned worker and tasks tasks of t. */
static void one_worker_cell(struct cell *c, struct wlt *t, const struct mode *md, uint64_t tasks,
			    const struct pin_plan *plan)
{
	ck_assert_ptr_nonnull(md);
	memset(c, 0, sizeof *c);
	c->lang = CELL_LANG_C;
	c->wi = &t->wi;
	c->mode = md;
	c->workers = 1;
	c->tasks = tasks;
	c->size = t->wi.size;
	c->plan = plan;
	c->pin = "none";
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

	if (TVP_SAN[0])
		tvp_skip("a sanitizer's allocator replaces glibc's (and ASan holds freed memory)");
	wlt_init(&t, "transfer", "4K", NULL);
	wlt_setup(&t);
	ck_assert_int_eq(pin_plan_new(&plan, "none", 1, err, sizeof err), 0);
	one_worker_cell(&c, &t, mode_find("serial"), 16384, plan);
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

/* With tvp's thresholds (main), a large block is mapped for itself every
 * time: glibc's default raises its mmap threshold past a block's size once
 * such a block is freed, and the next one then comes from the heap, where
 * it stays resident after free. */
START_TEST(large_blocks_are_mapped_every_time)
{
	size_t big = 4u << 20;
	struct mallinfo2 m0, m1;
	void *a, *b;

	if (TVP_SAN[0])
		tvp_skip("a sanitizer's allocator replaces glibc's");
	util_heap_fixed_thresholds();
	a = malloc(big);
	ck_assert_ptr_nonnull(a);
	memset(a, 1, big);
	free(a);
	m0 = mallinfo2();
	b = malloc(big);
	ck_assert_ptr_nonnull(b);
	m1 = mallinfo2();
	ck_assert_msg(m1.hblks == m0.hblks + 1, "a 4 MiB block after a freed one came from the heap "
		      "(mapped blocks %zu -> %zu)", m0.hblks, m1.hblks);
	free(b);
	ck_assert_uint_eq(mallinfo2().hblks, m0.hblks);
}
END_TEST

/* The serial mode, but its setup binds the calling thread to one CPU and
 * leaves it so, as the omp mode once did. */
static int (*serial_setup)(struct mode_run *m);

static int binding_setup(struct mode_run *m)
{
	cpu_set_t one;
	int cpu = 0;

	ck_assert_int_eq(sched_getaffinity(0, sizeof one, &one), 0);
	while (!CPU_ISSET(cpu, &one))
		cpu++;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof one, &one), 0);
	return serial_setup(m);
}

/* A mode that leaves tvp's thread bound would confine every later cell to
 * those CPUs: measure() gives the thread its CPUs back. */
START_TEST(a_mode_that_binds_the_caller_is_undone)
{
	struct wlt t;
	struct pin_plan *plan;
	struct mode binder;
	struct cell c;
	struct sample s;
	cpu_set_t before, after;
	char err[512];

	ck_assert_int_eq(sched_getaffinity(0, sizeof before, &before), 0);
	if (CPU_COUNT(&before) < 2)
		tvp_skip("one usable PU: a binding to it changes nothing");
	wlt_init(&t, "count", "1K", NULL);
	wlt_setup(&t);
	ck_assert_int_eq(pin_plan_new(&plan, "none", 1, err, sizeof err), 0);
	binder = *mode_find("serial");
	serial_setup = binder.setup;
	binder.name = "binder";
	binder.setup = binding_setup;
	one_worker_cell(&c, &t, &binder, 4, plan);
	ck_assert_msg(measure(&c, NULL, &s, err, sizeof err) == 0, "%s", err);
	sample_release(&s);
	ck_assert_int_eq(sched_getaffinity(0, sizeof after, &after), 0);
	ck_assert_msg(CPU_EQUAL(&before, &after), "tvp's thread kept the mode's binding: %d CPUs of %d",
		      CPU_COUNT(&after), CPU_COUNT(&before));
	pin_plan_free(plan);
	wlt_teardown(&t);
}
END_TEST

static Suite *measure_suite(void)
{
	Suite *s = suite_create("measure");
	TCase *tc = tvp_tcase(s, "measure", 60);

	tcase_add_test(tc, a_measurement_gives_the_freed_heap_back);
	tcase_add_test(tc, large_blocks_are_mapped_every_time);
	tcase_add_test(tc, a_mode_that_binds_the_caller_is_undone);
	return s;
}

TVP_TEST_MAIN(measure_suite)
