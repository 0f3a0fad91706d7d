/* table.c: the terminal tables and warning lines of `tvp run` (table.h). */
#include "bench/run/table.h"

#include <inttypes.h>
#include <string.h>

#include "bench/util.h"
#include "par/pin.h"

static double ci_percent(const struct stats *st)
{
	return st->median > 0 ? 50 * (st->ci_hi - st->ci_lo) / st->median : 0.0;
}

static void c_row(FILE *f, const struct cell_summary *s)
{
	const struct cell *c = s->cell;
	const struct workload *wl = c->wi->wl;
	const char *ch = cell_channel_name(c);
	bool pinned = !pin_plan_is_none(c->plan);
	char mode[48], medbuf[24], ci[24], rate[32] = "", size[24], notes[64] = "";

	snprintf(mode, sizeof mode, "%s%s%s%s%s", c->mode->name, ch ? "/" : "", ch ? ch : "",
		 pinned ? "@" : "", pinned ? c->pin : "");
	snprintf(size, sizeof size, "%" PRIu64, c->size);
	if (c->samples.n == 0) {
		fprintf(f, "%-10s %-10s %-16s %7u %11s  %s\n", wl->name, size, mode, c->workers, "-",
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
	fprintf(f, "%-10s %-10s %-16s %7u %11s %8s %8.2f %6.2f %10s  %s\n", wl->name, size, mode,
		c->workers, medbuf, ci, s->speedup, s->efficiency, rate, notes);
}

static void python_table(FILE *f, const struct cell_summary *sums, size_t n)
{
	const struct python_info *info = NULL;
	bool any = false;

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
	fprintf(f, "%-10s %-10s %-54s %7s %11s %8s %8s %6s\n", "workload", "size", "mode (api)",
		"workers", "median", "ci95", "speedup", "eff");
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = sums[i].cell;
		char mode[128], medbuf[24];

		if (c->lang != CELL_LANG_PYTHON)
			continue;
		snprintf(mode, sizeof mode, "%s (%s)", c->mode->name,
			 c->python && c->python->api[0] ? c->python->api : "?");
		format_duration(medbuf, sizeof medbuf, sums[i].wall.median);
		fprintf(f, "%-10s %-10" PRIu64 " %-54s %7u %11s   +-%4.1f%% %8.2f %6.2f%s\n",
			c->wi->wl->name, c->size, mode, c->workers, medbuf, ci_percent(&sums[i].wall),
			sums[i].speedup, sums[i].efficiency, c->failed ? "  FAILED" : "");
	}
}

void table_print(FILE *f, const struct cell_summary *sums, size_t n)
{
	fprintf(f, "%-10s %-10s %-16s %7s %11s %8s %8s %6s %10s  %s\n", "workload", "size", "mode",
		"workers", "median", "ci95", "speedup", "eff", "rate", "notes");
	for (size_t i = 0; i < n; i++)
		if (sums[i].cell->lang == CELL_LANG_C)
			c_row(f, &sums[i]);
	python_table(f, sums, n);
}

void table_print_warnings(FILE *f, const struct warnings *run, const struct cell_summary *sums,
			  size_t n)
{
	char label[128];

	for (size_t k = 0; k < run->n; k++)
		fprintf(f, "warning: %s\n", run->items[k]);
	for (size_t i = 0; i < n; i++) {
		const struct cell *c = sums[i].cell;

		cell_label(c, label, sizeof label);
		for (size_t k = 0; k < sums[i].warnings.n; k++)
			fprintf(f, "warning: %s: %s\n", label, sums[i].warnings.items[k]);
		/* A failed Python cell was reported as it failed. */
		if (c->lang == CELL_LANG_C && c->failed)
			fprintf(f, "error: %s: %s\n", label, c->error);
	}
}
