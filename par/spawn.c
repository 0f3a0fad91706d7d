/* spawn.c: starting a worker as a fresh image of this program, and the
 * entry point such a worker comes in by (see spawn.h).
 *
 * DESIGN
 * The parent writes a header (magic, descriptor count, its pid, the length)
 * and the init bytes into a memfd, then posix_spawns /proc/self/exe with
 * file actions that dup2 the caller's descriptors to 3.. and the memfd to
 * SPAWN_INIT_FD, and close everything above. The caller's descriptors are
 * first copied above SPAWN_INIT_FD, so that no dup2 overwrites a source
 * another one still needs. The worker reads the header with pread (the
 * memfd's offset is shared with the parent's copy), closes the memfd and
 * the unused numbers below it, arms its parent-death signal (when the
 * parent's main thread spawned it: sys.h) and runs the role. Roles live in
 * a small fixed table filled by constructors.
 */
#include "par/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "par/proc.h"
#include "par/sys.h"
#include "par/task_registry.h"

#define MAX_ROLES 8
#define ROLE_NAME_MAX 32
#define INIT_MAGIC 0x74767073u    /* "tvps" */

struct role {
	char name[ROLE_NAME_MAX];
	spawn_role_fn fn;
};

struct init_header {
	uint32_t magic;
	uint32_t nfds;
	int32_t parent_pid;
	uint32_t flags;           /* INIT_FROM_MAIN */
	uint64_t len;
};

/* The parent's main thread spawned the worker: it may arm its death
 * signal (sys.h). */
#define INIT_FROM_MAIN 1u

static pthread_mutex_t roles_mu = PTHREAD_MUTEX_INITIALIZER;
static struct role roles[MAX_ROLES];
static unsigned n_roles;
static const char *argv0;
static bool entered;

int spawn_role_add(const char *name, spawn_role_fn fn)
{
	size_t len = name ? strlen(name) : 0;
	int rc = 0;

	if (len == 0 || len >= ROLE_NAME_MAX || !fn)
		return -EINVAL;
	pthread_mutex_lock(&roles_mu);
	for (unsigned i = 0; i < n_roles; i++) {
		if (strcmp(roles[i].name, name) == 0) {
			rc = roles[i].fn == fn ? 0 : -EEXIST;
			goto out_unlock;
		}
	}
	if (n_roles == MAX_ROLES) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	memcpy(roles[n_roles].name, name, len + 1);
	roles[n_roles++].fn = fn;
out_unlock:
	pthread_mutex_unlock(&roles_mu);
	return rc;
}

spawn_role_fn spawn_role_find(const char *name)
{
	spawn_role_fn fn = NULL;

	pthread_mutex_lock(&roles_mu);
	for (unsigned i = 0; i < n_roles && !fn; i++)
		if (strcmp(roles[i].name, name) == 0)
			fn = roles[i].fn;
	pthread_mutex_unlock(&roles_mu);
	return fn;
}

/* ---- in the worker ----------------------------------------------------- */

__attribute__((noreturn, format(printf, 2, 3))) static void die(const char *label,
								 const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "tvp: spawned worker (%s): %s\n", label, msg);
	exit(SPAWN_EXIT_BAD_START);
}

/* Reads exactly len bytes at offset off of fd. Returns 0 or a negative
 * errno (-EPIPE when the file is shorter). */
static int pread_full(int fd, void *buf, size_t len, off_t off)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		p += n;
		off += n;
		len -= (size_t)n;
	}
	return 0;
}

__attribute__((noreturn)) static void worker_main(int argc, char **argv)
{
	const char *label = argc > 3 ? argv[3] : "?";
	struct init_header h;
	spawn_role_fn fn;
	int fds[SPAWN_MAX_FDS];
	unsigned char *init;
	int rc;

	if (argc != 4)
		die(label, "expected %s ROLE LABEL, got %d arguments", SPAWN_ARGV1, argc - 1);
	fn = spawn_role_find(argv[2]);
	if (!fn)
		die(label, "unknown role '%s'", argv[2]);
	rc = pread_full(SPAWN_INIT_FD, &h, sizeof h, 0);
	if (rc < 0)
		die(label, "reading the init bytes: %s", strerror(-rc));
	if (h.magic != INIT_MAGIC || h.nfds > SPAWN_MAX_FDS || h.len > SIZE_MAX / 2)
		die(label, "malformed init bytes (not spawned by spawn_worker?)");
	init = xmalloc((size_t)h.len + 1);
	rc = pread_full(SPAWN_INIT_FD, init, (size_t)h.len, sizeof h);
	if (rc < 0)
		die(label, "reading %llu init bytes: %s", (unsigned long long)h.len, strerror(-rc));
	init[h.len] = 0;
	close_range(3 + h.nfds, SPAWN_INIT_FD, 0);
	sys_child_setup(h.flags & INIT_FROM_MAIN);
	/* The parent may have died before the death signal was armed. */
	if (getppid() != (pid_t)h.parent_pid)
		exit(0);
	for (unsigned i = 0; i < h.nfds; i++)
		fds[i] = 3 + (int)i;
	fn(init, (size_t)h.len, fds, h.nfds);
}

