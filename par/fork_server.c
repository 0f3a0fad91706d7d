/* fork_server.c: starting fork pool workers by start method: forked by the
 * parent itself, forked by a fork server, or spawned as a fresh image.
 *
 * DESIGN
 * A process with several threads must not fork() (the child gets a copy of
 * every lock some other thread was holding, and no thread to release it),
 * yet a pool must start replacement workers long after the program may have
 * started threads. How each start method copes:
 *
 *   fork        fp_start refuses a parent with threads. It forks a fork
 *               server (par/forkserver.h) first: a single-threaded copy of
 *               the parent as it was then. A worker is forked by the parent
 *               itself, with glibc's fork(), whenever the parent still has
 *               one thread (the first N always; replacements in tvp run,
 *               whose loop never starts threads beside a fork pool); once
 *               the parent has started threads, a replacement comes from
 *               the server, a copy of the same memory. Workers inherit
 *               memory as it was at pool_new, which is what task.h promises.
 *   forkserver  the server is spawned (a fresh image, safe from a parent
 *               with threads) and forks every worker, CPython's design:
 *               workers are copies of a fresh image, so tasks travel by
 *               name (fork_image.c).
 *   spawn       every worker is spawned (par/spawn.h), role "pool".
 *
 * A fork server forks with glibc's fork(), so a robust mutex a worker dies
 * holding is recovered whichever way the worker came (the raw
 * clone(CLONE_PARENT) this file used to make replacements with left the
 * child's robust-mutex list unregistered, and such a mutex hung the next
 * locker). A worker forked by a server is the server's child: the parent
 * polls and signals it through the pidfd the server relays, and takes its
 * exit status from forkserver_wait (fork_server_reap), before the server
 * is stopped. The scoreboard is a memfd mapped MAP_SHARED, so a fresh
 * image maps the same pages from the descriptor it gets first (then its
 * channel's). Every failure names the call that failed.
 */
#include "par/fork_pool_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "par/fork_wire.h"
#include "par/proc.h"
#include "par/spawn.h"
#include "par/sys.h"

/* A replacement forked by the fork method's server: ctx is the template
 * (the server's copy of fp->child), req the worker's number. */
__attribute__((noreturn)) static void server_child(void *ctx, const void *req, size_t len,
						   const int *fds, unsigned nfds)
{
	struct fork_child mine = *(const struct fork_child *)ctx;
	uint32_t id;
	int own[CHANNEL_MAX_FDS];

	if (len != sizeof id || nfds > CHANNEL_MAX_FDS)
		_exit(FORK_EXIT_BAD_INIT);
	memcpy(&id, req, sizeof id);
	memcpy(own, fds, nfds * sizeof *own);
	mine.id = id;
	fork_child_main(&mine, own, nfds);
}

static int map_board(struct fpool *fp, char *err, size_t errlen)
{
	int rc;

	fp->board_bytes = sizeof(struct board) + fp->n * sizeof(struct board_slot);
	fp->board_fd = memfd_create("tvp-board", MFD_CLOEXEC);
	if (fp->board_fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "memfd_create of the scoreboard: %s", strerror(-rc));
		return rc;
	}
	if (ftruncate(fp->board_fd, (off_t)fp->board_bytes) < 0) {
		rc = -errno;
		snprintf(err, errlen, "ftruncate of the scoreboard: %s", strerror(-rc));
		return rc;
	}
	fp->board = mmap(NULL, fp->board_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fp->board_fd, 0);
	if (fp->board == MAP_FAILED) {
		fp->board = NULL;
		rc = -errno;
		snprintf(err, errlen, "mmap of the scoreboard: %s", strerror(-rc));
		return rc;
	}
	fp->child.board = fp->board;
	return 0;
}

int fork_server_start(struct fpool *fp, char *err, size_t errlen)
{
	char label[64];
	int threads = fp->start == POOL_START_FORK ?
		      proc_threads_settle(PROC_FORK_SAFE_THREADS, PROC_SETTLE_NS) : 0;
	int rc;

	if (threads > PROC_FORK_SAFE_THREADS) {
		snprintf(err, errlen, "fork start method: this process has %d threads; a forked "
			 "worker would inherit locks they hold; use spawn or forkserver", threads);
		return -EBUSY;
	}
	rc = map_board(fp, err, errlen);
	if (rc < 0)
		return rc;
	if (fp->start != POOL_START_FORK) {
		rc = fork_image_template(fp, err, errlen);
		if (rc < 0)
			return rc;
	}
	switch (fp->start) {
	case POOL_START_FORK:
		rc = forkserver_start(&fp->fs, server_child, &fp->child, err, errlen);
		break;
	case POOL_START_FORKSERVER:
		snprintf(label, sizeof label, "fork server of pool %d", (int)getpid());
		rc = forkserver_spawn(&fp->fs, "pool", fp->tmpl, fp->tmpl_len, label, err, errlen);
		break;
	case POOL_START_SPAWN:
		break;
	}
	return rc;
}

void fork_server_stop(struct fpool *fp)
{
	forkserver_stop(fp->fs);
	fp->fs = NULL;
}

int fork_server_reap(struct fpool *fp, pid_t pid, int pidfd, bool served)
{
	int status;

	if (!served)
		return proc_pidfd_reap(pidfd);
	return fp->fs && forkserver_wait(fp->fs, pid, &status) == 0 ? status : -1;
}

