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

/* P(U <= u) and P(U >= u) under the null, without ties. */
static void exact_tails(size_t nx, size_t ny, double u, double *lower, double *upper)
{
	/* The product step reaches degree i*ny + i before its division. */
	size_t deg = nx * ny, size = deg + nx + 1, k;
	double *c = xcalloc(size, sizeof *c), total = 0, lo = 0, hi = 0;

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
	for (k = 0; k <= deg; k++) {
		total += c[k];
		if ((double)k <= u + 1e-9)
			lo += c[k];
		if ((double)k >= u - 1e-9)
			hi += c[k];
	}
	*lower = lo / total;
	*upper = hi / total;
	free(c);
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
