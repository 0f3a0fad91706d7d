/* table.h: the terminal output of `tvp run`, from the cells' summaries. */
#ifndef RUN_TABLE_H
#define RUN_TABLE_H

#include <stddef.h>
#include <stdio.h>

#include "bench/run/summary.h"
#include "bench/warnings.h"

/* The table of C cells, then (when there are any) the table of Python
 * cells. */
void table_print(FILE *f, const struct cell_summary *sums, size_t n);

/* The run's warnings, every cell's warnings, and every failed C cell's
 * error, one line each. */
void table_print_warnings(FILE *f, const struct warnings *run, const struct cell_summary *sums,
			  size_t n);

#endif
