/* pool_fork_cases.h: runs the shared pool and executor cases (pool_cases.h)
 * on the fork backend with a chosen channel. pool_cases.h builds its
 * options without a channel (so they would all use the pipe); this header
 * routes its pool_new and executor_new calls through wrappers that set
 * cases_channel, without touching the shared file. Include it instead of
 * pool_cases.h and set cases_channel before building the suite (one channel
 * per test binary, like one kind: Check forks each test after the suites
 * are built).
 */
#ifndef POOL_FORK_CASES_H
#define POOL_FORK_CASES_H

#include "par/executor.h"
#include "par/pool.h"

static enum channel_kind cases_channel = CHANNEL_PIPE;

static int chan_pool_new(struct pool **out, const struct pool_options *opt, char *err,
			 size_t errlen)
{
	struct pool_options o = *opt;

	o.channel = cases_channel;
	return pool_new(out, &o, err, errlen);
}

static __attribute__((unused)) int chan_executor_new(struct executor **out,
						     const struct pool_options *opt, char *err,
						     size_t errlen)
{
	struct pool_options o = *opt;

	o.channel = cases_channel;
	return executor_new(out, &o, err, errlen);
}

#define pool_new chan_pool_new
#define executor_new chan_executor_new
#include "pool_cases.h"
#undef pool_new
#undef executor_new

#endif
