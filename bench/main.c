/* main.c: `tvp`, the entry point: picks a subcommand and returns its exit
 * status. Every subcommand lives in its own file (commands.h); `tvp help
 * CMD` is `tvp CMD --help`, `tvp version` is `tvp --version`. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitrev.h"
#include "bench/cli.h"
#include "bench/commands.h"
#include "bench/paths.h"
#include "bench/util.h"
#include "par/pin.h"
#include "par/spawn.h"

struct command {
	const char *name;
	int (*main)(int argc, char **argv);
	const char *summary;
	bool topology;     /* measures: the topology is loaded first */
};

static const struct command commands[] = {
	{ "run", cmd_run, "run workloads under modes and write the measurements as JSON", true },
	{ "bench", cmd_bench, "the default suite, planned from this machine within a budget, in one run", true },
	{ "overhead", cmd_overhead, "what a thread and a process cost: creation, wake-up, IPC, memory", true },
	{ "report", cmd_report, "the summary of a results file: machine, best modes, warnings, findings", false },
	{ "compare", cmd_compare, "two results files cell by cell, with a significance test", false },
	{ "export", cmd_export, "a results or overhead file as a CSV, TSV or Markdown table", false },
	{ "plot", cmd_plot, "the charts of a results file (and an overhead file) as PNG and SVG", false },
	{ "topo", cmd_topo, "show the machine (hwloc) and where --pin would place workers", false },
	{ "lesson", cmd_lesson, "classroom lessons: each concept as a short program that narrates", false },
};

static void usage(FILE *f)
{
	char *dir = paths_results_dir();

	fprintf(f, "usage: tvp COMMAND [OPTIONS]\n"
		   "       tvp help [COMMAND] | tvp version\n\n"
		   "tvp measures when to use threads and when processes on this machine.\n\n"
		   "commands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "  %-10s %s\n  %-10s %s\n", "help", "this text, or a command's ('tvp help run')",
		"version", "tvp's version and git revision");
	fprintf(f, "\n'tvp help COMMAND' or 'tvp COMMAND --help' describes each command.\n\n"
		   "Results go to results/ in a tvp source tree, else to\n"
		   "$XDG_DATA_HOME/tvp/results (~/.local/share/tvp/results); here: %s.\n"
		   "report, compare, export and plot read latest.json there when given no file.\n"
		   "'man tvp' has the whole manual.\n", dir);
	free(dir);
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (strcmp(name, commands[i].name) == 0)
			return &commands[i];
	return NULL;
}

static int unknown(const char *name)
{
	fprintf(stderr, "tvp: unknown command '%s'; accepted: ", name);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fprintf(stderr, "%s, ", commands[i].name);
	fprintf(stderr, "help, version (see 'tvp --help')\n");
	return 2;
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

/* The topology is loaded here, once, before the command reads its options
 * (--workers auto counts PUs) and before any worker exists: the one place
 * the machine is read for placement (par/pin.h). */
static int run_command(const struct command *c, int argc, char **argv)
{
	char err[512];

	if (c->topology && topo_check_env(err, sizeof err) != 0) {
		fprintf(stderr, "tvp: %s: %s\n", c->name, err);
		return 2;
	}
	if (c->topology && pin_topology_load(err, sizeof err) != 0) {
		fprintf(stderr, "tvp: %s: hwloc: %s\n", c->name, err);
		return 1;
	}
	return c->main(argc, argv);
}

int main(int argc, char **argv)
{
	const struct command *cmd;

	/* Before the spawned worker's entry: every tvp process allocates the
	 * same way (bench/run/measure.c: the heap between measurements). */
	util_heap_fixed_thresholds();
	spawn_worker_entry(argc, argv);   /* a spawned worker never returns (par/spawn.h) */
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    (strcmp(argv[1], "help") == 0 && argc == 2)) {
		usage(stdout);
		return finish(0);
	}
	if (strcmp(argv[1], "help") == 0) {
		char help[] = "--help", *args[] = { argv[2], help, NULL };
		if (argc > 3)
			return cli_usage_error("help: one command at a time; usage: tvp help [COMMAND]");
		if (!(cmd = find(argv[2])))
			return unknown(argv[2]);
		return finish(run_command(cmd, 2, args));
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
	    strcmp(argv[1], "version") == 0) {
		if (argc > 2)
			return cli_usage_error("version: unexpected argument '%s'; usage: tvp version",
					       argv[2]);
		printf("tvp %s (%s)\n", TVP_VERSION, TVP_GIT_REV);
		return finish(0);
	}
	if (!(cmd = find(argv[1])))
		return unknown(argv[1]);
	return finish(run_command(cmd, argc - 1, argv + 1));
}
