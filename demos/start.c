/* start.c: the `start` lesson: the three ways a pool's worker processes
 * start (fork, spawn, forkserver): what each costs here, what a worker
 * inherits under each, and why fork is dangerous once the parent has
 * threads.
 *
 * Lesson: fork copies the running parent: its memory as it is now (a global
 * main() changed is changed in the worker), its open descriptors, its code
 * at the same addresses. It is cheap, and it is a trap once the parent has
 * other threads: the child gets a copy of every lock those threads held,
 * and no thread to release it, so its first attempt to take one blocks for
 * ever. spawn starts a fresh program (tvp itself, told to be a worker:
 * main() turns to serving tasks first thing), so it sees globals as the
 * program file has them, no descriptor the pool did not pass, and no lock
 * anybody held; it costs an exec, and a task must be found by name (the
 * reason for Python's `if __name__ == "__main__":` guard). forkserver
 * spawns one clean server when the pool starts (CPython: one for the
 * program's life) and forks the workers from it: they see what spawn sees,
 * at one exec per pool. Python's Pool(context=...) offers the same three;
 * Linux defaulted to fork until Python 3.14, which made forkserver the
 * default, and 3.12 added a DeprecationWarning when a process with threads
 * forks (shown by default only when __main__ itself forks). The lesson
 * checks what the python3 here does.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "par/pool.h"
#include "par/task_registry.h"
#include "bench/util.h"

extern char **environ;

static int setting = 1;          /* the program file's value; run() makes it 42 */
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;   /* a plain lock */

static const enum pool_start methods[] = { POOL_START_FORK, POOL_START_SPAWN,
					   POOL_START_FORKSERVER };
#define N_METHODS 3

/* What a worker reports about itself. */
struct probe_arg {
	int fd;                  /* the parent's pipe, opened without close-on-exec */
	dev_t dev;
	ino_t ino;
};

struct probe {
	int setting;
	int fd_inherited;        /* fd is the parent's very pipe */
	char cmdline[160];       /* /proc/self/cmdline, spaces for NULs */
};

static int lesson_start_probe(const void *arg, size_t len, struct task_result *out)
{
	const struct probe_arg *a = arg;
	struct probe p = { .setting = setting };
	struct stat st;
	ssize_t n;
	int fd;

	if (len != sizeof *a)
		return task_result_error(out, -EINVAL, "probe: %zu bytes of argument", len);
	fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	p.fd_inherited = fstat(a->fd, &st) == 0 && st.st_dev == a->dev && st.st_ino == a->ino;
	n = fd >= 0 ? read(fd, p.cmdline, sizeof p.cmdline - 1) : -1;
	for (ssize_t i = 0; i < n; i++)
		if (p.cmdline[i] == '\0')
			p.cmdline[i] = i + 1 < n ? ' ' : '\0';
	if (fd >= 0)
		close(fd);
	task_result_set(out, &p, sizeof p);
	return 0;
}
TASK_REGISTER(lesson_start_probe);

/* Takes the plain lock and lets it go. */
static int lesson_start_lock(const void *arg, size_t len, struct task_result *out)
{
	pthread_mutex_lock(&held);
	pthread_mutex_unlock(&held);
	return 0;
}
TASK_REGISTER(lesson_start_lock);

static struct pool_options options(enum pool_kind kind, unsigned workers, enum pool_start s)
{
	return (struct pool_options){ .kind = kind, .workers = workers, .start = s };
}

/* pool_new + pool_free of opt, cold (until every worker ran a first task,
 * without the warm-up that costs the same whatever the method), timed.
 * Returns ns, or 0 with err set. */
static uint64_t time_pool(struct pool_options *opt, char *err, size_t errlen)
{
	struct pool *p;
	uint64_t t0;

	opt->cold = true;
	fflush(NULL);   /* a forked worker must not inherit buffered text */
	t0 = now_ns();
	if (pool_new(&p, opt, err, errlen) != 0)
		return 0;
	pool_free(p);
	return now_ns() - t0;
}

