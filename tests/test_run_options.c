/* test_run_options.c: `tvp run` option parsing: tables of accepted and
 * rejected command lines. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/run_options.h"
#include "testutil.h"

static int parse(struct run_options *o, char *err, size_t errlen, const char *line)
{
	char buf[512], *argv[32], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof buf, "run %s", line);
	for (char *t = strtok_r(buf, " ", &save); t && argc < 31; t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	return run_options_parse(o, 2, argc, argv, err, errlen);
}

static const struct {
	const char *line;
	const char *says;     /* the message must contain this */
} bad[] = {
	{ "--workers 0", "accepted" },
	{ "--workers abc", "not a worker count" },
	{ "--workers 4-2", "bad range" },
	{ "--workers 1,,2", "empty item" },
	{ "--workers 5000", "4096" },
	{ "--repeat 0", "from 1" },
	{ "--repeat -3", "from 1" },
	{ "--warmup x", "from 0" },
	{ "--tasks 0", "from 1" },
	{ "--workload nope", "accepted: count" },
	{ "--mode nope", "accepted: serial" },
	{ "--size 0", "count" },
	{ "--size 5X", "accepted" },
	{ "--size nope=5M", "no workload" },
	{ "--channel tcp", "accepted: pipe, shm" },
	{ "--start vfork", "accepted: fork, spawn, forkserver" },
	{ "--start fork,", "empty item" },
	{ "--workload contention --lock private --mode fork-pool", "--lock mutex" },
	{ "--workload contention --lock private --mode fork-spawn --start spawn", "start spawn" },
	{ "--bogus", "unknown option '--bogus'" },
	{ "-z", "unknown option '-z'" },
	{ "--workers", "needs a value" },
	{ "stray", "unexpected argument 'stray'" },
	{ "--seed x", "whole number" },
	{ "--precision 0", "accepted: a percentage" },
	{ "--precision 3x", "accepted: a percentage" },
	{ "--precision 80%", "to 50%" },
	{ "--budget 5x", "accepted: a duration" },
	{ "--budget 0", "from 1ms" },
	{ "--budget 10d", "like 500ms, 90s, 10m, 1h" },
	{ "--workload count --size 1e400", "is out of range; accepted: an iteration count" },
	{ "--workload sleep --size 2h", "'2h' is not a duration; accepted: a duration such as 10ms" },
	{ "--workload transfer --size 2G", "from 1 byte to 1G" },
	{ "--workload net --net-delay 2m", "accepted: a duration from 0ms to 60s" },
	{ "--min-repeat 0", "from 1" },
	{ "--max-repeat x", "from 1" },
	{ "--repeat 3 --min-repeat 2", "exactly N rounds" },
	{ "--min-repeat 8 --max-repeat 4", "below --min-repeat 8" },
	/* Issue 16: a workload option that nothing would read, and a value
	 * only threads can take with a process mode, were found at run time. */
	{ "--dir /nonexistent", "option of workload fileio, which is not selected" },
	{ "--workload count,mixed --url http://127.0.0.1/", "option of workload net" },
	{ "--workload contention --lock private --mode thread-pool,fork-pool", "cannot run under fork-pool (start fork): --lock private" },
	/* Mode options no selected mode reads were ignored without a word. */
	{ "--channel pipe --mode serial,thread-pool", "--channel is read by fork-pool, executor-fork only" },
	{ "--start spawn --mode thread-pool,executor-thread", "--start is read by fork-spawn, fork-pool, executor-fork only" },
	{ "--mpi-transport tcp --mode fork-pool", "--mpi-transport is read by mpi only" },
};

/* What those rules must still let through. */
START_TEST(workload_options_where_they_apply)
{
	const char *good[] = { "--workload fileio --dir /tmp", "--workload all --dir /tmp",
			       "--workload count,fileio --dir /tmp",
			       "--workload contention --lock private --mode thread-pool,serial",
			       "--workload contention --lock mutex --mode fork-pool",
			       "--channel pipe --mode thread-pool,executor-fork",
			       "--start spawn --mode fork-spawn", "--start spawn --mode thread-pool --python",
			       "--mpi-transport tcp --mode mpi", "--channel pipe --start spawn" };

	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		struct run_options o;
		char err[512] = "";

		ck_assert_msg(parse(&o, err, sizeof err, good[i]) == 0, "'%s': %s", good[i], err);
		run_options_release(&o);
	}
}
END_TEST

