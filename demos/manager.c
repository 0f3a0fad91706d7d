/* manager.c: the `manager` lesson: a server process owns a list and a
 * dictionary; other processes change them through proxies that send
 * requests over a UNIX socket; timed against shared memory.
 *
 * Lesson: Python's Manager() starts a server process that holds ordinary
 * objects; what the other processes get are proxies, and every method call
 * on a proxy is a request sent over a socket and a reply read back. So a
 * manager can hold anything (a list that grows, a dict with keys chosen at
 * run time, even for processes on other machines), and since the server
 * applies one request at a time, increments through it are never lost. The
 * price is a round trip through the kernel per operation, where shared
 * memory costs a few memory accesses. Here the server and the proxy are a
 * few dozen lines of C, so nothing is hidden.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "bench/util.h"

enum op { OP_APPEND, OP_LEN, OP_GET, OP_SET, OP_INCR, OP_LOOKUP, OP_STOP };

struct request {
	int op;
	long value;                /* OP_APPEND, OP_SET, OP_INCR; index for OP_GET */
	char key[24];              /* OP_SET, OP_INCR, OP_LOOKUP; index for OP_LOOKUP */
};

struct reply {
	int status;                /* 0, or -ENOENT */
	long value;
	char key[24];
};

/* ---- the server: a list of longs and a dict of string -> long ---- */

struct store {
	long *list;
	size_t len, cap;
	struct { char key[24]; long value; } *dict;
	size_t nkeys, kcap;
};

static long *dict_slot(struct store *s, const char *key, bool create)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->dict[i].key, key) == 0)
			return &s->dict[i].value;
	if (!create)
		return NULL;
	if (s->nkeys == s->kcap)
		s->dict = xrealloc(s->dict, (s->kcap = s->kcap * 2 + 4) * sizeof *s->dict);
	snprintf(s->dict[s->nkeys].key, sizeof s->dict[0].key, "%s", key);
	s->dict[s->nkeys].value = 0;
	return &s->dict[s->nkeys++].value;
}

static struct reply handle(struct store *s, const struct request *rq)
{
	struct reply rp = { 0 };
	long *slot;

	switch (rq->op) {
	case OP_APPEND:
		if (s->len == s->cap)
			s->list = xrealloc(s->list, (s->cap = s->cap * 2 + 8) * sizeof *s->list);
		s->list[s->len++] = rq->value;
		break;
	case OP_LEN:
		rp.value = (long)s->len;
		break;
	case OP_GET:
		if (rq->value < 0 || (size_t)rq->value >= s->len)
			rp.status = -ENOENT;
		else
			rp.value = s->list[rq->value];
		break;
	case OP_SET:
		*dict_slot(s, rq->key, true) = rq->value;
		break;
	case OP_INCR:
		slot = dict_slot(s, rq->key, true);
		rp.value = (*slot += rq->value);
		break;
	case OP_LOOKUP:   /* the value-th key and its value: how keys() iterates */
		if (rq->value < 0 || (size_t)rq->value >= s->nkeys) {
			rp.status = -ENOENT;
		} else {
			memcpy(rp.key, s->dict[rq->value].key, sizeof rp.key);
			rp.value = s->dict[rq->value].value;
		}
		break;
	}
	return rp;
}

/* Serves every connection, one request at a time, until OP_STOP. */
static void server_main(int lfd)
{
	struct pollfd fds[32] = { { .fd = lfd, .events = POLLIN } };
	struct store s = { 0 };
	nfds_t n = 1;

	for (;;) {
		if (poll(fds, n, -1) < 0)
			continue;
		if ((fds[0].revents & POLLIN) && n < 32) {
			int cfd = accept(lfd, NULL, NULL);
			if (cfd >= 0)
				fds[n++] = (struct pollfd){ .fd = cfd, .events = POLLIN };
		}
		for (nfds_t i = 1; i < n; i++) {
			struct request rq;
			struct reply rp;

			if (!fds[i].revents)
				continue;
			if (read_full(fds[i].fd, &rq, sizeof rq) != 0) {
				close(fds[i].fd);        /* the client went away */
				fds[i--] = fds[--n];
				continue;
			}
			rp = handle(&s, &rq);
			write_full(fds[i].fd, &rp, sizeof rp);
			if (rq.op == OP_STOP)
				_exit(0);
		}
	}
}

/* ---- the proxy: each call is one request and one reply ---- */

static int proxy_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static struct reply call(int fd, int op, const char *key, long value)
{
	struct request rq = { .op = op, .value = value };
	struct reply rp = { .status = -EPIPE };

	if (key)
		snprintf(rq.key, sizeof rq.key, "%s", key);
	if (write_full(fd, &rq, sizeof rq) == 0)
		read_full(fd, &rp, sizeof rp);
	return rp;
}

/* A client process: records itself, then counts visits. */
static void client_main(const char *path, int visits)
{
	int fd = proxy_connect(path);
	char me[24];

	if (fd < 0)
		_exit(1);
	snprintf(me, sizeof me, "client-%d", (int)getpid());
	call(fd, OP_APPEND, NULL, getpid());
	call(fd, OP_SET, me, visits);
	for (int i = 0; i < visits; i++)
		call(fd, OP_INCR, "visits", 1);
	_exit(0);
}

