/* manager.c: the `manager` lesson: a server process owns a list and a
 * dictionary; other processes change them through proxies that send
 * requests over a socket; `d[key] += 1` through a proxy loses updates, a
 * lock or one server-side operation does not; UNIX socket, TCP and shared
 * memory timed side by side.
 *
 * Lesson: Python's Manager() starts a server process that holds ordinary
 * objects; the other processes get proxies, and every method call on a
 * proxy is a request sent over a socket and a reply read back. So a manager
 * can hold anything (a list that grows, a dict with keys chosen at run
 * time), and since it listens on an address, processes on other machines
 * can use it too. The server applies one request at a time, but that does
 * not make `d['visits'] += 1` safe: on a proxy it is two requests, a get and
 * then a set of the value plus one, and another process's get can come
 * between them; both then store the same number and an increment is lost.
 * A lock around the get and the set (Python: a Lock passed to every
 * process) closes the gap; so does one operation the server performs whole
 * (Python: a method of a type registered with the manager). The price of
 * all this is a round trip through the kernel per operation, more over TCP
 * than over a UNIX socket, where shared memory costs a few memory accesses.
 * Here the server and the proxy are a few dozen lines of C: nothing hidden.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "bench/util.h"

#define CLIENTS 3

enum op { OP_APPEND, OP_LEN, OP_GET, OP_SET, OP_DGET, OP_INCR, OP_LOOKUP, OP_STOP };

struct request {
	int op;
	long value;                /* OP_APPEND, OP_SET, OP_INCR; index for OP_GET, OP_LOOKUP */
	char key[24];              /* OP_SET, OP_DGET, OP_INCR */
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

static long *dict_slot(struct store *s, const char *key)
{
	for (size_t i = 0; i < s->nkeys; i++)
		if (strcmp(s->dict[i].key, key) == 0)
			return &s->dict[i].value;
	if (s->nkeys == s->kcap)
		s->dict = xrealloc(s->dict, (s->kcap = s->kcap * 2 + 4) * sizeof *s->dict);
	snprintf(s->dict[s->nkeys].key, sizeof s->dict[0].key, "%s", key);
	s->dict[s->nkeys].value = 0;
	return &s->dict[s->nkeys++].value;
}