/* posix_spawn of /bin/true twice, both reaped, timed; 0 on failure. */
static uint64_t time_true_twice(void)
{
	char *argv[] = { "true", NULL };
	uint64_t t0 = now_ns();
	pid_t pid[2];
	int n = 0, st, ok = 1;

	while (n < 2 && posix_spawn(&pid[n], "/bin/true", NULL, NULL, argv, environ) == 0)
		n++;
	for (int i = 0; i < n; i++)
		ok &= lesson_wait(pid[i], &st, -1) == pid[i] && st == 0;
	return ok && n == 2 ? now_ns() - t0 : 0;
}

/* Keeps the smaller of *best and ns (0: failed). Returns ns. */
static uint64_t keep_best(uint64_t *best, uint64_t ns)
{
	if (ns && (!*best || ns < *best))
		*best = ns;
	return ns;
}

static int costs(const struct lesson_ctx *c)
{
	/* Two results each (for lesson_ratio's noise), each the best of
	 * several runs, interleaved so a busy moment hits every method alike. */
	uint64_t ns[N_METHODS + 2][2] = { { 0 } };
	int runs = c->quick ? 3 : 8;
	char err[256];
	double noise, r;

	lesson_do(c, "Starting (until each worker has run a first task) and "
		  "stopping a pool of 2 workers, %d times each way: processes by "
		  "fork, spawn and forkserver, then threads; beside them "
		  "posix_spawn of /bin/true twice, the least that starting two "
		  "programs costs.", 2 * runs);
	for (int k = 0; k < 2 * runs; k++) {
		for (int m = 0; m < N_METHODS; m++) {
			struct pool_options o = options(POOL_PROCESSES, 2, methods[m]);

			if (!keep_best(&ns[m][k % 2], time_pool(&o, err, sizeof err)))
				return lesson_fail(c, "%s pool: %s", pool_start_name(methods[m]), err);
		}
		if (!keep_best(&ns[N_METHODS][k % 2], time_true_twice()))
			return lesson_fail(c, "posix_spawn of /bin/true twice failed");
	}
	for (int k = 0; k < 2 * runs; k++) {   /* threads last: a fork pool wants one thread */
		struct pool_options o = options(POOL_THREADS, 2, POOL_START_FORK);

		if (!keep_best(&ns[N_METHODS + 1][k % 2], time_pool(&o, err, sizeof err)))
			return lesson_fail(c, "thread pool: %s", err);
	}
#define BEST(i) lesson_dur((double)(ns[i][0] < ns[i][1] ? ns[i][0] : ns[i][1]))
	lesson_claim(c, "start-up of a pool of 2: fork %s, spawn %s, forkserver %s, threads %s",
		     BEST(0), BEST(1), BEST(2), BEST(N_METHODS + 1));
	lesson_saw(c, "posix_spawn of /bin/true twice: %s", BEST(N_METHODS));
#undef BEST
	r = lesson_ratio(ns[1], ns[0], &noise);
	if (r > noise)
		lesson_why(c, "spawn cost %.1fx fork here: each worker is a new program "
			   "(exec, the loader, every library's start-up, pages of its "
			   "own), where fork only copies the parent's page tables.", r);
	else if (r * noise < 1)
		lesson_why(c, "fork cost %.1fx spawn here, beyond the noise: starting "
			   "the processes is only part of a pool's start-up, and this "
			   "machine is busy; rerun to see whether it holds.", 1 / r);
	else
		lesson_why(c, "spawn and fork were within the noise here (%.1fx, "
			   "runs %.1fx apart): rerun on a quieter machine.", r, noise);
	lesson_why(c, "each start is timed until every worker has run a first "
		   "task; a pool made for work also warms up for another %s "
		   "(pool.h), the same whatever the method.", lesson_dur(POOL_WARM_NS));
	return 0;
}

/* Runs the probe in a pool of 1 started by s. Returns 0, or 1 after
 * lesson_fail. */
static int probe(const struct lesson_ctx *c, enum pool_start s, const struct probe_arg *a,
		 struct probe *out)
{
	struct pool_options o = options(POOL_PROCESSES, 1, s);
	struct task_result r = TASK_RESULT_INIT;
	char err[256];
	struct pool *p;
	int rc;

