/* mannwhitney.c: the two-sided Mann-Whitney U test.
 *
 * DESIGN
 * U counts the pairs (x_i, y_j) with x_i > y_j (ties count one half); it
 * comes from the rank sum of x in the pooled, sorted samples (mid-ranks for
 * ties). For small samples without ties the p-value comes from U's exact
 * null distribution: the number of orderings giving each U is a coefficient
 * of the Gaussian binomial [nx+ny choose nx]_q, built as a product of
 * (1 - q^(ny+i)) / (1 - q^i), each step an exact polynomial with integer
 * coefficients (exact in doubles for nx, ny <= MW_EXACT_MAX: C(40,20) is
 * about 1.4e11). Otherwise the normal approximation with the tie-corrected
 * variance and a continuity correction, as scipy's mannwhitneyu does.
 *
 * The shift interval inverts the same test (Hollander and Wolfe,
 * Nonparametric Statistical Methods, 3.3): of the nx*ny differences
 * y_j - x_i, sorted, [d_(k), d_(m+1-k)] holds the true shift with
 * probability 1 - 2 P(U < k) for U's null distribution, exactly when the
 * two samples differ only by a shift. k is the largest rank at level
 * 1 - alpha; where even k = 1 (the range of the differences) falls short,
 * the range is given at its own, lower, coverage. Ties make the exact
 * coverage approximate (slightly conservative).
 */
#include "bench/mannwhitney.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/util.h"

struct tagged {
	double v;
	int from_x;
};

static int cmp_tagged(const void *a, const void *b)
{
	double x = ((const struct tagged *)a)->v, y = ((const struct tagged *)b)->v;

	return (x > y) - (x < y);
}

double mw_min_p(size_t nx, size_t ny)
{
	/* log C(nx+ny, nx) through lgamma: no overflow for large n. */
	double lc = lgamma((double)(nx + ny) + 1) - lgamma((double)nx + 1) - lgamma((double)ny + 1);
	double p = 2 * exp(-lc);

	return p > 1 ? 1 : p;
}

/* The null distribution of U without ties: counts c[0..nx*ny] of the
 * orderings giving each U (a malloc'd array), their total in *total. */
static double *exact_counts(size_t nx, size_t ny, double *total)
{
	/* The product step reaches degree i*ny + i before its division. */
	size_t deg = nx * ny, size = deg + nx + 1, k;
	double *c = xcalloc(size, sizeof *c);

	c[0] = 1;
	for (size_t i = 1; i <= nx; i++) {
		size_t up = ny + i, cur = (i - 1) * ny;   /* degree before this step */
		/* times (1 - q^(ny+i)) */
		for (k = cur + up; k >= up; k--)
			c[k] -= c[k - up];
		/* divided by (1 - q^i): b[k] = a[k] + b[k-i] */
		for (k = i; k < size; k++)
			c[k] += c[k - i];
	}
	*total = 0;
	for (k = 0; k <= deg; k++)
		*total += c[k];
	return c;
}

