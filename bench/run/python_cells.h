/* python_cells.h: `tvp run --python`: the same experiment in CPython. */
#ifndef RUN_PYTHON_CELLS_H
#define RUN_PYTHON_CELLS_H

#include <stdbool.h>

#include "bench/run/cells.h"
#include "bench/run_options.h"
#include "bench/warnings.h"

/* Adds and measures, repeat times each, the Python cells of every spec's
 * instance whose workload has a Python script
 * (workload.python_size_divisor): the serial baseline, then every mode the
 * spec selected that has a Python counterpart (mode.python), at every
 * worker count of the spec, and for a mode that takes a start method
 * (MODE_START) once per --start value (cell.has_start and cell.start set).
 * A cell that fails is reported on stderr at once and sets *failed. A
 * machine without python3 gets a run warning and no Python cells. Returns
 * 0, or -EINTR when interrupted. */
int python_cells_run(struct cell_matrix *m, unsigned repeat, struct warnings *warnings,
		     bool *failed);

#endif
