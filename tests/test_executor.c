/* test_executor.c: executors and futures over the thread pool (the shared
 * cases in pool_cases.c). */
#include "pool_cases.h"
#include "testutil.h"

static Suite *executor_thread_suite(void)
{
	return executor_cases_suite("executor-thread", (struct case_config){ POOL_THREADS, CHANNEL_PIPE, POOL_START_FORK });
}

TVP_TEST_MAIN(executor_thread_suite)