/* P(U <= u) and P(U >= u) under the null, without ties. */
static void exact_tails(size_t nx, size_t ny, double u, double *lower, double *upper)
{
	double total, lo = 0, hi = 0, *c = exact_counts(nx, ny, &total);

	for (size_t k = 0; k <= nx * ny; k++) {
		if ((double)k <= u + 1e-9)
			lo += c[k];
		if ((double)k >= u - 1e-9)
			hi += c[k];
	}
	*lower = lo / total;
	*upper = hi / total;
	free(c);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The z with P(Z > z) = q for a standard normal Z (0 < q < 1), by
 * bisection on erfc: exact to double precision, no table. */
static double normal_upper_quantile(double q)
{
	double lo = -40, hi = 40;

	for (int i = 0; i < 200; i++) {
		double mid = (lo + hi) / 2;
		if (erfc(mid / sqrt(2.0)) / 2 > q)
			lo = mid;
		else
			hi = mid;
	}
	return (lo + hi) / 2;
}

/* The rank k (1-based) of the interval [d_(k), d_(m+1-k)] over the m = nx*ny
 * sorted differences: the largest k with P(U < k) <= alpha / 2, at least 1;
 * its coverage 1 - 2 P(U < k) in *level. */
static size_t shift_rank(size_t nx, size_t ny, double alpha, double *level)
{
	size_t m = nx * ny, k = 1;

	if (nx <= MW_EXACT_MAX && ny <= MW_EXACT_MAX) {
		double total, *c = exact_counts(nx, ny, &total), cum = c[0];   /* P(U < k) total */
		while (k < (m + 1) / 2 && cum + c[k] <= alpha / 2 * total) {
			cum += c[k];
			k++;
		}
		*level = 1 - 2 * cum / total;
		free(c);
	} else {
		double sd = sqrt((double)nx * (double)ny * (double)(nx + ny + 1) / 12);
		double kk = floor((double)m / 2 - normal_upper_quantile(alpha / 2) * sd + 0.5);
		k = kk < 1 ? 1 : (size_t)kk;
		/* P(U < k) with the continuity correction. */
		*level = 1 - erfc(((double)m / 2 - ((double)k - 0.5)) / sd / sqrt(2.0));
	}
	return k;
}

int mw_shift(const double *x, size_t nx, const double *y, size_t ny, double alpha,
	     struct mw_shift *r)
{
	size_t m = nx * ny, k = 0;
	double *d;

	memset(r, 0, sizeof *r);
	if (nx == 0 || ny == 0)
		return -EINVAL;
	d = xmalloc(m * sizeof *d);
	for (size_t i = 0; i < nx; i++)
		for (size_t j = 0; j < ny; j++) {
			if (isnan(x[i]) || isnan(y[j])) {
				free(d);
				return -EINVAL;
			}
			d[k++] = y[j] - x[i];
		}
	qsort(d, m, sizeof *d, cmp_double);
	r->shift = m % 2 ? d[m / 2] : (d[m / 2 - 1] + d[m / 2]) / 2;
	k = shift_rank(nx, ny, alpha, &r->level);
	r->lo = d[k - 1];
	r->hi = d[m - k];
	free(d);
	return 0;
}

int mw_test(const double *x, size_t nx, const double *y, size_t ny, struct mw_result *r)
{
	size_t n = nx + ny, i, j;
	struct tagged *all;
	double rank_x = 0, ties = 0;

	memset(r, 0, sizeof *r);
	if (nx == 0 || ny == 0)
		return -EINVAL;
	for (i = 0; i < nx; i++)
		if (isnan(x[i]))
			return -EINVAL;
	for (i = 0; i < ny; i++)
		if (isnan(y[i]))
			return -EINVAL;
	all = xmalloc(n * sizeof *all);
	for (i = 0; i < nx; i++)
		all[i] = (struct tagged){ x[i], 1 };
	for (i = 0; i < ny; i++)
		all[nx + i] = (struct tagged){ y[i], 0 };
	qsort(all, n, sizeof *all, cmp_tagged);
	for (i = 0; i < n; i = j) {
		double t, mid;
		for (j = i + 1; j < n && all[j].v == all[i].v; j++)
			;
		t = (double)(j - i);
		mid = ((double)i + 1 + (double)j) / 2;     /* mean of ranks i+1..j */
		for (size_t k = i; k < j; k++)
			if (all[k].from_x)
				rank_x += mid;
		ties += t * t * t - t;
	}
	free(all);
	r->u = rank_x - (double)nx * ((double)nx + 1) / 2;
	r->min_p = mw_min_p(nx, ny);
	if (ties == 0 && nx <= MW_EXACT_MAX && ny <= MW_EXACT_MAX) {
		double lo, hi;
		exact_tails(nx, ny, r->u, &lo, &hi);
		r->exact = true;
		r->p = 2 * (lo < hi ? lo : hi);
	} else {
		double mean = (double)nx * (double)ny / 2;
		double var = (double)nx * (double)ny / 12 *
			     (((double)n + 1) - ties / ((double)n * ((double)n - 1)));
		double d = fabs(r->u - mean);
		if (var <= 0) {
			r->p = 1;   /* every value tied: nothing to tell apart */
		} else {
			d = d > 0.5 ? d - 0.5 : 0;
			r->z = (r->u >= mean ? d : -d) / sqrt(var);
			r->p = erfc(fabs(r->z) / sqrt(2.0));
		}
	}
	if (r->p > 1)
		r->p = 1;
	return 0;
}
