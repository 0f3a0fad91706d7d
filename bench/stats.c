/* stats.c: medians, spreads, confidence intervals and outliers.
 *
 * DESIGN
 * Benchmark times are skewed (a sample can only be slowed down by the
 * machine), so every figure tvp reports leans on order statistics: the
 * median, the MAD, and a distribution-free confidence interval of the median
 * from the binomial distribution of ranks, which assumes nothing about the
 * shape of the samples. The mean and standard deviation are recorded too, for
 * readers who expect them, but no finding is drawn from them.
 */
#include "bench/stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/util.h"
#include "bench/warnings.h"

int stats_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median_sorted(const double *v, size_t n)
{
	if (n == 0)
		return 0;
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* P(B <= k) for B ~ Binomial(n, 1/2), summed in log space so that large n
 * does not overflow. */
static double binom_half_cdf(size_t n, size_t k)
{
	double sum = 0;

	for (size_t i = 0; i <= k && i <= n; i++)
		sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) -
			   lgamma((double)(n - i) + 1) - (double)n * log(2.0));
	return sum;
}

double stats_median_ci_rank(size_t n, size_t *j)
{
	size_t best = 1;

	if (n == 0) {
		*j = 0;
		return 0;
	}
	/* P(B < j) = P(B <= j - 1) grows with j; keep the largest j that
	 * leaves at most 2.5% in each tail. */
	for (size_t c = 2; c <= (n + 1) / 2; c++) {
		if (binom_half_cdf(n, c - 1) > 0.025)
			break;
		best = c;
	}
	*j = best;
	return 1 - 2 * binom_half_cdf(n, best - 1);
}

void stats_compute(const double *x, size_t n, struct stats *s, bool *outlier)
{
	double *v, *dev, sum = 0, sq = 0;
	size_t j;

	memset(s, 0, sizeof *s);
	s->n = n;
	if (n == 0)
		return;
	v = xmalloc(n * sizeof *v);
	dev = xmalloc(n * sizeof *dev);
	memcpy(v, x, n * sizeof *v);
	qsort(v, n, sizeof *v, stats_cmp_double);
	s->min = v[0];
	s->max = v[n - 1];
	s->median = median_sorted(v, n);
	for (size_t i = 0; i < n; i++)
		sum += v[i];
	s->mean = sum / (double)n;
	for (size_t i = 0; i < n; i++)
		sq += (v[i] - s->mean) * (v[i] - s->mean);
	s->stddev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
	for (size_t i = 0; i < n; i++)
		dev[i] = fabs(v[i] - s->median);
	qsort(dev, n, sizeof *dev, stats_cmp_double);
	s->mad = median_sorted(dev, n);

	s->ci_level = stats_median_ci_rank(n, &j);
	s->ci_lo = v[j - 1];
	s->ci_hi = v[n - j];

	/* A MAD of zero (most samples identical) makes every other value an
	 * infinite z-score; flag nothing rather than everything. */
	for (size_t i = 0; i < n; i++) {
		bool out = s->mad > 0 && fabs(0.6745 * (x[i] - s->median) / s->mad) > STATS_OUTLIER_Z;
		if (outlier)
			outlier[i] = out;
		s->outliers += out;
	}
	free(dev);
	free(v);
}

json_t *stats_json(const struct stats *s, const char *unit)
{
	json_t *o = json_object();
	char key[64];
	const struct {
		const char *name;
		double v;
	} f[] = {
		{ "min", s->min }, { "median", s->median }, { "mean", s->mean },
		{ "stddev", s->stddev }, { "mad", s->mad }, { "ci95_lo", s->ci_lo },
		{ "ci95_hi", s->ci_hi }, { "max", s->max },
	};

	json_object_set_new(o, "n", json_integer((json_int_t)s->n));
	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		snprintf(key, sizeof key, "%s_%s", f[i].name, unit);
		json_object_set_new(o, key, json_real(f[i].v));
	}
	json_object_set_new(o, "ci_level", json_real(s->ci_level));
	json_object_set_new(o, "outliers", json_integer((json_int_t)s->outliers));
	return o;
}

void stats_warn(struct warnings *w, const struct stats *s)
{
	if (s->n > 0 && s->n < STATS_MIN_SAMPLES)
		warnings_add(w, "only %zu samples: too few for a reliable median (use --repeat %d or more)",
			     s->n, STATS_MIN_SAMPLES);
	if (s->n > 1 && s->median > 0 && (s->ci_hi - s->ci_lo) / s->median > STATS_NOISY_CI)
		warnings_add(w, "noisy: the 95%% confidence interval spans %.0f%% of the median",
			     100 * (s->ci_hi - s->ci_lo) / s->median);
}
