/* cli.c: numbers, lists and usage errors for every subcommand's options. */
#include "bench/cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "par/sys.h"

bool cli_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	/* strtoull alone would take " 7", "+7", "-7" (wrapped) and "0x7". */
	if (!text || !(*text >= '0' && *text <= '9'))
		return false;
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		return false;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool cli_parse_double(const char *text, double min, double max, double *out)
{
	char *end;
	double v;

	if (!text)
		return false;
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end || !(v >= min && v <= max))
		return false;
	*out = v;
	return true;
}

bool cli_split_list(const char *text, char ***items, size_t *n)
{
	char *copy, *save = NULL, *tok;
	size_t len = text ? strlen(text) : 0;

	*items = NULL;
	*n = 0;
	if (len == 0 || text[0] == ',' || text[len - 1] == ',' || strstr(text, ",,"))
		return false;
	copy = xstrdup(text);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		*items = xrealloc(*items, (*n + 1) * sizeof **items);
		(*items)[(*n)++] = xstrdup(tok);
	}
	free(copy);
	return true;
}

void cli_free_list(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tvp: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 2;
}

int cli_next(struct cli_parser *p, int argc, char **argv)
{
	char opt[3] = { '-', 0, '\0' }, shortopts[64];
	const char *name;
	bool is_long;
	int c;

	if (!p->started) {
		optind = 0;   /* glibc: reinitialise, so a parser can run twice */
		opterr = 0;
		p->started = true;
	}
	snprintf(shortopts, sizeof shortopts, ":h%s", p->shortopts ? p->shortopts : "");
	c = getopt_long(argc, argv, shortopts, p->longopts, NULL);
	if (c == -1)
		return CLI_END;
	if (c == 'h' || c == CLI_OPT_HELP) {
		p->usage(stdout);
		return CLI_HELP;
	}
	if (c != ':' && c != '?')
		return c;
	/* A long option names itself only in argv; a short one in optopt. */
	opt[1] = (char)optopt;
	is_long = optind > 0 && optind <= argc && !strncmp(argv[optind - 1], "--", 2);
	name = is_long ? argv[optind - 1] : opt;
	fprintf(stderr, "tvp: %s: ", p->cmd);
	if (c == ':')
		fprintf(stderr, "option '%s' needs a value", name);
	else if (is_long && optopt != 0)   /* a known long option: it was given a value */
		fprintf(stderr, "option '%s' takes no value", name);
	else
		fprintf(stderr, "unknown option '%s'", name);
	if (p->accepted)
		fprintf(stderr, "; accepted: %s\n", p->accepted);
	else
		fprintf(stderr, " (see 'tvp %s --help')\n", p->cmd);
	return CLI_BAD;
}
