/* daemon.c: the `daemon` lesson: when a parent's code ends, Python
 * terminates its daemon children and waits for its normal ones; a bare C
 * parent just exits, and its children live on, adopted by another process.
 *
 * Lesson: the code ending is not the program ending. When the main code of
 * a Python program is done, multiprocessing's exit handler runs: it
 * terminates every daemon child (SIGTERM) and then joins every normal
 * child, so the program only ends once they have. C's exit() does neither:
 * a parent that returns from main leaves its children running, and the
 * kernel gives them a new parent (pid 1, or the nearest ancestor that asked
 * to be a "subreaper"), which must reap them. So in C "daemon" must be built:
 * here as Python does it (kill the daemons, wait for the rest, then exit),
 * and with prctl(PR_SET_PDEATHSIG), which asks the kernel to kill a child
 * the moment its parent dies, even if the parent is killed with SIGKILL and
 * runs no exit code at all (a Python parent killed that way leaves its
 * daemons running). To watch parents end without ending the lesson, each
 * parent here is a child P of the lesson process, which makes itself a
 * subreaper so the orphans come to it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "bench/util.h"

/* What P and its children tell the lesson, in order of events. */
enum event { DAEMON_UP, NORMAL_UP, CODE_ENDED, DAEMON_ENDED, NORMAL_ENDED, NORMAL_MOVED };

struct report {
	int event;   /* enum event */
	int pid;     /* who it is about */
	int ppid;    /* its parent, when the report was written */
	int status;  /* DAEMON_ENDED, NORMAL_ENDED: the wait status */
	uint64_t at_ns;
};

static void send_report(int fd, int event, pid_t pid, int status)
{
	struct report r = { event, (int)pid, (int)getppid(), status, now_ns() };

	write_full(fd, &r, sizeof r);   /* under PIPE_BUF: one atomic write */
}

static pid_t start_daemon(int rep)
{
	pid_t me = getpid(), pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);   /* only the bare C parent relies on it */
		if (getppid() != me)                /* P died before the prctl: too late */
			_exit(1);
		send_report(rep, DAEMON_UP, getpid(), 0);
		for (;;)
			pause();
	}
	return pid;
}

/* The normal child: works work_ms, or (work_ms < 0) reports when its parent
 * changes and then waits for the lesson to close `release`. */
static pid_t start_normal(int rep, int work_ms, int release)
{
	pid_t me = getpid(), pid = fork();
	uint64_t t0 = now_ns();
	char byte;

	if (pid != 0)
		return pid;
	send_report(rep, NORMAL_UP, getpid(), 0);
	if (work_ms >= 0) {
		sleep_ns((uint64_t)work_ms * 1000000u);
		_exit(0);
	}
	while (getppid() == me && now_ns() - t0 < 5000000000u)
		sleep_ns(1000000);
	send_report(rep, NORMAL_MOVED, getpid(), 0);
	read_full(release, &byte, 1);
	_exit(0);
}

/* P, the Python way: its code starts both children and ends; then what
 * Python's exit handler does: terminate the daemon, join the normal one. */
static void python_parent(int rep, int work_ms)
{
	pid_t d = start_daemon(rep), n = start_normal(rep, work_ms, -1);
	int st;

	sleep_ns(20000000);                       /* the "code" */
	send_report(rep, CODE_ENDED, getpid(), 0);
	kill(d, SIGTERM);                         /* p.terminate() for daemons */
	waitpid(d, &st, 0);
	send_report(rep, DAEMON_ENDED, d, st);
	waitpid(n, &st, 0);                       /* p.join() for the others */
	send_report(rep, NORMAL_ENDED, n, st);
	_exit(0);
}

/* P, a bare C parent: starts both children and returns from main. */
static void c_parent(int rep, int release[2])
{
	close(release[1]);              /* so the normal child sees the lesson's close */
	start_daemon(rep);
	start_normal(rep, -1, release[0]);
	sleep_ns(20000000);
	send_report(rep, CODE_ENDED, getpid(), 0);
	_exit(0);
}

/* Reads the next report; fails the lesson if it is not `want`. */
static int expect(const struct lesson_ctx *c, int fd, int want, struct report *r)
{
	if (lesson_read(fd, r, sizeof *r, 5000) != 0 || r->event != want)
		return lesson_fail(c, "P or its children did not report (event %d)", want);
	return 0;
}

