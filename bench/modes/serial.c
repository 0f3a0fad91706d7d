/* serial.c: the `serial` mode: the calling thread runs every task in order.
 * The baseline every speedup is measured against, and the oracle every other
 * mode's results are checked against. */
#include "bench/modes/mode.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/util.h"

static int serial_execute(struct mode_run *m)
{
	struct worker_stats *ws = xcalloc(1, sizeof *ws);
	uint64_t busy0 = now_ns();

	m->wstats = ws;
	m->n_wstats = 1;
	ws->pid = getpid();
	ws->tid = (int32_t)syscall(SYS_gettid);
	ws->pinned = -1;
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
	.execute = serial_execute,
	.teardown = mode_run_free_wstats,
};
