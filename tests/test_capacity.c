/* test_capacity.c: the capacity arithmetic, the /proc parsers and the
 * contended rule on made-up figures; the probe itself only for sanity. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/capacity.h"
#include "testutil.h"

/* TSan runs a thread of its own, started at the first pthread_create (and
 * again in a forked child): the thread counts allow for it. */
#ifdef __SANITIZE_THREAD__
#define SANITIZER_THREADS 1
#else
#define SANITIZER_THREADS 0
#endif

#define NEAR(a, b) ck_assert_msg(fabs((a) - (b)) < 1e-9, "%s = %.12g, expected %.12g", #a, (double)(a), (double)(b))

START_TEST(cores_sum_best_over_observed)
{
	/* bests 0.30 and 0.40 ns/iter; observed 0.30 (at its best: 1), 0.80
	 * (half speed: 0.40/0.80 = 0.5), so 1.5 cores. A PU observed faster
	 * than its (stale) best counts 1, not more; one with no best or no
	 * observation counts 0. */
	const double best[] = { 0.30, 0.40, 0.30, 0 };
	const double seen[] = { 0.30, 0.80, 0.20, 0.5 };

	NEAR(capacity_cores(best, seen, 2), 1.5);
	NEAR(capacity_cores(best, seen, 3), 2.5);
	NEAR(capacity_cores(best, seen, 4), 2.5);
}
END_TEST

START_TEST(bests_only_improve)
{
	/* Each PU its own kind (kind NULL): best starts empty (0); a probe
	 * sets it; a slower one leaves it; a faster one lowers it; 0 and NaN
	 * observations are ignored. */
	double best[3] = { 0, 0, 0 };
	const double a[] = { 0.40, 0.50, 0 }, b[] = { 0.45, 0.30, NAN };

	capacity_note_best(best, a, NULL, 3);
	NEAR(best[0], 0.40);
	NEAR(best[1], 0.50);
	NEAR(best[2], 0);
	capacity_note_best(best, b, NULL, 3);
	NEAR(best[0], 0.40);
	NEAR(best[1], 0.30);
	NEAR(best[2], 0);
}
END_TEST

START_TEST(bests_are_shared_by_alike_pus)
{
	/* PUs 0 and 1 alike (kind 0), PU 2 a little core (kind 1): PU 1,
	 * taken all along at 0.50, gets PU 0's 0.40 as its best and shows
	 * 0.40 / 0.50 = 0.8 of a core; PU 2 keeps its own 0.90. */
	const unsigned kind[] = { 0, 0, 1 };
	const double seen[] = { 0.40, 0.50, 0.90 };
	double best[3] = { 0, 0, 0 };

	capacity_note_best(best, seen, kind, 3);
	NEAR(best[0], 0.40);
	NEAR(best[1], 0.40);
	NEAR(best[2], 0.90);
	NEAR(capacity_cores(best, seen, 3), 2.8);
}
END_TEST

START_TEST(share_counts_the_cells_best_pus)
{
	/* 4 PUs, all best 1.0; observed 1.0, 2.0, 1.25, 4.0: terms 1, 0.5,
	 * 0.8, 0.25. Sorted: 1, 0.8, 0.5, 0.25.
	 *   1 worker:  1
	 *   2 workers: (1 + 0.8) / 2 = 0.9
	 *   4 workers: (1 + 0.8 + 0.5 + 0.25) / 4 = 0.6375
	 *   8 workers: all four PUs, the same 0.6375 */
	const double best[] = { 1, 1, 1, 1 }, seen[] = { 1, 2, 1.25, 4 };

	NEAR(capacity_share(best, seen, 4, 1), 1);
	NEAR(capacity_share(best, seen, 4, 2), 0.9);
	NEAR(capacity_share(best, seen, 4, 4), 0.6375);
	NEAR(capacity_share(best, seen, 4, 8), 0.6375);
	ck_assert(isnan(capacity_share(best, seen, 4, 0)));
}
END_TEST

START_TEST(pressure_and_schedstat_parse)
{
	uint64_t v = 0;

	ck_assert_int_eq(capacity_parse_pressure("some avg10=0.52 avg60=4.60 avg300=5.42 total=37468187\n"
						 "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", &v), 0);
	ck_assert_uint_eq(v, 37468187);
	/* the "some" line need not come first */
	ck_assert_int_eq(capacity_parse_pressure("full avg10=0 total=5\nsome avg10=0 total=42\n", &v), 0);
	ck_assert_uint_eq(v, 42);
	ck_assert_int_eq(capacity_parse_pressure("full avg10=0 total=5\n", &v), -EINVAL);
	ck_assert_int_eq(capacity_parse_pressure("some avg10=0\nfull total=5\n", &v), -EINVAL);
	ck_assert_int_eq(capacity_parse_pressure("", &v), -EINVAL);

	ck_assert_int_eq(capacity_parse_schedstat("351056873 168068 8\n", &v), 0);
	ck_assert_uint_eq(v, 168068);
	ck_assert_int_eq(capacity_parse_schedstat("12\n", &v), -EINVAL);
}
END_TEST

