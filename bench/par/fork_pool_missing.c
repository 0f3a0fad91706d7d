/* fork_pool_missing.c: stands in for fork_pool.c until the fork pool lands,
 * so that this branch links alone: a POOL_PROCESSES pool fails to start with
 * -ENOSYS and says why.
 *
 * The branch that adds fork_pool.c (which defines fork_pool_ops) deletes
 * this file in the same commit. If both are present the link fails with a
 * duplicate definition of fork_pool_ops, loudly, rather than one of them
 * silently winning (a weak symbol in a static library would not even pull
 * fork_pool.o in). */
#include "par/pool_backend.h"

#include <errno.h>
#include <stdio.h>

static int missing_start(struct pool *p, char *err, size_t errlen)
{
	snprintf(err, errlen, "process pools are not built into this tvp yet");
	return -ENOSYS;
}

/* Only start is ever called: pool_new gives up when it fails. */
const struct pool_backend_ops fork_pool_ops = {
	.start = missing_start,
};
