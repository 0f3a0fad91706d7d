/* amdahl.c: fitting Amdahl's serial fraction, and judging the fit.
 *
 * DESIGN
 * Amdahl's law 1/s = f + (1 - f)/p is linear in f once written as
 * y = 1/s - 1/p = f (1 - 1/p) = f x, so the least-squares f on 1/s is
 * sum(x y) / sum(x x): closed form, no iteration, no starting guess (the
 * chart's gnuplot fit needs one). Only 1 < p <= the usable PUs count: past
 * them the workers share PUs, the speedup flattens for a reason that is not
 * a serial part, and a fit that includes them reads the time-slicing as one
 * (the quick bench once printed f = 511.9%). With one such point the fit
 * passes through it exactly and says nothing about whether the law holds, so
 * a good fit needs two points; f outside [0, 1] means the law does not
 * describe the data (a superlinear speedup, or one that falls with more
 * workers); and a curve that misses a point by more than 10% (about twice a
 * good cell's CI half-width on the noisy machines we build on) describes
 * something else. Only a good fit is shown.
 */
#include "bench/amdahl.h"

#include <math.h>

/* The point takes part in the fit. */
static bool fitted(double par, double speedup, unsigned pus)
{
	return par > 1 && par <= pus && isfinite(speedup) && speedup > 0;
}

void amdahl_fit(const double *par, const double *speedup, size_t n, unsigned pus,
		struct amdahl_fit *fit)
{
	double sxy = 0, sxx = 0;

	fit->f = NAN;
	fit->points = 0;
	fit->residual = NAN;
	fit->good = false;
	for (size_t i = 0; i < n; i++) {
		double x, y;
		if (!fitted(par[i], speedup[i], pus))
			continue;
		x = 1 - 1 / par[i];
		y = 1 / speedup[i] - 1 / par[i];
		sxy += x * y;
		sxx += x * x;
		fit->points++;
	}
	if (fit->points == 0)
		return;
	fit->f = sxy / sxx;
	fit->residual = 0;
	for (size_t i = 0; i < n; i++) {
		double curve;
		if (!fitted(par[i], speedup[i], pus))
			continue;
		curve = 1 / (fit->f + (1 - fit->f) / par[i]);
		fit->residual = fmax(fit->residual, fabs(speedup[i] / curve - 1));
	}
	fit->good = fit->points >= 2 && fit->f >= 0 && fit->f <= 1 &&
		    fit->residual <= AMDAHL_MAX_RESIDUAL;
}