	fflush(NULL);
	if (pool_new(&p, &o, err, sizeof err) != 0)
		return lesson_fail(c, "%s pool: %s", pool_start_name(s), err);
	rc = pool_apply(p, lesson_start_probe, a, sizeof *a, &r);
	if (rc == 0 && r.len == sizeof *out)
		memcpy(out, task_result_data(&r), sizeof *out);
	task_result_release(&r);
	pool_free(p);
	return rc ? lesson_fail(c, "%s worker: the probe failed (%d)", pool_start_name(s), rc) : 0;
}

/* Runs code with python3 ($TVP_PYTHON). The code prints the version and the
 * default start method (into ver and def, 32 bytes each), then what it
 * found, which is returned (its first line, in out). NULL when there is no
 * python3 or it failed, after saying the Python part is skipped. */
static const char *ask_python(const struct lesson_ctx *c, const char *code, char *out,
			      size_t len, char *ver, char *def)
{
	int n = 0;

	if (lesson_python(c, code, 30000, out, len) != 0 ||
	    sscanf(out, "%31s %31s %n", ver, def, &n) != 2 || !n) {
		lesson_saw(c, "(no python3 here, or it failed: the Python part is skipped)");
		return NULL;
	}
	out[n + strcspn(out + n, "\n")] = '\0';
	return out + n;
}

/* The same in Python, from a script file (spawn re-imports it). */
static const char python_inherit[] =
	"import os, subprocess, sys, tempfile\n"
	"src = '''\n"
	"import multiprocessing as mp, os, sys\n"
	"setting = 1\n"
	"def probe(a):\n"
	"    try:\n"
	"        st = os.fstat(a[0]); same = (st.st_dev, st.st_ino) == (a[1], a[2])\n"
	"    except OSError:\n"
	"        same = False\n"
	"    return setting, same\n"
	"if __name__ == '__main__':\n"
	"    setting = 42\n"
	"    r, w = os.pipe(); os.set_inheritable(r, True); st = os.fstat(r)\n"
	"    out = []\n"
	"    for m in ('fork', 'spawn', 'forkserver'):\n"
	"        with mp.get_context(m).Pool(1) as p:\n"
	"            s, same = p.apply(probe, ((r, st.st_dev, st.st_ino),))\n"
	"        out.append('%s sees %d, descriptor %s' % (m, s, 'inherited' if same else 'not inherited'))\n"
	"    print(sys.version.split()[0], mp.get_start_method(), '; '.join(out))\n"
	"    # the fork server and resource tracker would outlive us a moment, unreaped\n"
	"    from multiprocessing import forkserver, resource_tracker\n"
	"    for h in (forkserver._forkserver, resource_tracker._resource_tracker):\n"
	"        getattr(h, '_stop', lambda: None)()\n"
	"'''\n"
	"with tempfile.TemporaryDirectory() as d:\n"
	"    path = os.path.join(d, 'inherit.py')\n"
	"    open(path, 'w').write(src)\n"
	"    p = subprocess.run([sys.executable, path], capture_output=True, text=True)\n"
	"    print(p.stdout.strip() if p.returncode == 0 else 'failed')\n";

/* tvp_server_saw: what tvp's forkserver worker saw of the global. */
static void python_inheritance(const struct lesson_ctx *c, int tvp_server_saw)
{
	char out[512], ver[32], def[32];
	const char *found = ask_python(c, python_inherit, out, sizeof out, ver, def);

	if (!found)
		return;
	lesson_claim(c, "Python %s (default start method %s): %s", ver, def, found);
	if (strstr(out, "forkserver sees 1"))
		lesson_why(c, "CPython's fork server is a fresh interpreter, started the "
			   "first time a forkserver process is needed and kept for the "
			   "program's life; it imports the main script as __mp_main__, so "
			   "its workers see what the file's top level sets, never what the "
			   "__main__ block changed. %s", tvp_server_saw == 1
			   ? "tvp's server is spawned the same way, but one per pool, when "
			     "the pool starts."
			   : "tvp's server is forked from this process when the pool "
			     "starts, so it sees the global as it was then.");
	if (strstr(out, "fork sees 42, descriptor inherited"))
		lesson_why(c, "Python's fork keeps every descriptor (its workers close "
			   "none); its spawn and forkserver pass only their own.");
}

