/* main.c: `tvp`, the entry point: picks a subcommand and returns its exit
 * status. Every subcommand lives in its own file (commands.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gitrev.h"
#include "bench/commands.h"
#include "bench/util.h"

struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "run", cmd_run, "run workloads under modes and write the measurements as JSON" },
	{ "overhead", cmd_overhead, "what a thread and a process cost: creation, wake-up, IPC, memory" },
	{ "report", cmd_report, "the summary of a results file: machine, best modes, warnings, findings" },
	{ "compare", cmd_compare, "two results files cell by cell, with a significance test" },
	{ "export", cmd_export, "a results or overhead file as a CSV, TSV or Markdown table" },
	{ "topo", cmd_topo, "show the machine (hwloc) and where --pin would place workers" },
	{ "lesson", cmd_lesson, "classroom lessons: each concept as a short program that narrates" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp COMMAND [OPTIONS]\n"
		   "       tvp --help | --version\n\n"
		   "tvp measures when to use threads and when processes on this machine.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'tvp COMMAND --help' describes each command.\n");
}

/* What tvp printed must have reached stdout: a help text or a lesson sent
 * to a full disk or a closed pipe is a failure (exit 1), not a success. */
static int finish(int status)
{
	int e;

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return status;
	e = errno;
	fprintf(stderr, "tvp: cannot write to stdout: %s\n", e ? strerror(e) : "a write failed");
	return status ? status : 1;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return finish(0);
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("tvp %s (%s)\n", TVP_VERSION, TVP_GIT_REV);
		return finish(0);
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return finish(commands[i].main(argc - 1, argv + 1));
	fprintf(stderr, "tvp: unknown command '%s'; accepted: ", argv[1]);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(stderr, "%s%s", i ? ", " : "", commands[i].name);
	fprintf(stderr, " (see 'tvp --help')\n");
	return 2;
}