static void board_reset(struct board_slot *bs)
{
	atomic_store(&bs->running, 0);
	atomic_store(&bs->in_place, 0);
	atomic_store(&bs->tasks, 0);
	atomic_store(&bs->busy_ns, 0);
	atomic_store(&bs->pid, 0);
	atomic_store(&bs->tid, 0);
	atomic_store(&bs->pinned, -1);
	atomic_store(&bs->bind_errno, 0);
	atomic_store(&bs->claim, 0);
	bs->bound[0] = '\0';
	for (int k = 0; k < PIN_CPU_WORDS; k++)
		atomic_store(&bs->cpus_seen[k], 0);
}

/* Forks the worker for slot id from this (single-threaded) process with
 * glibc's fork(). The child keeps stdio and its channel descriptors and
 * closes everything else, as the server's children do. Returns 0 with *pid
 * and *pidfd set, or a negative errno with err set. */
static int fork_direct(struct fpool *fp, unsigned id, int *fds, unsigned nfds, pid_t *pid,
		       int *pidfd, char *err, size_t errlen)
{
	int rc;

	*pid = proc_fork_quiet();
	if (*pid == 0) {
		struct fork_child mine = fp->child;

		mine.id = id;
		if (!proc_child_init(mine.parent_pid, fds, nfds))
			_exit(0);
		fork_child_main(&mine, fds, nfds);
	}
	if (*pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(-rc));
		return rc;
	}
	*pidfd = proc_child_pidfd(*pid);
	if (*pidfd < 0) {
		snprintf(err, errlen, "pidfd_open: %s", strerror(-*pidfd));
		return *pidfd;
	}
	return 0;
}

/* Spawns the worker for slot id as a fresh image: the template, then its
 * slot, as init bytes; fds[0] is the scoreboard. */
static int spawn_image(struct fpool *fp, unsigned id, const int *fds, unsigned nfds, pid_t *pid,
		       int *pidfd, char *err, size_t errlen)
{
	unsigned char *init = xmalloc(fp->tmpl_len + sizeof(struct fork_image_slot));
	char label[64];
	int rc;

	memcpy(init, fp->tmpl, fp->tmpl_len);
	fork_image_slot(fp, id, (struct fork_image_slot *)(void *)(init + fp->tmpl_len));
	snprintf(label, sizeof label, "worker %u of pool %d", id, (int)fp->child.parent_pid);
	rc = spawn_worker("pool", label, init, fp->tmpl_len + sizeof(struct fork_image_slot), fds,
			  nfds, pid, pidfd, err, errlen);
	free(init);
	return rc;
}

/* Starts the process for slot s by the pool's start method, its channel's
 * descriptors being fds[1..nfds) (fds[0]: the scoreboard). */
static int start_process(struct fpool *fp, struct wslot *s, int *fds, unsigned nfds,
			 char *err, size_t errlen)
{
	struct fork_image_slot slot;
	uint32_t id = s->id;

	s->served = false;
	switch (fp->start) {
	case POOL_START_FORK:
		if (proc_count_threads() <= PROC_FORK_SAFE_THREADS)  /* see DESIGN */
			return fork_direct(fp, s->id, fds + 1, nfds - 1, &s->pid, &s->pidfd, err,
					   errlen);
		s->served = true;
		return forkserver_fork(fp->fs, &id, sizeof id, fds + 1, nfds - 1, &s->pid,
				       &s->pidfd, err, errlen);
	case POOL_START_FORKSERVER:
		s->served = true;
		fork_image_slot(fp, s->id, &slot);
		return forkserver_fork(fp->fs, &slot, sizeof slot, fds, nfds, &s->pid, &s->pidfd,
				       err, errlen);
	case POOL_START_SPAWN:
		return spawn_image(fp, s->id, fds, nfds, &s->pid, &s->pidfd, err, errlen);
	}
	return -EINVAL;
}

int fork_server_spawn(struct fpool *fp, struct wslot *s, char *err, size_t errlen)
{
	int fds[1 + CHANNEL_MAX_FDS];
	char why[200];
	struct channel *ch;
	unsigned nfds;
	int rc;

	rc = channel_new(&ch, fp->child.kind);
	if (rc < 0) {
		snprintf(err, errlen, "%s channel for worker %u of %u: %s",
			 channel_kind_name(fp->child.kind), s->id, fp->n, strerror(-rc));
		return rc;
	}
	if (fp->chan_efd >= 0 && (rc = channel_share_wake(ch, fp->chan_efd)) < 0) {
		snprintf(err, errlen, "channel for worker %u of %u: %s", s->id, fp->n,
			 strerror(-rc));
		channel_free(ch);
		return rc;
	}
	board_reset(&fp->board->slot[s->id]);
	fds[0] = fp->board_fd;
	nfds = 1 + channel_worker_fds(ch, fds + 1);
	rc = start_process(fp, s, fds, nfds, why, sizeof why);
	if (rc < 0) {
		snprintf(err, errlen, "%s (worker %u of %u)", why, s->id, fp->n);
		s->pid = 0;
		s->pidfd = -1;
		channel_free(ch);
		return rc;
	}
	channel_parent_ready(ch);
	fork_death_watch(fp, s->pidfd);
	s->ch = ch;
	fork_slot_state(fp, s, W_IDLE, true);
	s->job = NULL;
	s->lifetime = 0;
	s->killed = false;
	s->malformed = false;
	s->taken_tasks = s->taken_busy = 0;
	return 0;
}
