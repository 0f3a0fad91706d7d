/* rounds.c: warm-up and recorded rounds in a new shuffled order each. */
#include "bench/rounds.h"

#include <errno.h>

#include "bench/rng.h"
#include "bench/util.h"

int rounds_run(const struct rounds *r)
{
	unsigned total = r->warmup + r->repeat;
	int rc = 0;

	for (unsigned k = 0; k < total && rc == 0; k++) {
		rng_shuffle(r->items, r->n, r->rng);
		for (size_t i = 0; i < r->n && rc == 0; i++)
			rc = tvp_interrupted ? -EINTR : r->step(r->ctx, r->items[i], k >= r->warmup);
	}
	return tvp_interrupted ? -EINTR : rc;
}
