/* rng.h: the seeded generator behind every shuffled order of measurements
 * (tvp run's cells, tvp overhead's benchmarks), so that a run's --seed
 * replays the same order. */
#ifndef RNG_H
#define RNG_H

#include <stddef.h>
#include <stdint.h>

/* splitmix64 (Steele, Lea and Flood, 2014): small, fast and well mixed; the
 * next value, advancing *state. */
uint64_t rng_next(uint64_t *state);

/* Fisher-Yates shuffle of v[0..n) (an array of pointers) with rng_next. */
void rng_shuffle(void **v, size_t n, uint64_t *state);

#endif
