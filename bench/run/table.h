/* table.h: the terminal output of `tvp run`, from the cells' summaries. */
#ifndef RUN_TABLE_H
#define RUN_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "bench/run/summary.h"
#include "bench/warnings.h"

/* The table of C cells, then (when there are any) the table of Python
 * cells. */
void table_print(FILE *f, const struct cell_summary *sums, size_t n);

/* The run's warnings, one line each; then the cells' warnings as one line
 * per cause with how many cells it touches (verbose: every cell's warning,
 * one line each; a warning of no known cause is always printed whole); and
 * every failed C cell's error. */
void table_print_warnings(FILE *f, const struct warnings *run, const struct cell_summary *sums,
			  size_t n, bool verbose);

/* The closing summary: every paired cell's speedup and efficiency with its
 * interval, then threads against processes of the same family at the same
 * workers and placement, as a ratio with its interval and the verdict
 * (paired_describe). Nothing when no cell was paired. */
void table_print_summary(FILE *f, const struct cell_summary *sums, size_t n);

#endif