START_TEST(rejects)
{
	struct run_options o;
	char err[512] = "";
	int rc = parse(&o, err, sizeof err, bad[_i].line);

	ck_assert_msg(rc == -EINVAL, "'%s' was accepted", bad[_i].line);
	ck_assert_msg(strstr(err, bad[_i].says), "'%s': message '%s' lacks '%s'", bad[_i].line, err,
		      bad[_i].says);
	ck_assert_msg(!strchr(err, '\n'), "one line: '%s'", err);
	/* Says once what it takes (a size's range was said twice). */
	ck_assert_msg(!strstr(err, "accepted:") || !strstr(strstr(err, "accepted:") + 1, "accepted:"),
		      "'%s': 'accepted:' twice in '%s'", bad[_i].line, err);
	run_options_release(&o);
}
END_TEST

START_TEST(defaults)
{
	struct run_options o;
	char err[512];

	ck_assert_int_eq(parse(&o, err, sizeof err, ""), 0);
	ck_assert_uint_eq(o.n_workloads, 1);
	ck_assert_str_eq(o.workloads[0].wl->name, "count");
	ck_assert_uint_eq(o.workloads[0].sizes[0], 0);    /* auto: calibrated later */
	ck_assert_uint_eq(o.n_modes, modes_count);         /* all */
	ck_assert_uint_eq(o.repeat, 0);                   /* not given: adaptive */
	ck_assert_uint_eq(o.min_repeat, 6);
	ck_assert_uint_eq(o.max_repeat, 30);
	ck_assert(fabs(o.precision - 0.03) < 1e-12);
	ck_assert_uint_eq(o.budget_ns, 0);                 /* none */
	ck_assert_uint_eq(o.warmup, 1);
	ck_assert_uint_eq(o.n_workers, 3);                 /* auto on 2 PUs: 1, 2, 4 */
	ck_assert_uint_eq(o.workers[0], 1);
	ck_assert_str_eq(o.pins[0], "none");
	ck_assert_int_eq(o.channels[0], CHANNEL_SHM);
	run_options_release(&o);
}
END_TEST

START_TEST(lists_and_sizes)
{
	struct run_options o;
	char err[512];

	ck_assert_int_eq(parse(&o, err, sizeof err,
			       "--workers 4,1-3,2 --size 20M,1K --repeat 7 --warmup 0 --tasks 8 --quick --seed 42"),
			 0);
	ck_assert_uint_eq(o.n_workers, 4);                 /* sorted, no duplicates */
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(o.workers[i], i + 1);
	ck_assert_uint_eq(o.workloads[0].n_sizes, 2);
	ck_assert_uint_eq(o.workloads[0].sizes[0], 20000000);
	ck_assert_uint_eq(o.workloads[0].sizes[1], 1000);
	ck_assert_uint_eq(o.repeat, 7);
	ck_assert_uint_eq(o.warmup, 0);
	ck_assert_uint_eq(o.tasks, 8);
	ck_assert(o.quick && o.seed_given && o.seed == 42);
	run_options_release(&o);

	ck_assert_int_eq(parse(&o, err, sizeof err, "--size count=3M --quick"), 0);
	ck_assert_uint_eq(o.workloads[0].sizes[0], 3000000);
	run_options_release(&o);
	/* --quick without --size: the small default, not auto */
	ck_assert_int_eq(parse(&o, err, sizeof err, "--quick"), 0);
	ck_assert_uint_gt(o.workloads[0].sizes[0], 0);
	run_options_release(&o);
}
END_TEST

START_TEST(workers_auto_is_powers_of_two_to_twice_pus)
{
	unsigned *w;
	size_t n;
	char err[256];

	ck_assert(run_parse_workers("auto", 2, &w, &n, err, sizeof err));
	ck_assert_uint_eq(n, 3);
	ck_assert(w[0] == 1 && w[1] == 2 && w[2] == 4);
	free(w);
	ck_assert(run_parse_workers("auto", 128, &w, &n, err, sizeof err));
	ck_assert_uint_eq(n, 9);                           /* 1 .. 256 */
	ck_assert_uint_eq(w[8], 256);
	free(w);
	ck_assert(run_parse_workers("auto", 3, &w, &n, err, sizeof err));
	ck_assert_uint_eq(w[n - 1], 4);                    /* <= 6 */
	free(w);
}
END_TEST

