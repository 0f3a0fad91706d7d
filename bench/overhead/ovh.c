/* ovh.c: what the kernels of `tvp overhead` share (see ovh.h): partners,
 * binding, smaps_rollup, waiting for children. */
#include "bench/overhead/ovh.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int ovh_smaps_rollup(pid_t pid, uint64_t *rss, uint64_t *pss, uint64_t *shared)
{
	char path[64], buf[2048];
	ssize_t n;
	size_t len = 0;
	int fd, rc = 0;

	if (pid)
		snprintf(path, sizeof path, "/proc/%d/smaps_rollup", (int)pid);
	else
		snprintf(path, sizeof path, "/proc/self/smaps_rollup");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (len < sizeof buf - 1 && (n = read(fd, buf + len, sizeof buf - 1 - len)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (rc)
		return rc;
	buf[len] = '\0';
	if (!strstr(buf, "\nPss:"))
		return -ENODATA;
	*rss = field_kb(buf, "Rss") * 1024;
	*pss = field_kb(buf, "Pss") * 1024;
	if (shared)
		*shared = (field_kb(buf, "Shared_Clean") + field_kb(buf, "Shared_Dirty")) * 1024;
	return 0;
}

static void *partner_thread(void *arg)
{
	struct ovh_partner *p = arg;

	if (p->cpu >= 0)
		ovh_bind_self(p->cpu);
	p->fn(p->arg);
	return NULL;
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
