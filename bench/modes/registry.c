/* registry.c: every mode `tvp run --mode` knows; serial first, the baseline. */
#include "modes/mode.h"

#include <string.h>

extern const struct mode mode_serial;
extern const struct mode mode_thread_spawn;
extern const struct mode mode_thread_pool;
extern const struct mode mode_executor_thread;

const struct mode *const modes[] = {
	&mode_serial,
	&mode_thread_spawn,
	&mode_thread_pool,
	&mode_executor_thread,
};
const size_t modes_count = sizeof modes / sizeof modes[0];

const struct mode *mode_find(const char *name)
{
	for (size_t i = 0; i < modes_count; i++)
		if (strcmp(modes[i]->name, name) == 0)
			return modes[i];
	return NULL;
}
