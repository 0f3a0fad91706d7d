/* create.c: creation kernels of `tvp overhead`: a thread created and joined,
 * a process forked and reaped (also from a parent holding 16 MiB to 1 GiB),
 * and a tiny program started with vfork+exec, fork+exec and posix_spawn.
 *
 * Lesson: creating a thread costs tens of microseconds at most; fork costs
 * more, and grows with the parent's memory, because the kernel copies the
 * parent's page tables (one entry per 4 KiB page) and the child's exit tears
 * its copy down again. exec then loads a whole new program, which costs more
 * than either. A pool pays these costs once, at start-up.
 *
 * DESIGN
 * What is timed: every operation to its end, not just the call that starts
 * it: pthread_create until pthread_join returns; fork until waitpid has
 * reaped the child (the child only calls _exit(0)); exec until the program
 * has run and been reaped.
 *
 * Big parents: the memory is touched in a helper process, forked from tvp
 * before it touches anything, so the gigabyte never sits in tvp itself. The
 * helper maps the memory with MADV_NOHUGEPAGE (so every 4 KiB page has its
 * own page-table entry, whatever the machine's transparent huge page
 * setting), writes one byte per page, then forks and reaps in a loop when
 * asked, timing the loop itself, and sends back the nanoseconds.
 */
#include "bench/overhead/ovh.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/util.h"

extern char **environ;

enum { CREATE_THREAD, CREATE_FORK, CREATE_FORK_TOUCHED, CREATE_VFORK_EXEC, CREATE_FORK_EXEC,
       CREATE_SPAWN };

struct create {
	const struct ovh_bench *b;
	const char *prog;            /* the tiny program for the exec kernels */
	pid_t helper;                /* CREATE_FORK_TOUCHED */
	int cmd_fd, res_fd;          /* to and from the helper */
};

static void *empty_thread(void *arg)
{
	return arg;
}

/* Forks and reaps iters children that only _exit(0). Returns 0 or a negative
 * errno. Safe in the helper (it never returns into the driver). */
static int fork_loop(uint64_t iters)
{
	for (uint64_t i = 0; i < iters; i++) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			return -errno;
		if (pid == 0)
			_exit(0);
		st = ovh_waitpid(pid);
		if (st < 0)
			return st;
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			return -ECHILD;
	}
	return 0;
}

/* The helper: touches bytes, reports readiness (0 or a negative errno), then
 * answers each request (iters) with the nanoseconds the fork loop took (or a
 * negative errno), until the driver closes the command pipe. */
static void touched_helper(int cmd_fd, int res_fd, uint64_t bytes)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				  -1, 0);
	int64_t reply = 0;
	uint64_t iters;

	if (mem == MAP_FAILED) {
		reply = -errno;
		write_full(res_fd, &reply, sizeof reply);
		_exit(1);
	}
	madvise(mem, bytes, MADV_NOHUGEPAGE);
	for (uint64_t off = 0; off < bytes; off += (uint64_t)page)
		mem[off] = 1;
	if (write_full(res_fd, &reply, sizeof reply) != 0)
		_exit(1);
	while (read_full(cmd_fd, &iters, sizeof iters) == 0) {
		uint64_t t0 = now_ns();
		int rc = fork_loop(iters);

		reply = rc ? rc : (int64_t)(now_ns() - t0);
		if (write_full(res_fd, &reply, sizeof reply) != 0)
			break;
	}
	_exit(0);
}

static void create_teardown(void *state)
{
	struct create *s = state;

	if (s->helper > 0) {
		close(s->cmd_fd);   /* the helper's read sees the end and it exits */
		close(s->res_fd);
		ovh_waitpid(s->helper);
	}
	free(s);
}

static int start_helper(struct create *s, char *err, size_t errlen)
{
	int cmd[2], res[2];
	int64_t ready;
	int rc;

	if (pipe2(cmd, O_CLOEXEC) != 0)
		return ovh_fail(err, errlen, -errno, "pipe: %s", strerror(errno));
	if (pipe2(res, O_CLOEXEC) != 0) {
		rc = -errno;
		close(cmd[0]);
		close(cmd[1]);
		return ovh_fail(err, errlen, rc, "pipe: %s", strerror(-rc));
	}
	s->helper = fork();
	if (s->helper < 0) {
		rc = -errno;
		close(cmd[0]);
		close(cmd[1]);
		close(res[0]);
		close(res[1]);
		return ovh_fail(err, errlen, rc, "fork: %s", strerror(-rc));
	}
	if (s->helper == 0) {
		sys_child_after_fork();
		close(cmd[1]);
		close(res[0]);
		touched_helper(cmd[0], res[1], s->b->bytes);
	}
	close(cmd[0]);
	close(res[1]);
	s->cmd_fd = cmd[1];
	s->res_fd = res[0];
	rc = read_full(s->res_fd, &ready, sizeof ready);
	if (rc == 0 && ready < 0)
		rc = (int)ready;
	if (rc != 0)
		return ovh_fail(err, errlen, rc, "helper holding %llu MiB: %s",
				(unsigned long long)(s->b->bytes >> 20), strerror(-rc));
	return 0;
}

