/* sleep.c: the `sleep` workload: each task blocks for --size (a duration) and
 * returns its index.
 *
 * Lesson: a task that waits (for a disk, a remote service, a timer) uses no
 * CPU while it waits, so many more of them can be in flight than there are
 * cores: 64 workers sleeping 10 ms each on 2 cores finish 64 tasks in about
 * 10 ms, not 320 ms. This is the seeds' "threads for IO-bound work", and it
 * holds for processes too: the kernel does not care which kind of waiter it
 * parks. What differs is the cost of making the waiter: for short sleeps a
 * spawn mode pays a thread or process creation per task, a pool pays it once.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bench/util.h"
#include "workloads/workload.h"

#define SLEEP_MIN_NS 1000ull                 /* 1 us */
#define SLEEP_MAX_NS 3600000000000ull        /* 1 h */

static bool sleep_parse_size(const char *text, uint64_t *size, char *err, size_t errlen)
{
	return parse_duration(text, SLEEP_MIN_NS, SLEEP_MAX_NS, size, err, errlen);
}

/* No calibrate: a sleep lasts what it is asked to, so `auto` (and a run
 * without --size) means this default, not a 0.2 s task. 20 ms: with one task
 * per worker (the default), the busiest cell's measurement is one task, and
 * below about 20 ms the spread of a measurement here grows with every
 * millisecond taken off (bench/bench_plan.c, the floor). */
static uint64_t sleep_default_size(bool quick)
{
	return quick ? 1000000ull : 20000000ull;   /* 1 ms, 20 ms */
}

static int sleep_task(const struct workload_inst *wi, uint64_t index, struct task_result *out)
{
	sleep_ns(wi->size);
	task_result_set(out, &index, sizeof index);
	return 0;
}

static bool sleep_verify(const struct workload_inst *wi, uint64_t index,
			 const struct task_result *r, char *err, size_t errlen)
{
	return workload_verify_u64(r, index, index, "returned index", err, errlen);
}

const struct workload workload_sleep = {
	.name = "sleep",
	.summary = "IO-bound stand-in: each task blocks for SIZE (a duration) and returns its index",
	.size_unit = "ns",
	.size_help = "a duration such as 10ms (a number with ns, us, ms or s), from 1us to 1h (auto: 20ms)",
	.kind = WORKLOAD_WAIT,
	.parse_size = sleep_parse_size,
	.default_size = sleep_default_size,
	.task = sleep_task,
	.verify = sleep_verify,
	.python_size_divisor = 1,
};