static int started(const struct lesson_ctx *c, int fd, pid_t *daemon, pid_t *normal)
{
	struct report r;

	for (int i = 0; i < 2; i++) {
		if (lesson_read(fd, &r, sizeof r, 5000) != 0)
			return lesson_fail(c, "the children of P did not report");
		*(r.event == DAEMON_UP ? daemon : normal) = r.pid;
		lesson_saw(c, "%s child %d started, its parent is %d (P)",
			   r.event == DAEMON_UP ? "daemon" : "normal", r.pid, r.ppid);
	}
	return 0;
}

static int python_way(const struct lesson_ctx *c, int rep[2], int work_ms)
{
	pid_t p, daemon = 0, normal = 0;
	struct report end, d, n;
	char sbuf[64], nbuf[64];
	uint64_t exited;
	int st;

	lesson_do(c, "Python's way. P starts a daemon child and a normal child "
		  "that works %d ms; P's code then ends, and P does what "
		  "Python's exit handler does.", work_ms);
	if ((p = lesson_fork(c)) == 0)
		python_parent(rep[1], work_ms);
	if (p < 0)
		return lesson_fail(c, "fork: %s", strerror(errno));
	if (started(c, rep[0], &daemon, &normal) || expect(c, rep[0], CODE_ENDED, &end) ||
	    expect(c, rep[0], DAEMON_ENDED, &d) || expect(c, rep[0], NORMAL_ENDED, &n)) {
		lesson_kill(p);
		return 1;
	}
	lesson_wait(p, &st, -1);
	exited = now_ns();
	lesson_saw(c, "P's code ended; %s later the daemon was gone, %s later "
		   "the normal child, %s later P itself",
		   lesson_dur((double)(d.at_ns - end.at_ns)), lesson_dur((double)(n.at_ns - end.at_ns)),
		   lesson_dur((double)(exited - end.at_ns)));
	lesson_claim(c, "python-style exit: the daemon child was terminated "
		     "when the code ended: %s", lesson_status_str(d.status, sbuf, sizeof sbuf));
	if (n.at_ns <= exited && WIFEXITED(n.status) && WEXITSTATUS(n.status) == 0)
		lesson_claim(c, "python-style exit: P waited for its normal child "
			     "(%s) and exited %s after its code ended",
			     lesson_status_str(n.status, nbuf, sizeof nbuf),
			     lesson_dur((double)(exited - end.at_ns)));
	else
		lesson_claim(c, "python-style exit: the normal child ended with %s",
			     lesson_status_str(n.status, nbuf, sizeof nbuf));
	return 0;
}

/* The same in Python itself, when there is a python3: when does each
 * process end, seen from the interpreter's own output. */
static void python_itself(const struct lesson_ctx *c, int work_ms)
{
	char *code = xasprintf(
		"import multiprocessing as mp, os, signal, sys, time\n"
		"t0 = time.monotonic()\n"
		"def say(what):\n"
		"    print('%%s %%.0f' %% (what, (time.monotonic() - t0) * 1000), flush=True)\n"
		"def daemon():\n"
		"    signal.signal(signal.SIGTERM, lambda *a: (say('term'), os._exit(0)))\n"
		"    time.sleep(10)\n"
		"def normal():\n"
		"    time.sleep(%d / 1000); say('done')\n"
		"ctx = mp.get_context('fork')\n"
		"ctx.Process(target=daemon, daemon=True).start()\n"
		"ctx.Process(target=normal).start()\n"
		"time.sleep(0.05); say('end')\n", work_ms);
	char out[256];
	long t_end = -1, t_term = -1, t_done = -1;
	uint64_t t0 = now_ns(), wall_ms;

	if (lesson_python(c, code, 10000, out, sizeof out) != 0) {
		lesson_saw(c, "(no python3 here to show the same in Python)");
		free(code);
		return;
	}
	wall_ms = (now_ns() - t0) / 1000000u;
	for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		long *slot = !strncmp(l, "end ", 4) ? &t_end : !strncmp(l, "term ", 5) ? &t_term
			   : !strncmp(l, "done ", 5) ? &t_done : NULL;
		if (slot)
			*slot = atol(strchr(l, ' ') + 1);
	}
	lesson_saw(c, "Python itself: main code ended at %ld ms, the daemon got "
		   "SIGTERM at %ld ms, the normal child finished at %ld ms; "
		   "python3 ran %llu ms in all",
		   t_end, t_term, t_done, (unsigned long long)wall_ms);
	free(code);
}

