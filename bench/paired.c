/* paired.c: ratios of two cells round by round, their median and its
 * distribution-free confidence interval, and the verdict they support.
 *
 * DESIGN
 * Why pairs. A round measures every cell of a group once, in shuffled order,
 * within a few seconds; the machine's slow spells last seconds too, so two
 * cells of one round share most of the machine's weather while two rounds
 * need not. The ratio base_r / cell_r cancels what a round shares; the
 * spread left is the cells' own.
 *
 * Which interval. The CI of the median ratio comes from order statistics:
 * the sign-test (binomial rank) interval of stats_median_ci_rank, the rule
 * every per-cell CI in tvp already uses. The alternative, Hodges-Lehmann with
 * the Wilcoxon signed-rank interval on log ratios, is about a fifth narrower
 * on normal data (asymptotic efficiency 0.955 against the sign test's 0.637)
 * but assumes the log ratios are symmetric about their centre, and ours
 * are not: a lost core only ever slows the cell it falls on, so a
 * group's ratios have one long tail on the side of whichever cell met a
 * slow spell. The sign-test interval assumes only independent rounds
 * and no ties, holds exactly at any n (no normal approximation, which a
 * reviewer would not accept for 5-30 pairs), and its coverage is a known
 * binomial sum we report as is: 0.75 for 3 pairs, 0.9375 for 5, first >= 0.95
 * at 6 (0.969), so a "95% CI" is never claimed where it is not one. Order
 * statistics commute with any increasing function, so the CI of the median
 * of log ratios, exponentiated, is exactly the CI of the median ratio; the
 * statistics are computed on log ratios (by stats_compute) for one reason
 * beyond that: with an even n the median is the mean of the two middle logs,
 * the geometric mean of the two middle ratios, so paired_ratio(a, b) is
 * exactly 1 / paired_ratio(b, a) and a ratio and its inverse never disagree
 * on a verdict. Dividing by the workers is increasing too: the efficiency's
 * CI is the speedup's CI over the workers, at the same coverage.
 *
 * Contended rounds. A sample the capacity probe calls contended
 * (bench/capacity.h) met a machine that delivered less than it could; its
 * ratio says more about the machine than about the cells, so it is left out
 * while enough clean rounds remain for a 95% interval, and kept (and the
 * finding says so) when leaving it out would leave too few to conclude.
 *
 * More rounds. An interval of a median shrinks about as 1/sqrt(n), so an
 * undecided verdict extrapolates the width it has to the width that would
 * decide (exclude 1, or fit in the band), around the same ratio. It is an
 * estimate for a progress message, not a promise: the ratio moves too.
 */
#include "bench/paired.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/stats.h"
#include "bench/util.h"

/* The fewest pairs whose sign-test interval reaches 95% (1 - 2/64). */
#define PAIRED_MIN_95 6

static bool usable(double t)
{
	return isfinite(t) && t > 0;
}

void paired_ratio(const double *base_ns, const double *cell_ns, size_t rounds,
		  struct paired *p)
{
	double *logs = xmalloc((rounds ? rounds : 1) * sizeof *logs);
	struct stats s;
	size_t n = 0;

	memset(p, 0, sizeof *p);
	for (size_t r = 0; r < rounds; r++)
		if (usable(base_ns[r]) && usable(cell_ns[r]))
			logs[n++] = log(base_ns[r] / cell_ns[r]);
	if (n > 0) {
		stats_compute(logs, n, &s, NULL);
		p->n = n;
		p->ratio = exp(s.median);
		p->ci_lo = exp(s.ci_lo);
		p->ci_hi = exp(s.ci_hi);
		p->ci_level = s.ci_level;
	}
	free(logs);
}

void paired_ratio_clean(const double *base_ns, const bool *base_contended,
			const double *cell_ns, const bool *cell_contended, size_t rounds,
			size_t min_clean, struct paired *p, bool *with_contended)
{
	double *clean = xmalloc((rounds ? rounds : 1) * sizeof *clean);

	for (size_t r = 0; r < rounds; r++)
		clean[r] = (base_contended && base_contended[r]) || (cell_contended && cell_contended[r])
			   ? NAN : cell_ns[r];
	paired_ratio(base_ns, clean, rounds, p);
	*with_contended = p->n < min_clean;
	if (*with_contended)
		paired_ratio(base_ns, cell_ns, rounds, p);
	free(clean);
}

void paired_scale(const struct paired *p, double by, struct paired *out)
{
	*out = *p;
	out->ratio /= by;
	out->ci_lo /= by;
	out->ci_hi /= by;
}

double paired_rel_halfwidth(const struct paired *p)
{
	if (p->n == 0 || p->ratio <= 0)
		return INFINITY;
	return (p->ci_hi - p->ci_lo) / (2 * p->ratio);
}

/* How many times the current pairs would shrink the interval's reach from
 * the estimate, `have`, to `need` (both log distances): (have / need)^2
 * pairs per pair now. Infinite when need is not positive. */
