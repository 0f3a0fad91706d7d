/* python_cells.h: `tvp run --python`: the same experiment in CPython. */
#ifndef RUN_PYTHON_CELLS_H
#define RUN_PYTHON_CELLS_H

#include <stdbool.h>

#include "bench/run/cells.h"
#include "bench/run_options.h"
#include "bench/warnings.h"

/* The run's journal (bench/run/resume.h), as python_cells_run sees it:
 * replay fills a new cell from the journal (true: nothing to run); record
 * journals a cell just measured. */
struct python_cells_journal {
	bool (*replay)(void *ctx, struct cell *c);
	void (*record)(void *ctx, const struct cell *c);
	void *ctx;
};

/* Adds and measures, repeat times each, the Python cells of every spec's
 * instance whose workload has a Python script
 * (workload.python_size_divisor): the serial baseline, then every mode the
 * spec selected that has a Python counterpart (mode.python), at every
 * worker count of the spec, and for a mode that takes a start method
 * (MODE_START) once per --start value (cell.has_start and cell.start set).
 * A cell that fails is reported on stderr at once and sets *failed. A
 * machine without python3 gets a run warning and no Python cells. Each cell
 * is replayed from j, or measured and recorded (j NULL: no journal).
 * Returns 0, or -EINTR when interrupted. */
int python_cells_run(struct cell_matrix *m, unsigned repeat, struct warnings *warnings,
		     bool *failed, const struct python_cells_journal *j);

#endif
