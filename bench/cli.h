/* cli.h: what every subcommand's option parsing shares: whole and real
 * numbers in a range, comma-separated lists, and the one-line usage errors.
 *
 * Every subcommand parses with getopt_long, through cli_next where it can
 * (so `--opt=value`, `--opt value` and `--` behave alike everywhere, and -h
 * is --help), and reports a bad command line in one `tvp:` line that says
 * what is accepted, with exit status 2 (cli_usage_error). */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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

/* A subcommand's option loop: getopt_long over argv from its start, with
 * "-h" and "--help" answered, and one error line for an unknown option, a
 * missing value or a value given to a flag. Long options use codes of 256
 * or more (below 128 they would read as short ones in the messages) and
 * list { "help", no_argument, NULL, CLI_OPT_HELP }. */
struct cli_parser {
	const char *cmd;                 /* "report", for messages */
	const char *accepted;            /* the options, for messages; NULL: "see --help" */
	const struct option *longopts;
	void (*usage)(FILE *f);          /* prints --help's text */
	bool started;                    /* false before the first cli_next */
	const char *shortopts;           /* getopt short options besides h ("o:f:"), or
					  * NULL; each returns its letter, so a long
					  * option that is its synonym uses the letter
					  * as its code */
};

enum { CLI_OPT_HELP = 255 };

/* The next option: its code (> 0, with optarg set as getopt_long sets it);
 * CLI_END when the options are over (the operands are argv[optind..argc),
 * "--" skipped); CLI_HELP after printing the usage to stdout (exit 0); or
 * CLI_BAD after printing "tvp: CMD: option '--x' needs a value", "option
 * '--x=v' takes no value" or "unknown option '--x'", then "; accepted:
 * ACCEPTED" (or " (see 'tvp CMD --help')"), to stderr (exit 2). Not
 * thread-safe (getopt's globals). */
enum { CLI_END = 0, CLI_HELP = -1, CLI_BAD = -2 };
int cli_next(struct cli_parser *p, int argc, char **argv);

/* What a parser returns for CLI_HELP (1: done) and CLI_BAD (2: the exit
 * status), so that `int rc = parse_options(...); if (rc) return rc == 1 ? 0
 * : rc;` ends the command. */
static inline int cli_stop(int c)
{
	return c == CLI_HELP ? 1 : 2;
}

#endif
