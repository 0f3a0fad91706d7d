/* ovh.c: what the kernels of `tvp overhead` share (see ovh.h): partners,
 * binding, smaps_rollup of a process and of a process tree, waiting for
 * children. */
#include "bench/overhead/ovh.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/util.h"

int ovh_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

int ovh_bind_self(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -errno;
}

unsigned ovh_allowed_cpus(int *cpus, unsigned max)
{
	cpu_set_t set;
	unsigned n = 0;

	if (sched_getaffinity(0, sizeof set, &set) != 0) {
		if (max)
			cpus[0] = 0;
		return 1;
	}
	for (int c = 0; c < CPU_SETSIZE && n < max; c++)
		if (CPU_ISSET(c, &set))
			cpus[n++] = c;
	if (n == 0 && max) {
		cpus[0] = 0;
		n = 1;
	}
	return n;
}

int ovh_waitpid(pid_t pid)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return st;
}

int ovh_reap_ok(pid_t pid, const char *what, char *err, size_t errlen)
{
	int st = ovh_waitpid(pid);

	if (st < 0)
		return ovh_fail(err, errlen, st, "waitpid: %s", strerror(-st));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (tvp_interrupted)   /* Ctrl-C reached the exec'd program too */
		return -EINTR;
	return ovh_fail(err, errlen, -ECHILD, "%s: the child %s %d", what,
			WIFEXITED(st) ? "exited with" : "was killed by signal",
			WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

const char *ovh_true_path(void)
{
	static const char *const paths[] = { "/bin/true", "/usr/bin/true" };

	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (access(paths[i], X_OK) == 0)
			return paths[i];
	return NULL;
}

/* Reads up to len - 1 bytes of a small /proc file into buf, NUL-terminated.
 * Returns 0 or a negative errno. */
static int read_small(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;

	if (fd < 0)
		return -errno;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return rc;
}

/* Parses "Name:   123 kB" lines; values are in kB. */
static uint64_t field_kb(const char *text, const char *name)
{
	const char *p = text;
	size_t len = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == text || p[-1] == '\n') && p[len] == ':')
			return strtoull(p + len + 1, NULL, 10);
		p += len;
	}
	return 0;
}

/* /proc/PID/smaps_rollup (pid 0: this process) into buf. */
static int rollup_text(pid_t pid, char *buf, size_t len)
{
	char path[64];
	int rc;

	if (pid)
		snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
	else
		snprintf(path, sizeof path, "/proc/self/smaps_rollup");
	rc = read_small(path, buf, len);
	return rc ? rc : strstr(buf, "\nPss:") ? 0 : -ENODATA;
}

int ovh_smaps_rollup(pid_t pid, uint64_t *rss, uint64_t *pss, uint64_t *shared)
{
	char buf[2048];
	int rc = rollup_text(pid, buf, sizeof buf);

	if (rc)
		return rc;
	*rss = field_kb(buf, "Rss") * 1024;
	*pss = field_kb(buf, "Pss") * 1024;
	if (shared)
		*shared = (field_kb(buf, "Shared_Clean") + field_kb(buf, "Shared_Dirty")) * 1024;
	return 0;
}

int ovh_memory_made(pid_t pid, uint64_t *rss, uint64_t *pss)
{
	char buf[2048];
	int rc = rollup_text(pid, buf, sizeof buf);

	if (rc)
		return rc;
	*rss = field_kb(buf, "Rss") * 1024;
	if (strstr(buf, "\nPss_Anon:"))
		*pss = (field_kb(buf, "Pss_Anon") + field_kb(buf, "Pss_Shmem")) * 1024;
	else   /* before Linux 5.10 */
		*pss = field_kb(buf, "Pss") * 1024;
	return 0;
}

/* The parent of pid (from /proc/PID/stat), or -1 when it has gone. */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *rp;
	int ppid;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (read_small(path, buf, sizeof buf) != 0)
		return -1;
	/* "pid (comm) S ppid ...": comm may hold spaces and ')', so take the last. */
	rp = strrchr(buf, ')');
	return rp && sscanf(rp + 1, " %*c %d", &ppid) == 1 ? (pid_t)ppid : -1;
}

