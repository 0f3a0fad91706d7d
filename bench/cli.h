/* cli.h: what every subcommand's option parsing shares: whole and real
 * numbers in a range, comma-separated lists, and the one-line usage errors.
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

/* A real number in [min, max] as strtod reads it ("0.01", "1e-3"), the whole
 * text and nothing else; nan is refused. True and *out set, or false and
 * *out untouched. */
bool cli_parse_double(const char *text, double min, double max, double *out);

/* Splits a comma-separated list into malloc'd items (*items, *n; free with
 * cli_free_list). An empty list or an empty item ("a,,b", ",a") is refused:
 * false, with *items NULL and *n 0. */
bool cli_split_list(const char *text, char ***items, size_t *n);
void cli_free_list(char **items, size_t n);

/* Prints "tvp: " and the message (no newline needed) to stderr and returns
 * 2, for `return cli_usage_error(...)` from a command. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* After getopt_long (with an optstring that starts with ':') returned ':' (a
 * value is missing) or '?' (an unknown option, or a value given to an option
 * that takes none): prints one line, "tvp: CMD: option '--x' needs a value",
 * "option '--x=v' takes no value" or "unknown option '--x'", followed by
 * "; accepted: ACCEPTED" or, when accepted is NULL, " (see 'tvp CMD --help')",
 * and returns 2. Long options must have codes of 128 or more (the enum
 * { OPT_X = 256, ... } of every parser) for the second message. */
int cli_option_error(const char *cmd, const char *accepted, int c, char **argv);

#endif
