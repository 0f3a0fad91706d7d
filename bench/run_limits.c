/* run_limits.c: the options of adaptive repetition (run_limits.h). */
#include "bench/run_limits.h"

#include <stdio.h>
#include <string.h>

#include "bench/adaptive.h"
#include "bench/cli.h"
#include "bench/util.h"

bool run_limits_parse_precision(const char *text, double *fraction, char *err, size_t errlen)
{
	char num[32];
	size_t n = strlen(text);

	if (n > 0 && n < sizeof num) {
		memcpy(num, text, n + 1);
		if (num[n - 1] == '%')
			num[n - 1] = '\0';
		if (cli_parse_double(num, 0.01, 50, fraction)) {
			*fraction /= 100;
			return true;
		}
	}
	snprintf(err, errlen, "--precision '%s' is not accepted; accepted: a percentage from 0.01%% to 50%%, like 3%% or 0.5",
		 text);
	return false;
}

/* "a week", "24h", "1s", "1ms": a bound of --budget as the error names it. */
static void name_bound(uint64_t ns, char *out, size_t len)
{
	if (ns == 7 * 86400000000000ull)
		snprintf(out, len, "a week");
	else if (ns % 3600000000000ull == 0)
		snprintf(out, len, "%lluh", (unsigned long long)(ns / 3600000000000ull));
	else if (ns % 60000000000ull == 0)
		snprintf(out, len, "%llum", (unsigned long long)(ns / 60000000000ull));
	else if (ns % 1000000000ull == 0)
		snprintf(out, len, "%llus", (unsigned long long)(ns / 1000000000ull));
	else
		snprintf(out, len, "%llums", (unsigned long long)(ns / 1000000ull));
}

bool run_limits_parse_budget(const char *text, uint64_t min_ns, uint64_t max_ns, uint64_t *ns,
			     char *err, size_t errlen)
{
	static const struct { const char *unit; double ns; } units[] = {
		{ "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "min", 60e9 }, { "h", 3600e9 }, { "", 1e9 },
	};
	char num[32], lo[32], hi[32];
	size_t n = strspn(text, "0123456789.");
	double v;

	if (n > 0 && n < sizeof num) {
		memcpy(num, text, n);
		num[n] = '\0';
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			if (strcmp(text + n, units[i].unit) != 0 || !cli_parse_double(num, 0, 1e12, &v))
				continue;
			v *= units[i].ns;
			if (v >= (double)min_ns && v <= (double)max_ns) {
				*ns = (uint64_t)v;
				return true;
			}
		}
	}
	name_bound(min_ns, lo, sizeof lo);
	name_bound(max_ns, hi, sizeof hi);
	snprintf(err, errlen, "--budget '%s' is not accepted; accepted: a duration from %s to %s, like %s90s, 10m, 1h (a bare number is seconds)",
		 text, lo, hi, min_ns < 1000000000ull ? "500ms, " : "");
	return false;
}

bool run_limits_resolve(unsigned repeat, unsigned min_given, unsigned max_given, bool quick,
			unsigned *min, unsigned *max, char *err, size_t errlen)
{
	if (repeat && (min_given || max_given)) {
		snprintf(err, errlen, "--repeat N means exactly N rounds; it does not combine with --min-repeat or --max-repeat");
		return false;
	}
	if (min_given && max_given && max_given < min_given) {
		snprintf(err, errlen, "--max-repeat %u is below --min-repeat %u; accepted: a maximum at least the minimum",
			 max_given, min_given);
		return false;
	}
	if (repeat) {
		*min = *max = repeat;
		return true;
	}
	*min = min_given ? min_given : quick ? RUN_LIMITS_QUICK_ROUNDS : ADAPTIVE_MIN_ROUNDS;
	*max = max_given ? max_given : quick ? RUN_LIMITS_QUICK_ROUNDS : ADAPTIVE_MAX_ROUNDS;
	if (*max < *min)   /* one of them was given: the other follows */
		*max = *min;
	return true;
}
