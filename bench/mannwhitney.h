/* mannwhitney.h: the Mann-Whitney U test (Wilcoxon rank-sum), two-sided:
 * do two sets of samples come from the same distribution? What `tvp compare`
 * uses to tell a real change in a cell's time from noise, as Google
 * Benchmark's compare.py does. */
#ifndef MANNWHITNEY_H
#define MANNWHITNEY_H

#include <stdbool.h>
#include <stddef.h>

/* Exact distribution of U up to this many samples on each side (and only
 * without ties); above it, or with ties, the normal approximation. */
#define MW_EXACT_MAX 20

struct mw_result {
	double u;          /* U of x: pairs with x > y, plus half the ties */
	double p;          /* two-sided p-value */
	double z;          /* the normal approximation's z (0 when exact) */
	bool exact;        /* p from the exact distribution of U */
	double min_p;      /* the smallest p these sample sizes can give */
};

/* Tests x[0..nx) against y[0..ny). Returns 0 with r filled, or -EINVAL when
 * either side is empty or holds a NaN. Pure; safe from any thread. */
int mw_test(const double *x, size_t nx, const double *y, size_t ny, struct mw_result *r);

/* The smallest two-sided p-value any data could reach with nx and ny samples
 * (no ties): 2 / C(nx + ny, nx), capped at 1. When it exceeds the
 * significance level, no difference can be shown, however large. */
double mw_min_p(size_t nx, size_t ny);

/* The Hodges-Lehmann estimate of the shift from x to y, with its
 * distribution-free confidence interval (the U test inverted). */
struct mw_shift {
	double shift;    /* the median of the nx*ny differences y_j - x_i */
	double lo, hi;   /* [d_(k), d_(nx*ny+1-k)], the sorted differences */
	double level;    /* its real coverage: at least 1 - alpha where the
	                  * sample sizes allow (exact distribution without ties
	                  * up to MW_EXACT_MAX per side, else the normal
	                  * approximation), else the range's lower coverage:
	                  * 0.9 for 3 against 3 (1 - 2/20) */
};

/* Estimates the shift from x[0..nx) to y[0..ny) with a CI at level 1 - alpha
 * (or the widest the sizes allow). On log times, exp(shift) is the ratio of
 * y's times to x's. Returns 0, or -EINVAL when either side is empty or
 * holds a NaN. O(nx ny log(nx ny)). Pure; thread-safe. */
int mw_shift(const double *x, size_t nx, const double *y, size_t ny, double alpha,
	     struct mw_shift *r);

#endif
