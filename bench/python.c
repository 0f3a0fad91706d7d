/* python.c: finding and running the Python reference scripts (python.h).
 *
 * The script runs in a process group of its own, so that one kill stops it
 * and every worker its pools started, and dies with tvp. Its stdout and stderr are read in one
 * poll loop: stdout up to PYTHON_OUTPUT_MAX bytes (a script that prints
 * more, or without end, is killed: tvp's memory must not grow with what a
 * script prints), stderr only for its last line, kept for the error message
 * when the script fails (a Python traceback ends with the exception). The
 * loop ends when both pipes do, or when the script has exited and nothing
 * came for POLL_MS (a process it left behind holds them: it is killed).
 *
 * A signal that interrupts the run (the run loop's handler sets
 * tvp_interrupted; poll() returns EINTR because the handler has no
 * SA_RESTART) kills the script at once, so an interrupted run never waits
 * for a slow Python cell; poll also wakes every POLL_MS, so a signal that
 * lands between the check of the flag and the call is seen that late. */
#include "bench/python.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/paths.h"
#include "bench/util.h"

#define POLL_MS 200
#define TAIL_MAX 512                /* bytes of stderr kept: its last line */

char *python_script_path(const char *name)
{
	const char *env = getenv("TVP_PYTHON_DIR");
	char *rel, *path;

	if (env && *env)
		return xasprintf("%s/%s", env, name);
	rel = xasprintf("workloads/python/%s", name);
	path = paths_data_file(rel);
	free(rel);
	return path;
}

const char *python_interpreter(void)
{
	const char *py = getenv("TVP_PYTHON");

	return py && *py ? py : "python3";
}

/* What the child printed so far. */
struct output {
	char *out;                  /* stdout, NUL-terminated */
	size_t len, cap;
	char tail[TAIL_MAX + 1];    /* the end of stderr, NUL-terminated */
	size_t tail_len;
};

/* Reads what is ready on fd into o: stdout when is_out, else stderr's
 * tail. Returns the byte count, 0 at end of stream, -EMSGSIZE when stdout
 * goes on past PYTHON_OUTPUT_MAX bytes, or -errno. */
static ssize_t take(struct output *o, int fd, bool is_out)
{
	char scratch[4096];
	ssize_t n;
	size_t keep;

	if (is_out && o->len < PYTHON_OUTPUT_MAX) {
		if (o->len + 1 >= o->cap) {
			o->cap = o->cap * 2 > PYTHON_OUTPUT_MAX + 1 ? PYTHON_OUTPUT_MAX + 1 : o->cap * 2;
			o->out = xrealloc(o->out, o->cap);
		}
		n = read(fd, o->out + o->len, o->cap - o->len - 1);
		if (n > 0) {
			o->len += (size_t)n;
			o->out[o->len] = '\0';
		}
		return n < 0 ? -errno : n;
	}
	n = read(fd, scratch, sizeof scratch);
	if (n <= 0)
		return n < 0 ? -errno : 0;
	if (is_out)
		return -EMSGSIZE;   /* a byte past the limit */
	/* stderr: keep its last TAIL_MAX bytes. */
	if ((size_t)n >= TAIL_MAX) {
		memcpy(o->tail, scratch + n - TAIL_MAX, TAIL_MAX);
		o->tail_len = TAIL_MAX;
	} else {
		keep = o->tail_len + (size_t)n > TAIL_MAX ? TAIL_MAX - (size_t)n : o->tail_len;
		memmove(o->tail, o->tail + o->tail_len - keep, keep);
		memcpy(o->tail + keep, scratch, (size_t)n);
		o->tail_len = keep + (size_t)n;
	}
	o->tail[o->tail_len] = '\0';
	return n;
}

/* Why a script that exited non-zero failed: the "error" of the JSON it
 * printed (the reference scripts say which task returned what), else the
 * last non-empty line of its stderr (a traceback ends with the exception),
 * else "". Points into o or j, which it sets (decref it). */
