/* report_paired.c: the findings of `tvp report` that rest on rounds: one
 * cell against another by their per-round ratios (tvp.results/2), and
 * Amdahl's serial fraction where it fits.
 *
 * DESIGN
 * A file with rounds measured every cell of a (workload, size) group once
 * per round, so two cells' times pair up round by round and their ratio
 * cancels the machine's weather of that round (bench/paired.c). The finding
 * is then paired_describe's sentence: an equivalence when the ratio's CI
 * lies within 1 +- PAIRED_BAND, a winner and by how much when it lies beyond
 * 1, and only when it straddles the band "the data cannot tell" with an
 * estimate of the rounds that would; the CI is labelled with its real
 * coverage. A /1 file has no rounds: its findings compare the cells' own
 * intervals (report_findings.c) and say that they are unpaired. What a
 * paired finding rests on is said with it: contended rounds left out (or
 * kept, when too few clean ones remain for a 95% interval), and a cell that
 * stopped before reaching the run's precision.
 */
#include "bench/report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/amdahl.h"
#include "bench/paired.h"
#include "bench/util.h"

/* The fewest clean pairs for which contended rounds are left out: the
 * fewest that give a 95% interval (bench/paired.c). */
#define REPORT_MIN_CLEAN 6

/* Contended rounds in which both cells were measured. */
static size_t contended_pairs(const double *a, const bool *ac, const double *b, const bool *bc,
			      size_t rounds)
{
	size_t k = 0;

	for (size_t r = 0; r < rounds; r++)
		if ((ac[r] || bc[r]) && isfinite(a[r]) && isfinite(b[r]))
			k++;
	return k;
}

/* Appends "; not converged (short of the run's precision): A and B" for
 * the cells whose converged is false: one clause for both, so that a
 * report of a run that ran out of budget does not say it twice a line. */
static size_t note_unconverged(const struct report_cell *a, const char *a_name,
			       const struct report_cell *b, const char *b_name, char *buf, size_t len)
{
	bool na = json_is_false(json_object_get(a->c, "converged"));
	bool nb = json_is_false(json_object_get(b->c, "converged"));

	if (!na && !nb)
		return 0;
	return (size_t)snprintf(buf, len, "; not converged (short of the run's precision): %s%s%s",
				na ? a_name : "", na && nb ? " and " : "", nb ? b_name : "");
}

bool report_paired(const struct report_cell *a, const char *a_name, const struct report_cell *b,
		   const char *b_name, char *buf, size_t len)
{
	double *an = NULL, *bn = NULL;
	bool *ac = NULL, *bc = NULL, kept;
	size_t ra = resdoc_rounds(a->c, &an, &ac), rb = resdoc_rounds(b->c, &bn, &bc), rounds, n, k;
	struct paired p;
	struct paired_finding f;

	if (!ra || !rb) {
		free(an);
		free(ac);
		free(bn);
		free(bc);
		return false;
	}
	rounds = ra < rb ? ra : rb;
	paired_ratio_clean(bn, bc, an, ac, rounds, REPORT_MIN_CLEAN, &p, &kept);
	paired_verdict(&p, PAIRED_BAND, &f);
	paired_describe(&p, &f, a_name, b_name, buf, len);
	n = strlen(buf);
	k = contended_pairs(an, ac, bn, bc, rounds);
	if (k && n < len)
		n += (size_t)snprintf(buf + n, len - n, kept ? "; %zu contended round(s) kept: too few "
				      "clean ones to leave them out" : "; %zu contended round(s) left out", k);
	if (n < len)
		note_unconverged(a, a_name, b, b_name, buf + n, len - n);
	free(an);
	free(ac);
	free(bn);
	free(bc);
	return true;
}

int report_ci_pct(const struct report_cell *a, const struct report_cell *b)
{
	double l = fmin(resdoc_stat(a->c, "ci_level"), resdoc_stat(b->c, "ci_level"));

	/* Rounded down, as paired_describe does; a /1 file without ci_level
	 * claimed 95%. */
	if (isnan(l))
		return 95;
	return l >= 0.95 ? 95 : (int)floor(l * 100 + 1e-9);
}

void report_speedup_finding(struct report *R, const struct report_inst *in, long long at)
{
	const char *w = in->w;
	long long inst = in->id;
	const struct report_cell *s = report_best(R, w, inst, 0, REPORT_KINDS(REPORT_KIND_SERIAL),
						  "none", REPORT_ANY_FAMILY);
	const struct report_cell *b = report_best(R, w, inst, at, REPORT_KINDS_PARALLEL, "none",
						  REPORT_ANY_FAMILY);
	char name[200], text[600];

	if (!s || !b)
		return;
	snprintf(name, sizeof name, "%s x%lld", b->label, at);
	if (report_paired(b, name, s, "serial", text, sizeof text))
		report_finding(R, "for %s, the fastest at %lld workers (%u cores): %s", in->name, at,
			       R->cores, text);
}

void report_amdahl_findings(struct report *R, const struct report_inst *in, unsigned pus)
{
	const char *w = in->w;
	long long inst = in->id;
	const char *labels[64];
	size_t nl = 0;
	double *par = xcalloc(R->n + 1, sizeof *par), *sp = xcalloc(R->n + 1, sizeof *sp);

	for (size_t i = 0; i < R->n && nl < ARRAY_SIZE(labels); i++) {
		const struct report_cell *r = &R->cells[i];
		if (!strcmp(r->workload, w) && r->inst == inst && r->kind != REPORT_KIND_SERIAL &&
		    !strcmp(r->pin, "none") && !report_has_str(labels, nl, r->label))
			labels[nl++] = r->label;
	}
	for (size_t k = 0; k < nl; k++) {
		struct amdahl_fit fit;
		size_t n = 0;
		long long lo = 0, hi = 0;
		for (size_t i = 0; i < R->n; i++) {
			const struct report_cell *r = &R->cells[i];
			if (strcmp(r->workload, w) || r->inst != inst || strcmp(r->pin, "none") ||
			    strcmp(r->label, labels[k]) || !report_measured(r))
				continue;
			par[n] = (double)(r->tasks > 0 && r->tasks < r->workers ? r->tasks : r->workers);
			sp[n++] = r->speedup;
			if (par[n - 1] > 1 && par[n - 1] <= pus) {
				lo = lo && lo < r->workers ? lo : r->workers;
				hi = hi > r->workers ? hi : r->workers;
			}
		}
		amdahl_fit(par, sp, n, pus, &fit);
		if (fit.good)
			report_finding(R, "for %s, %s follows Amdahl's law with a serial fraction of %.1f%% "
				       "(fit on %zu worker counts, %lld-%lld, within the %u usable PUs; "
				       "every speedup within %.0f%% of the curve)",
				       in->name, labels[k], 100 * fit.f, fit.points, lo, hi, pus,
				       100 * AMDAHL_MAX_RESIDUAL);
	}
	free(par);
	free(sp);
}