START_TEST(contended_rule)
{
	/* 2 workers on 2 PUs, 100 ms: clean at share 0.95 and 5 ms of wait
	 * (2.5% of the 200 ms of CPU they could have had). */
	struct capacity_sample s = { .share = 0.95, .runq_ns = 5e6, .wall_ns = 1e8, .workers = 2, .pus = 2 };

	ck_assert_uint_eq(capacity_contended(&s), 0);
	/* share 0.85 < 0.90: lost cores */
	s.share = 0.85;
	ck_assert_uint_eq(capacity_contended(&s), CAPACITY_LOST_CORES);
	/* 25 ms of wait > 10% of 200 ms: both causes */
	s.runq_ns = 25e6;
	ck_assert_uint_eq(capacity_contended(&s), CAPACITY_LOST_CORES | CAPACITY_RUNQ);
	/* 4 workers on 2 PUs wait (4 - 2) x 100 ms = 200 ms by construction;
	 * 215 ms is 15 ms beyond: 7.5% of 200 ms, clean; 230 ms is 15%. */
	s = (struct capacity_sample){ .share = 1, .runq_ns = 215e6, .wall_ns = 1e8, .workers = 4, .pus = 2 };
	ck_assert_uint_eq(capacity_contended(&s), 0);
	s.runq_ns = 230e6;
	ck_assert_uint_eq(capacity_contended(&s), CAPACITY_RUNQ);
	/* unknown figures flag nothing */
	s = (struct capacity_sample){ .share = NAN, .runq_ns = NAN, .wall_ns = 1e8, .workers = 2, .pus = 2 };
	ck_assert_uint_eq(capacity_contended(&s), 0);
}
END_TEST

static int count_tasks(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

START_TEST(probe_is_sane_and_leaves_no_thread)
{
	struct capacity c;
	struct capacity_reading r;
	double *seen;
	int before = count_tasks();
	pid_t pid;
	int status;

	ck_assert_int_eq(capacity_init(&c, NULL, 0, 200000), 0);
	ck_assert_uint_ge(c.n_pus, 1);
	seen = calloc(c.n_pus, sizeof *seen);
	for (int k = 0; k < 20; k++) {
		ck_assert_int_eq(capacity_probe(&c, seen, &r), 0);
		/* at once, as a fork pool started next would count them */
		if (k == 0 && SANITIZER_THREADS)
			before = count_tasks();
		ck_assert_int_eq(count_tasks(), before);
		ck_assert_msg(r.cores > 0 && r.cores <= c.n_pus + 0.5, "cores %g on %u PUs", r.cores, c.n_pus);
		ck_assert_uint_gt(r.cost_ns, 0);
		ck_assert_uint_le(r.bound, c.n_pus);
		for (unsigned i = 0; i < c.n_pus; i++)
			ck_assert(seen[i] > 0 && c.best_ns_per_iter[i] <= seen[i]);
	}
	/* single-threaded again: forking is allowed */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(count_tasks() <= 1 + SANITIZER_THREADS ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	free(seen);
	capacity_release(&c);
}
END_TEST

START_TEST(probe_on_named_cpus)
{
	/* CPU 0 twice: two threads share one PU, so together they deliver
	 * at most about one core's worth; the first probe is the best by
	 * definition, so only the bounds are checked. */
	const int cpus[] = { 0, 0 };
	struct capacity c;
	struct capacity_reading r;
	double seen[2];

	ck_assert_int_eq(capacity_init(&c, cpus, 2, 100000), 0);
	ck_assert_int_eq(capacity_probe(&c, seen, &r), 0);
	ck_assert(r.cores > 0 && r.cores <= 2.5);
	capacity_release(&c);
	ck_assert_int_eq(capacity_init(&c, cpus, 0, 0), -EINVAL);
}
END_TEST

START_TEST(kernel_counters_read_or_unknown)
{
	uint64_t us, ns;
	int rc = capacity_pressure_us(&us);

	ck_assert_msg(rc == 0 || rc == -ENOENT, "pressure: %d", rc);
	rc = capacity_runq_ns(NULL, 0, &ns);
	ck_assert_msg(rc >= 1 || rc == -ENOENT, "runq: %d", rc);
	if (rc > 0) {
		/* a child's threads are added: one more task */
		pid_t pid = fork();
		int status, with_child;

		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			pause();
			_exit(0);
		}
		with_child = capacity_runq_ns(&pid, 1, &ns);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		ck_assert_int_ge(with_child, rc + 1);
	}
}
END_TEST

static Suite *capacity_suite(void)
{
	Suite *s = suite_create("capacity");
	TCase *tc = tvp_tcase(s, "arithmetic", 5);
	TCase *probe = tvp_tcase(s, "probe", 30);

	tcase_add_test(tc, cores_sum_best_over_observed);
	tcase_add_test(tc, bests_only_improve);
	tcase_add_test(tc, bests_are_shared_by_alike_pus);
	tcase_add_test(tc, share_counts_the_cells_best_pus);
	tcase_add_test(tc, pressure_and_schedstat_parse);
	tcase_add_test(tc, contended_rule);
	tcase_add_test(probe, probe_is_sane_and_leaves_no_thread);
	tcase_add_test(probe, probe_on_named_cpus);
	tcase_add_test(probe, kernel_counters_read_or_unknown);
	return s;
}

TVP_TEST_MAIN(capacity_suite)
