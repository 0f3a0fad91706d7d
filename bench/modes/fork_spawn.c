/* fork_spawn.c: the `fork-spawn` mode: a new process for every task, forked
 * and reaped inside the timed region, its result coming back through a pipe.
 *
 * Lesson: this is the seeds' first multiprocessing example
 * (`Process(target=...)`, `start()`, `join()` in a loop). A fork copies the
 * process's page tables and a new process must be scheduled, run, and
 * reaped; with short tasks that is all you measure, which is why pools
 * exist. The result cannot simply be written into the parent's memory (the
 * child has its own copy), so it travels back through a pipe. --start picks
 * how each task's process starts (bench/modes/fork_start.h): fork (a copy of
 * tvp), spawn (a fresh tvp that rebuilds the workload from bytes: Process
 * under get_context("spawn")) or forkserver (forked by a clean server, a fresh tvp).
 *
 * DESIGN
 * At most m->workers children are alive at once, in slots. Each child runs
 * its task, writes { status, busy_ns, length, bytes } to its pipe and calls
 * _exit; the parent polls every slot's pipe, reads what arrives, and at end
 * of file reaps the child (a forkserver child: the server reaps it and
 * relays its status) and starts the next task in that slot.
 * A child that dies before writing all of it fails its task with -ECHILD and
 * a message naming the signal or exit status. Worker statistics are kept per
 * slot (a million tasks would be a million entries): tasks and busy time add
 * up over the slot's children, pid and tid are the last child's. The run
 * loop guarantees one thread here, so fork is safe. On tvp_interrupted the
 * children alive are killed and reaped, and execute returns -EINTR. The
 * watchdog (bench/modes/stall.h) looks once a second: a child stopped past
 * the bound fails the measurement, named, the same way.
 */
#include "bench/modes/mode.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/modes/fork_start.h"
#include "bench/modes/stall.h"
#include "bench/units.h"
#include "bench/util.h"
#include "par/pin.h"
#include "par/proc.h"

struct fslot {
	unsigned slot;              /* which of the m->workers places */
	_Atomic uint64_t cpus[PIN_CPU_WORDS];   /* CPUs its children ended on */
	pid_t pid;                  /* 0: free */
	int pidfd;                  /* spawn, forkserver: the child's; else -1 */
	int fd;                     /* read end of the child's pipe */
	uint64_t index;             /* its task */
	unsigned char *buf;         /* what it sent so far */
	size_t len, cap;
};

static int start_task(struct mode_run *m, struct fslot *s, uint64_t index)
{
	int pfd[2], rc;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		snprintf(m->err, sizeof m->err, "pipe: %s (task %" PRIu64 ")", strerror(errno), index);
		return -errno;
	}
	/* The parent's end only: the child's writes may block. */
	if (fcntl(pfd[0], F_SETFL, O_NONBLOCK) < 0) {
		rc = -errno;
		snprintf(m->err, sizeof m->err, "fcntl: %s", strerror(-rc));
		goto out_close;
	}
	rc = fork_start_task(m->state, m, s->slot, index, pfd[0], pfd[1], &s->pid, &s->pidfd);
	if (rc < 0) {
		s->pid = 0;
		goto out_close;
	}
	close(pfd[1]);
	s->fd = pfd[0];
	s->index = index;
	s->len = 0;
	return 0;

out_close:
	close(pfd[0]);
	close(pfd[1]);
	return rc;
}

/* The child of slot s has closed its pipe: reap it, record its outcome. */
static void finish_task(struct mode_run *m, struct fslot *s, struct worker_stats *ws)
{
	uint64_t i = s->index;
	struct fork_start_head h;
	char how[80];
	int st = 0;

	close(s->fd);
	fork_start_reap(m->state, s->pid, s->pidfd, &st);
	ws->pid = s->pid;
	ws->tid = s->pid;
	ws->tasks++;
	if (s->len >= sizeof h) {
		memcpy(&h, s->buf, sizeof h);
		if (s->len == sizeof h + h.len) {
			m->status[i] = h.status;
			task_result_set(&m->results[i], s->buf + sizeof h, (size_t)h.len);
			ws->busy_ns += h.busy_ns;
			ws->pinned = h.pinned;
			memcpy(ws->bound, h.bound, sizeof ws->bound);
			if (h.cpu >= 0 && h.cpu < PIN_CPU_WORDS * 64)
				atomic_fetch_or(&s->cpus[h.cpu / 64], 1ull << (h.cpu % 64));
			s->pid = 0;
			return;
		}
	}
	m->status[i] = task_result_error(&m->results[i], -ECHILD, "process %d for task %" PRIu64
					 " %s%s", (int)s->pid, i, proc_status_text(st, how, sizeof how),
					 WIFEXITED(st) ? " before sending its result" : "");
	s->pid = 0;
}

