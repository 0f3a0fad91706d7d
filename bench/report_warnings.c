/* report_warnings.c: the warnings section of `tvp report`: the run's own
 * warnings, then the cells' warnings grouped by cause (noise, load,
 * outliers, few samples, oversubscribed, pinning), each group with how many
 * cells it holds and the first few of them, then the cells that failed. */
#include "bench/report.h"

#include <string.h>

#include "bench/util.h"

/* Warning classes: a substring of the warning and what to call it. */
static const struct {
	const char *match, *name, *meaning;
} classes[] = {
	{ "noisy", "noise", "the 95% CI of the median is wider than 10% of it" },
	{ "slower than its best", "load", "samples taken while the machine ran slow (reference loop)" },
	{ "outlier", "outliers", "samples far from the rest (modified z-score)" },
	{ "samples", "few samples", "too few samples for a reliable median" },
	{ "oversubscribed", "oversubscribed", "more workers than PUs (expected past the core count)" },
	{ "pin", "pinning", "placement was not applied as asked" },
	{ "bind", "pinning", "placement was not applied as asked" },
	{ "", "other", "" },
};

void report_warnings(struct report *R)
{
	const json_t *w;
	size_t i, k, shown = 0;

	report_section(R, "warnings", "Warnings", true);
	json_array_foreach(json_object_get(R->doc.root, "warnings"), k, w) {
		report_item(R, "run: %s", json_string_value(w));
		shown++;
	}
	for (size_t cl = 0; cl < ARRAY_SIZE(classes); cl++) {
		size_t cells = 0;
		char list[400] = "";
		bool dup = false;

		for (size_t e = 0; e < cl; e++)
			dup |= !strcmp(classes[e].name, classes[cl].name);
		if (dup)
			continue;
		for (i = 0; i < R->n; i++) {
			bool hit = false;
			json_array_foreach(json_object_get(R->cells[i].c, "warnings"), k, w) {
				const char *s = json_string_value(w);
				size_t first = ARRAY_SIZE(classes) - 1;
				if (!s)
					continue;
				for (size_t e = 0; e < ARRAY_SIZE(classes); e++)
					if (strstr(s, classes[e].match)) {
						first = e;
						break;
					}
				hit |= !strcmp(classes[first].name, classes[cl].name);
			}
			if (hit) {
				char lab[200];
				size_t len = strlen(list);
				resdoc_cell_label(R->cells[i].c, false, lab, sizeof lab);
				if (cells < 4)
					snprintf(list + len, sizeof list - len, "%s%s", cells ? ", " : "", lab);
				else if (cells == 4)
					snprintf(list + len, sizeof list - len, ", ...");
				cells++;
			}
		}
		if (cells) {
			report_item(R, "%s: %zu of %zu cells%s%s (%s)", classes[cl].name, cells, R->n,
				    classes[cl].meaning[0] ? ": " : "", classes[cl].meaning, list);
			shown++;
		}
	}
	for (i = 0; i < R->n; i++) {
		const char *e = resdoc_str(R->cells[i].c, "error", NULL);
		char lab[200];
		if (e || json_is_false(json_object_get(R->cells[i].c, "verified"))) {
			resdoc_cell_label(R->cells[i].c, false, lab, sizeof lab);
			report_item(R, "error: %s: %s", lab, e ? e : "not verified");
			shown++;
		}
	}
	if (!shown)
		report_item(R, "none");
	report_section_end(R, true);
}
