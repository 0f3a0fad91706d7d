/* stats.h: summary statistics of a set of samples (times, rates), the same
 * for `tvp run`, `tvp overhead` and `tvp compare`. */
#ifndef STATS_H
#define STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Modified z-score above which a sample is an outlier (Iglewicz and Hoaglin,
 * 1993): |0.6745 (x - median) / MAD| > 3.5. */
#define STATS_OUTLIER_Z 3.5

struct stats {
	size_t n;
	double min, max;
	double median;
	double mean;
	double stddev;        /* sample standard deviation (n - 1); 0 when n < 2 */
	double mad;           /* median absolute deviation from the median, unscaled */
	double ci_lo, ci_hi;  /* confidence interval of the median */
	double ci_level;      /* its actual coverage: 0.95 or more, less when n < 6 */
	size_t outliers;      /* samples flagged by the modified z-score */
};

/* Computes s over x[0..n). outlier, if not NULL, receives a flag per sample
 * (in x's order). n may be 0 (everything 0). x is not modified. */
void stats_compute(const double *x, size_t n, struct stats *s, bool *outlier);

/* The order-statistic ranks (1-based) of a distribution-free confidence
 * interval of the median of n samples at level 0.95: the largest j with
 * P(B < j) <= 0.025 for B ~ Binomial(n, 1/2), giving [x_(j), x_(n+1-j)].
 * Returns the coverage 1 - 2 P(B < j); for n < 6 no j reaches 95%, so it
 * returns j = 1 (the whole range) and that range's lower coverage. */
double stats_median_ci_rank(size_t n, size_t *j);

/* The stats as a JSON object with keys suffixed by unit ("median_ns" for
 * unit "ns"): n, min, median, mean, stddev, mad, ci95_lo, ci95_hi, max,
 * plus ci_level and outliers. A new reference. */
json_t *stats_json(const struct stats *s, const char *unit);

struct warnings;

/* A sample set is too small below this many samples, and noisy when its
 * median's confidence interval spans more than this share of the median. */
#define STATS_MIN_SAMPLES 5
#define STATS_NOISY_CI 0.10

/* Appends the warnings s calls for (too few samples, a wide confidence
 * interval) to w: the one rule for every cell of tvp run and every benchmark
 * of tvp overhead. */
void stats_warn(struct warnings *w, const struct stats *s);

/* Compares doubles for qsort. */
int stats_cmp_double(const void *a, const void *b);

#endif
