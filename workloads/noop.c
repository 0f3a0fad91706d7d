/* noop.c: the `noop` workload: an empty task that returns its own index, so
 * a run measures nothing but what it costs a mode to hand one task to a
 * worker and bring its result back.
 *
 * Lesson: divide a mode's wall time by the number of tasks and you get its
 * overhead per task: a few nanoseconds for a chunked thread pool, a
 * microsecond or so for a future per task, tens of microseconds for a thread
 * per task and more for a process per task. A real task must be much longer
 * than this overhead for the parallel version to pay off.
 *
 * DESIGN
 * The result is the task's index as 8 bytes (inline in the task_result: no
 * allocation), and verify checks it, so a mode that loses, repeats or mixes
 * up tasks is caught. --size is accepted (a count, for uniformity with the
 * other workloads) and ignored.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "workloads/workload.h"

static bool noop_parse_size(const char *text, uint64_t *size, char *err, size_t errlen)
{
	return parse_count(text, 1, UINT64_MAX / 2, size, err, errlen);
}

static uint64_t noop_default_size(bool quick)
{
	return 1;
}

static uint64_t noop_default_tasks(unsigned max_workers, bool quick)
{
	return quick ? 100000 : 1000000;
}

static int noop_task(const struct workload_inst *wi, uint64_t index, struct task_result *out)
{
	task_result_set(out, &index, sizeof index);
	return 0;
}

static bool noop_verify(const struct workload_inst *wi, uint64_t index,
			const struct task_result *r, char *err, size_t errlen)
{
	return workload_verify_u64(r, index, index, "returned index", err, errlen);
}

static double noop_rate(const struct workload_inst *wi, uint64_t tasks, double wall_ns)
{
	return wall_ns / (double)tasks;
}

const struct workload workload_noop = {
	.name = "noop",
	.summary = "an empty task returning its index: what handing off one task costs",
	.size_unit = "(ignored)",
	.size_help = "a count from 1 (accepted and ignored: every noop task is the same)",
	.kind = WORKLOAD_HANDOFF,
	.parse_size = noop_parse_size,
	.default_size = noop_default_size,
	.default_tasks = noop_default_tasks,
	.task = noop_task,
	.verify = noop_verify,
	.rate_key = "ns_per_task",
	.rate_label = "ns/task",
	.rate = noop_rate,
};
