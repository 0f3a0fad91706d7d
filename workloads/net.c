/* net.c: the `net` workload: each task sends one HTTP/1.1 GET over TCP and
 * reads the whole answer, by default from tvp's own server (net_server.h).
 *
 * Lesson: a web client spends nearly all its time waiting: for the
 * connection, for the server to think (--net-delay), for the bytes. Like
 * sleep, such tasks overlap far beyond the core count, which is why the
 * seeds say "threads for IO-bound work"; unlike sleep, each one also costs
 * real work in the kernel (a connection set up and torn down, a request
 * parsed, bytes copied), so the speedup stops short of ideal where that
 * work fills the cores. The server is one process with one epoll loop,
 * serving every client at once without a thread per connection, the way
 * nginx does.
 *
 * DESIGN
 * setup starts the server process (before any pool, so no thread exists when
 * it forks) on 127.0.0.1 and an ephemeral port; teardown kills and reaps it,
 * and the run loop calls teardown after errors and Ctrl-C as well. With
 * --url, tasks ask that server instead; only loopback (127.0.0.0/8, ::1,
 * localhost) and private IPv4 literals (10/8, 172.16/12, 192.168/16) are
 * accepted, so tvp never looks a name up or reaches beyond the user's own
 * network.
 *
 * A task opens one connection per request ("Connection: close"), as a
 * simple client would. Every socket call waits at most --net-timeout (by
 * SO_RCVTIMEO/SO_SNDTIMEO, which Linux also applies to connect), and a
 * request still unfinished after twice that is abandoned at its next call,
 * so a server that accepts and says nothing, or trickles bytes, fails the
 * task within about three times --net-timeout instead of hanging it. Once a
 * request of a measurement has timed out (a stopped or stuck server), the
 * tasks that start after it fail at once, counted as timeouts: the whole
 * measurement is bounded by about one timeout per worker, not one per task.
 * Failures are counted by kind in shared memory (made in setup, so threads
 * and forked workers count into the same place; a spawned worker maps it by
 * name: shm_state.h), reported through
 * the counters hook, reset by prepare, and each failing task also returns
 * a message saying what happened.
 *
 * The body is checked as it streams in: its length against Content-Length,
 * and with tvp's server also every byte against the server's pattern and the
 * length against --size. With --url, --size is not used: the answer is
 * whatever that server sends; the result carries its length and checksum,
 * so every mode is still compared with serial.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "workloads/net_server.h"
#include "workloads/shm_state.h"
#include "workloads/net_url.h"
#include "bench/util.h"
#include "workloads/workload.h"

#define NET_MIN 0ull
#define NET_MAX (64ull << 20)          /* 64 MiB a body */
#define NET_HEAD_MAX 16384             /* bytes of response headers accepted */
#define NET_BUF 65536                  /* receive buffer; at least NET_HEAD_MAX */

_Static_assert(NET_BUF >= NET_HEAD_MAX, "the headers are read into the receive buffer");


enum net_failure {
	NET_CONNECT, NET_TIMEOUT, NET_RESET, NET_SHORT, NET_STATUS, NET_BODY, NET_NFAILURES
};

static const char *const failure_names[NET_NFAILURES] = {
	"connect_errors", "timeouts", "resets", "short_reads", "bad_status", "bad_body",
};

/* Made by setup in shared memory (shm_state.h): read-only for tasks except
 * the failure counts. */
struct net_state {
	struct shm_state_head head;  /* its name, for spawned workers */
	struct net_url url;
	bool own_server;           /* tvp's server: check the pattern and --size */
	struct net_server server;
	uint64_t timeout_ns;
	uint64_t expect_sum;       /* own server: the body's checksum */
	char request[1024];
	size_t request_len;
	_Atomic uint64_t failures[NET_NFAILURES];
	_Atomic bool server_silent;  /* a request of this measurement timed out */
};

/* What a task returns. */
struct net_result {
	uint32_t status;
	uint64_t body_bytes;
	uint64_t checksum;
};

#define SUM_INIT 0xCBF29CE484222325ull

