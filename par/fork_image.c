/* fork_image.c: a fork pool worker that is a fresh image of the program
 * (the spawn and forkserver start methods): the start-up bytes the parent
 * sends, and the spawn role "pool" that reads them and becomes a worker.
 *
 * DESIGN
 * A fresh image shares no memory with the parent, so what a forked worker
 * finds in its copy of struct fork_child travels as bytes: a header (the
 * registry digest, the parent's pid, the channel kind, the spin window, the
 * scoreboard's size, the initializer's registry id), the initializer's
 * argument (pool_options.initarg_len bytes, copied), and last a struct
 * fork_image_slot: the worker's number and its place as CPU list text. The
 * worker binds itself from that text with sched_setaffinity
 * (pin_bind_process_cpus) instead of loading an hwloc topology of its own,
 * which would cost more than the rest of its start: the parent made the
 * plan, the worker only applies it. Its descriptors are the scoreboard's
 * memfd, then its channel's. It checks the registry digest first, and every
 * way it can fail to start is an exit code of enum fork_exit that the
 * parent names when the warm-up task fails (pool_new then fails with it).
 */
#include "par/fork_pool_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "par/fork_wire.h"
#include "par/spawn.h"
#include "par/sys.h"
#include "par/task_registry.h"

#define IMAGE_MAGIC 0x74767069u   /* "tvpi" */

struct image_head {
	uint32_t magic;
	uint32_t kind;                /* enum channel_kind */
	uint64_t digest;              /* task_registry_digest() in the parent */
	uint64_t spin_ns;
	uint64_t board_bytes;
	uint64_t init_id;             /* the initializer's registry id, or 0 */
	uint64_t initarg_len;         /* bytes that follow this header */
	int32_t parent_pid;
	uint32_t n_workers;
};

int fork_image_template(struct fpool *fp, char *err, size_t errlen)
{
	const struct pool_options *opt = &pool_base(fp->p)->opt;
	const char *how = pool_start_name(fp->start);
	const char *clash = task_registry_conflict();
	struct image_head h;

	memset(&h, 0, sizeof h);
	if (clash) {
		snprintf(err, errlen, "two functions are registered as %s (TASK_REGISTER); a %s "
			 "pool runs tasks by name, so names must be unique", clash, how);
		return -EEXIST;
	}
	if (opt->initializer) {
		h.init_id = task_registry_id((task_any_fn)opt->initializer);
		if (!h.init_id) {
			snprintf(err, errlen, "the initializer is not registered (TASK_REGISTER); a %s "
				 "pool runs it by name", how);
			return -ENOENT;
		}
	}
	if ((opt->initarg != NULL) != (opt->initarg_len != 0)) {
		snprintf(err, errlen, "a %s pool copies initarg_len bytes of initarg to each "
			 "worker: give both or neither", how);
		return -EINVAL;
	}
	h.magic = IMAGE_MAGIC;
	h.kind = (uint32_t)fp->child.kind;
	h.digest = task_registry_digest();
	h.spin_ns = fp->child.spin_ns;
	h.board_bytes = fp->board_bytes;
	h.initarg_len = opt->initarg_len;
	h.parent_pid = (int32_t)fp->child.parent_pid;
	h.n_workers = fp->n;
	fp->tmpl_len = sizeof h + opt->initarg_len;
	fp->tmpl = xmalloc(fp->tmpl_len);
	memcpy(fp->tmpl, &h, sizeof h);
	if (opt->initarg_len)
		memcpy(fp->tmpl + sizeof h, opt->initarg, opt->initarg_len);
	return 0;
}

void fork_image_slot(const struct fpool *fp, unsigned id, struct fork_image_slot *out)
{
	const struct pin_plan *plan = fp->child.pin;

	memset(out, 0, sizeof *out);
	out->id = id;
	out->pin_mode = -1;
	if (!plan || pin_plan_is_none(plan))
		return;
	if (!pin_topology_is_this_system()) {
		out->pin_mode = 0;      /* as pin_bind_process: nothing to bind to */
		out->pin_errno = ENOSYS;
		return;
	}
	out->pin_mode = 1;
	pin_plan_cpuset_text(plan, id, out->cpus, sizeof out->cpus);
}

/* The spawn role "pool": init is the template and this worker's slot; fds
 * the scoreboard, then the channel. */
__attribute__((noreturn)) static void image_role(const void *init, size_t len, const int *fds,
						 unsigned nfds)
{
	static struct fork_image_slot slot;
	struct image_head h;
	struct fork_child c;
	int own[CHANNEL_MAX_FDS];

	if (len < sizeof h + sizeof slot || nfds < 2 || nfds - 1 > CHANNEL_MAX_FDS)
		_exit(FORK_EXIT_BAD_INIT);
	memcpy(&h, init, sizeof h);
	memcpy(&slot, (const unsigned char *)init + len - sizeof slot, sizeof slot);
	slot.cpus[sizeof slot.cpus - 1] = '\0';
	if (h.magic != IMAGE_MAGIC || h.initarg_len != len - sizeof h - sizeof slot ||
	    slot.id >= h.n_workers ||
	    h.board_bytes != sizeof(struct board) + h.n_workers * sizeof(struct board_slot))
		_exit(FORK_EXIT_BAD_INIT);
	if (h.digest != task_registry_digest())
		_exit(FORK_EXIT_REGISTRY);
	memset(&c, 0, sizeof c);
	if (h.init_id) {
		c.initializer = (void (*)(void *))task_registry_by_id(h.init_id);
		if (!c.initializer)
			_exit(FORK_EXIT_REGISTRY);
	}
	if (h.initarg_len) {
		/* Its own buffer: malloc's alignment, whatever the header's size. */
		c.initarg = xmalloc((size_t)h.initarg_len);
		memcpy(c.initarg, (const unsigned char *)init + sizeof h, (size_t)h.initarg_len);
	}
	c.board = mmap(NULL, (size_t)h.board_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (c.board == MAP_FAILED)
		_exit(FORK_EXIT_NO_BOARD);
	close(fds[0]);
	c.id = slot.id;
	c.parent_pid = (pid_t)h.parent_pid;
	c.kind = (enum channel_kind)h.kind;
	c.spin_ns = h.spin_ns;
	c.by_name = true;
	c.pin_mode = slot.pin_mode;
	c.pin_errno = slot.pin_errno;
	c.pin_cpus = slot.cpus;
	memcpy(own, fds + 1, (nfds - 1) * sizeof *own);
	fork_child_main(&c, own, nfds - 1);
}

SPAWN_ROLE("pool", image_role)
