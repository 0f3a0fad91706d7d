/* proc.c: small process helpers for the runtime (see proc.h). */
#include "par/proc.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "par/sys.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

char *proc_status_text(int status, char *buf, size_t len)
{
	if (WIFEXITED(status)) {
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
	} else {
		int sig = WTERMSIG(status);
		const char *d = sigdescr_np(sig);

		snprintf(buf, len, "killed by signal %d (%s)", sig, d ? d : "unknown signal");
	}
	return buf;
}

int proc_pidfd_signal(int pidfd, int sig)
{
	return syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 ? -errno : 0;
}

int proc_pidfd_reap(int pidfd)
{
	siginfo_t si;

	memset(&si, 0, sizeof si);
	while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED) < 0)
		if (errno != EINTR)
			return -1;
	if (si.si_code == CLD_EXITED)
		return W_EXITCODE(si.si_status, 0);
	return si.si_status & 0x7f;     /* killed or dumped: the signal */
}

int proc_child_pidfd(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	int e = errno;

	if (fd >= 0)
		return fd;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return -e;
}

int proc_count_threads(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int n = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

int proc_threads_settle(int most, uint64_t wait_ns)
{
	uint64_t deadline = now_ns() + wait_ns;
	int n;

	while ((n = proc_count_threads()) > most && now_ns() < deadline)
		sleep_ns(50000);
	return n;
}

pid_t proc_fork_quiet(void)
{
	sigset_t all, old;
	pid_t pid;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	e = errno;
	if (pid != 0)
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

bool proc_child_init(pid_t parent_pid, const int *keep, unsigned nkeep)
{
	int sorted[PROC_MAX_KEEP];
	unsigned lo = 3;
	sigset_t none;

	/* Handlers first, while signals are still blocked (proc_fork_quiet):
	 * a SIGTERM from terminate that reached a new worker first would
	 * otherwise run the parent's handler in it. */
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sigaction(sig, NULL, &sa) == 0 && sa.sa_handler != SIG_DFL &&
		    sa.sa_handler != SIG_IGN)
			signal(sig, SIG_DFL);
	}
	sys_child_after_fork();
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	/* Hold nothing but stdio and what the caller keeps: a worker must not
	 * keep other workers' channels open. */
	if (nkeep > PROC_MAX_KEEP)
		nkeep = PROC_MAX_KEEP;
	memcpy(sorted, keep, nkeep * sizeof *sorted);
	qsort(sorted, nkeep, sizeof *sorted, cmp_int);
	for (unsigned i = 0; i < nkeep; i++) {
		if ((unsigned)sorted[i] > lo)
			close_range(lo, (unsigned)sorted[i] - 1, 0);
		lo = (unsigned)sorted[i] + 1;
	}
	close_range(lo, ~0u, 0);
	/* The parent may have died before PDEATHSIG was armed. */
	return getppid() == parent_pid;
}