static int create_setup(const struct ovh_bench *b, const struct ovh_ctx *c, void **state,
			char *err, size_t errlen)
{
	struct create *s = xcalloc(1, sizeof *s);
	int rc = 0;

	s->b = b;
	s->cmd_fd = s->res_fd = -1;
	switch (b->variant) {
	case CREATE_FORK_TOUCHED:
		rc = start_helper(s, err, errlen);
		break;
	case CREATE_VFORK_EXEC:
	case CREATE_FORK_EXEC:
	case CREATE_SPAWN:
		s->prog = ovh_true_path();
		if (!s->prog)
			rc = ovh_fail(err, errlen, -ENOENT, "neither /bin/true nor /usr/bin/true exists");
		break;
	}
	if (rc) {
		create_teardown(s);
		return rc;
	}
	*state = s;
	return 0;
}

/* vfork+exec in a function of its own, with nothing the child could clobber:
 * the child shares our stack until it calls execv or _exit. */
static pid_t vfork_exec(const char *prog, char *const argv[])
{
	pid_t pid = vfork();

	if (pid == 0) {
		execv(prog, argv);
		_exit(127);
	}
	return pid;
}

static int create_run(void *state, uint64_t iters, struct ovh_sample *out, char *err,
		      size_t errlen)
{
	struct create *s = state;
	char *const argv[] = { (char *)s->prog, NULL };
	uint64_t t0 = now_ns();
	int64_t reply;
	int rc = 0;

	switch (s->b->variant) {
	case CREATE_THREAD:
		for (uint64_t i = 0; i < iters; i++) {
			pthread_t t;

			rc = pthread_create(&t, NULL, empty_thread, NULL);
			if (rc)
				return ovh_fail(err, errlen, -rc, "pthread_create: %s", strerror(rc));
			pthread_join(t, NULL);
		}
		break;
	case CREATE_FORK:
		rc = fork_loop(iters);
		if (rc)
			return ovh_fail(err, errlen, rc, "fork: %s", strerror(-rc));
		break;
	case CREATE_FORK_TOUCHED:
		rc = write_full(s->cmd_fd, &iters, sizeof iters);
		if (rc == 0)
			rc = read_full(s->res_fd, &reply, sizeof reply);
		if (rc == 0 && reply < 0)
			rc = (int)reply;
		if (rc)
			return ovh_fail(err, errlen, rc, "helper: fork: %s", strerror(-rc));
		out->value = (double)reply;
		return 0;
	case CREATE_VFORK_EXEC:
	case CREATE_FORK_EXEC:
		for (uint64_t i = 0; i < iters && rc == 0; i++) {
			pid_t pid;

			if (s->b->variant == CREATE_VFORK_EXEC) {
				pid = vfork_exec(s->prog, argv);
			} else {
				pid = fork();
				if (pid == 0) {
					execv(s->prog, argv);
					_exit(127);
				}
			}
			if (pid < 0)
				return ovh_fail(err, errlen, -errno, "fork: %s", strerror(errno));
			rc = ovh_reap_ok(pid, s->prog, err, errlen);
		}
		break;
	case CREATE_SPAWN:
		for (uint64_t i = 0; i < iters && rc == 0; i++) {
			pid_t pid;
			int e = posix_spawn(&pid, s->prog, NULL, NULL, argv, environ);

			if (e)
				return ovh_fail(err, errlen, -e, "posix_spawn %s: %s", s->prog, strerror(e));
			rc = ovh_reap_ok(pid, s->prog, err, errlen);
		}
		break;
	}
	out->value = (double)(now_ns() - t0);
	return rc;
}

#define CREATE(nm, knd, var, sz, sum)                                                       \
	{ .name = nm, .group = OVH_GROUP_CREATION, .kind = OVH_KIND_##knd, .unit = OVH_UNIT_NS, \
	  .summary = sum, .variant = var, .bytes = sz, .setup = create_setup,               \
	  .run = create_run, .teardown = create_teardown }

const struct ovh_bench ovh_create_benches[] = {
	CREATE("thread-create-join", THREAD, CREATE_THREAD, 0,
	       "pthread_create of an empty thread + pthread_join"),
	CREATE("fork-exit-wait", PROCESS, CREATE_FORK, 0, "fork + _exit(0) in the child + waitpid"),
	CREATE("fork-exit-wait-16mib", PROCESS, CREATE_FORK_TOUCHED, 16ull << 20,
	       "fork + _exit + waitpid from a parent that touched 16 MiB (4 KiB pages)"),
	CREATE("fork-exit-wait-256mib", PROCESS, CREATE_FORK_TOUCHED, 256ull << 20,
	       "fork + _exit + waitpid from a parent that touched 256 MiB (4 KiB pages)"),
	CREATE("fork-exit-wait-1024mib", PROCESS, CREATE_FORK_TOUCHED, 1024ull << 20,
	       "fork + _exit + waitpid from a parent that touched 1024 MiB (4 KiB pages)"),
	CREATE("vfork-exec-true", PROCESS, CREATE_VFORK_EXEC, 0,
	       "vfork + execv(/bin/true) + waitpid"),
	CREATE("fork-exec-true", PROCESS, CREATE_FORK_EXEC, 0, "fork + execv(/bin/true) + waitpid"),
	CREATE("posix-spawn-true", PROCESS, CREATE_SPAWN, 0, "posix_spawn(/bin/true) + waitpid"),
};
const size_t ovh_create_benches_count = ARRAY_SIZE(ovh_create_benches);
