/* lesson_cmd.c: `tvp lesson`: lists the classroom lessons (demos/) or runs
 * one, or all of them in teaching order. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/commands.h"
#include "demos/lesson.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp lesson [NAME | all] [--quick]\n\n"
		   "Runs a classroom lesson: a short C program that narrates what it\n"
		   "does with threads or processes, and measures it on the spot.\n"
		   "Without NAME, lists the lessons. Each lesson's source is\n"
		   "demos/NAME.c, written to be read in five minutes.\n\n"
		   "  -q, --quick    small sizes (seconds become fractions of one)\n"
		   "  -h, --help     this text\n\n"
		   "Colour is used when stdout is a terminal and NO_COLOR is unset.\n");
}

static void list(FILE *f)
{
	for (unsigned i = 0; i < lessons_count; i++)
		fprintf(f, "  %-10s %s\n", lessons[i]->name, lessons[i]->summary);
	fprintf(f, "\nrun one: tvp lesson NAME   all in order: tvp lesson all\n");
}

static void bad_name(const char *name)
{
	fprintf(stderr, "tvp: lesson: unknown lesson '%s'; accepted: ", name);
	for (unsigned i = 0; i < lessons_count; i++)
		fprintf(stderr, "%s, ", lessons[i]->name);
	fprintf(stderr, "all\n");
}

/* Returns 0 to go on (*name NULL: list the lessons), 1 when done (--help),
 * or 2 after a message. */
static int parse_options(struct lesson_ctx *ctx, const char **name, int argc, char **argv)
{
	enum { OPT_QUICK = 'q' };
	static const struct option longopts[] = {
		{ "quick", no_argument, NULL, OPT_QUICK },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_parser p = { "lesson", "-q/--quick, -h/--help", longopts, usage, false, "q" };
	int c;

	while ((c = cli_next(&p, argc, argv)) > 0) {
		switch (c) {
		case OPT_QUICK:
			ctx->quick = true;
			break;
		}
	}
	if (c < 0)
		return cli_stop(c);
	for (int i = optind; i < argc; i++) {
		if (*name)
			return cli_usage_error("lesson: one lesson at a time ('%s' and '%s'); use 'all' "
					       "for every lesson", *name, argv[i]);
		*name = argv[i];
	}
	return 0;
}

int cmd_lesson(int argc, char **argv)
{
	struct lesson_ctx ctx = { .out = stdout };
	const char *name = NULL, *no_color = getenv("NO_COLOR");
	int failed = 0, rc;

	rc = parse_options(&ctx, &name, argc, argv);
	if (rc != 0)
		return rc == 1 ? 0 : rc;
	/* NO_COLOR: https://no-color.org, any value, even empty, turns it off. */
	ctx.color = isatty(STDOUT_FILENO) && no_color == NULL;

	if (!name) {
		list(stdout);
		return 0;
	}
	if (strcmp(name, "all") == 0) {
		for (unsigned i = 0; i < lessons_count; i++)
			if (lessons[i]->run(&ctx) != 0) {
				fprintf(stderr, "tvp: lesson %s failed\n", lessons[i]->name);
				failed++;
			}
		return failed ? 1 : 0;
	}
	const struct lesson *l = lesson_find(name);
	if (!l) {
		bad_name(name);
		return 2;
	}
	if (l->run(&ctx) != 0) {
		fprintf(stderr, "tvp: lesson %s failed\n", l->name);
		return 1;
	}
	return 0;
}
