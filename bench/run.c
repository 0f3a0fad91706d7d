/* run.c: `tvp run` (being written: the spine lands in the next commits). */
#include <stdio.h>

#include "commands.h"

int cmd_run(int argc, char **argv)
{
	fprintf(stderr, "tvp: run: not built yet\n");
	return 1;
}
