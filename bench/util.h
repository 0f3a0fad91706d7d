/* util.h: the driver's helpers: everything in the runtime's par/sys.h
 * (allocation, clock, full I/O), plus the interrupt flag set by SIGINT,
 * SIGTERM, SIGHUP and every other signal that would end a run. */
#ifndef UTIL_H
#define UTIL_H

#include <signal.h>
#include <stdbool.h>

#include "par/sys.h"

/* Set by the interrupt handler (util_catch_interrupts); read it between
 * measurements and between tasks. The signal number, or 0. */
extern volatile sig_atomic_t tvp_interrupted;

/* Installs handlers that set tvp_interrupted for every catchable signal
 * that would end the run: SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2,
 * SIGXCPU, SIGXFSZ (so a hang-up or a file size limit ends it like Ctrl-C:
 * partial results written, temporary files removed); ignores SIGPIPE (a
 * write to a closed pipe fails with EPIPE instead). A second signal of the
 * same kind restores the default action, so a stuck run can still be killed.
 * Call from main, before any thread exists. */
void util_catch_interrupts(void);

/* Fixes glibc malloc's mmap and trim thresholds at their documented
 * defaults (128 KiB), which it otherwise raises as large blocks are freed:
 * a block of 128 KiB or more is then mapped for itself and unmapped when
 * freed, so freed results do not stay resident for later forks to copy
 * (DESIGN of bench/run/measure.c). Call first thing in main. */
void util_heap_fixed_thresholds(void);

/* The conventional exit status of an interrupted run: 128 + the signal
 * (130 for SIGINT, also when tvp_interrupted is 0). */
int util_interrupt_status(void);

/* The name of the signal that interrupted the run ("SIGHUP"; "SIGINT" when
 * none did), for the "interrupted" message. */
const char *util_interrupt_name(void);

#endif