/* FNV-1a over the body, byte by byte: chunk boundaries do not matter. */
static uint64_t sum_add(uint64_t h, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001B3ull;
	return h;
}

static bool check_url(const char *text, char *err, size_t errlen)
{
	struct net_url u;

	return !text || !*text || net_url_parse(text, &u, err, errlen);
}

static bool check_delay(const char *text, char *err, size_t errlen)
{
	uint64_t ns;

	if (parse_duration(text, 0, 60000000000ull, &ns, err, errlen))
		return true;
	snprintf(err, errlen, "accepted: a duration from 0ms to 60s, such as 5ms (ns, us, ms or s)");
	return false;
}

static bool check_timeout(const char *text, char *err, size_t errlen)
{
	uint64_t ns;

	if (parse_duration(text, 1000000ull, 3600000000000ull, &ns, err, errlen))
		return true;
	snprintf(err, errlen, "accepted: a duration from 1ms to 1h, such as 5s (ns, us, ms or s)");
	return false;
}

static bool net_parse_size(const char *text, uint64_t *size, char *err, size_t errlen)
{
	return parse_bytes(text, NET_MIN, NET_MAX, size, err, errlen);
}

static uint64_t net_default_size(bool quick)
{
	return quick ? 1024ull : 4096ull;
}

static int net_setup(struct workload_inst *wi, char *err, size_t errlen)
{
	const char *url = workload_opt(wi, "url");
	char e2[200];
	uint64_t delay_ns;
	struct net_state *st;
	int rc, n;

	st = shm_state_new(sizeof *st, "net", err, errlen);
	if (!st)
		return -ENOMEM;
	if (!parse_duration(workload_opt(wi, "net-timeout"), 1000000ull, 3600000000000ull,
			    &st->timeout_ns, e2, sizeof e2) ||
	    !parse_duration(workload_opt(wi, "net-delay"), 0, 60000000000ull, &delay_ns, e2,
			    sizeof e2)) {
		snprintf(err, errlen, "%s", e2);
		rc = -EINVAL;
		goto out_unmap;
	}
	if (url && *url) {
		if (!net_url_parse(url, &st->url, err, errlen)) {
			rc = -EINVAL;
			goto out_unmap;
		}
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&st->url.addr;

		rc = net_server_start(&st->server, wi->size, delay_ns, err, errlen);
		if (rc)
			goto out_unmap;
		st->own_server = true;
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a4->sin_port = htons(st->server.port);
		st->url.addr_len = sizeof *a4;
		snprintf(st->url.host, sizeof st->url.host, "127.0.0.1:%u", st->server.port);
		strcpy(st->url.path, "/");
		st->expect_sum = SUM_INIT;
		for (uint64_t i = 0; i < wi->size; i++) {
			unsigned char b = net_server_body_byte(i);
			st->expect_sum = sum_add(st->expect_sum, &b, 1);
		}
	}
	n = snprintf(st->request, sizeof st->request,
		     "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tvp\r\nAccept: */*\r\n"
		     "Connection: close\r\n\r\n", st->url.path, st->url.host);
	st->request_len = (size_t)n;
	wi->state = st;
	return 0;

out_unmap:
	shm_state_free(st, sizeof *st, 1);
	return rc;
}

static int net_prepare(struct workload_inst *wi, char *err, size_t errlen)
{
	struct net_state *st = wi->state;

	for (int i = 0; i < NET_NFAILURES; i++)
		atomic_store(&st->failures[i], 0);
	atomic_store(&st->server_silent, false);
	return 0;
}

/* Counts a failure of kind k and puts the message into out. */
__attribute__((format(printf, 5, 6)))
static int fail(struct net_state *st, enum net_failure k, struct task_result *out, int err,
		const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	atomic_fetch_add(&st->failures[k], 1);
	if (err == -ETIMEDOUT)
		atomic_store(&st->server_silent, true);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return task_result_error(out, err, "GET http://%s%s: %s", st->url.host, st->url.path, msg);
}

/* Sorts a failed send/recv: a timeout, a reset, or (anything else) a reset
 * too, since the connection is gone. */
