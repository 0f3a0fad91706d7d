/* pin_impl.h: what the placement files (pin.c, pin_plan.c) share. */
#ifndef PIN_IMPL_H
#define PIN_IMPL_H

#include <stdbool.h>

/* Reads one entry of list text ("4" or "4-7") at *s, advancing *s past it:
 * *lo and *hi (equal for a single number; hi < lo is left to the caller).
 * Numbers past INT_MAX saturate there (they name no object anyway). False
 * if a number is missing. */
bool pin_read_range(const char **s, unsigned *lo, unsigned *hi);

#endif
