/* units.h: numbers as a reader reads them: times, sizes, counts, rates and
 * bandwidths in one style for the report, compare, export's Markdown, the
 * charts' titles and the run table ("44.12 ms", "4 MiB", "20M iterations",
 * "45.2 GB/s"). Machine-readable output (JSON, CSV, TSV) keeps raw numbers
 * and never goes through here.
 *
 * Conventions: sizes in memory are binary (KiB, MiB, GiB: what the workloads
 * allocate); rates are decimal (B/s, kB/s, MB/s, GB/s: bytes_per_s divided by
 * 1000s, as network and disk tools print them); counts are decimal with k, M,
 * G and exact when the number is a round multiple ("20M", "1048576").
 *
 * Every function writes a NUL-terminated string into buf (UNITS_LEN bytes are
 * always enough), returns buf (for printf arguments), and may be called from
 * several threads. */
#ifndef UNITS_H
#define UNITS_H

#include <stddef.h>

#define UNITS_LEN 48

/* A duration: "493 ns", "15.82 us", "44.12 ms", "1.234 s" (format_duration). */
const char *units_time(char *buf, size_t len, double ns);

/* A duration without trailing zeros, for a setting: "5 ms", "2.5 ms". */
const char *units_time_short(char *buf, size_t len, double ns);

/* A size in memory: "64 B", "4 KiB", "4 MiB", "139 KiB", "21.5 MiB". */
const char *units_bytes(char *buf, size_t len, double bytes);

/* A bandwidth from bytes per second: "157 MB/s", "45.2 GB/s". */
const char *units_rate(char *buf, size_t len, double bytes_per_s);

/* A count: "4096", "100k", "20M", "1.5M", "123k" (3 digits when not exact). */
const char *units_count(char *buf, size_t len, double n);

/* A ratio (a speedup, a relative time) with the digits that matter:
 * "1875", "2.05", "0.63", "0.00053". */
const char *units_ratio(char *buf, size_t len, double v);

/* A workload's size in its size_unit (a results cell's "size" and
 * "size_unit"): "20M iterations", "1 MiB", "5 ms", "100k increments";
 * "bytes" and "ns" become sizes and durations; "(ignored)" gives "-". */
const char *units_size(char *buf, size_t len, long long size, const char *size_unit);

/* An overhead figure in its JSON unit: "ns" a duration, "bytes" a size,
 * "bytes_per_s" (or "B/s") a rate; any other unit "%.4g UNIT". */
const char *units_value(char *buf, size_t len, double v, const char *unit);

/* A run's duration in seconds, rounded for people and JSON alike: 3
 * significant digits below 100 s, whole seconds above (12.3, 224). */
double units_round_seconds(double s);

#endif