static void show_store(const struct lesson_ctx *c, int fd)
{
	long len = call(fd, OP_LEN, NULL, 0).value;
	char line[LESSON_COLS + 1];
	size_t used = 0;
	struct reply r;

	used += (size_t)snprintf(line, sizeof line, "list (%ld):", len);
	for (long i = 0; i < len && used < sizeof line - 12; i++)
		used += (size_t)snprintf(line + used, sizeof line - used, " %ld",
					 call(fd, OP_GET, NULL, i).value);
	lesson_saw(c, "%s", line);
	for (long i = 0; (r = call(fd, OP_LOOKUP, NULL, i)).status == 0; i++)
		lesson_saw(c, "dict[%s] = %ld", r.key, r.value);
}

static int run(const struct lesson_ctx *c)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/tvp-manager-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *path = NULL;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int lfd = -1, fd = -1, st, rc = 1, ops = c->quick ? 2000 : 20000;
	pid_t server = 0, clients[3] = { 0 };
	pthread_mutex_t *lock = NULL;
	long *counter = NULL;
	uint64_t t0, t_mgr, t_shm;

	lesson_title(c, "manager", "a server process and its proxies");
	if (!mkdtemp(dir)) {
		lesson_fail(c, "mkdtemp %s: %s", dir, strerror(errno));
		goto out;
	}
	path = xasprintf("%s/manager.sock", dir);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof a) || listen(lfd, 16)) {
		lesson_fail(c, "socket %s: %s", path, strerror(errno));
		goto out;
	}
	server = lesson_fork(c);
	if (server == 0)
		server_main(lfd);
	close(lfd);
	lfd = -1;
	if (server < 0 || (fd = proxy_connect(path)) < 0) {
		lesson_fail(c, "starting the manager: %s", strerror(errno));
		goto out;
	}
	lesson_do(c, "Manager process %d holds a list and a dict. This process "
		  "fills them through a proxy: each call is a request on %s.",
		  (int)server, path);
	call(fd, OP_APPEND, NULL, 10);
	call(fd, OP_SET, "sam", 10);
	call(fd, OP_APPEND, NULL, 9);
	call(fd, OP_SET, "adam", 9);
	show_store(c, fd);

	lesson_do(c, "3 client processes each append their pid, add a key named "
		  "after themselves, and add 1 to dict[visits] %d times.", ops / 10);
	for (int i = 0; i < 3; i++) {
		clients[i] = lesson_fork(c);
		if (clients[i] == 0)
			client_main(path, ops / 10);
	}
	for (int i = 0; i < 3; i++) {
		lesson_wait(clients[i], &st, -1);
		clients[i] = 0;
	}
	show_store(c, fd);
	lesson_claim(c, "manager: dict[visits] = %ld of %d, no update lost",
		     call(fd, OP_INCR, "visits", 0).value, 3 * (ops / 10));
	lesson_why(c, "the server applies one request at a time, so it is the "
		   "lock; and it can hold a list or keys of any size, chosen at "
		   "run time, which a fixed shared-memory layout cannot.");

	lesson_do(c, "Timing %d increments: through the proxy, then on a "
		  "counter in shared memory under a process-shared lock.", ops);
	t0 = now_ns();
	for (int i = 0; i < ops; i++)
		call(fd, OP_INCR, "timed", 1);
	t_mgr = now_ns() - t0;
	lock = lesson_shared(sizeof *lock + sizeof *counter);
	counter = (long *)(lock + 1);
	lesson_pshared_mutex(lock);
	t0 = now_ns();
	for (int i = 0; i < ops; i++) {
		pthread_mutex_lock(lock);
		++*(volatile long *)counter;
		pthread_mutex_unlock(lock);
	}
	t_shm = now_ns() - t0;
	lesson_saw(c, "manager:       %s per increment", lesson_dur((double)t_mgr / ops));
	lesson_saw(c, "shared memory: %s per increment", lesson_dur((double)t_shm / ops));
	lesson_claim(c, "the manager was %.0fx slower than shared memory",
		     (double)t_mgr / (double)(t_shm ? t_shm : 1));
	lesson_why(c, "each proxy call is two system calls and two context "
		   "switches (to the server and back); shared memory is a few "
		   "memory accesses. Flexible and slower, as the seed says.");
	call(fd, OP_STOP, NULL, 0);
	lesson_wait(server, &st, 2000);
	server = 0;
	rc = 0;
out:
	for (int i = 0; i < 3; i++)
		lesson_kill(clients[i]);
	lesson_kill(server);
	if (fd >= 0)
		close(fd);
	if (lfd >= 0)
		close(lfd);
	if (lock) {
		pthread_mutex_destroy(lock);
		lesson_unshare(lock, sizeof *lock + sizeof *counter);
	}
	if (path)
		unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	return rc;
}

const struct lesson lesson_manager = {
	.name = "manager",
	.summary = "a server process holds a list and dict; proxies change them",
	.seed = "003_f363eeb7d278b528.txt, 001_47380365a1348ba6.txt",
	.run = run,
};
