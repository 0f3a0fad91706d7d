/* test_executor.c: executors and futures over the thread pool (the shared
 * cases in pool_cases.h). */
#include "pool_cases.h"

static Suite *executor_thread_suite(void)
{
	return executor_cases_suite("executor-thread", POOL_THREADS);
}

TVP_TEST_MAIN(executor_thread_suite)
