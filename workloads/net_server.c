/* net_server.c: tvp's own HTTP/1.1 server for the net workload (see
 * net_server.h).
 *
 * DESIGN
 * One process, one thread, one epoll loop: the way nginx serves many clients
 * without a thread per connection. A connection goes through four states:
 * READ (collecting the request up to its blank line), WAIT (the request is
 * complete; it is answered delay_ns later), WRITE (sending the answer) and
 * DRAIN (answer sent; waiting for the client to close first, so that the
 * TIME_WAIT state stays with the client, whose ephemeral ports the kernel
 * reuses on loopback, and not with the server's one port).
 *
 * Every request waits the same delay, so deadlines come due in the order the
 * requests arrived: a FIFO queue is all the timer structure needed. One
 * timerfd, armed at the deadline of the queue's head (absolute, in
 * nanoseconds, unlike epoll_wait's millisecond timeout), wakes the loop.
 *
 * The answer (headers and body) is built once; each connection only keeps
 * an offset into it. Sends use MSG_NOSIGNAL, so a client that hangs up makes
 * one connection fail, never the server. The server never exits on its own:
 * net_server_stop() kills it, and it dies with its parent otherwise.
 */
#include "workloads/net_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/util.h"

#define REQ_MAX 8192              /* bytes of request headers we accept */

enum conn_state { CONN_READ, CONN_WAIT, CONN_WRITE, CONN_DRAIN };

struct conn {
	int fd;                    /* -1 once closed (may still sit in the queue) */
	enum conn_state state;
	size_t req_len;
	size_t sent;               /* bytes of the answer written */
	uint64_t due_ns;           /* CONN_WAIT: when to answer */
	struct conn *next;         /* in the wait queue, then the dead list */
	char req[REQ_MAX];
};

struct server {
	int epfd, lfd, tfd;
	uint64_t delay_ns;
	const char *answer;
	size_t answer_len;
	struct conn *head, *tail;  /* requests waiting for their delay */
	struct conn *dead;         /* closed; freed after the event batch */
};

