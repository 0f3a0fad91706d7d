/* stall.h: the watchdog of a pool mode's wait. A worker process that was
 * stopped (SIGSTOP, SIGTSTP: state T in /proc) stalls a measurement
 * silently until someone sends SIGCONT. Once the measurement has run past
 * its bound (mode_run.stall_ns, which the run loop derives from the cell's
 * earlier samples with a generous floor), a worker seen stopped at two
 * looks a second apart is reported, so the mode can fail the measurement
 * naming it. A worker that runs or sleeps, however slowly, is never
 * reported, nor one stopped by a debugger (state t). */
#ifndef MODES_STALL_H
#define MODES_STALL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct stall {
	uint64_t start_ns;        /* when the wait began (now_ns) */
	uint64_t bound_ns;        /* 0: no watchdog */
	uint64_t next_look_ns;    /* looks are a second apart */
	pid_t suspect;            /* seen stopped at the last look; 0: none */
};

/* Starts watching a wait that begins now, with bound_ns (0: never reports). */
void stall_start(struct stall *s, uint64_t bound_ns);

/* Called between slices of the wait. Returns the pid of a process of this
 * run (a child, or a child's child: a fork server's workers) that was
 * stopped at this look and at the previous one, or 0. Reads /proc at most
 * once a second, and only past the bound. */
pid_t stall_check(struct stall *s);

/* Whether process pid is stopped (state T) now. */
bool stall_stopped(pid_t pid);

#endif
