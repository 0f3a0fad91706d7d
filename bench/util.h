/* util.h: the driver's helpers: everything in the runtime's par/sys.h
 * (allocation, clock, full I/O), plus the interrupt flag set by SIGINT and
 * SIGTERM. */
#ifndef UTIL_H
#define UTIL_H

#include <signal.h>
#include <stdbool.h>

#include "par/sys.h"

/* Set by the SIGINT/SIGTERM handler (util_catch_interrupts); read it between
 * measurements and between tasks. The signal number, or 0. */
extern volatile sig_atomic_t tvp_interrupted;

/* Installs handlers for SIGINT and SIGTERM that set tvp_interrupted. A second
 * signal of the same kind restores the default action, so a stuck run can
 * still be killed. Call from main, before any thread exists. */
void util_catch_interrupts(void);

#endif
