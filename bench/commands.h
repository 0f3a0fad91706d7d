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

#endif