static int fail_io(struct net_state *st, struct task_result *out, int e, const char *what,
		   size_t got)
{
	if (e == EAGAIN || e == EWOULDBLOCK)
		return fail(st, NET_TIMEOUT, out, -ETIMEDOUT,
			    "no answer within %.3g s while %s (%zu bytes received)",
			    (double)st->timeout_ns / 1e9, what, got);
	return fail(st, NET_RESET, out, -e, "%s while %s (%zu bytes received)", strerror(e),
		    what, got);
}

static int set_timeouts(int fd, uint64_t timeout_ns)
{
	struct timeval tv = { .tv_sec = (time_t)(timeout_ns / 1000000000u),
			      .tv_usec = (suseconds_t)(timeout_ns % 1000000000u / 1000u) };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) != 0)
		return -errno;
	return 0;
}

/* recv with EINTR retried and the request's deadline enforced. Returns the
 * byte count (0 at end of stream) or -errno (-EAGAIN on a timeout). */
static ssize_t recv_some(int fd, void *buf, size_t len, uint64_t deadline_ns)
{
	for (;;) {
		ssize_t n;

		if (now_ns() > deadline_ns)
			return -EAGAIN;
		n = recv(fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			return -errno;
	}
}

/* Copies the value of header name (without leading blanks) into val and
 * returns true, or returns false if the headers (NUL-terminated, one
 * "\r\n" after each line) have no such header. */
static bool header_value(const char *head, const char *name, char *val, size_t len)
{
	size_t nlen = strlen(name);

	for (const char *l = strstr(head, "\r\n"); l && l[2]; l = strstr(l + 2, "\r\n")) {
		const char *v = l + 2, *end;

		if (strncasecmp(v, name, nlen) != 0 || v[nlen] != ':')
			continue;
		v += nlen + 1;
		v += strspn(v, " \t");
		end = strstr(v, "\r\n");
		snprintf(val, len, "%.*s", (int)(end - v), v);
		return true;
	}
	return false;
}

/* Content-Length: 1 and *len set, 0 if absent, -1 if not a number. */
static int content_length(const char *head, uint64_t *len)
{
	char v[32], *end;

	if (!header_value(head, "Content-Length", v, sizeof v))
		return 0;
	errno = 0;
	*len = strtoull(v, &end, 10);
	return errno || end == v || *end || v[0] == '-' ? -1 : 1;
}

static bool chunked(const char *head)
{
	char v[128];

	return header_value(head, "Transfer-Encoding", v, sizeof v) && strcasestr(v, "chunked");
}

/* Reads and checks the answer on fd. */
static int read_answer(struct net_state *st, const struct workload_inst *wi, int fd,
		       unsigned char *buf, uint64_t deadline, struct net_result *res,
		       struct task_result *out)
{
	size_t have = 0, head_len;
	char *eoh;
	int status = 0, has_len;
	uint64_t want = 0, got;
	ssize_t n;

	/* The status line and headers, up to their blank line. */
	for (;;) {
		n = recv_some(fd, buf + have, NET_HEAD_MAX - have, deadline);
		if (n < 0)
			return fail_io(st, out, (int)-n, "reading the answer's headers", have);
		if (n == 0)
			return fail(st, NET_SHORT, out, -EPIPE,
				    "the server closed the connection after %zu bytes, before the "
				    "end of the headers", have);
		have += (size_t)n;
		buf[have] = '\0';
		eoh = strstr((char *)buf, "\r\n\r\n");
		if (eoh)
			break;
		if (have >= NET_HEAD_MAX)
			return fail(st, NET_STATUS, out, -EPROTO,
				    "no end of headers within %d bytes", NET_HEAD_MAX);
	}
	head_len = (size_t)(eoh - (char *)buf) + 4;
	eoh[2] = '\0';   /* headers end with their last \r\n */
	if (sscanf((char *)buf, "HTTP/1.%*1[01] %3d", &status) != 1)
		return fail(st, NET_STATUS, out, -EPROTO, "not an HTTP/1.x answer: '%.40s'",
			    (char *)buf);
	res->status = (uint32_t)status;
	if (status != 200) {
		char *eol = strstr((char *)buf, "\r\n");
		if (eol)
			*eol = '\0';
		return fail(st, NET_STATUS, out, -EPROTO, "answered '%.80s', expected 200",
			    (char *)buf);
	}
	if (chunked((char *)buf))
		return fail(st, NET_STATUS, out, -EPROTO,
			    "chunked answers are not supported: the server must send Content-Length");
	has_len = content_length((char *)buf, &want);
	if (has_len < 0)
		return fail(st, NET_STATUS, out, -EPROTO, "Content-Length is not a number");

	/* The body: what came with the headers, then the rest. Without
	 * Content-Length (HTTP/1.0 style) it ends when the server closes. */
	got = have - head_len;
	if (has_len && got > want)
		got = want;
	res->checksum = sum_add(SUM_INIT, buf + head_len, (size_t)got);
	if (st->own_server)
		for (uint64_t i = 0; i < got; i++)
			if (buf[head_len + i] != net_server_body_byte(i))
				goto bad_byte;
	while (!has_len || got < want) {
		size_t room = NET_BUF;

		if (has_len && want - got < room)
			room = (size_t)(want - got);
		n = recv_some(fd, buf, room, deadline);
		if (n < 0)
			return fail_io(st, out, (int)-n, "reading the body", (size_t)got);
		if (n == 0) {
			if (!has_len)
				break;
			return fail(st, NET_SHORT, out, -EPIPE,
				    "the server closed the connection after %" PRIu64 " of %" PRIu64
				    " body bytes", got, want);
		}
		res->checksum = sum_add(res->checksum, buf, (size_t)n);
		if (st->own_server)
			for (size_t i = 0; i < (size_t)n; i++)
				if (buf[i] != net_server_body_byte(got + i)) {
					got += i;
					goto bad_byte;
				}
		got += (uint64_t)n;
	}
	res->body_bytes = got;
	if (st->own_server && got != wi->size)
		return fail(st, NET_BODY, out, -EPROTO, "body of %" PRIu64 " bytes, expected %" PRIu64,
			    got, wi->size);
	return 0;

bad_byte:
	return fail(st, NET_BODY, out, -EPROTO, "body byte %" PRIu64 " differs from the pattern",
		    got);
}

static int net_task(const struct workload_inst *wi, uint64_t index, struct task_result *out)
{
	struct net_state *st = wi->state;
	struct net_result res = { 0, 0, 0 };
	uint64_t deadline = now_ns() + 2 * st->timeout_ns;
	unsigned char *buf;
	size_t sent = 0;
	int fd, rc;

	if (atomic_load(&st->server_silent))
		return fail(st, NET_TIMEOUT, out, -ETIMEDOUT,
			    "not sent: an earlier request of this measurement had no answer within "
			    "%.3g s (a stopped or stuck server)", (double)st->timeout_ns / 1e9);
	fd = socket(st->url.addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail(st, NET_CONNECT, out, -errno, "socket: %s", strerror(errno));
	rc = set_timeouts(fd, st->timeout_ns);
	if (rc) {
		close(fd);
		return fail(st, NET_CONNECT, out, rc, "setting socket timeouts: %s", strerror(-rc));
	}
	while (connect(fd, (struct sockaddr *)&st->url.addr, st->url.addr_len) != 0) {
		int e = errno;

		if (e == EINTR)
			continue;   /* see DESIGN: retried like every other call */
		close(fd);
		if (e == EINPROGRESS || e == EAGAIN)
			return fail(st, NET_CONNECT, out, -ETIMEDOUT, "connect: no answer within %.3g s",
				    (double)st->timeout_ns / 1e9);
		return fail(st, NET_CONNECT, out, -e, "connect: %s", strerror(e));
	}
	while (sent < st->request_len) {
		ssize_t n = send(fd, st->request + sent, st->request_len - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fail_io(st, out, errno, "sending the request", 0);
			close(fd);
			return rc;
		}
		sent += (size_t)n;
	}
	buf = xmalloc(NET_BUF + 1);   /* + 1: the headers are NUL-terminated */
	rc = read_answer(st, wi, fd, buf, deadline, &res, out);
	free(buf);
	close(fd);
	if (rc)
		return rc;
	task_result_set(out, &res, sizeof res);
	return 0;
}

static bool net_verify(const struct workload_inst *wi, uint64_t index,
		       const struct task_result *r, char *err, size_t errlen)
{
	const struct net_state *st = wi->state;
	struct net_result res;

	if (r->len != sizeof res) {
		snprintf(err, errlen, "task %" PRIu64 " returned %zu bytes, expected %zu", index,
			 r->len, sizeof res);
		return false;
	}
	memcpy(&res, task_result_data(r), sizeof res);
	if (res.status != 200) {
		snprintf(err, errlen, "task %" PRIu64 ": HTTP status %u", index, res.status);
		return false;
	}
	if (st->own_server && (res.body_bytes != wi->size || res.checksum != st->expect_sum)) {
		snprintf(err, errlen, "task %" PRIu64 ": body of %" PRIu64 " bytes (checksum %016"
			 PRIx64 "), expected %" PRIu64 " bytes (%016" PRIx64 ")", index,
			 res.body_bytes, res.checksum, wi->size, st->expect_sum);
		return false;
	}
	return true;
}

static unsigned net_counters(const struct workload_inst *wi, struct workload_counter *out,
			     unsigned max)
{
	const struct net_state *st = wi->state;
	unsigned n = 0;

	for (int i = 0; i < NET_NFAILURES && n < max; i++)
		out[n++] = (struct workload_counter){ failure_names[i],
						      (double)atomic_load(&st->failures[i]) };
	return n;
}

static void net_teardown(struct workload_inst *wi)
{
	struct net_state *st = wi->state;

	if (!st)
		return;
	net_server_stop(&st->server);
	shm_state_free(st, sizeof *st, 1);
	wi->state = NULL;
}

/* A spawned worker maps the same state by name (export_state gives it):
 * the server's address, the request, and the failure counts it adds to. */
static int net_import(struct workload_inst *wi, const void *bytes, size_t len, char *err,
		      size_t errlen)
{
	wi->state = shm_state_import(bytes, len, sizeof(struct net_state), err, errlen);
	return wi->state ? 0 : -EINVAL;
}

/* In a spawned worker: the server is the parent's to stop. */
static void net_drop(struct workload_inst *wi)
{
	shm_state_free(wi->state, sizeof(struct net_state), 0);
	wi->state = NULL;
}

/* Requests answered per second of wall time. */
static double net_rate(const struct workload_inst *wi, uint64_t tasks, double wall_ns)
{
	return wall_ns > 0 ? (double)tasks / (wall_ns / 1e9) : 0;
}

static const struct workload_option net_options[] = {
	{ "url", "URL", "",
	  "ask this HTTP/1.1 server (loopback or private address) instead of tvp's own", check_url },
	{ "net-delay", "DURATION", "5ms", "tvp's server waits this long before each answer",
	  check_delay },
	{ "net-timeout", "DURATION", "5s", "a task gives up on a silent server after this long",
	  check_timeout },
	{ NULL, NULL, NULL, NULL, NULL },
};

const struct workload workload_net = {
	.name = "net",
	.summary = "network IO: each task GETs SIZE bytes over loopback TCP from an HTTP/1.1 server",
	.size_unit = "bytes",
	.size_help = "a byte size such as 4K (a number with K/M/G for KiB/MiB/GiB), from 0 to 64M",
	.kind = WORKLOAD_WAIT,
	.parse_size = net_parse_size,
	.default_size = net_default_size,
	.default_tasks = NULL,
	.setup = net_setup,
	.task = net_task,
	.verify = net_verify,
	.prepare = net_prepare,
	.counters = net_counters,
	.teardown = net_teardown,
	.export_state = shm_state_export,
	.import_state = net_import,
	.drop_state = net_drop,
	.rate_key = "req_per_s",
	.rate_label = "req/s",
	.rate = net_rate,
	.python_size_divisor = 1,
	.options = net_options,
};
