/* test_pool_fork_shm.c: the shared pool API cases (pool_cases.c) on the fork
 * backend with the shared-memory channel. (test_pool_fork.c runs them with
 * the pipe channel, plus what only processes promise, on both channels.) */
#include "pool_cases.h"
#include "testutil.h"

static Suite *pool_fork_shm_suite(void)
{
	return pool_cases_suite("pool-fork-shm", (struct case_config){ POOL_PROCESSES, CHANNEL_SHM, POOL_START_FORK });
}

TVP_TEST_MAIN(pool_fork_shm_suite)
