/* table.c: the terminal tables and warning lines of `tvp run` (table.h). */
#include "bench/run/table.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "bench/run/pairing.h"
#include "bench/util.h"
#include "par/pin.h"

static double ci_percent(const struct stats *st)
{
	return st->median > 0 ? 50 * (st->ci_hi - st->ci_lo) / st->median : 0.0;
}

/* A cell's name within its group: "fork-pool/shm+spawn@compact": the mode,
 * its channel, its start method when not fork, its placement when pinned. */
static const char *short_name(const struct cell *c, char *buf, size_t len)
{
	const char *ch = cell_channel_name(c), *st = cell_start_name(c);
	bool pinned = !pin_plan_is_none(c->plan);

	snprintf(buf, len, "%s%s%s%s%s%s%s", c->mode->name, ch ? "/" : "", ch ? ch : "",
		 st ? "+" : "", st ? st : "", pinned ? "@" : "", pinned ? c->pin : "");
	return buf;
}

/* mw: the mode column's width. */
static void c_row(FILE *f, const struct cell_summary *s, int mw)
{
	const struct cell *c = s->cell;
	const struct workload *wl = c->wi->wl;
	char mode[64], medbuf[24], ci[24], rate[32] = "", size[24], notes[64] = "";

	short_name(c, mode, sizeof mode);
	snprintf(size, sizeof size, "%" PRIu64, c->size);
	if (c->samples.n == 0) {
		fprintf(f, "%-10s %-10s %-*s %7u %11s  %s\n", wl->name, size, mw, mode, c->workers, "-",
			c->failed ? "FAILED (see error)" : "not measured");
		return;
	}
	format_duration(medbuf, sizeof medbuf, s->wall.median);
	snprintf(ci, sizeof ci, "+-%.1f%%", ci_percent(&s->wall));
	if (s->has_rate)
		snprintf(rate, sizeof rate, "%.3g %s", s->rate, wl->rate_label);
	if (s->warnings.n)
		snprintf(notes, sizeof notes, "%zu warning%s", s->warnings.n, s->warnings.n > 1 ? "s" : "");
	if (c->failed)
		snprintf(notes, sizeof notes, "FAILED");
	fprintf(f, "%-10s %-10s %-*s %7u %11s %8s %8.2f %6.2f %10s  %s\n", wl->name, size, mw, mode,
		c->workers, medbuf, ci, s->speedup, s->efficiency, rate, notes);
}

static void python_table(FILE *f, const struct cell_summary *sums, size_t n)
{
	const struct python_info *info = NULL;
	bool any = false;
	int mw = 10;

	for (size_t i = 0; i < n; i++)
		if (sums[i].cell->lang == CELL_LANG_PYTHON) {
			any = true;
			if (!info && sums[i].cell->python && sums[i].cell->python->known)
				info = sums[i].cell->python;
		}
	if (!any)
		return;
	fprintf(f, "\nPython (%s %s, GIL %s), through workloads/python/:\n",
		info ? info->implementation : "?", info ? info->version : "?",
		info && !info->gil ? "off" : "on");
	/* The mode column as wide as its longest entry:
	 * "executor-fork+forkserver (concurrent.futures.ProcessPoolExecutor)". */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			fprintf(f, "%-10s %-10s %-*s %7s %11s %8s %8s %6s\n", "workload", "size", mw,
				"mode (api)", "workers", "median", "ci95", "speedup", "eff");
		for (size_t i = 0; i < n; i++) {
			const struct cell *c = sums[i].cell;
			const char *st = cell_start_name(c);
			char mode[128], medbuf[24];

			if (c->lang != CELL_LANG_PYTHON)
				continue;
			snprintf(mode, sizeof mode, "%s%s%s (%s)", c->mode->name, st ? "+" : "",
				 st ? st : "", c->python && c->python->api[0] ? c->python->api : "?");
			if (pass == 0) {
				mw = (int)strlen(mode) > mw ? (int)strlen(mode) : mw;
				continue;
			}
			format_duration(medbuf, sizeof medbuf, sums[i].wall.median);
			fprintf(f, "%-10s %-10" PRIu64 " %-*s %7u %11s   +-%4.1f%% %8.2f %6.2f%s\n",
				c->wi->wl->name, c->size, mw, mode, c->workers, medbuf,
				ci_percent(&sums[i].wall), sums[i].speedup, sums[i].efficiency,
				c->failed ? "  FAILED" : "");
		}
	}
}

void table_print(FILE *f, const struct cell_summary *sums, size_t n)
{
	int mw = 16;   /* the mode column: wider for "executor-fork/shm+forkserver" */

	for (size_t i = 0; i < n; i++) {
		char name[64];
		int len = (int)strlen(short_name(sums[i].cell, name, sizeof name));

		if (sums[i].cell->lang == CELL_LANG_C && len > mw)
			mw = len;
	}
	fprintf(f, "%-10s %-10s %-*s %7s %11s %8s %8s %6s %10s  %s\n", "workload", "size", mw, "mode",
		"workers", "median", "ci95", "speedup", "eff", "rate", "notes");
	for (size_t i = 0; i < n; i++)
		if (sums[i].cell->lang == CELL_LANG_C)
			c_row(f, &sums[i], mw);
	python_table(f, sums, n);
}

