/* test_pool_spawn.c: the shared pool and executor API cases (pool_cases.c)
 * on a fork pool whose workers are spawned (the spawn start method), with
 * the shared-memory channel. test_start.c has what only start methods
 * promise. */
#include "pool_cases.h"
#include "testutil.h"

#define CFG ((struct case_config){ POOL_PROCESSES, CHANNEL_SHM, POOL_START_SPAWN })

static Suite *pool_spawn_suite(void)
{
	return pool_cases_suite("pool-spawn", CFG);
}

static Suite *executor_spawn_suite(void)
{
	return executor_cases_suite("executor-spawn", CFG);
}

TVP_TEST_MAIN(pool_spawn_suite, executor_spawn_suite)