static const char *failure_reason(struct output *o, json_t **j)
{
	const char *e;
	char *end = o->tail + o->tail_len, *start;

	*j = json_loads(o->out, 0, NULL);
	e = json_string_value(json_object_get(*j, "error"));
	if (e && *e)
		return e;
	while (end > o->tail && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	*end = '\0';
	start = memrchr(o->tail, '\n', (size_t)(end - o->tail));
	return start ? start + 1 : o->tail;
}

/* Drains the child's stdout (fd[0]) and stderr (fd[1]) into o until both
 * end, or until the child has exited and nothing more came for POLL_MS (a
 * process it left behind may hold the pipes open): then *st is its status
 * and *reaped is set. Returns 0, -EINTR when tvp_interrupted was seen,
 * -EMSGSIZE past PYTHON_OUTPUT_MAX, or another negative errno. */
static int drain(int fd[2], struct output *o, pid_t pid, int *st, bool *reaped)
{
	struct pollfd p[2] = { { .fd = fd[0], .events = POLLIN }, { .fd = fd[1], .events = POLLIN } };

	while (p[0].fd >= 0 || p[1].fd >= 0) {
		int ready;

		if (tvp_interrupted)
			return -EINTR;
		ready = poll(p, 2, POLL_MS);
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready < 0)
			return -errno;
		if (ready == 0 && waitpid(pid, st, WNOHANG) == pid) {
			*reaped = true;
			return 0;
		}
		for (int k = 0; k < 2; k++) {
			ssize_t n;

			if (p[k].fd < 0 || !p[k].revents)
				continue;
			n = take(o, p[k].fd, k == 0);
			if (n == -EINTR || n == -EAGAIN)
				continue;
			if (n < 0)
				return (int)n;
			if (n == 0)
				p[k].fd = -1;   /* poll skips negative descriptors */
		}
	}
	return 0;
}

/* In the child: a process group of its own (so that killing it kills the
 * workers its pools started too), death with tvp if tvp is killed (SIGINT
 * ignored: tvp decides), stdin from /dev/null, stdout and stderr to the
 * pipes, then the interpreter. Never returns. */
static void exec_child(const char *const *argv, int out_w, int err_w, pid_t parent)
{
	int nul = open("/dev/null", O_RDONLY);

	setpgid(0, 0);
	sys_child_after_fork();   /* its parent-death signal survives exec */
	if (getppid() != parent)
		_exit(127);           /* tvp died before it was set */
	dup2(nul, STDIN_FILENO);
	dup2(out_w, STDOUT_FILENO);
	dup2(err_w, STDERR_FILENO);
	execvp(argv[0], (char *const *)argv);
	_exit(127);
}

int python_run_json(const char *script, const char *const *args, json_t **out, char *err,
		    size_t errlen)
{
	const char *argv[32];
	size_t argc = 0;
	struct output o = { .cap = 8192 };
	json_error_t jerr;
	int opipe[2], epipe[2], rd[2], st, rc = 0;
	bool reaped = false;
	pid_t pid, parent = getpid();

	*out = NULL;
	argv[argc++] = python_interpreter();
	argv[argc++] = script;
	for (size_t i = 0; args[i] && argc < 31; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	if (pipe2(opipe, O_CLOEXEC) != 0) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return rc;
	}
	if (pipe2(epipe, O_CLOEXEC) != 0) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out_close_opipe;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out_close_epipe;
	}
	if (pid == 0)
		exec_child(argv, opipe[1], epipe[1], parent);
	setpgid(pid, pid);   /* as the child does: whichever runs first */
	close(opipe[1]);
	close(epipe[1]);
	opipe[1] = epipe[1] = -1;
	o.out = xmalloc(o.cap);
	o.out[0] = '\0';
	rd[0] = opipe[0];
	rd[1] = epipe[0];
	rc = drain(rd, &o, pid, &st, &reaped);
	/* Interrupted, too much, or gone leaving others behind: none of its
	 * group outlives it. */
	if (rc != 0 || reaped)
		kill(-pid, SIGKILL);
	while (!reaped && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc == -EMSGSIZE) {
		snprintf(err, errlen, "%s %s printed more than %u bytes (one JSON object was expected); "
			 "killed", argv[0], script, PYTHON_OUTPUT_MAX);
	} else if (rc < 0 && rc != -EINTR) {
		snprintf(err, errlen, "reading from %s %s: %s", argv[0], script, strerror(-rc));
	} else if (rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		snprintf(err, errlen, "could not run %s", argv[0]);
		rc = -ENOENT;
	} else if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		json_t *j;
		const char *why = failure_reason(&o, &j);

		snprintf(err, errlen, "%s %s failed (%s %d)%s%s", argv[0], script,
			 WIFEXITED(st) ? "exit status" : "signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), *why ? ": " : "", why);
		json_decref(j);
		rc = -EIO;
	} else if (rc == 0 && !(*out = json_loads(o.out, 0, &jerr))) {
		snprintf(err, errlen, "%s printed no JSON: %s", script, jerr.text);
		rc = -EPROTO;
	}
	free(o.out);
	close(opipe[0]);
	close(epipe[0]);
	return rc;

out_close_epipe:
	close(epipe[0]);
	close(epipe[1]);
out_close_opipe:
	close(opipe[0]);
	close(opipe[1]);
	return rc;
}
