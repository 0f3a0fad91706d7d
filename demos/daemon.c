/* daemon.c: the `daemon` lesson: a daemon child ends with its parent; a
 * normal child outlives it and is re-parented.
 *
 * Lesson: in Python, p.daemon = True means "end this child when the parent's
 * code ends"; a normal child keeps running, and when its parent is gone the
 * kernel gives it a new parent (pid 1, or the nearest ancestor that asked
 * to be a "subreaper"). Linux can tie a child to its parent's life in the
 * kernel itself: prctl(PR_SET_PDEATHSIG, SIGKILL) in the child asks for
 * SIGKILL the moment its parent dies, even if the parent crashes (Python's
 * daemon flag is kept by the parent's exit code, so a parent killed hard
 * leaves its daemons running). To watch a parent end without ending this
 * lesson, the parent here is an intermediate child P; the lesson process
 * marks itself a subreaper, so the orphan comes to it and can be cleaned up.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "bench/util.h"

enum who { DAEMON_UP, NORMAL_UP, NORMAL_MOVED };

struct report {
	int who;     /* enum who */
	int pid;
	int ppid;    /* getppid() when the report was written */
};

static void send_report(int fd, int who)
{
	struct report r = { who, (int)getpid(), (int)getppid() };

	write_full(fd, &r, sizeof r);   /* under PIPE_BUF: one atomic write */
}

/* The intermediate parent P: starts a daemon and a normal child, then exits
 * when the lesson closes `end`. */
static void parent_main(int rep, int end, int release)
{
	pid_t me = getpid();
	char byte;

	if (fork() == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != me)    /* P died before the prctl: too late */
			_exit(1);
		send_report(rep, DAEMON_UP);
		for (;;)
			pause();
	}
	if (fork() == 0) {
		uint64_t t0 = now_ns();
		send_report(rep, NORMAL_UP);
		while (getppid() == me && now_ns() - t0 < 5000000000u)
			sleep_ns(1000000);
		send_report(rep, NORMAL_MOVED);
		read_full(release, &byte, 1);   /* until the lesson lets go */
		_exit(0);
	}
	read_full(end, &byte, 1);
	_exit(0);
}

static int run(const struct lesson_ctx *c)
{
	int rep[2], end[2], release[2], was_subreaper = 0, st, rc = 1;
	pid_t p, parent = 0, daemon = 0, normal = 0;
	struct report r;
	char sbuf[64], state;

	lesson_title(c, "daemon", "daemon children die with their parent");
	if (pipe(rep) || pipe(end) || pipe(release))
		return lesson_fail(c, "pipe: %s", strerror(errno));
	prctl(PR_GET_CHILD_SUBREAPER, &was_subreaper);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	lesson_do(c, "Lesson process %d starts a parent P; P starts a daemon "
		  "child D (PR_SET_PDEATHSIG) and a normal child N.", (int)getpid());
	p = lesson_fork(c);
	if (p < 0) {
		lesson_fail(c, "fork: %s", strerror(errno));
		goto out;
	}
	if (p == 0) {
		close(rep[0]);
		close(end[1]);
		close(release[1]);
		parent_main(rep[1], end[0], release[0]);
	}
	close(rep[1]);
	close(end[0]);
	close(release[0]);
	for (int i = 0; i < 2; i++) {
		if (lesson_read(rep[0], &r, sizeof r, 5000) != 0) {
			lesson_fail(c, "the children of P did not report");
			goto out;
		}
		if (r.who == DAEMON_UP)
			daemon = r.pid;
		else
			normal = r.pid;
		lesson_saw(c, "%s child %d started, its parent is %d (P)",
			   r.who == DAEMON_UP ? "daemon" : "normal", r.pid, r.ppid);
	}

	lesson_do(c, "P's code ends: P exits while both children still run.");
	close(end[1]);
	end[1] = -1;
	lesson_wait(p, &st, -1);
	lesson_saw(c, "P (%d) is gone: %s", (int)p, lesson_status_str(st, sbuf, sizeof sbuf));
	parent = p;
	p = 0;

	/* The daemon was re-parented to us (the subreaper) as it died, so we can
	 * collect how it ended. */
	if (lesson_wait(daemon, &st, 2000) != daemon) {
		lesson_fail(c, "daemon %d still running 2 s after P ended", (int)daemon);
		goto out;
	}
	daemon = 0;
	lesson_claim(c, "daemon after parent ended: gone (%s)",
		     lesson_status_str(st, sbuf, sizeof sbuf));

	if (lesson_read(rep[0], &r, sizeof r, 5000) != 0 || r.who != NORMAL_MOVED) {
		lesson_fail(c, "the normal child did not report its new parent");
		goto out;
	}
	state = lesson_proc_state(normal);
	if (!state || state == 'Z') {
		lesson_fail(c, "normal child %d is not running", (int)normal);
		goto out;
	}
	lesson_claim(c, "normal child after parent ended: alive (state %c)", state);
	lesson_saw(c, "getppid() in child %d changed from %d (P) to %d (this "
		   "lesson, the subreaper)", (int)normal, (int)parent, r.ppid);

	close(release[1]);              /* now let it finish */
	release[1] = -1;
	lesson_wait(normal, &st, 2000);
	lesson_saw(c, "normal child released and reaped: %s",
		   lesson_status_str(st, sbuf, sizeof sbuf));
	normal = 0;
	lesson_why(c, "PDEATHSIG is kept by the kernel: the daemon died with P "
		   "even though P never killed it. A normal child is adopted; "
		   "without a subreaper its new parent would be pid 1.");
	rc = 0;
out:
	if (end[1] >= 0)
		close(end[1]);
	lesson_kill(p);
	lesson_kill(daemon);
	lesson_kill(normal);
	if (release[1] >= 0)
		close(release[1]);
	close(rep[0]);
	prctl(PR_SET_CHILD_SUBREAPER, was_subreaper);
	return rc;
}

const struct lesson lesson_daemon = {
	.name = "daemon",
	.summary = "a daemon child dies with its parent, a normal one lives on",
	.seed = "001_47380365a1348ba6.txt",
	.run = run,
};
