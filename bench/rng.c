/* rng.c: splitmix64 and a Fisher-Yates shuffle for the order of rounds. */
#include "bench/rng.h"

uint64_t rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void rng_shuffle(void **v, size_t n, uint64_t *state)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = (size_t)(rng_next(state) % i);
		void *t = v[i - 1];

		v[i - 1] = v[j];
		v[j] = t;
	}
}
