/* pooljob.c: the task and the pool start-up the pool lessons share (see
 * pooljob.h). */
#include "demos/pooljob.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bench/util.h"

static int initialised;          /* set by the initializer, in each worker */

static void init_worker(void *arg)
{
	initialised = *(const int *)arg;
}

int pooljob_work(const void *arg, size_t len, struct task_result *out)
{
	const struct pooljob_arg *a = arg;
	struct pooljob_out o = { (int32_t)getpid(), a->value * a->value, initialised };

	if (a->sleep_ms > 0)         /* even a sleep of 0 is a system call */
		sleep_ns((uint64_t)a->sleep_ms * 1000000u);
	if (a->fail)
		return task_result_error(out, -EDOM, "ValueError: bad input %d", a->value);
	task_result_set(out, &o, sizeof o);
	return 0;
}

struct pooljob_out pooljob_result(const struct task_result *r)
{
	struct pooljob_out o = { 0 };

	if (r->len == sizeof o)
		memcpy(&o, task_result_data(r), sizeof o);
	return o;
}

int pooljob_start(const struct lesson_ctx *c, struct pool **p, unsigned workers,
		  uint64_t maxtasks, int *initval)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = workers,
				    .maxtasksperchild = maxtasks, .channel = CHANNEL_PIPE };
	char err[256];

	if (initval) {
		opt.initializer = init_worker;
		opt.initarg = initval;
	}
	fflush(NULL);
	if (pool_new(p, &opt, err, sizeof err) != 0)
		return lesson_fail(c, "pool_new: %s", err);
	return 0;
}
