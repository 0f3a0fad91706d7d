/* python.c: finding and running the Python reference scripts (python.h).
 *
 * The child's output is read to the end before it is reaped; a SIGINT that
 * reaches tvp (the run loop's handler sets tvp_interrupted; read() returns
 * EINTR because the handler has no SA_RESTART) kills the child at once, so an
 * interrupted run never waits for a slow Python cell. */
#include "bench/python.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/paths.h"
#include "bench/util.h"

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

int python_run_json(const char *script, const char *const *args, json_t **out, char *err,
		    size_t errlen)
{
	const char *argv[32];
	size_t argc = 0, len = 0, cap = 8192;
	char *buf = xmalloc(cap);
	json_error_t jerr;
	int fd[2], st, rc = 0;
	pid_t pid;

	*out = NULL;
	argv[argc++] = python_interpreter();
	argv[argc++] = script;
	for (size_t i = 0; args[i] && argc < 31; i++)
		argv[argc++] = args[i];
	argv[argc] = NULL;
	if (pipe2(fd, O_CLOEXEC) != 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		free(buf);
		return -errno;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fd[0]);
		close(fd[1]);
		free(buf);
		return rc;
	}
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);
		signal(SIGINT, SIG_IGN);
		dup2(fd[1], STDOUT_FILENO);
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDERR_FILENO);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fd[1]);
	for (;;) {
		ssize_t n;
		if (tvp_interrupted) {
			kill(pid, SIGKILL);
			rc = -EINTR;
			break;
		}
		if (len + 1 >= cap)
			buf = xrealloc(buf, cap *= 2);
		n = read(fd[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	close(fd[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 127) {
		snprintf(err, errlen, "could not run %s", argv[0]);
		rc = -ENOENT;
	} else if (rc == 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0)) {
		snprintf(err, errlen, "%s %s failed (%s %d)", argv[0], script,
			 WIFEXITED(st) ? "exit status" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
		rc = -EIO;
	} else if (rc == 0 && !(*out = json_loads(buf, 0, &jerr))) {
		snprintf(err, errlen, "%s printed no JSON: %s", script, jerr.text);
		rc = -EPROTO;
	}
	free(buf);
	return rc;
}