static void arm_timer(struct server *sv)
{
	struct itimerspec its = { { 0, 0 }, { 0, 0 } };

	if (sv->head) {
		/* A zero it_value would disarm the timer: never ask for 0. */
		uint64_t due = sv->head->due_ns ? sv->head->due_ns : 1;
		its.it_value.tv_sec = (time_t)(due / 1000000000u);
		its.it_value.tv_nsec = (long)(due % 1000000000u);
	}
	timerfd_settime(sv->tfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void conn_bury(struct server *sv, struct conn *c)
{
	c->next = sv->dead;
	sv->dead = c;
}

/* Closes c. Its memory is freed only after the current batch of events,
 * which may still name it (a timer event can close a connection whose own
 * event comes later in the same batch); a connection in the wait queue waits
 * until it reaches the head. */
static void conn_close(struct server *sv, struct conn *c)
{
	epoll_ctl(sv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	if (c->state != CONN_WAIT)
		conn_bury(sv, c);
}

static void conn_watch(struct server *sv, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	epoll_ctl(sv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
}

/* Sends what it can; on EAGAIN waits for EPOLLOUT. */
static void conn_write(struct server *sv, struct conn *c)
{
	while (c->sent < sv->answer_len) {
		ssize_t n = send(c->fd, sv->answer + c->sent, sv->answer_len - c->sent,
				 MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				conn_watch(sv, c, EPOLLOUT);
				return;
			}
			conn_close(sv, c);
			return;
		}
		c->sent += (size_t)n;
	}
	c->state = CONN_DRAIN;
	conn_watch(sv, c, EPOLLIN | EPOLLRDHUP);
}

static void conn_read(struct server *sv, struct conn *c)
{
	char scratch[4096];

	for (;;) {
		char *dst = c->state == CONN_READ ? c->req + c->req_len : scratch;
		size_t room = c->state == CONN_READ ? REQ_MAX - 1 - c->req_len : sizeof scratch;
		ssize_t n = recv(c->fd, dst, room, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			/* The client closed (or failed): done with it, in any state. */
			conn_close(sv, c);
			return;
		}
		if (c->state != CONN_READ)
			continue;   /* pipelined or stray bytes: not answered */
		c->req_len += (size_t)n;
		c->req[c->req_len] = '\0';
		if (strstr(c->req, "\r\n\r\n")) {
			c->state = CONN_WAIT;
			c->due_ns = now_ns() + sv->delay_ns;
			c->next = NULL;
			if (sv->tail)
				sv->tail->next = c;
			else
				sv->head = c;
			sv->tail = c;
			if (sv->head == c)
				arm_timer(sv);
		} else if (c->req_len >= REQ_MAX - 1) {
			conn_close(sv, c);   /* headers too long: not HTTP we serve */
			return;
		}
	}
}

/* Answers every waiting request whose delay is over. */
static void answer_due(struct server *sv)
{
	uint64_t expirations, now = now_ns();

	if (read(sv->tfd, &expirations, sizeof expirations) < 0) {
		/* EAGAIN: nothing due after all. */
	}
	while (sv->head && sv->head->due_ns <= now) {
		struct conn *c = sv->head;

		sv->head = c->next;
		if (!sv->head)
			sv->tail = NULL;
		if (c->fd < 0) {
			conn_bury(sv, c);   /* closed by the client while waiting */
			continue;
		}
		c->state = CONN_WRITE;
		conn_write(sv, c);
	}
	arm_timer(sv);
}

static void accept_all(struct server *sv)
{
	for (;;) {
		int fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct epoll_event ev;
		struct conn *c;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;   /* EAGAIN: none left; EMFILE: the client times out */
		}
		c = xcalloc(1, sizeof *c);
		c->fd = fd;
		c->state = CONN_READ;
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = c;
		if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
			close(fd);
			free(c);
		}
	}
}

static char *build_answer(uint64_t body_bytes, size_t *len)
{
	char head[256];
	int hn = snprintf(head, sizeof head,
			  "HTTP/1.1 200 OK\r\nServer: tvp\r\nContent-Type: text/plain\r\n"
			  "Content-Length: %llu\r\nConnection: close\r\n\r\n",
			  (unsigned long long)body_bytes);
	char *a = xmalloc((size_t)hn + (size_t)body_bytes);

	memcpy(a, head, (size_t)hn);
	for (uint64_t i = 0; i < body_bytes; i++)
		a[(size_t)hn + i] = (char)net_server_body_byte(i);
	*len = (size_t)hn + (size_t)body_bytes;
	return a;
}

/* The server process's whole life. Never returns. */
static void serve(int lfd, uint64_t body_bytes, uint64_t delay_ns)
{
	struct server sv = { .lfd = lfd, .delay_ns = delay_ns };
	struct epoll_event ev, evs[64];
	char *answer;

	sv.epfd = epoll_create1(EPOLL_CLOEXEC);
	sv.tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sv.epfd < 0 || sv.tfd < 0) {
		fprintf(stderr, "tvp: net server: epoll/timerfd: %s\n", strerror(errno));
		_exit(1);
	}
	answer = build_answer(body_bytes, &sv.answer_len);
	sv.answer = answer;
	ev.events = EPOLLIN;
	ev.data.ptr = &sv.lfd;
	epoll_ctl(sv.epfd, EPOLL_CTL_ADD, lfd, &ev);
	ev.data.ptr = &sv.tfd;
	epoll_ctl(sv.epfd, EPOLL_CTL_ADD, sv.tfd, &ev);
	for (;;) {
		int n = epoll_wait(sv.epfd, evs, (int)ARRAY_SIZE(evs), -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "tvp: net server: epoll_wait: %s\n", strerror(errno));
			_exit(1);
		}
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == &sv.lfd) {
				accept_all(&sv);
			} else if (evs[i].data.ptr == &sv.tfd) {
				answer_due(&sv);
			} else {
				struct conn *c = evs[i].data.ptr;

				if (c->fd < 0)
					continue;   /* closed earlier in this batch */
				if (c->state == CONN_WRITE && (evs[i].events & EPOLLOUT))
					conn_write(&sv, c);
				else if (c->state == CONN_WRITE)
					conn_close(&sv, c);   /* error or hang-up mid-answer */
				else
					conn_read(&sv, c);
			}
		}
		while (sv.dead) {
			struct conn *c = sv.dead;
			sv.dead = c->next;
			free(c);
		}
	}
}

int net_server_start(struct net_server *s, uint64_t body_bytes, uint64_t delay_ns, char *err,
		     size_t errlen)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0 };
	socklen_t alen = sizeof a;
	int fd, one = 1, rc;
	pid_t pid, parent = getpid();

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "net server: socket: %s", strerror(errno));
		return rc;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, SOMAXCONN) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
		rc = -errno;
		snprintf(err, errlen, "net server: listening on 127.0.0.1: %s", strerror(errno));
		goto out_close;
	}
	pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "net server: fork: %s", strerror(errno));
		goto out_close;
	}
	if (pid == 0) {
		sys_child_after_fork();
		if (getppid() != parent)
			_exit(0);   /* the parent died before PDEATHSIG was set */
		serve(fd, body_bytes, delay_ns);
	}
	close(fd);
	s->pid = pid;
	s->port = ntohs(a.sin_port);
	return 0;

out_close:
	close(fd);
	return rc;
}

void net_server_stop(struct net_server *s)
{
	int st;

	if (s->pid <= 0)
		return;
	/* SIGKILL, not SIGTERM: the server holds nothing that needs flushing,
	 * and the kernel closes its sockets. */
	kill(s->pid, SIGKILL);
	while (waitpid(s->pid, &st, 0) < 0 && errno == EINTR)
		;
	s->pid = 0;
}
