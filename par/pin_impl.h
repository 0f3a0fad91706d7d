/* pin_impl.h: what the placement files (pin.c, pin_plan.c) share. */
#ifndef PIN_IMPL_H
#define PIN_IMPL_H

#include <stdbool.h>

/* Reads a decimal number at *s (digits only), advancing *s. Values past
 * INT_MAX saturate there (they name no object anyway). False if no digit. */
bool pin_read_index(const char **s, unsigned *out);

#endif
