/* amdahl.h: Amdahl's serial fraction fitted to a mode's speedups, and the
 * rule that says when the fit is good enough to print. */
#ifndef AMDAHL_H
#define AMDAHL_H

#include <stdbool.h>
#include <stddef.h>

/* A fit is good when every fitted point's speedup lies within this share of
 * the curve's (amdahl.c says why 10%). */
#define AMDAHL_MAX_RESIDUAL 0.10

struct amdahl_fit {
	double f;            /* the serial fraction; NAN when nothing was fitted */
	size_t points;       /* points fitted: 1 < parallelism <= pus */
	double residual;     /* the largest |speedup / curve - 1| over them */
	bool good;           /* at least 2 points, 0 <= f <= 1, residual at most
	                      * AMDAHL_MAX_RESIDUAL: only then is f printed */
};

/* Fits speedup(p) = 1 / (f + (1 - f) / p) by least squares on 1 / speedup
 * (linear in f) over the points i with 1 < par[i] <= pus, where par[i] is
 * the parallelism the cell could have (min(workers, tasks)): points past the
 * usable PUs measure the scheduler's time-slicing, not the code's serial
 * part, and are left out. Points with a speedup that is not finite and
 * positive are left out too. Fills *fit. Pure. */
void amdahl_fit(const double *par, const double *speedup, size_t n, unsigned pus,
		struct amdahl_fit *fit);

#endif
