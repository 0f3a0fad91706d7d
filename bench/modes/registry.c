/* registry.c: every mode `tvp run --mode` knows; serial first, the baseline. */
#include "modes/mode.h"

#include <string.h>

extern const struct mode mode_serial;

const struct mode *const modes[] = {
	&mode_serial,
};
const size_t modes_count = sizeof modes / sizeof modes[0];

const struct mode *mode_find(const char *name)
{
	for (size_t i = 0; i < modes_count; i++)
		if (strcmp(modes[i]->name, name) == 0)
			return modes[i];
	return NULL;
}
