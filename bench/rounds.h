/* rounds.h: interleaved rounds, the measuring discipline `tvp run` and
 * `tvp overhead` share: each round measures every item once, in a freshly
 * shuffled order, so that a slow spell of the machine falls on all of them
 * alike instead of on whichever happened to run then (Google Benchmark's
 * random interleaving). */
#ifndef ROUNDS_H
#define ROUNDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rounds {
	void **items;      /* what one round measures; shuffled in place */
	size_t n;
	unsigned warmup;   /* unrecorded rounds first */
	unsigned repeat;   /* recorded rounds */
	uint64_t *rng;     /* the generator's state (bench/rng.h), advanced */
	/* Measures one item once (record is false in a warm-up round).
	 * Returns 0 to go on, or -EINTR to stop every round. */
	int (*step)(void *ctx, void *item, bool record);
	void *ctx;
};

/* Runs r->warmup then r->repeat rounds, stopping at once when a step
 * returns -EINTR or tvp_interrupted is set (bench/util.h). Returns 0, or
 * -EINTR when stopped. */
int rounds_run(const struct rounds *r);

#endif
