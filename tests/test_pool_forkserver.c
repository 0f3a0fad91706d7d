/* test_pool_forkserver.c: the shared pool and executor API cases
 * (pool_cases.c) on a fork pool whose workers a spawned fork server forks
 * (the forkserver start method), with the pipe channel. test_start.c has
 * what only start methods promise. */
#include "pool_cases.h"
#include "testutil.h"

#define CFG ((struct case_config){ POOL_PROCESSES, CHANNEL_PIPE, POOL_START_FORKSERVER })

static Suite *pool_forkserver_suite(void)
{
	return pool_cases_suite("pool-forkserver", CFG);
}

static Suite *executor_forkserver_suite(void)
{
	return executor_cases_suite("executor-forkserver", CFG);
}

TVP_TEST_MAIN(pool_forkserver_suite, executor_forkserver_suite)
