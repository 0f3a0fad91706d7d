/* bare-count.c: the counting loop alone, no harness: the yardstick for
 * `tvp run --workload count --mode serial` (scripts/check-count.sh compiles it
 * with tvp's flags and compares ns per iteration).
 * Usage: bare-count ITERATIONS TASKS REPEAT; prints the median ns/iteration. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 20000000;
	int tasks = argc > 2 ? atoi(argv[2]) : 4, repeat = argc > 3 ? atoi(argv[3]) : 5;
	double t[1000];

	if (repeat < 1 || repeat > 1000)
		return 2;
	for (int r = 0; r < repeat; r++) {
		uint64_t t0 = now();
		for (int k = 0; k < tasks; k++) {
			uint64_t i;
			for (i = 0; i < n; i++)
				__asm__ volatile("" : "+r"(i));
			if (i != n)
				return 1;
		}
		t[r] = (double)(now() - t0) / ((double)n * tasks);
	}
	qsort(t, (size_t)repeat, sizeof t[0], cmp);
	printf("%.4f\n", t[repeat / 2]);
	return 0;
}
