/* serial.c: the `serial` mode: the calling thread runs every task in order.
 * The baseline every speedup is measured against, and the oracle every other
 * mode's results are checked against. */
#include "bench/modes/mode.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/util.h"

/* Who runs the tasks, recorded before the timed region: a calloc and two
 * system calls were a third of a one-task serial cell (the run loop's
 * floor, 1.7 us on the 2-vCPU VM). */
static int serial_setup(struct mode_run *m)
{
	struct worker_stats *ws = xcalloc(1, sizeof *ws);

	m->wstats = ws;
	m->n_wstats = 1;
	ws->pid = getpid();
	ws->tid = (int32_t)syscall(SYS_gettid);
	ws->pinned = -1;
	return 0;
}

static int serial_execute(struct mode_run *m)
{
	struct worker_stats *ws = m->wstats;
	uint64_t busy0 = now_ns();

	for (uint64_t i = 0; i < m->tasks; i++) {
		struct task_arg arg = { m->wi, i };

		if (tvp_interrupted)
			return -EINTR;
		m->status[i] = workload_run_task(&arg, sizeof arg, &m->results[i]);
		ws->tasks++;
	}
	ws->busy_ns = now_ns() - busy0;
	return 0;
}

const struct mode mode_serial = {
	.name = "serial",
	.summary = "one thread runs every task in order; the baseline",
	.family = MODE_FAMILY_SERIAL,
	.python = true,
	.flags = MODE_SERIAL,
	.setup = serial_setup,
	.execute = serial_execute,
	.teardown = mode_run_free_wstats,
};