static double growth(double have, double need)
{
	if (have <= 0)
		return 1;
	if (need <= 0)
		return INFINITY;
	return (have / need) * (have / need);
}

static unsigned more_rounds(const struct paired *p, double band)
{
	double m = log(p->ratio);
	double below = m - log(p->ci_lo), above = log(p->ci_hi) - m;
	double lo_band = log(1 - band), hi_band = log(1 + band);
	/* To decide FASTER the lower end must clear 1 (reach below < m);
	 * SLOWER, the upper end (above < -m); EQUIVALENT, both ends must come
	 * inside the band. The likeliest decision needs the fewest pairs. */
	double f = fmin(m > 0 ? growth(below, m) : INFINITY,
			m < 0 ? growth(above, -m) : INFINITY);
	double more;

	f = fmin(f, fmax(growth(below, m - lo_band), growth(above, hi_band - m)));
	more = ceil((double)p->n * f) - (double)p->n;
	if (more < 1)
		more = 1;
	if (more < PAIRED_MIN_95 - (double)p->n)
		more = PAIRED_MIN_95 - (double)p->n;
	return more > PAIRED_MORE_ROUNDS_MAX ? PAIRED_MORE_ROUNDS_MAX : (unsigned)more;
}

void paired_verdict(const struct paired *p, double band, struct paired_finding *f)
{
	memset(f, 0, sizeof *f);
	if (p->n == 0) {
		f->verdict = PAIRED_UNDECIDED;
		f->more_rounds = PAIRED_MIN_95;
	} else if (p->ci_lo >= 1 - band && p->ci_hi <= 1 + band) {
		f->verdict = PAIRED_EQUIVALENT;
	} else if (p->ci_lo > 1) {
		f->verdict = PAIRED_FASTER;
		f->by = p->ratio - 1;
		f->by_at_least = p->ci_lo - 1;
	} else if (p->ci_hi < 1) {
		f->verdict = PAIRED_SLOWER;
		f->by = 1 / p->ratio - 1;
		f->by_at_least = 1 / p->ci_hi - 1;
	} else {
		f->verdict = PAIRED_UNDECIDED;
		f->more_rounds = more_rounds(p, band);
	}
}

/* A ratio in two decimals, or two significant digits below 0.1 (a ratio
 * of 0.0043 printed "0.00"). */
static const char *ratio_text(char *buf, size_t len, double r)
{
	snprintf(buf, len, r > 0 && r < 0.1 ? "%.2g" : "%.2f", r);
	return buf;
}

/* From this factor on, a difference reads as a multiple ("23.9x as fast",
 * "takes 230x as long"), not a percentage ("2293% faster"). */
#define PAIRED_MULTIPLE 5.0

void paired_describe(const struct paired *p, const struct paired_finding *f, const char *a,
		     const char *b, char *buf, size_t len)
{
	char ci[96], r[3][16];
	/* Rounded down, so that a coverage is never overstated; the 1e-9
	 * keeps 0.75 from printing as 74 after rounding error. */
	int level = p->ci_level >= 0.95 ? 95 : (int)floor(p->ci_level * 100 + 1e-9);
	double within, times = 1 + f->by;

	snprintf(ci, sizeof ci, "ratio %s, %d%% CI %s-%s", ratio_text(r[0], 16, p->ratio), level,
		 ratio_text(r[1], 16, p->ci_lo), ratio_text(r[2], 16, p->ci_hi));
	switch (f->verdict) {
	case PAIRED_EQUIVALENT:
		within = fmax(1 - p->ci_lo, p->ci_hi - 1);
		snprintf(buf, len, "%s and %s are within %.0f%% (%s)", a, b, ceil(within * 100 - 1e-9), ci);
		break;
	case PAIRED_FASTER:
	case PAIRED_SLOWER:
		if (times >= PAIRED_MULTIPLE) {
			char x[24];

			/* three digits, never an exponent ("1010x", not "1.01e+03x") */
			snprintf(x, sizeof x, times < 100 ? "%.3g" : "%.0f", times);
			snprintf(buf, len, f->verdict == PAIRED_FASTER ? "%s is %sx as fast as %s (%s)" :
				 "%s takes %sx as long as %s (%s)", a, x, b, ci);
		} else {
			snprintf(buf, len, "%s is %.0f%% %s than %s (%s)", a, f->by * 100,
				 f->verdict == PAIRED_FASTER ? "faster" : "slower", b, ci);
		}
		break;
	case PAIRED_UNDECIDED:
		if (p->n == 0)
			snprintf(buf, len, "no round measured both %s and %s", a, b);
		else
			snprintf(buf, len, "the data cannot tell %s from %s (%s); about %u more rounds would",
				 a, b, ci, f->more_rounds);
		break;
	}
}

const char *paired_verdict_name(enum paired_verdict v)
{
	switch (v) {
	case PAIRED_EQUIVALENT:
		return "equivalent";
	case PAIRED_FASTER:
		return "faster";
	case PAIRED_SLOWER:
		return "slower";
	case PAIRED_UNDECIDED:
		break;
	}
	return "undecided";
}