/* Reads what is there from slot s; true at end of file. */
static bool read_slot(struct fslot *s)
{
	for (;;) {
		ssize_t n;

		if (s->cap - s->len < 4096) {
			s->cap = s->cap ? 2 * s->cap : 8192;
			s->buf = xrealloc(s->buf, s->cap);
		}
		n = read(s->fd, s->buf + s->len, s->cap - s->len);
		if (n > 0) {
			s->len += (size_t)n;
			if (s->len < s->cap)
				return false;   /* a short read: more later */
			continue;
		}
		if (n == 0)
			return true;
		if (errno != EINTR)
			return errno != EAGAIN;
	}
}

static void kill_all(struct mode_run *m, struct fslot *slots, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (!slots[i].pid)
			continue;
		close(slots[i].fd);
		fork_start_kill(m->state, slots[i].pid, slots[i].pidfd);
		slots[i].pid = 0;
	}
}

/* The watchdog found pid stopped: names its slot in m->err when it is a
 * task's child. Returns -ETIMEDOUT. */
static int stalled(struct mode_run *m, const struct fslot *slots, unsigned n, pid_t pid,
		   const struct stall *wd)
{
	char t[UNITS_LEN];

	units_time(t, sizeof t, (double)(now_ns() - wd->start_ns));
	for (unsigned i = 0; i < n; i++)
		if (slots[i].pid == pid) {
			snprintf(m->err, sizeof m->err, "worker %u (pid %d) made no progress for %s; "
				 "stopped? (state T in /proc)", i, (int)pid, t);
			return -ETIMEDOUT;
		}
	snprintf(m->err, sizeof m->err, "process %d made no progress for %s; stopped? (state T in "
		 "/proc)", (int)pid, t);
	return -ETIMEDOUT;
}

static int fsm_execute(struct mode_run *m)
{
	unsigned n = m->workers ? m->workers : 1;
	struct fslot *slots = xcalloc(n, sizeof *slots);
	struct pollfd *pfd = xcalloc(n, sizeof *pfd);
	uint64_t next = 0, done = 0;
	struct stall wd;
	pid_t stopped;
	int rc = 0;

	stall_start(&wd, m->stall_ns);
	m->wstats = xcalloc(n, sizeof *m->wstats);
	m->n_wstats = n;
	for (unsigned i = 0; i < n; i++) {
		m->wstats[i].pinned = -1;
		slots[i].slot = i;
	}
	while (done < m->tasks) {
		unsigned np = 0;

		for (unsigned i = 0; i < n && next < m->tasks; i++) {
			if (slots[i].pid)
				continue;
			if (tvp_interrupted) {
				rc = -EINTR;
				goto out;
			}
			rc = start_task(m, &slots[i], next);
			if (rc < 0)
				goto out;
			next++;
		}
		for (unsigned i = 0; i < n; i++) {
			pfd[i].fd = slots[i].pid ? slots[i].fd : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			np += slots[i].pid != 0;
		}
		if (np == 0)
			break;
		if (poll(pfd, n, m->stall_ns ? 1000 : -1) < 0) {
			if (errno == EINTR && tvp_interrupted) {
				rc = -EINTR;
				goto out;
			}
			continue;
		}
		if ((stopped = stall_check(&wd)) != 0) {
			rc = stalled(m, slots, n, stopped, &wd);
			goto out;
		}
		for (unsigned i = 0; i < n; i++) {
			if (pfd[i].revents && read_slot(&slots[i])) {
				finish_task(m, &slots[i], &m->wstats[i]);
				done++;
			}
		}
	}
out:
	kill_all(m, slots, n);
	for (unsigned i = 0; i < n; i++) {
		pin_cpu_bits_take(slots[i].cpus, m->wstats[i].ran_on, sizeof m->wstats[i].ran_on);
		free(slots[i].buf);
	}
	free(slots);
	free(pfd);
	return rc;
}

/* Not timed: a spawn's instance bytes, or the fork server (started after
 * the workload's setup, so its children are copies of tvp with it). */
static int fsm_setup(struct mode_run *m)
{
	struct fork_start *fs;
	int rc = fork_start_new(&fs, m);

	if (rc == 0)
		m->state = fs;
	return rc;
}

static void fsm_teardown(struct mode_run *m)
{
	fork_start_free(m->state);
	m->state = NULL;
	mode_run_free_wstats(m);
}

const struct mode mode_fork_spawn = {
	.name = "fork-spawn",
	.summary = "a new process for every task, at most WORKERS at once, results back through a pipe",
	.family = MODE_FAMILY_SPAWN,
	.python = true,
	.flags = MODE_FORKS | MODE_START,
	.setup = fsm_setup,
	.execute = fsm_execute,
	.teardown = fsm_teardown,
};
