/* units.c: times, sizes, counts and rates as text (units.h). */
#include "bench/units.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "par/sys.h"

const char *units_time(char *buf, size_t len, double ns)
{
	format_duration(buf, len, ns);
	return buf;
}

/* "5.00 ms" -> "5 ms", "2.50 ms" -> "2.5 ms". */
static void trim_zeros(char *buf)
{
	char *dot = strchr(buf, '.'), *end;

	if (!dot)
		return;
	for (end = dot + 1; *end >= '0' && *end <= '9'; end++)
		;
	char *z = end;
	while (z > dot + 1 && z[-1] == '0')
		z--;
	if (z == dot + 1)
		z = dot;
	memmove(z, end, strlen(end) + 1);
}

const char *units_time_short(char *buf, size_t len, double ns)
{
	format_duration(buf, len, ns);
	trim_zeros(buf);
	return buf;
}

/* v scaled by step until under step, with the prefix it reached; three
 * significant digits, or the exact integer when v is a round multiple. */
static const char *scaled(char *buf, size_t len, double v, double step,
			  const char *const *prefix, size_t nprefix, const char *unit)
{
	size_t k = 0;
	double a = fabs(v);

	if (!isfinite(v)) {
		snprintf(buf, len, "%g%s%s", v, *unit ? " " : "", unit);
		return buf;
	}
	/* Round first, so that 999.7 k becomes 1.00 M and never "1e+03 k". */
	while (k + 1 < nprefix && a >= step * 0.9995)
		a /= step, v /= step, k++;
	if (v == floor(v) && a < 1e4)
		snprintf(buf, len, "%.0f", v);
	else
		snprintf(buf, len, "%.3g", v);
	snprintf(buf + strlen(buf), len - strlen(buf), "%s%s%s", *prefix[k] || *unit ? " " : "",
		 prefix[k], unit);
	return buf;
}

const char *units_bytes(char *buf, size_t len, double bytes)
{
	static const char *const p[] = { "B", "KiB", "MiB", "GiB", "TiB" };

	return scaled(buf, len, bytes, 1024, p, 5, "");
}

const char *units_rate(char *buf, size_t len, double bytes_per_s)
{
	static const char *const p[] = { "B", "kB", "MB", "GB", "TB" };

	scaled(buf, len, bytes_per_s, 1000, p, 5, "");
	snprintf(buf + strlen(buf), len - strlen(buf), "/s");
	return buf;
}

const char *units_count(char *buf, size_t len, double n)
{
	static const char *const p[] = { "", "k", "M", "G", "T" };
	double a = fabs(n);

	/* An exact count below a million that is no round thousand reads best
	 * whole (4096, 65536); round ones get their prefix (100k, 20M). */
	if (n == floor(n) && a < 1e6 && fmod(a, 1000) != 0) {
		snprintf(buf, len, "%.0f", n);
		return buf;
	}
	scaled(buf, len, n, 1000, p, 5, "");
	/* scaled() puts a space before a prefix; counts read "20M". */
	char *sp = strchr(buf, ' ');
	if (sp)
		memmove(sp, sp + 1, strlen(sp));
	return buf;
}

const char *units_ratio(char *buf, size_t len, double v)
{
	double a = fabs(v);

	snprintf(buf, len, a >= 100 ? "%.0f" : (a >= 0.1 || a == 0 ? "%.2f" : "%.2g"), v);
	return buf;
}

const char *units_size(char *buf, size_t len, long long size, const char *size_unit)
{
	char n[UNITS_LEN];

	if (!strcmp(size_unit, "bytes"))
		return units_bytes(buf, len, (double)size);
	if (!strcmp(size_unit, "ns"))
		return units_time_short(buf, len, (double)size);
	if (size_unit[0] == '(' || !size_unit[0]) {
		snprintf(buf, len, "-");
		return buf;
	}
	snprintf(buf, len, "%s %s", units_count(n, sizeof n, (double)size), size_unit);
	return buf;
}

const char *units_value(char *buf, size_t len, double v, const char *unit)
{
	if (!strcmp(unit, "ns"))
		return units_time(buf, len, v);
	if (!strcmp(unit, "bytes"))
		return units_bytes(buf, len, v);
	if (!strcmp(unit, "bytes_per_s") || !strcmp(unit, "B/s"))
		return units_rate(buf, len, v);
	snprintf(buf, len, "%.4g %s", v, unit);
	return buf;
}

double units_round_seconds(double s)
{
	if (!(s > 0) || !isfinite(s))
		return s;
	if (s >= 100)
		return round(s);
	double scale = pow(10, 2 - floor(log10(s)));
	return round(s * scale) / scale;
}
