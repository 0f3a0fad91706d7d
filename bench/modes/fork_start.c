/* fork_start.c: starting the fork-spawn mode's task processes by fork,
 * spawn or forkserver, and what such a process does (fork_start.h). */
#include "bench/modes/fork_start.h"

#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/util.h"
#include "par/forkserver.h"
#include "par/pin.h"
#include "par/spawn.h"
#include "workloads/workload_wire.h"

struct fork_start {
	enum pool_start start;
	void *inst;                 /* spawn: the instance as bytes */
	size_t inst_len;
	struct forkserver *server;  /* forkserver */
};

/* Which task a process runs, with its slot's CPUs (a fresh image has no pin
 * plan). A spawned process's init bytes are the instance's, then this, as
 * a forkserver's children get them (the server's context, then the
 * request). */
struct task_req {
	uint32_t slot;
	uint64_t index;
	char cpus[96];              /* hwloc list text ("1", "0-3"); "" unpinned */
};

/* Runs task index (of wi; NULL in a fresh image: its installed instance),
 * sends the outcome to fd, exits. ws holds the binding. */
static __attribute__((noreturn)) void run_and_send(const struct workload_inst *wi,
						    uint64_t index, int fd,
						    const struct worker_stats *ws)
{
	struct task_arg ta = { wi, index };
	struct task_result r = TASK_RESULT_INIT;
	struct fork_start_head h;
	uint64_t t0;

	memset(&h, 0, sizeof h);
	h.pinned = ws->pinned;
	memcpy(h.bound, ws->bound, sizeof h.bound);
	t0 = now_ns();
	h.status = workload_run_task(&ta, sizeof ta, &r);
	h.busy_ns = now_ns() - t0;
	h.cpu = sched_getcpu();
	h.len = r.len;
	if (write_full(fd, &h, sizeof h) < 0 || write_full(fd, task_result_data(&r), r.len) < 0)
		_exit(1);
	_exit(0);
}

/* A forked child: a new process binds itself to its slot's place (the
 * parent is never bound), part of what starting a worker costs, so inside
 * the timing. */
static __attribute__((noreturn)) void child_main(struct mode_run *m, unsigned slot, uint64_t index,
						  int fd)
{
	struct worker_stats ws;

	sys_child_after_fork();
	signal(SIGPIPE, SIG_IGN);
	memset(&ws, 0, sizeof ws);
	pin_bind_process(m->pin, slot, &ws);
	run_and_send(m->wi, index, fd, &ws);
}

/* The role "task": a fresh tvp (spawned, or forked by a spawned server)
 * that runs one task; the entry point has already ignored SIGINT and armed
 * the parent-death signal (par/spawn.h). */
static __attribute__((noreturn)) void task_role(const void *init, size_t len, const int *fds,
						 unsigned nfds)
{
	struct task_req r;
	struct worker_stats ws;
	char err[256];

	if (len < sizeof r || nfds < 1) {
		fprintf(stderr, "tvp: task process: %zu init bytes and %u descriptors, expected at "
			"least %zu and 1\n", len, nfds, sizeof r);
		_exit(SPAWN_EXIT_BAD_START);
	}
	memcpy(&r, (const char *)init + len - sizeof r, sizeof r);
	signal(SIGPIPE, SIG_IGN);
	memset(&ws, 0, sizeof ws);
	pin_bind_process_cpus(r.cpus, &ws);
	/* A failed install fails the task with its reason (workload_run_task). */
	workload_wire_install(init, len - sizeof r, err, sizeof err);
	run_and_send(NULL, r.index, fds[0], &ws);
}
SPAWN_ROLE("task", task_role);

int fork_start_new(struct fork_start **out, struct mode_run *m)
{
	struct fork_start *fs = xcalloc(1, sizeof *fs);
	char label[96];
	int rc = 0;

	fs->start = m->start;
	if (m->start != POOL_START_FORK)
		rc = workload_wire_encode(m->wi, &fs->inst, &fs->inst_len, m->err, sizeof m->err);
	if (rc == 0 && m->start == POOL_START_FORKSERVER) {
		/* A fresh tvp, single-threaded, whose children rebuild the
		 * instance as spawned ones do: CPython's forkserver. */
		snprintf(label, sizeof label, "fork-spawn server for %s", m->wi->wl->name);
		rc = forkserver_spawn(&fs->server, "task", fs->inst, fs->inst_len, label, m->err,
				      sizeof m->err);
	}
	if (rc) {
		free(fs->inst);
		free(fs);
		return rc;
	}
	*out = fs;
	return 0;
}

/* Spawns task r's process: init bytes are the instance, then r. */
static int spawn_task(struct fork_start *fs, struct mode_run *m, const struct task_req *r,
		      int wfd, pid_t *pid, int *pidfd)
{
	unsigned char *init = xmalloc(fs->inst_len + sizeof *r);
	char label[96];
	int rc;

	memcpy(init, fs->inst, fs->inst_len);
	memcpy(init + fs->inst_len, r, sizeof *r);
	snprintf(label, sizeof label, "fork-spawn %s task %" PRIu64, m->wi->wl->name, r->index);
	rc = spawn_worker("task", label, init, fs->inst_len + sizeof *r, &wfd, 1, pid, pidfd, m->err,
			  sizeof m->err);
	free(init);
	return rc;
}

int fork_start_task(struct fork_start *fs, struct mode_run *m, unsigned slot, uint64_t index,
		    int rfd, int wfd, pid_t *pid, int *pidfd)
{
	struct task_req r = { .slot = slot, .index = index };
	int rc;

	*pidfd = -1;
	if (fs->start != POOL_START_FORK)
		pin_plan_cpuset_text(m->pin, slot, r.cpus, sizeof r.cpus);
	switch (fs->start) {
	case POOL_START_SPAWN:
		return spawn_task(fs, m, &r, wfd, pid, pidfd);
	case POOL_START_FORKSERVER:
		return forkserver_fork(fs->server, &r, sizeof r, &wfd, 1, pid, pidfd, m->err,
				       sizeof m->err);
	case POOL_START_FORK:
		break;
	}
	*pid = fork();
	if (*pid < 0) {
		rc = -errno;
		snprintf(m->err, sizeof m->err, "fork: %s (task %" PRIu64 ")", strerror(-rc), index);
		return rc;
	}
	if (*pid == 0) {
		close(rfd);
		child_main(m, slot, index, wfd);
	}
	return 0;
}

void fork_start_reap(struct fork_start *fs, pid_t pid, int pidfd, int *wstatus)
{
	*wstatus = 0;
	if (fs->start == POOL_START_FORKSERVER) {
		/* The server's child, not ours: the server reaps it and relays
		 * its status; a server gone reads as an exit status of 255. */
		if (forkserver_wait(fs->server, pid, wstatus) < 0)
			*wstatus = 255 << 8;
	} else {
		while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
			;
	}
	if (pidfd >= 0)
		close(pidfd);
}

void fork_start_kill(struct fork_start *fs, pid_t pid, int pidfd)
{
	int st;

	if (pidfd >= 0)
		syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
	else
		kill(pid, SIGKILL);
	fork_start_reap(fs, pid, pidfd, &st);
}

void fork_start_free(struct fork_start *fs)
{
	if (!fs)
		return;
	forkserver_stop(fs->server);
	free(fs->inst);
	free(fs);
}
