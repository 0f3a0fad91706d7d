/* process.c: the `process` lesson: start and join a process, read its pid,
 * name and exit code, watch a zombie appear and go, terminate a process.
 *
 * Lesson: fork() makes a copy of the calling process that runs on from the
 * same point; Python's Process.start() does exactly this on Linux before
 * calling target(), and join() is waitpid(). A child that has finished but
 * has not been waited for stays in the process table as a zombie (state Z):
 * it holds no memory any more, only its pid and exit status, kept for the
 * parent to collect. That is why the seeds say: always join what you start.
 * The exit code is one byte; a result travels back some other way (here a
 * pipe), and terminate() is a signal.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "bench/util.h"

struct report {
	uint64_t started_ns;   /* when the child's code began, CLOCK_MONOTONIC */
	int product;
};

/* The child's whole life: name itself, do the work, report, exit with 7. */
static void child_main(int wfd, int gofd, int parent_go_end)
{
	struct report r = { .started_ns = now_ns(), .product = 3 * 4 };
	char go;

	close(parent_go_end);           /* or our own copy would keep it open */

	prctl(PR_SET_NAME, "calc-0");
	write_full(wfd, &r, sizeof r);
	read_full(gofd, &go, 1);        /* stay alive until the parent has looked */
	_exit(7);
}

static int start_and_join(const struct lesson_ctx *c)
{
	int res[2], go[2], st;
	struct report r;
	char name[32] = "?", path[64], sbuf[64];
	uint64_t t0, t_fork, t_join;
	FILE *f;
	pid_t pid;

	if (pipe(res) || pipe(go))
		return lesson_fail(c, "pipe: %s", strerror(errno));
	lesson_do(c, "Parent %d forks a child that computes 3 x 4, names "
		  "itself calc-0 and exits with code 7.", (int)getpid());
	t0 = now_ns();
	pid = lesson_fork(c);
	if (pid == 0)
		child_main(res[1], go[0], go[1]);
	t_fork = now_ns();
	close(res[1]);
	close(go[0]);
	if (pid < 0 || read_full(res[0], &r, sizeof r) != 0) {
		close(res[0]);
		close(go[1]);
		lesson_kill(pid);
		return lesson_fail(c, "fork or the child's report: %s", strerror(errno));
	}
	snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
	if ((f = fopen(path, "r"))) {
		if (fgets(name, sizeof name, f))
			name[strcspn(name, "\n")] = '\0';
		fclose(f);
	}
	lesson_saw(c, "child pid %d, name '%s' (from %s), sent 3 x 4 = %d",
		   (int)pid, name, path, r.product);
	lesson_saw(c, "fork() returned in the parent after %s; the child's code "
		   "was running %s after the call", lesson_dur((double)(t_fork - t0)),
		   lesson_dur((double)(r.started_ns - t0)));
	close(go[1]);                   /* lets the child finish */
	t_join = now_ns();
	lesson_wait(pid, &st, -1);
	close(res[0]);
	lesson_claim(c, "join: waitpid(%d) returned after %s: %s", (int)pid,
		     lesson_dur((double)(now_ns() - t_join)),
		     lesson_status_str(st, sbuf, sizeof sbuf));
	lesson_why(c, "a result comes back through a pipe; the exit code is one "
		   "byte the kernel keeps for the parent until it waits.");
	return 0;
}

static int zombie(const struct lesson_ctx *c)
{
	uint64_t t0;
	char state = 0;
	int st;
	pid_t pid;

	lesson_do(c, "A child that exits at once; the parent does not wait for "
		  "it yet, and reads its state from /proc/PID/stat.");
	pid = lesson_fork(c);
	if (pid < 0)
		return lesson_fail(c, "fork: %s", strerror(errno));
	if (pid == 0)
		_exit(0);
	t0 = now_ns();
	while ((state = lesson_proc_state(pid)) != 'Z' && now_ns() - t0 < 2000000000u)
		sleep_ns(1000000);
	if (state != 'Z') {
		lesson_kill(pid);
		return lesson_fail(c, "child %d never became a zombie (state '%c')", (int)pid,
				   state ? state : '-');
	}
	lesson_claim(c, "zombie seen: /proc/%d/stat says state Z", (int)pid);
	lesson_saw(c, "it has exited but still has a pid and an exit status, "
		   "waiting for its parent");
	lesson_wait(pid, &st, -1);
	state = lesson_proc_state(pid);
	if (state)
		return lesson_fail(c, "after waitpid, %d is still there ('%c')", (int)pid, state);
	lesson_claim(c, "zombie reaped: after waitpid, /proc/%d is gone", (int)pid);
	lesson_why(c, "waitpid() collects the status and frees the slot. Start "
		   "many children and never join them, and the zombies pile up "
		   "until the parent itself exits.");
	return 0;
}

static int terminate(const struct lesson_ctx *c)
{
	char sbuf[64];
	int st;
	pid_t pid;

	lesson_do(c, "A child that sleeps forever; the parent checks it is "
		  "alive, then terminates it (SIGTERM).");
	pid = lesson_fork(c);
	if (pid < 0)
		return lesson_fail(c, "fork: %s", strerror(errno));
	if (pid == 0) {
		for (;;)
			pause();
	}
	lesson_saw(c, "is_alive: waitpid(WNOHANG) says %s",
		   lesson_wait(pid, &st, 0) == 0 ? "still running" : "ended");
	kill(pid, SIGTERM);
	lesson_wait(pid, &st, -1);
	lesson_claim(c, "terminated: %s; Python: exitcode -%d",
		     lesson_status_str(st, sbuf, sizeof sbuf),
		     WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	return 0;
}

static int run(const struct lesson_ctx *c)
{
	lesson_title(c, "process", "start, join, zombie, terminate");
	if (start_and_join(c) || zombie(c) || terminate(c))
		return 1;
	return 0;
}

const struct lesson lesson_process = {
	.name = "process",
	.summary = "start and join a process; pid, name, exit code; a zombie",
	.seed = "000_6277c7b9c622bfbc.txt, 001_47380365a1348ba6.txt",
	.run = run,
};
