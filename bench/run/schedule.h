/* schedule.h: adaptive interleaved rounds over the C cells of a matrix:
 * warm-ups, then rounds in which only the groups that still need one
 * (bench/adaptive.h: below the minimum, or not yet within --precision)
 * measure their cells, all in one shuffled order, until every group has
 * converged, the maximum is reached or the budget is spent. The clock and
 * the measurement are callbacks, so tests drive it with fake ones. */
#ifndef RUN_SCHEDULE_H
#define RUN_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#include "bench/adaptive.h"
#include "bench/run/cells.h"

struct schedule {
	struct cell_matrix *m;
	struct adaptive_limits lim;
	unsigned warmup;         /* unrecorded rounds of every cell first */
	uint64_t *rng;           /* bench/rng.h state, advanced */
	uint64_t start_ns;       /* when the budget started, on now's clock */
	uint64_t (*now)(void *ctx);
	/* Measures c once; record false in a warm-up. A recorded sample must
	 * be pushed to c->samples with its round set to `round`. A cell that
	 * fails sets c->failed and is skipped from then on. Returns 0, or
	 * -EINTR to stop. */
	int (*step)(void *ctx, struct cell *c, unsigned round, bool record);
	/* Called after each recorded round, before the groups' widths are
	 * read (run.c flags contended samples there); may be NULL. */
	void (*after_round)(void *ctx);
	/* The estimated time left after each round (adaptive_eta_ns); may be
	 * NULL. */
	void (*eta)(void *ctx, uint64_t eta_ns);
	void *ctx;
	/* Out: why the rounds stopped. */
	enum adaptive_stop stop;
};

/* Runs the rounds over s->m's C groups (the groups whose cells are C:
 * every group cells_build made). Sets every C cell's rounds (its group's)
 * and converged. Returns 0, or -EINTR when a step returned it or
 * tvp_interrupted was set. */
int schedule_run(struct schedule *s);

#endif