static int c_way(const struct lesson_ctx *c, int rep[2])
{
	int release[2], st, rc = 1;
	pid_t p, daemon = 0, normal = 0;
	struct report end, moved;
	char sbuf[64], state;

	lesson_do(c, "A bare C parent. P starts a daemon child (with "
		  "PR_SET_PDEATHSIG) and a normal child, and its code ends.");
	if (pipe(release))
		return lesson_fail(c, "pipe: %s", strerror(errno));
	if ((p = lesson_fork(c)) == 0)
		c_parent(rep[1], release);
	close(release[0]);
	if (p < 0) {
		lesson_fail(c, "fork: %s", strerror(errno));
		goto out;
	}
	if (started(c, rep[0], &daemon, &normal) || expect(c, rep[0], CODE_ENDED, &end))
		goto out;
	lesson_wait(p, &st, -1);
	lesson_saw(c, "P (%d) is gone %s after its code ended: %s", (int)p,
		   lesson_dur((double)(now_ns() - end.at_ns)), lesson_status_str(st, sbuf, sizeof sbuf));
	p = 0;
	/* The daemon was re-parented to us (the subreaper) as it died. */
	if (lesson_wait(daemon, &st, 2000) != daemon) {
		lesson_fail(c, "daemon %d still running 2 s after P ended", (int)daemon);
		goto out;
	}
	daemon = 0;
	lesson_claim(c, "bare C parent: the PDEATHSIG child died with it (%s)",
		     lesson_status_str(st, sbuf, sizeof sbuf));
	if (expect(c, rep[0], NORMAL_MOVED, &moved))
		goto out;
	state = lesson_proc_state(normal);
	if (!state || state == 'Z') {
		lesson_fail(c, "normal child %d is not running", (int)normal);
		goto out;
	}
	lesson_claim(c, "bare C parent: exited without waiting; its normal child "
		     "is still running (state %c)", state);
	lesson_saw(c, "getppid() in child %d changed from %d (P) to %d (this "
		   "lesson, the subreaper)", (int)normal, end.pid, moved.ppid);
	close(release[1]);              /* now let it finish */
	release[1] = -1;
	lesson_wait(normal, &st, 2000);
	normal = 0;
	lesson_saw(c, "the orphan, released, was reaped by its new parent: %s",
		   lesson_status_str(st, sbuf, sizeof sbuf));
	rc = 0;
out:
	lesson_kill(p);
	lesson_kill(daemon);
	if (release[1] >= 0)
		close(release[1]);
	lesson_kill(normal);
	return rc;
}

static int run(const struct lesson_ctx *c)
{
	int rep[2], was_subreaper = 0, rc, work_ms = c->quick ? 100 : 300;

	lesson_title(c, "daemon", "the code ending is not the program ending");
	if (pipe(rep))
		return lesson_fail(c, "pipe: %s", strerror(errno));
	prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	rc = python_way(c, rep, work_ms);
	if (rc == 0) {
		python_itself(c, work_ms);
		lesson_why(c, "at exit Python terminates its daemon children and "
			   "joins the others: the program ends when its normal "
			   "children have.");
		rc = c_way(c, rep);
	}
	if (rc == 0)
		lesson_why(c, "C's exit() waits for no child: the orphan is "
			   "adopted (without a subreaper, by pid 1). PDEATHSIG is "
			   "kept by the kernel, so it holds even if the parent is "
			   "killed with SIGKILL; Python's daemon flag does not, as "
			   "it is kept by the parent's exit code.");
	close(rep[0]);
	close(rep[1]);
	prctl(PR_SET_CHILD_SUBREAPER, was_subreaper);
	return rc;
}

const struct lesson lesson_daemon = {
	.name = "daemon",
	.summary = "at exit Python kills daemon children, waits for the rest",
	.seed = "001_47380365a1348ba6.txt",
	.run = run,
};
