/* omp_team.h: ending libgomp's thread team, so that tvp is left with one
 * thread (its fork pools refuse to fork otherwise). Defined in
 * bench/modes/omp.c; only in a build with OpenMP (TVP_HAVE_OMP). */
#ifndef OMP_TEAM_H
#define OMP_TEAM_H

/* Releases the OpenMP team (omp_pause_resource_all(omp_pause_hard)) and
 * waits, at most 2 s, until this process counts one thread again. Returns 0,
 * or -EBUSY if a thread remains (and says so on stderr). Call from the
 * initial thread, outside any parallel region. */
int omp_team_release(void);

#endif