void spawn_worker_entry(int argc, char **argv)
{
	if (argc > 0 && argv[0])
		argv0 = argv[0];
	entered = true;
	task_registry_seal();
	if (argc >= 2 && strcmp(argv[1], SPAWN_ARGV1) == 0)
		worker_main(argc, argv);
}

/* ---- in the parent ----------------------------------------------------- */

/* The memfd holding the header and init bytes. Returns it, or a negative
 * errno with err set. */
static int init_memfd(const void *init, size_t len, unsigned nfds, char *err, size_t errlen)
{
	struct init_header h = { INIT_MAGIC, nfds, (int32_t)getpid(),
				 sys_on_main_thread() ? INIT_FROM_MAIN : 0, len };
	int fd = memfd_create("tvp-spawn-init", MFD_CLOEXEC);
	int rc;

	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "memfd_create: %s", strerror(-rc));
		return rc;
	}
	rc = write_full(fd, &h, sizeof h);
	if (rc == 0 && len)
		rc = write_full(fd, init, len);
	if (rc < 0) {
		snprintf(err, errlen, "writing %zu init bytes to a memfd: %s", len, strerror(-rc));
		close(fd);
		return rc;
	}
	return fd;
}

int spawn_worker(const char *role, const char *label, const void *init, size_t len,
		 const int *fds, unsigned nfds, pid_t *pid, int *pidfd, char *err, size_t errlen)
{
	char *argv[] = { (char *)(argv0 ? argv0 : "tvp"), SPAWN_ARGV1, (char *)role,
			 (char *)label, NULL };
	int copies[SPAWN_MAX_FDS];
	unsigned ncopies = 0;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t set;
	int initfd, rc;

	if (nfds > SPAWN_MAX_FDS) {
		snprintf(err, errlen, "spawn: %u descriptors, at most %d", nfds, SPAWN_MAX_FDS);
		return -EINVAL;
	}
	if (!entered) {
		snprintf(err, errlen, "spawn: this program's main does not call "
			 "spawn_worker_entry(argc, argv) first, so a spawned copy would run main");
		return -ENOEXEC;
	}
	initfd = init_memfd(init, len, nfds, err, errlen);
	if (initfd < 0)
		return initfd;
	for (; ncopies < nfds; ncopies++) {
		copies[ncopies] = fcntl(fds[ncopies], F_DUPFD_CLOEXEC, SPAWN_INIT_FD + 1);
		if (copies[ncopies] < 0) {
			/* EINVAL: RLIMIT_NOFILE is below SPAWN_INIT_FD + 1, so no
			 * descriptor up there can be had: out of descriptors. */
			rc = errno == EINVAL ? -EMFILE : -errno;
			snprintf(err, errlen, "fcntl F_DUPFD_CLOEXEC: %s", strerror(-rc));
			goto out_close;
		}
	}
	posix_spawn_file_actions_init(&fa);
	for (unsigned i = 0; i < nfds; i++)
		posix_spawn_file_actions_adddup2(&fa, copies[i], 3 + (int)i);
	posix_spawn_file_actions_adddup2(&fa, initfd, SPAWN_INIT_FD);
	posix_spawn_file_actions_addclosefrom_np(&fa, SPAWN_INIT_FD + 1);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	sigemptyset(&set);
	posix_spawnattr_setsigmask(&at, &set);
	sigfillset(&set);
	posix_spawnattr_setsigdefault(&at, &set);
	rc = -posix_spawn(pid, "/proc/self/exe", &fa, &at, argv, environ);
	posix_spawnattr_destroy(&at);
	posix_spawn_file_actions_destroy(&fa);
	if (rc < 0) {
		snprintf(err, errlen, "posix_spawn /proc/self/exe: %s", strerror(-rc));
		goto out_close;
	}
	*pidfd = proc_child_pidfd(*pid);
	if (*pidfd < 0) {
		rc = *pidfd;
		snprintf(err, errlen, "pidfd_open: %s", strerror(-rc));
	}
out_close:
	for (unsigned i = 0; i < ncopies; i++)
		close(copies[i]);
	close(initfd);
	return rc;
}