/* The probe in the child of a bare fork(), which keeps all fork copied. */
static int bare_fork_probe(const struct lesson_ctx *c, const struct probe_arg *a,
			   struct probe *out)
{
	struct task_result r = TASK_RESULT_INIT;
	int rep[2], st, rc;
	pid_t pid;

	if (pipe2(rep, O_CLOEXEC))
		return lesson_fail(c, "pipe: %s", strerror(errno));
	pid = lesson_fork(c);
	if (pid == 0) {
		lesson_start_probe(a, sizeof *a, &r);
		write_full(rep[1], task_result_data(&r), sizeof *out);
		_exit(0);
	}
	close(rep[1]);
	rc = pid < 0 ? -errno : lesson_read(rep[0], out, sizeof *out, 5000);
	close(rep[0]);
	if (pid > 0)
		lesson_wait(pid, &st, -1);
	return rc ? lesson_fail(c, "the forked child did not report: %s", strerror(-rc)) : 0;
}

static void explain_inheritance(const struct lesson_ctx *c, const struct probe *bare,
				const struct probe *seen)
{
	if (seen[0].setting == 42 && seen[1].setting == 1)
		lesson_why(c, "fork copies the running process, its memory as it is "
			   "now; a spawned worker is this program started again with "
			   "other arguments, and main() never set 42 there. So a spawned "
			   "worker finds its task by name, and Python re-imports the main "
			   "script, which is why it needs the `if __name__ == "
			   "\"__main__\":` guard.");
	if (seen[2].setting == 1)
		lesson_why(c, "tvp's fork server is itself spawned when the pool starts "
			   "(its command line is above): its workers are forks of a fresh "
			   "image, so they see what spawn sees, at one exec per pool "
			   "instead of one per worker.");
	else if (seen[2].setting == 42)
		lesson_why(c, "tvp's fork server was forked from this process when the "
			   "pool started, so its workers see the global as it was then.");
	if (bare->fd_inherited && !seen[0].fd_inherited)
		lesson_why(c, "fork copies the whole descriptor table (and exec keeps "
			   "whatever lacks close-on-exec), so a bare child holds the "
			   "parent's pipe: a reader waiting for end of file waits while "
			   "any child keeps the write end. tvp's workers close every "
			   "descriptor they were not given, whatever the method, as libuv "
			   "does for its children; spawn passes only the listed ones.");
}

static int inheritance(const struct lesson_ctx *c)
{
	static const char *const yes_no[] = { "not inherited", "inherited" };
	struct probe seen[N_METHODS], bare;
	struct probe_arg a;
	struct stat st;
	int fd[2], rc;

	setting = 42;
	if (pipe(fd))   /* no O_CLOEXEC: an exec keeps it unless someone closes it */
		return lesson_fail(c, "pipe: %s", strerror(errno));
	fstat(fd[0], &st);
	a = (struct probe_arg){ fd[0], st.st_dev, st.st_ino };
	lesson_do(c, "The global setting is 1 in the program file; main has set it "
		  "to 42, and opened a pipe (descriptor %d) without close-on-exec. "
		  "A bare fork() child, then a pool of 1 started each way, report "
		  "what they see.", fd[0]);
	rc = bare_fork_probe(c, &a, &bare);
	for (int m = 0; m < N_METHODS && rc == 0; m++)
		rc = probe(c, methods[m], &a, &seen[m]);
	close(fd[0]);
	close(fd[1]);
	setting = 1;   /* `lesson all` may run us again */
	if (rc)
		return rc;
	lesson_claim(c, "a global set to 42 before the pool started: fork sees %d, spawn "
		     "sees %d, forkserver sees %d", seen[0].setting, seen[1].setting,
		     seen[2].setting);
	lesson_claim(c, "descriptor %d without close-on-exec: a bare fork() child: %s; "
		     "tvp's workers: fork %s, spawn %s, forkserver %s", fd[0],
		     yes_no[bare.fd_inherited], yes_no[seen[0].fd_inherited],
		     yes_no[seen[1].fd_inherited], yes_no[seen[2].fd_inherited]);
	lesson_saw(c, "a fork worker's command line: %s", seen[0].cmdline);
	lesson_claim(c, "a spawn worker's command line: %s", seen[1].cmdline);
	lesson_saw(c, "a forkserver worker's command line: %s", seen[2].cmdline);
	explain_inheritance(c, &bare, seen);
	python_inheritance(c, seen[2].setting);
	return 0;
}

