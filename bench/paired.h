/* paired.h: paired statistics of two cells measured in the same rounds: the
 * median of their per-round time ratios (a speedup, an efficiency, one mode
 * against another) with a distribution-free confidence interval and its real
 * coverage, and the verdict a finding draws from such an interval. */
#ifndef PAIRED_H
#define PAIRED_H

#include <stdbool.h>
#include <stddef.h>

/* The default equivalence band of a verdict: ratios within 1 +- 5% are
 * "alike" (the findings rule). */
#define PAIRED_BAND 0.05

/* More rounds than this are reported as this (paired_verdict). */
#define PAIRED_MORE_ROUNDS_MAX 1000u

/* The ratio base_r / cell_r over the rounds both were measured in. */
struct paired {
	size_t n;             /* pairs used: rounds where both times are usable */
	double ratio;         /* median of the per-round ratios; 0 when n == 0 */
	double ci_lo, ci_hi;  /* distribution-free CI of that median */
	double ci_level;      /* the CI's real coverage: 0.75 for 3 pairs, 0.875
	                       * for 4, 0.9375 for 5, 0.95 or more from 6 on; 0
	                       * when n == 0 */
};

/* Pairs base_ns[r] with cell_ns[r] for r in [0, rounds): round r counts when
 * both times are finite and positive, so NaN marks a round that is missing
 * or excluded (a contended sample, a failed measurement) for either. With
 * base = the serial cell, ratio is the cell's speedup; with base = a
 * fork-pool cell and cell = a thread-pool cell, how many times as fast the
 * threads ran. Fills *p (all zero when no round pairs). Pure; thread-safe. */
void paired_ratio(const double *base_ns, const double *cell_ns, size_t rounds,
		  struct paired *p);

/* paired_ratio over the clean rounds only (neither sample contended, NULL
 * masks meaning none is) while at least min_clean such rounds pair (6, the
 * fewest for a 95% interval, is the run's rule); with fewer, over every
 * round, and *with_contended is set so that the finding can say so. The
 * contended samples stay in the results either way. Pure; thread-safe. */
void paired_ratio_clean(const double *base_ns, const bool *base_contended,
			const double *cell_ns, const bool *cell_contended, size_t rounds,
			size_t min_clean, struct paired *p, bool *with_contended);

/* p's ratio and CI divided by `by` (> 0), coverage unchanged: the efficiency
 * is paired_scale(speedup, workers). out may be p. */
void paired_scale(const struct paired *p, double by, struct paired *out);

/* The CI's relative half-width, (ci_hi - ci_lo) / (2 ratio): what
 * --precision bounds. INFINITY when n == 0. */
double paired_rel_halfwidth(const struct paired *p);

enum paired_verdict {
	PAIRED_UNDECIDED,     /* the CI straddles 1 and leaves the band */
	PAIRED_EQUIVALENT,    /* the CI lies within [1 - band, 1 + band] */
	PAIRED_FASTER,        /* the CI lies above 1: cell ran faster than base */
	PAIRED_SLOWER,        /* the CI lies below 1: cell ran slower than base */
};

struct paired_finding {
	enum paired_verdict verdict;
	/* FASTER / SLOWER: by how much, as a fraction of the slower one's
	 * speed: ratio - 1 (FASTER) or 1 / ratio - 1 (SLOWER), with the
	 * smallest change the CI supports (ci_lo - 1, or 1 / ci_hi - 1).
	 * 0 otherwise. */
	double by, by_at_least;
	/* UNDECIDED: about how many more rounds would likely decide, assuming
	 * the interval's width shrinks as 1/sqrt(n) around the same ratio
	 * (capped at PAIRED_MORE_ROUNDS_MAX). 0 otherwise. */
	unsigned more_rounds;
};

/* The verdict on p against the band 1 +- band (PAIRED_BAND by default;
 * 0 < band < 1). Equivalence is tested first: a CI of [1.01, 1.03] is
 * EQUIVALENT, not FASTER. With n == 0 the verdict is UNDECIDED with 6 more
 * rounds (the fewest that give a 95% interval). The verdict holds at
 * p->ci_level, which a finding must state. Pure; thread-safe. */
void paired_verdict(const struct paired *p, double band, struct paired_finding *f);

/* The finding in one sentence, into buf (truncated to len), for cell a
 * against base b (p = paired_ratio(b's times, a's times)):
 *   "a and b are within 3% (ratio 1.01, 95% CI 0.99-1.03)"
 *   "a is 50% faster than b (ratio 1.50, 95% CI 1.20-1.80)"
 *   "a is 25% slower than b (ratio 0.80, 95% CI 0.50-0.90)"
 *   "a is 23.9x as fast as b (ratio 23.93, 95% CI 19.22-26.90)" and
 *   "a takes 233x as long as b (ratio 0.0043, 95% CI 0.0041-0.0046)"
 *   from five times on
 *   "the data cannot tell a from b (ratio 1.00, 95% CI 0.90-1.10); about
 *    33 more rounds would"
 * The CI is labelled with its real coverage, rounded down ("75% CI" for 3
 * pairs); "95%" whenever it is at least that. */
void paired_describe(const struct paired *p, const struct paired_finding *f, const char *a,
		     const char *b, char *buf, size_t len);

/* "equivalent", "faster", "slower", "undecided". */
const char *paired_verdict_name(enum paired_verdict v);

#endif