/* The causes of cell warnings, each summed into one line (--verbose shows
 * every cell's). match: a text the warning contains. */
static const struct {
	const char *match, *line;
} causes[] = {
	{ "contended:", "contended samples (the machine delivered under 90% of its best cores, or tasks waited to run; left out of the speedups while 6 clean rounds remain)" },
	{ "not converged:", "speedup interval still wider than --precision when the rounds ended (budget or --max-repeat)" },
	{ "short:", "median under the 20 ms floor, where the scheduler dominates (use a larger --size)" },
	{ "noisy:", "noisy: the median's 95% interval spans over 10% of it" },
	{ "samples: too few", "too few samples for a 95% interval" },
	{ "outlier", "outlier samples (modified z-score above 3.5)" },
	{ "oversubscribed", "more workers than PUs (oversubscribed)" },
	{ "binding(s) failed", "worker bindings failed (\"pinned\": false)" },
	{ "outside their cpuset", "workers seen outside their cpuset" },
	{ "wraps:", "placements wrap: workers share fewer places" },
};

/* The index of w's cause, or ARRAY_SIZE(causes) for another. */
static size_t cause_of(const char *w)
{
	size_t i = 0;

	while (i < ARRAY_SIZE(causes) && !strstr(w, causes[i].match))
		i++;
	return i;
}

void table_print_warnings(FILE *f, const struct warnings *run, const struct cell_summary *sums,
			  size_t n, bool verbose)
{
	size_t count[ARRAY_SIZE(causes)] = { 0 };
	char label[128];

	for (size_t k = 0; k < run->n; k++)
		fprintf(f, "warning: %s\n", run->items[k]);
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = sums[i].cell;
		bool seen[ARRAY_SIZE(causes)] = { false };

		cell_label(c, label, sizeof label);
		for (size_t k = 0; k < sums[i].warnings.n; k++) {
			size_t cause = cause_of(sums[i].warnings.items[k]);

			if (verbose || cause == ARRAY_SIZE(causes))
				fprintf(f, "warning: %s: %s\n", label, sums[i].warnings.items[k]);
			else if (!seen[cause]) {
				seen[cause] = true;
				count[cause]++;
			}
		}
		/* A failed Python cell was reported as it failed. */
		if (c->lang == CELL_LANG_C && c->failed)
			fprintf(f, "error: %s: %s\n", label, c->error);
	}
	for (size_t i = 0; i < ARRAY_SIZE(causes); i++)
		if (count[i])
			fprintf(f, "warning: %zu of %zu cells: %s\n", count[i], n, causes[i].line);
}


/* Threads against processes of the same family at the same workers and
 * placement: the comparisons the run is for. */
static bool comparable(const struct cell *a, const struct cell *b)
{
	return a->lang == CELL_LANG_C && b->lang == CELL_LANG_C && a->group == b->group &&
	       a->baseline && b->baseline && a->workers == b->workers && a->plan == b->plan &&
	       a->mode->family == b->mode->family && !(a->mode->flags & MODE_FORKS) &&
	       (b->mode->flags & MODE_FORKS) && a->samples.n && b->samples.n;
}

static void print_speedup(FILE *f, const struct cell_summary *s)
{
	const struct cell *c = s->cell;
	char name[96];

	fprintf(f, "  %s %s x%u: speedup %.2f (%.0f%% CI %.2f-%.2f), efficiency %.2f, %u rounds%s%s\n",
		c->wi->wl->name, short_name(c, name, sizeof name), c->workers, s->speedup_p.ratio,
		s->speedup_p.ci_level >= 0.95 ? 95.0 : floor(100 * s->speedup_p.ci_level), s->speedup_p.ci_lo, s->speedup_p.ci_hi,
		s->efficiency_p.ratio, c->rounds, c->converged ? "" : ", not converged",
		s->with_contended ? ", contended samples counted" : "");
}

void table_print_summary(FILE *f, const struct cell_summary *sums, size_t n)
{
	bool any = false;

	for (size_t i = 0; i < n; i++) {
		if (!sums[i].paired)
			continue;
		if (!any)
			fprintf(f, "\nSummary (paired by round against serial):\n");
		any = true;
		print_speedup(f, &sums[i]);
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			const struct cell *a = sums[i].cell, *b = sums[j].cell;
			struct paired p;
			struct paired_finding fd;
			char an[96], bn[96], line[512];
			bool mixed;

			if (!comparable(a, b))
				continue;
			pairing_ratio(b, a, a->rounds < b->rounds ? a->rounds : b->rounds, &p, &mixed);
			if (p.n == 0)
				continue;
			paired_verdict(&p, PAIRED_BAND, &fd);
			snprintf(an, sizeof an, "%s x%u", short_name(a, line, sizeof line), a->workers);
			snprintf(bn, sizeof bn, "%s x%u", short_name(b, line, sizeof line), b->workers);
			paired_describe(&p, &fd, an, bn, line, sizeof line);
			fprintf(f, "  %s: %s ran %.2f +- %.2f times as fast as %s; %s%s\n",
				a->wi->wl->name, an, p.ratio, (p.ci_hi - p.ci_lo) / 2, bn, line,
				mixed ? " (contended samples counted)" : "");
		}
}