struct holder {
	int held_fd, release_fd;
};

/* Takes the lock, says so, and keeps it until told to let go. */
static void *hold_lock(void *arg)
{
	struct holder *h = arg;
	char byte = 1;

	pthread_mutex_lock(&held);
	write_full(h->held_fd, &byte, 1);
	lesson_read(h->release_fd, &byte, 1, 60000);
	pthread_mutex_unlock(&held);
	return NULL;
}

/* fork() while another thread holds the lock; the child takes it. */
static int fork_and_lock(const struct lesson_ctx *c, int timeout_ms)
{
	char byte = 0, state;
	int rep[2], rc;
	pid_t pid;

	if (pipe2(rep, O_CLOEXEC))
		return lesson_fail(c, "pipe: %s", strerror(errno));
	pid = lesson_fork(c);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		pthread_mutex_lock(&held);    /* a copy, locked, with no owner here */
		write_full(rep[1], &byte, 1);
		_exit(0);
	}
	close(rep[1]);
	if (pid < 0) {
		close(rep[0]);
		return lesson_fail(c, "fork: %s", strerror(errno));
	}
	rc = lesson_read(rep[0], &byte, 1, timeout_ms);
	close(rep[0]);
	state = lesson_proc_state(pid);
	lesson_kill(pid);
	if (rc == 0)
		lesson_claim(c, "fork with another thread holding the lock: the child took it "
			     "(this time)");
	else
		lesson_claim(c, "fork with another thread holding the lock: the child was still "
			     "waiting for it after %.1f s (state %c): killed", timeout_ms / 1000.0,
			     state ? state : '?');
	return 0;
}

enum outcome { TOOK, REFUSED, BLOCKED, FAILED };

/* A pool started by s in this threaded process runs the lock task. */
static enum outcome pool_and_lock(const struct lesson_ctx *c, enum pool_start s, int timeout_ms)
{
	struct pool_options o = options(POOL_PROCESSES, 1, s);
	struct task_result r = TASK_RESULT_INIT;
	const char *name = pool_start_name(s);
	struct pool_async *a;
	char err[256];
	struct pool *p;
	int rc;

	fflush(NULL);
	if (pool_new(&p, &o, err, sizeof err) != 0) {
		lesson_claim(c, "%s pool, started now: refused: %s", name, err);
		return REFUSED;
	}
	a = pool_apply_async(p, lesson_start_lock, NULL, 0, NULL, NULL, NULL, 0);
	rc = a ? pool_async_get(a, (int64_t)timeout_ms * 1000000, &r) : -errno;
	if (rc == -ETIMEDOUT)
		pool_terminate(p);
	if (a)
		pool_async_free(a);
	task_result_release(&r);
	pool_free(p);
	if (rc == 0) {
		lesson_claim(c, "%s pool, started now: the task took its lock and returned", name);
		return TOOK;
	}
	if (rc == -ETIMEDOUT) {
		lesson_claim(c, "%s pool, started now: the task was still waiting for the lock "
			     "after %.1f s: terminated", name, timeout_ms / 1000.0);
		return BLOCKED;
	}
	lesson_claim(c, "%s pool, started now: the task failed: %s", name, strerror(-rc));
	return FAILED;
}

/* Why each pool did what it did, from what it did. */
static void explain_pools(const struct lesson_ctx *c, const enum outcome *out)
{
	if (out[0] == REFUSED)
		lesson_why(c, "tvp's fork pool checks how many threads the process has "
			   "and refuses to fork rather than risk that hang.");
	if (out[1] == TOOK)
		lesson_why(c, "a spawned worker is a fresh program: its mutex is the "
			   "program file's, unlocked, whatever this process holds.");
	if (out[2] == TOOK)
		lesson_why(c, "a forkserver worker is forked by a server that has one "
			   "thread and never took the lock (tvp spawns it, fresh).");
	else if (out[2] == BLOCKED)
		lesson_why(c, "this fork server was itself forked from this process "
			   "while the lock was held: it copied the locked mutex, and so "
			   "did every worker it forked.");
}

