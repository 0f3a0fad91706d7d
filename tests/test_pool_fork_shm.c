/* test_pool_fork_shm.c: the shared pool API cases (pool_cases.h) on the fork
 * backend with the shared-memory channel. (test_pool_fork.c runs them with
 * the pipe channel, plus what only processes promise, on both channels.) */
#include "pool_fork_cases.h"

static Suite *pool_fork_shm_suite(void)
{
	cases_channel = CHANNEL_SHM;
	return pool_cases_suite("pool-fork-shm", POOL_PROCESSES);
}

TVP_TEST_MAIN(pool_fork_shm_suite)