static struct reply handle(struct store *s, const struct request *rq)
{
	struct reply rp = { 0 };

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
		*dict_slot(s, rq->key) = rq->value;
		break;
	case OP_DGET:
		rp.value = *dict_slot(s, rq->key);
		break;
	case OP_INCR:     /* the whole read-add-write, inside the server */
		rp.value = (*dict_slot(s, rq->key) += rq->value);
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

/* Serves every connection on the listening sockets ufd (UNIX) and tfd
 * (TCP), one request at a time, until OP_STOP. */
static void server_main(int ufd, int tfd)
{
	struct pollfd fds[32] = { { .fd = ufd, .events = POLLIN }, { .fd = tfd, .events = POLLIN } };
	struct store s = { 0 };
	nfds_t n = 2;

	for (;;) {
		if (poll(fds, n, -1) < 0)
			continue;
		for (nfds_t l = 0; l < 2; l++)
			if ((fds[l].revents & POLLIN) && n < 32) {
				int cfd = accept(fds[l].fd, NULL, NULL);
				if (cfd >= 0)
					fds[n++] = (struct pollfd){ .fd = cfd, .events = POLLIN };
			}
		for (nfds_t i = 2; i < n; i++) {
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

/* Where the manager listens: a UNIX socket path and a TCP port. */
struct address {
	struct sockaddr_un un;
	struct sockaddr_in in;
};

static int proxy_connect(const struct address *a, bool tcp)
{
	int fd = socket(tcp ? AF_INET : AF_UNIX, SOCK_STREAM, 0), one = 1;
	const struct sockaddr *sa = tcp ? (const void *)&a->in : (const void *)&a->un;

	if (fd >= 0 && tcp)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (fd >= 0 && connect(fd, sa, tcp ? sizeof a->in : sizeof a->un) != 0) {
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

/* ---- three ways to count visits from several processes ---- */

enum way { GET_THEN_SET, LOCKED, SERVER_SIDE, NWAYS };

static const char *const way_names[NWAYS] = {
	"proxy get-then-set (d[k] += 1)",
	"get-then-set under a Lock",
	"one server-side operation",
};

struct shm {
	pthread_mutex_t lock;      /* the Lock every client is given */
	_Atomic int ready, go;     /* all clients start together */
	long counter;              /* the shared-memory timing */
};

static void count_visits(int fd, enum way way, struct shm *s, int visits)
{
	for (int i = 0; i < visits; i++) {
		if (way == SERVER_SIDE) {
			call(fd, OP_INCR, "visits", 1);
			continue;
		}
		if (way == LOCKED)
			pthread_mutex_lock(&s->lock);
		call(fd, OP_SET, "visits", call(fd, OP_DGET, "visits", 0).value + 1);
		if (way == LOCKED)
			pthread_mutex_unlock(&s->lock);
	}
}

/* A client process: on the first round it records itself in the list and
 * the dict; then it counts visits. */
static void client_main(const struct address *a, enum way way, struct shm *s, int visits,
			bool introduce)
{
	int fd = proxy_connect(a, false);
	char me[24];

	if (fd < 0)
		_exit(1);
	if (introduce) {
		snprintf(me, sizeof me, "client-%d", (int)getpid());
		call(fd, OP_APPEND, NULL, getpid());
		call(fd, OP_SET, me, visits);
	}
	atomic_fetch_add(&s->ready, 1);
	while (!atomic_load(&s->go))
		sleep_ns(100000);
	count_visits(fd, way, s, visits);
	_exit(0);
}

/* Runs CLIENTS clients counting `visits` each, one way; returns the total
 * the server holds afterwards, or -1 if a client could not start. */
static long visit_round(const struct lesson_ctx *c, int fd, const struct address *a,
			enum way way, struct shm *s, int visits, bool introduce)
{
	pid_t pids[CLIENTS];
	int st, started = 0;

	call(fd, OP_SET, "visits", 0);
	atomic_store(&s->ready, 0);
	atomic_store(&s->go, 0);
	for (; started < CLIENTS; started++) {
		if ((pids[started] = lesson_fork(c)) < 0)
			break;
		if (pids[started] == 0)
			client_main(a, way, s, visits, introduce);
	}
	while (started == CLIENTS && atomic_load(&s->ready) < CLIENTS)
		sleep_ns(100000);
	atomic_store(&s->go, 1);
	for (int i = 0; i < started; i++)
		lesson_wait(pids[i], &st, -1);
	return started == CLIENTS ? call(fd, OP_DGET, "visits", 0).value : -1;
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

/* What Python's own Manager does with the same counting, when there is a
 * python3 to ask. */
static void python_check(const struct lesson_ctx *c, int visits)
{
	char *code = xasprintf(
		"import multiprocessing as mp\n"
		"def visit(d, n):\n"
		"    for _ in range(n):\n"
		"        d['visits'] += 1\n"
		"ctx = mp.get_context('fork')\n"
		"with ctx.Manager() as m:\n"
		"    d = m.dict(visits=0)\n"
		"    ps = [ctx.Process(target=visit, args=(d, %d)) for _ in range(%d)]\n"
		"    for p in ps: p.start()\n"
		"    for p in ps: p.join()\n"
		"    print(d['visits'])\n", visits, CLIENTS);
	char out[64];
	long got;

	if (lesson_python(c, code, 20000, out, sizeof out) == 0 && sscanf(out, "%ld", &got) == 1)
		lesson_saw(c, "Python's Manager, same test (d['visits'] += 1 on a "
			   "dict proxy): %ld of %d counted, %ld lost", got, CLIENTS * visits,
			   CLIENTS * visits - got);
	else
		lesson_saw(c, "(no python3 here to run the same test with "
			   "Python's Manager)");
	free(code);
}

static int lost_updates(const struct lesson_ctx *c, int fd, const struct address *a,
			struct shm *s)
{
	int visits = c->quick ? 200 : 500, want = CLIENTS * visits, tries = 0;
	long got[NWAYS];

	lesson_do(c, "%d client processes each append their pid, add a key "
		  "named after themselves, and count %d visits in dict[visits], "
		  "three ways:", CLIENTS, visits);
	for (int w = 0; w < NWAYS; w++) {
		/* The gap between get and set is one round trip: a run can be
		 * lucky, so the racy way gets three tries before it says 0. */
		do
			got[w] = visit_round(c, fd, a, w, s, visits, w == 0 && tries == 0);
		while (w == GET_THEN_SET && got[w] == want && ++tries < 3);
		if (got[w] < 0)
			return lesson_fail(c, "fork: %s", strerror(errno));
		if (w == 0)
			show_store(c, fd);
	}
	for (int w = 0; w < NWAYS; w++)
		lesson_claim(c, "%s: %ld of %d counted, %ld lost", way_names[w], got[w], want,
			     want - got[w]);
	python_check(c, visits);
	if (got[GET_THEN_SET] < want)
		lesson_why(c, "d[k] += 1 on a proxy is two requests, a get and a "
			   "set. The server answers one request at a time, but "
			   "another process's get fits between them: both store "
			   "the same value + 1. A Lock held from get to set, or an "
			   "addition done inside the server, leaves no gap.");
	else
		lesson_why(c, "no update was lost in %d tries: the gap between get "
			   "and set is one round trip, and this time no other get "
			   "fell into it. It is still a race: run it again.", tries);
	return 0;
}

/* The time of ops increments through a proxy connected over tcp or a UNIX
 * socket; 0 if it could not connect. */
static uint64_t proxy_time_ns(const struct address *a, bool tcp, int ops)
{
	int fd = proxy_connect(a, tcp);
	uint64_t t0;

	if (fd < 0)
		return 0;
	t0 = now_ns();
	for (int i = 0; i < ops; i++)
		call(fd, OP_INCR, "timed", 1);
	t0 = now_ns() - t0;
	close(fd);
	return t0 ? t0 : 1;
}

static int costs(const struct lesson_ctx *c, const struct address *a, struct shm *s)
{
	int ops = c->quick ? 2000 : 10000;
	uint64_t unix_ns[2], tcp_ns[2], t0;
	double shm_ns, ratio, noise, unix_op;

	lesson_do(c, "Timing %d increments: through a proxy on the UNIX socket, "
		  "through one connected over TCP to 127.0.0.1:%d (the same "
		  "server; another machine could use that address), twice each, "
		  "and on a counter in shared memory under a lock.",
		  ops, ntohs(a->in.sin_port));
	for (int round = 0; round < 2; round++) {
		unix_ns[round] = proxy_time_ns(a, false, ops);
		tcp_ns[round] = proxy_time_ns(a, true, ops);
		if (!unix_ns[round] || !tcp_ns[round])
			return lesson_fail(c, "connecting to the manager: %s", strerror(errno));
	}
	t0 = now_ns();
	for (int i = 0; i < ops; i++) {
		pthread_mutex_lock(&s->lock);
		++*(volatile long *)&s->counter;
		pthread_mutex_unlock(&s->lock);
	}
	shm_ns = (double)(now_ns() - t0) / ops;
	if (shm_ns <= 0)
		shm_ns = 1;
	ratio = lesson_ratio(tcp_ns, unix_ns, &noise);
	unix_op = (double)(unix_ns[0] < unix_ns[1] ? unix_ns[0] : unix_ns[1]) / ops;
	lesson_saw(c, "UNIX socket:   %s per increment (best of 2)", lesson_dur(unix_op));
	lesson_saw(c, "TCP 127.0.0.1: %s per increment (best of 2)", lesson_dur(unix_op * ratio));
	lesson_saw(c, "shared memory: %s per increment", lesson_dur(shm_ns));
	/* A gap smaller than the runs' own spread (or than 10%) says nothing. */
	noise = noise > 1.1 ? noise : 1.1;
	if (ratio > noise)
		lesson_claim(c, "TCP cost %.1fx the UNIX socket", ratio);
	else
		lesson_claim(c, "TCP and the UNIX socket: no clear difference (%.2fx, "
			     "within the %.0f%% the runs varied)", ratio, (noise - 1) * 100);
	lesson_claim(c, "a proxy call cost %.0fx an increment in shared memory",
		     unix_op / shm_ns);
	lesson_why(c, "each proxy call is two system calls and two context "
		   "switches (to the server and back)%s; shared memory is a few "
		   "memory accesses. Flexible, reachable from afar, and slow, as "
		   "the seed says.", ratio > noise ? ", and TCP adds the network "
		   "stack's work even on the loopback" : "");
	return 0;
}

/* Binds the UNIX socket at path and a TCP socket on 127.0.0.1, any port. */
static int listen_both(struct address *a, const char *path, int *ufd, int *tfd)
{
	socklen_t len = sizeof a->in;

	a->un = (struct sockaddr_un){ .sun_family = AF_UNIX };
	snprintf(a->un.sun_path, sizeof a->un.sun_path, "%s", path);
	a->in = (struct sockaddr_in){ .sin_family = AF_INET,
				      .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	*ufd = socket(AF_UNIX, SOCK_STREAM, 0);
	*tfd = socket(AF_INET, SOCK_STREAM, 0);
	if (*ufd < 0 || *tfd < 0 || bind(*ufd, (struct sockaddr *)&a->un, sizeof a->un) ||
	    listen(*ufd, 16) || bind(*tfd, (struct sockaddr *)&a->in, sizeof a->in) ||
	    listen(*tfd, 16) || getsockname(*tfd, (struct sockaddr *)&a->in, &len))
		return -errno;
	return 0;
}

static int run(const struct lesson_ctx *c)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = xasprintf("%s/tvp-manager-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *path = NULL;
	struct address a;
	int ufd = -1, tfd = -1, fd = -1, st, rc = 1;
	struct shm *s = lesson_shared(sizeof *s);
	pid_t server = 0;

	lesson_title(c, "manager", "a server process and its proxies");
	if (!mkdtemp(dir)) {
		lesson_fail(c, "mkdtemp %s: %s", dir, strerror(errno));
		goto out;
	}
	path = xasprintf("%s/manager.sock", dir);
	if (listen_both(&a, path, &ufd, &tfd) != 0 || lesson_pshared_mutex(&s->lock) != 0) {
		lesson_fail(c, "sockets for the manager: %s", strerror(errno));
		goto out;
	}
	server = lesson_fork(c);
	if (server == 0)
		server_main(ufd, tfd);
	if (server < 0 || (fd = proxy_connect(&a, false)) < 0) {
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
	if (lost_updates(c, fd, &a, s) || costs(c, &a, s))
		goto out;
	call(fd, OP_STOP, NULL, 0);
	lesson_wait(server, &st, 2000);
	server = 0;
	rc = 0;
out:
	lesson_kill(server);
	if (fd >= 0)
		close(fd);
	if (ufd >= 0)
		close(ufd);
	if (tfd >= 0)
		close(tfd);
	pthread_mutex_destroy(&s->lock);
	lesson_unshare(s, sizeof *s);
	if (path)
		unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	return rc;
}

const struct lesson lesson_manager = {
	.name = "manager",
	.summary = "a server holds a dict; d[k] += 1 via a proxy loses updates",
	.seed = "003_f363eeb7d278b528.txt, 001_47380365a1348ba6.txt",
	.run = run,
};
