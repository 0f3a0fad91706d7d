/* count.h: the counting loop, shared by the count workload and the drift
 * reference the run loop times beside every measurement. */
#ifndef COUNT_H
#define COUNT_H

#include <stdint.h>

/* Counts from 0 to n and returns n. Never inlined and never folded away:
 * every caller runs this one copy of the loop. */
uint64_t count_loop(uint64_t n);

#endif