START_TEST(channels_are_parsed_once)
{
	struct run_options o;
	char err[512];

	ck_assert_int_eq(parse(&o, err, sizeof err, "--channel pipe,shm"), 0);
	ck_assert_uint_eq(o.n_channels, 2);
	ck_assert_int_eq(o.channels[0], CHANNEL_PIPE);
	ck_assert_int_eq(o.channels[1], CHANNEL_SHM);
	run_options_release(&o);
}
END_TEST

START_TEST(starts_are_parsed_once)
{
	struct run_options o;
	char err[512];

	ck_assert_int_eq(parse(&o, err, sizeof err, "--mode fork-pool"), 0);
	ck_assert_uint_eq(o.n_starts, 1);
	ck_assert_int_eq(o.starts[0], POOL_START_FORK);
	run_options_release(&o);
	ck_assert_int_eq(parse(&o, err, sizeof err, "--start spawn,forkserver,fork"), 0);
	ck_assert_uint_eq(o.n_starts, 3);
	ck_assert_int_eq(o.starts[0], POOL_START_SPAWN);
	ck_assert_int_eq(o.starts[1], POOL_START_FORKSERVER);
	ck_assert_int_eq(o.starts[2], POOL_START_FORK);
	run_options_release(&o);
	/* A thread-only lock is fine with thread modes. */
	ck_assert_int_eq(parse(&o, err, sizeof err,
			       "--workload contention --lock private --mode thread-pool"), 0);
	run_options_release(&o);
}
END_TEST

START_TEST(parsing_twice_is_the_same)
{
	struct run_options a, b;
	char err[512];

	ck_assert_int_eq(parse(&a, err, sizeof err, "--workers 3 --repeat 2"), 0);
	ck_assert_int_eq(parse(&b, err, sizeof err, "--workers 3 --repeat 2"), 0);
	ck_assert_uint_eq(a.workers[0], b.workers[0]);
	ck_assert_uint_eq(a.repeat, b.repeat);
	run_options_release(&a);
	run_options_release(&b);
}
END_TEST

/* The rounds: --repeat N is exactly N; --quick keeps its 5; a lone
 * minimum lifts the maximum; durations and percentages in their units. */
START_TEST(rounds_and_budget)
{
	static const struct {
		const char *line;
		unsigned min, max;
		uint64_t budget_ns;
		double precision;
	} ok[] = {
		{ "--repeat 4", 4, 4, 0, 0.03 },
		{ "--quick", 5, 5, 0, 0.03 },
		{ "--quick --max-repeat 9", 5, 9, 0, 0.03 },
		{ "--min-repeat 40", 40, 40, 0, 0.03 },
		{ "--max-repeat 3", 6, 6, 0, 0.03 },
		{ "--budget 90s --precision 1%", 6, 30, 90000000000ull, 0.01 },
		{ "--budget 10m --precision 0.5", 6, 30, 600000000000ull, 0.005 },
		{ "--budget 1.5h", 6, 30, 5400000000000ull, 0.03 },
		{ "--budget 250ms", 6, 30, 250000000ull, 0.03 },
		{ "--budget 30", 6, 30, 30000000000ull, 0.03 },
	};

	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		struct run_options o;
		char err[512];

		ck_assert_msg(parse(&o, err, sizeof err, ok[i].line) == 0, "%s: %s", ok[i].line, err);
		ck_assert_msg(o.min_repeat == ok[i].min && o.max_repeat == ok[i].max, "%s: %u-%u",
			      ok[i].line, o.min_repeat, o.max_repeat);
		ck_assert_msg(o.budget_ns == ok[i].budget_ns, "%s: budget %llu", ok[i].line,
			      (unsigned long long)o.budget_ns);
		ck_assert_msg(fabs(o.precision - ok[i].precision) < 1e-12, "%s: precision %g", ok[i].line,
			      o.precision);
		run_options_release(&o);
	}
}
END_TEST

static Suite *options_suite(void)
{
	Suite *s = suite_create("run_options");
	TCase *tc = tvp_tcase(s, "options", 5);

	tcase_add_loop_test(tc, rejects, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, rounds_and_budget);
	tcase_add_test(tc, lists_and_sizes);
	tcase_add_test(tc, workers_auto_is_powers_of_two_to_twice_pus);
	tcase_add_test(tc, channels_are_parsed_once);
	tcase_add_test(tc, starts_are_parsed_once);
	tcase_add_test(tc, parsing_twice_is_the_same);
	tcase_add_test(tc, workload_options_where_they_apply);
	return s;
}

TVP_TEST_MAIN(options_suite)
