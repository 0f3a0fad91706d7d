/* commands.h: the subcommands of `tvp`, each an entry point with main's
 * signature. Each returns the process exit status: 0 success, 1 a runtime
 * failure, 2 a bad command line, 128 + the signal when interrupted (130). */
#ifndef COMMANDS_H
#define COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_overhead(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_topo(int argc, char **argv);
int cmd_lesson(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/* Before hwloc loads the topology (bench/topo.c): HWLOC_XMLFILE, when set,
 * must name a regular file of at most 64 MiB (hwloc reads it whole, so
 * /dev/zero or a FIFO would grow tvp without bound or block it). Returns 0,
 * or -EINVAL with a one-line "HWLOC_XMLFILE=...: why; accepted: ..." in err
 * (exit 2). */
int topo_check_env(char *err, size_t errlen);

#endif
