/* start_method.c: the names of the start methods (see start_method.h). */
#include "par/start_method.h"

#include <errno.h>
#include <string.h>

#include "par/sys.h"

static const char *const names[POOL_START_COUNT] = {
	[POOL_START_FORK] = "fork",
	[POOL_START_SPAWN] = "spawn",
	[POOL_START_FORKSERVER] = "forkserver",
};

const char *pool_start_name(enum pool_start s)
{
	return (unsigned)s < ARRAY_SIZE(names) ? names[s] : "unknown";
}

int pool_start_parse(const char *name, enum pool_start *out)
{
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum pool_start)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool pool_start_by_name(enum pool_start s)
{
	return s == POOL_START_SPAWN || s == POOL_START_FORKSERVER;
}
