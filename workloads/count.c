/* count.c: the `count` workload, the seeds' CPU-bound loop: each task counts
 * from 0 to --size and returns the count.
 *
 * Lesson: in Python four threads counting to a billion take as long as one
 * thread (longer, in the seed's measurement) because only the thread holding
 * the GIL runs bytecode; processes each have their own interpreter and scale.
 * C has no GIL: threads and processes both run on every core, and this
 * workload shows them scaling alike.
 *
 * DESIGN
 * The loop is one function, never inlined and aligned to a cache line, so
 * every mode and the drift reference execute the same instructions at the
 * same address (alignment alone has been seen to halve this loop's speed).
 * The empty asm with the counter as an in/out register operand tells the
 * compiler the counter may change behind its back, so it can neither compute
 * the result at compile time nor vectorise the loop: one increment, compare
 * and branch per iteration, about one cycle.
 */
#include "workloads/count.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench/util.h"
#include "workloads/workload.h"

#define COUNT_MIN 1ull
#define COUNT_MAX 1000000000000ull   /* 10^12: about ten minutes a task */

__attribute__((noinline, aligned(64))) uint64_t count_loop(uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		__asm__ volatile("" : "+r"(i));
	return i;
}

static bool count_parse_size(const char *text, uint64_t *size, char *err, size_t errlen)
{
	return parse_count(text, COUNT_MIN, COUNT_MAX, size, err, errlen);
}

static uint64_t count_default_size(bool quick)
{
	return quick ? 5000000ull : 200000000ull;
}

/* Grows n until one run of the loop takes a quarter of the target, then
 * scales: the loop is linear, and a short estimate keeps `auto` cheap. */
static uint64_t count_calibrate(uint64_t target_ns)
{
	uint64_t n = 1000000, best = UINT64_MAX;

	for (;;) {
		uint64_t t0 = now_ns();
		count_loop(n);
		uint64_t dt = now_ns() - t0;
		if (dt >= target_ns / 4 || n >= COUNT_MAX / 4) {
			/* Take the faster of three runs at this n: a preempted
			 * run only ever looks slower. */
			best = dt;
			for (int k = 0; k < 2; k++) {
				t0 = now_ns();
				count_loop(n);
				dt = now_ns() - t0;
				if (dt < best)
					best = dt;
			}
			break;
		}
		n *= 4;
	}
	if (best == 0)
		best = 1;
	return (uint64_t)((double)n * (double)target_ns / (double)best);
}

static int count_task(const struct workload_inst *wi, uint64_t index, struct task_result *out)
{
	uint64_t n = count_loop(wi->size);

	task_result_set(out, &n, sizeof n);
	return 0;
}

static bool count_verify(const struct workload_inst *wi, uint64_t index,
			 const struct task_result *r, char *err, size_t errlen)
{
	return workload_verify_u64(r, index, wi->size, "counted to", err, errlen);
}

static double count_rate(const struct workload_inst *wi, uint64_t tasks, double wall_ns)
{
	return wall_ns / ((double)tasks * (double)wi->size);
}

const struct workload workload_count = {
	.name = "count",
	.summary = "CPU-bound: each task counts from 0 to SIZE (the seeds' loop)",
	.size_unit = "iterations",
	.size_help = "an iteration count such as 20M (K/M/G = 10^3/10^6/10^9), from 1 to 1000G, or auto",
	.parse_size = count_parse_size,
	.default_size = count_default_size,
	.calibrate = count_calibrate,
	.task = count_task,
	.verify = count_verify,
	.rate_key = "ns_per_iter",
	.rate_label = "ns/iter",
	.rate = count_rate,
	/* CPython counts about a hundred times slower than C here (about 25
	 * against 0.28 ns per iteration): a Python task of SIZE / 100 takes
	 * about as long as a C task. */
	.python_size_divisor = 100,
};
