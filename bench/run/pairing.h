/* pairing.h: the paired view of `tvp run`'s cells: which samples were
 * contended (from the capacity probes around them), and each cell's
 * speedup against its serial baseline paired round by round
 * (bench/paired.h). */
#ifndef RUN_PAIRING_H
#define RUN_PAIRING_H

#include <stdbool.h>
#include <stddef.h>

#include "bench/paired.h"
#include "bench/run/cells.h"

struct capacity;

/* Sets every probed C sample's capacity (delivered cores: the lower of its
 * two probes) and contended bits (capacity_contended) against cap's bests.
 * Call again whenever the bests may have moved; the last call, after the
 * last round, uses the run's final bests. */
void pairing_flag(struct cell_matrix *m, const struct capacity *cap);

/* The ratio base / cell of their wall times paired by round over rounds
 * [0, rounds), contended samples left out while ADAPTIVE_MIN_ROUNDS clean
 * pairs remain (paired_ratio_clean; *with_contended says when they were
 * not). */
void pairing_ratio(const struct cell *base, const struct cell *cell, unsigned rounds,
		   struct paired *p, bool *with_contended);

/* The widest paired_rel_halfwidth of the speedups of group g's cells over
 * rounds [0, rounds): what --precision bounds. 0 for a group with only its
 * baseline or only failed cells. */
double pairing_group_halfwidth(const struct cell_matrix *m, size_t g, unsigned rounds);

#endif
