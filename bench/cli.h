/* cli.h: what every subcommand's option parsing shares: whole numbers in a
 * range, comma-separated lists, and the one-line usage error.
 *
 * Every subcommand parses with getopt_long (so `--opt=value`, `--opt value`
 * and `--` behave alike everywhere) and reports a bad command line through
 * cli_usage_error, which prints one `tvp:` line and returns 2, the exit
 * status of a usage error. */
#ifndef CLI_H
#define CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A whole decimal number in [min, max]: digits only (no sign, no space, no
 * 0x), no overflow. True and *out set, or false and *out untouched. */
bool cli_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* Splits a comma-separated list into malloc'd items (*items, *n; free with
 * cli_free_list). An empty list or an empty item ("a,,b", ",a") is refused:
 * false, with *items NULL and *n 0. */
bool cli_split_list(const char *text, char ***items, size_t *n);
void cli_free_list(char **items, size_t n);

/* Prints "tvp: " and the message (no newline needed) to stderr and returns
 * 2, for `return cli_usage_error(...)` from a command. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
