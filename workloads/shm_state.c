/* shm_state.c: workload state shared with workers by name (shm_state.h). */
#include "workloads/shm_state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench/util.h"

/* Maps len bytes of fd (-1: anonymous), or NULL with err. */
static void *map(int fd, size_t len, const char *name, char *err, size_t errlen)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | (fd < 0 ? MAP_ANONYMOUS : 0),
		       fd, 0);

	if (p != MAP_FAILED)
		return p;
	snprintf(err, errlen, "mmap of %zu shared bytes%s%s: %s", len, name[0] ? " of " : "", name,
		 strerror(errno));
	return NULL;
}

/* Removes the names a tvp killed with SIGKILL left in /dev/shm: tvp-PID-*
 * whose PID no longer exists (kill(PID, 0) fails with ESRCH). A name whose
 * PID is alive, even reused by another program, is left alone: nothing that
 * may not be tvp's is touched. Once per process, before its first name. */
static void sweep_stale(void)
{
	static atomic_flag done = ATOMIC_FLAG_INIT;
	DIR *d;
	struct dirent *e;

	if (atomic_flag_test_and_set(&done) || !(d = opendir("/dev/shm")))
		return;
	while ((e = readdir(d))) {
		char path[300];
		char *end;
		long pid;

		if (strncmp(e->d_name, "tvp-", 4) != 0)
			continue;
		pid = strtol(e->d_name + 4, &end, 10);
		if (end == e->d_name + 4 || *end != '-' || pid <= 0 || pid == (long)getpid())
			continue;
		if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof path, "/%s", e->d_name);
		shm_unlink(path);
	}
	closedir(d);
}

void *shm_state_new(size_t len, const char *what, char *err, size_t errlen)
{
	static _Atomic unsigned serial;
	char name[SHM_STATE_NAME_MAX];
	struct shm_state_head *h;
	int fd;

	sweep_stale();
	snprintf(name, sizeof name, "/tvp-%d-%u-%s", (int)getpid(), atomic_fetch_add(&serial, 1),
		 what);
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 && ftruncate(fd, (off_t)len) != 0) {
		close(fd);
		shm_unlink(name);
		fd = -1;
	}
	if (fd < 0)
		name[0] = '\0';   /* anonymous: see DESIGN */
	h = map(fd, len, name, err, errlen);
	if (fd >= 0)
		close(fd);
	if (!h) {
		if (name[0])
			shm_unlink(name);
		return NULL;
	}
	memcpy(h->name, name, sizeof name);
	return h;
}

int shm_state_export(const struct workload_inst *wi, void **bytes, size_t *len, char *err,
		     size_t errlen)
{
	const struct shm_state_head *h = wi->state;

	if (!h->name[0]) {
		snprintf(err, errlen, "its shared state has no name (shm_open failed: no /dev/shm?), "
			 "so a spawned worker cannot map it; use --start fork or forkserver");
		return -ENOTSUP;
	}
	*bytes = xstrdup(h->name);
	*len = strlen(h->name) + 1;
	return 0;
}

void *shm_state_import(const void *bytes, size_t blen, size_t len, char *err, size_t errlen)
{
	const char *name = bytes;
	void *p;
	int fd;

	if (blen == 0 || blen > SHM_STATE_NAME_MAX || name[blen - 1] != '\0') {
		snprintf(err, errlen, "malformed shared state name (%zu bytes)", blen);
		return NULL;
	}
	fd = shm_open(name, O_RDWR | O_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "shm_open %s: %s", name, strerror(errno));
		return NULL;
	}
	p = map(fd, len, name, err, errlen);
	close(fd);
	return p;
}

void shm_state_free(void *state, size_t len, int owner)
{
	struct shm_state_head *h = state;

	if (!h)
		return;
	if (owner && h->name[0])
		shm_unlink(h->name);
	munmap(h, len);
}