static bool holds(const pid_t *pids, size_t n, pid_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

int ovh_tree_memory(pid_t root, uint64_t *rss, uint64_t *pss)
{
	pid_t *pids = NULL, *parents = NULL, *tree;
	size_t n = 0, cap = 0, in = 1;
	uint64_t r, p;
	struct dirent *e;
	DIR *d = opendir("/proc");
	int rc;

	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		pid_t pid = (pid_t)atoi(e->d_name);

		if (pid <= 0)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			pids = xrealloc(pids, cap * sizeof *pids);
			parents = xrealloc(parents, cap * sizeof *parents);
		}
		pids[n] = pid;
		parents[n++] = parent_of(pid);
	}
	closedir(d);
	/* The tree, root first: add every process whose parent is in it, until
	 * a pass adds none (a pool's tree is two or three levels deep). */
	tree = xcalloc(n + 1, sizeof *tree);
	tree[0] = root;
	for (size_t added = 1; added;) {
		added = 0;
		for (size_t i = 0; i < n; i++)
			if (!holds(tree, in, pids[i]) && holds(tree, in, parents[i])) {
				tree[in++] = pids[i];
				added++;
			}
	}
	rc = ovh_memory_made(root, rss, pss);
	/* A process that ended since the scan counts for nothing. */
	for (size_t i = 1; i < in && rc == 0; i++)
		if (ovh_memory_made(tree[i], &r, &p) == 0) {
			*rss += r;
			*pss += p;
		}
	free(tree);
	free(parents);
	free(pids);
	return rc;
}

static void *partner_thread(void *arg)
{
	struct ovh_partner *p = arg;

	if (p->cpu >= 0)
		ovh_bind_self(p->cpu);
	p->fn(p->arg);
	return NULL;
}

void ovh_futex_wait(_Atomic uint32_t *w, uint32_t val, bool private, const struct timespec *ts)
{
	syscall(SYS_futex, w, FUTEX_WAIT | (private ? FUTEX_PRIVATE_FLAG : 0), val, ts, NULL, 0);
}

void ovh_futex_wake(_Atomic uint32_t *w, bool private)
{
	syscall(SYS_futex, w, FUTEX_WAKE | (private ? FUTEX_PRIVATE_FLAG : 0), 1, NULL, NULL, 0);
}

int ovh_partner_start(struct ovh_partner *p, bool process, int cpu, void (*fn)(void *arg),
		      void *arg, char *err, size_t errlen)
{
	int rc;

	memset(p, 0, sizeof *p);
	p->process = process;
	p->cpu = cpu;
	p->fn = fn;
	p->arg = arg;
	if (!process) {
		rc = pthread_create(&p->thread, NULL, partner_thread, p);
		if (rc)
			return ovh_fail(err, errlen, -rc, "pthread_create: %s", strerror(rc));
		p->running = true;
		return 0;
	}
	p->pid = fork();
	if (p->pid < 0)
		return ovh_fail(err, errlen, -errno, "fork: %s", strerror(errno));
	if (p->pid == 0) {
		sys_child_after_fork();
		if (cpu >= 0)
			ovh_bind_self(cpu);
		fn(arg);
		_exit(0);
	}
	p->running = true;
	return 0;
}

int ovh_partner_wait(struct ovh_partner *p, uint64_t timeout_ns)
{
	uint64_t deadline = now_ns() + timeout_ns;
	int st;

	if (!p->running)
		return 0;
	p->running = false;
	if (!p->process) {
		pthread_join(p->thread, NULL);
		return 0;
	}
	for (;;) {
		pid_t r = waitpid(p->pid, &st, WNOHANG);

		if (r == p->pid)
			break;
		if (r < 0 && errno != EINTR)
			return -errno;
		if (now_ns() > deadline) {
			kill(p->pid, SIGKILL);
			st = ovh_waitpid(p->pid);
			break;
		}
		sleep_ns(200000);
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}
