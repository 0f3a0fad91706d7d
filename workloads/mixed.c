/* mixed.c: the `mixed` workload: each task computes for --cpu-fraction of
 * --size (a duration) and blocks for the rest.
 *
 * Lesson: real work is rarely pure CPU or pure waiting. While a task blocks,
 * its core is free for another worker's computing, so more workers than cores
 * help: up to about cores / cpu_fraction workers, after which the computing
 * parts queue for the cores and extra workers only add switching. Sweep
 * --workers with --cpu-fraction 0.1, 0.5 and 0.9 to find that crossover.
 *
 * DESIGN
 * The computing part is count_loop (count.h), the same loop as the count
 * workload, run for a number of iterations that setup calibrates once
 * (iterations per nanosecond on an idle core, the fastest of three runs). The
 * iteration count is fixed per task, not a time budget, so a task squeezed
 * off its core by others takes longer: that slowdown is what the measurement
 * should show. The blocking part is a sleep of fixed length.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "workloads/count.h"
#include "bench/util.h"
#include "workloads/workload.h"

#define MIXED_MIN_NS 1000ull                 /* 1 us */
#define MIXED_MAX_NS 3600000000000ull        /* 1 h */

struct mixed_state {
	uint64_t cpu_iters;      /* count_loop iterations a task runs */
	uint64_t sleep_ns;       /* then it sleeps this long */
	double iters_per_ns;     /* what setup measured */
};

static bool parse_fraction(const char *text, double *out)
{
	char *end;
	double f;

	/* Decimal only, from a digit ("0.25", "5e-1"): strtod would also
	 * take " 0.5", "+0.5" and "0x0.8". */
	if (!text || !(*text >= '0' && *text <= '9') ||
	    strspn(text, "0123456789.eE+-") != strlen(text))
		return false;
	errno = 0;
	f = strtod(text, &end);
	if (errno || *end || end == text || !(f >= 0.0 && f <= 1.0))
		return false;
	*out = f;
	return true;
}

static bool check_fraction(const char *text, char *err, size_t errlen)
{
	double f;

	if (parse_fraction(text, &f))
		return true;
	snprintf(err, errlen, "--cpu-fraction '%s' is not a number from 0 to 1 (such as 0.25)",
		 text);
	return false;
}

static bool mixed_parse_size(const char *text, uint64_t *size, char *err, size_t errlen)
{
	return parse_duration(text, MIXED_MIN_NS, MIXED_MAX_NS, size, err, errlen);
}

static uint64_t mixed_default_size(bool quick)
{
	return quick ? 2000000ull : 20000000ull;   /* 2 ms, 20 ms */
}

/* count_loop iterations per nanosecond: grow n until one run takes at least
 * min_ns, then keep the fastest of three runs (a preempted run only ever
 * looks slower). */
static double measure_iters_per_ns(uint64_t min_ns)
{
	uint64_t n = 100000, best;

	for (;;) {
		uint64_t t0 = now_ns();
		count_loop(n);
		best = now_ns() - t0;
		if (best >= min_ns || n >= (1ull << 40))
			break;
		n *= 2;
	}
	for (int k = 0; k < 2; k++) {
		uint64_t t0 = now_ns();
		count_loop(n);
		uint64_t dt = now_ns() - t0;
		if (dt < best)
			best = dt;
	}
	return (double)n / (double)(best ? best : 1);
}

static int mixed_setup(struct workload_inst *wi, char *err, size_t errlen)
{
	struct mixed_state *st;
	const char *text = workload_opt(wi, "cpu-fraction");
	double f;
	uint64_t cpu_ns;

	if (!parse_fraction(text, &f)) {
		check_fraction(text, err, errlen);
		return -EINVAL;
	}
	st = xcalloc(1, sizeof *st);
	st->iters_per_ns = measure_iters_per_ns(wi->quick ? 2000000ull : 20000000ull);
	cpu_ns = (uint64_t)((double)wi->size * f + 0.5);
	st->cpu_iters = (uint64_t)((double)cpu_ns * st->iters_per_ns + 0.5);
	st->sleep_ns = wi->size - cpu_ns;
	wi->state = st;
	return 0;
}

static int mixed_task(const struct workload_inst *wi, uint64_t index, struct task_result *out)
{
	const struct mixed_state *st = wi->state;
	uint64_t n = count_loop(st->cpu_iters);

	if (st->sleep_ns)
		sleep_ns(st->sleep_ns);
	task_result_set(out, &n, sizeof n);
	return 0;
}

static bool mixed_verify(const struct workload_inst *wi, uint64_t index,
			 const struct task_result *r, char *err, size_t errlen)
{
	const struct mixed_state *st = wi->state;

	return workload_verify_u64(r, index, st->cpu_iters, "counted to", err, errlen);
}

/* What setup calibrated, recorded with every sample so a reader can see how
 * much computing "half of 20 ms" meant on this machine. */
static unsigned mixed_counters(const struct workload_inst *wi, struct workload_counter *out,
			       unsigned max)
{
	const struct mixed_state *st = wi->state;
	unsigned n = 0;

	if (n < max)
		out[n++] = (struct workload_counter){ "cpu_iters", (double)st->cpu_iters };
	if (n < max)
		out[n++] = (struct workload_counter){ "sleep_ns", (double)st->sleep_ns };
	return n;
}

static void mixed_teardown(struct workload_inst *wi)
{
	free(wi->state);
	wi->state = NULL;
}

static const struct workload_option mixed_options[] = {
	{ "cpu-fraction", "F", "0.5", "share of SIZE a task computes (0 to 1); it sleeps the rest",
	  check_fraction, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

const struct workload workload_mixed = {
	.name = "mixed",
	.summary = "part CPU, part waiting: each task computes for --cpu-fraction of SIZE, sleeps the rest",
	.size_unit = "ns",
	.size_help = "a duration such as 20ms (a number with ns, us, ms or s), from 1us to 1h",
	.parse_size = mixed_parse_size,
	.default_size = mixed_default_size,
	.setup = mixed_setup,
	.task = mixed_task,
	.verify = mixed_verify,
	.counters = mixed_counters,
	.teardown = mixed_teardown,
	.options = mixed_options,
	.local_state = true,   /* setup calibrates the CPU half */
};
