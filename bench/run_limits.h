/* run_limits.h: the options of adaptive repetition (--precision,
 * --min-repeat, --max-repeat, --budget, --repeat), parsed and resolved the
 * same way for `tvp run` and `tvp bench`. Each parser returns true with the
 * value, or false with a one-line message in err (no "tvp: " prefix) that
 * says what was wrong and what is accepted (exit 2). */
#ifndef RUN_LIMITS_H
#define RUN_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Rounds of --quick when neither --repeat nor --min/--max-repeat is given:
 * what `tvp run --quick` always took, so that it stays a smoke run. */
#define RUN_LIMITS_QUICK_ROUNDS 5u

/* --precision: "3%", "3" (percent) or "0.5%", into a fraction
 * (0.0001 .. 0.5). */
bool run_limits_parse_precision(const char *text, double *fraction, char *err, size_t errlen);

/* --budget: "500ms", "90s", "10m", "1h" or "90" (seconds), into ns, within
 * [min_ns, max_ns] (tvp run: 1 ms to a week; tvp bench: 1 s to 24 h). The
 * error names the range with the command's own bounds. */
#define RUN_BUDGET_MIN_NS 1000000ull
#define RUN_BUDGET_MAX_NS (7 * 86400000000000ull)
bool run_limits_parse_budget(const char *text, uint64_t min_ns, uint64_t max_ns, uint64_t *ns,
			     char *err, size_t errlen);

/* The rounds from --repeat (0: not given), --min-repeat, --max-repeat (0:
 * not given) and --quick: --repeat N is exactly N (and combines with
 * neither); otherwise the defaults ADAPTIVE_MIN_ROUNDS / ADAPTIVE_MAX_ROUNDS
 * (--quick: RUN_LIMITS_QUICK_ROUNDS both), a maximum below a given minimum
 * rising to it. */
bool run_limits_resolve(unsigned repeat, unsigned min_given, unsigned max_given, bool quick,
			unsigned *min, unsigned *max, char *err, size_t errlen);

#endif