static void python_threads_fork(const struct lesson_ctx *c)
{
	static const char code[] =
		"import os, sys, threading, warnings, multiprocessing as mp\n"
		"ev = threading.Event(); t = threading.Thread(target=ev.wait); t.start()\n"
		"with warnings.catch_warnings(record=True) as w:\n"
		"    warnings.simplefilter('always')\n"
		"    pid = os.fork()\n"
		"    if pid == 0: os._exit(0)\n"
		"    os.waitpid(pid, 0)\n"
		"ev.set(); t.join()\n"
		"print(sys.version.split()[0], mp.get_start_method())\n"
		"print('%s: %s' % (w[0].category.__name__, w[0].message) if w else 'no warning')\n";
	char out[512], ver[32], def[32];
	const char *found = ask_python(c, code, out, sizeof out, ver, def);

	if (!found)
		return;
	lesson_claim(c, "Python %s, os.fork() with a second thread running: %s", ver, found);
	lesson_why(c, "this Python's default start method is %s. Python 3.12 and "
		   "later raise a DeprecationWarning when a process with threads "
		   "forks (\"This process (pid=N) is multi-threaded, use of fork() may "
		   "lead to deadlocks in the child.\"), but show it by default only "
		   "when __main__ calls os.fork() itself: a fork Pool started from a "
		   "threaded program says nothing unless run with -W default or -X "
		   "dev. 3.14 made forkserver the default on Linux, for the reason "
		   "shown above.", def);
}

static int danger(const struct lesson_ctx *c, int timeout_ms)
{
	enum outcome out[N_METHODS];
	struct holder h;
	int held_p[2], rel_p[2], rc;
	pthread_t t;
	char byte = 1;

	if (pipe2(held_p, O_CLOEXEC))
		return lesson_fail(c, "pipe: %s", strerror(errno));
	if (pipe2(rel_p, O_CLOEXEC)) {
		rc = lesson_fail(c, "pipe: %s", strerror(errno));
		goto out_held;
	}
	h = (struct holder){ held_p[1], rel_p[0] };
	lesson_do(c, "A second thread takes a plain mutex and keeps it. The main "
		  "thread forks a child that takes the same mutex; we wait %.1f s "
		  "for it.", timeout_ms / 1000.0);
	rc = pthread_create(&t, NULL, hold_lock, &h);
	if (rc) {
		rc = lesson_fail(c, "pthread_create: %s", strerror(rc));
		goto out_rel;
	}
	if (lesson_read(held_p[0], &byte, 1, 10000) != 0) {
		rc = lesson_fail(c, "the thread did not take the lock");
		goto out_join;
	}
	rc = fork_and_lock(c, timeout_ms);
	if (rc)
		goto out_join;
	lesson_why(c, "fork copies memory, the mutex in its locked state with it, "
		   "but only the thread that called fork: the owner does not exist "
		   "in the child, so nobody will ever unlock it.");
	lesson_do(c, "The same task in pools started now, while the thread still "
		  "holds the lock.");
	for (int m = 0; m < N_METHODS; m++)
		out[m] = pool_and_lock(c, methods[m], timeout_ms);
	explain_pools(c, out);
out_join:
	write_full(rel_p[1], &byte, 1);
	pthread_join(t, NULL);
out_rel:
	close(rel_p[0]);
	close(rel_p[1]);
out_held:
	close(held_p[0]);
	close(held_p[1]);
	if (rc == 0)
		python_threads_fork(c);
	return rc;
}

static int run(const struct lesson_ctx *c)
{
	lesson_title(c, "start", "fork, spawn, forkserver: cost, inheritance, threads");
	if (costs(c) || inheritance(c))
		return 1;
	return danger(c, 1000);
}

const struct lesson lesson_start = {
	.name = "start",
	.summary = "fork, spawn, forkserver: what each costs, copies, and risks",
	.seed = "000_6277c7b9c622bfbc.txt, 004_7153cf8486f59d26.txt",
	.run = run,
};
