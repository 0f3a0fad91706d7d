/* test_pool_fork.c: the shared pool API cases on the fork backend */
#include "pool_fork_cases.h"

static Suite *pool_fork_suite(void)
{
	cases_channel = CHANNEL_PIPE;
	return pool_cases_suite("pool-fork-pipe", POOL_PROCESSES);
}

TVP_TEST_MAIN(pool_fork_suite)
