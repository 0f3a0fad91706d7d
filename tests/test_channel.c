/* test_channel.c: both channel transports (pipe, shm): messages of every
 * size arrive whole and in order both ways, a peer that closes or dies is
 * noticed, timeouts time out. Each test forks its worker directly. */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "par/channel.h"
#include "par/pool.h"
#include "testutil.h"
#include "bench/util.h"

static const enum channel_kind kinds[] = { CHANNEL_PIPE, CHANNEL_SHM };

/* Byte i of message seq: a pattern that catches reordering and tearing. */
static unsigned char pattern(uint64_t seq, size_t i)
{
	return (unsigned char)(seq * 131 + i * 7 + (i >> 8));
}

static unsigned char *make_msg(uint64_t seq, size_t len)
{
	unsigned char *m = xmalloc(len ? len : 1);

	for (size_t i = 0; i < len; i++)
		m[i] = pattern(seq, i);
	return m;
}

static bool msg_ok(uint64_t seq, const unsigned char *m, size_t len, size_t want)
{
	if (len != want)
		return false;
	for (size_t i = 0; i < len; i++)
		if (m[i] != pattern(seq, i))
			return false;
	return true;
}

/* Forks a child that runs fn on the worker end and exits with its value. */
static pid_t fork_worker(struct channel *ch, int (*fn)(struct channel *w))
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct channel *w;

		signal(SIGPIPE, SIG_IGN);
		if (channel_become_worker(ch, &w) < 0)
			_exit(90);
		_exit(fn(w));
	}
	channel_parent_ready(ch);
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

/* The parent's way to wait: arm, poll, disarm. */
static void parent_sleep(struct channel *ch, int timeout_ms)
{
	struct pollfd pfd[CHANNEL_MAX_POLLFDS];
	unsigned n;

	if (!channel_arm(ch))
		return;
	n = channel_pollfds(ch, pfd);
	if (poll(pfd, n, timeout_ms) < 0)
		memset(pfd, 0, sizeof pfd);
	channel_disarm(ch, pfd, n);
}

/* Echoes every message back until the parent closes. */
static int echo_worker(struct channel *w)
{
	for (;;) {
		const void *m;
		size_t len;
		struct iovec iov;
		int rc = channel_recv(w, POOL_FOREVER, 50000, &m, &len);

		if (rc == -EPIPE) {
			channel_free(w);
			return 0;
		}
		if (rc != 1)
			return 91;
		/* m points into the inbox, which a send does not touch. */
		iov.iov_base = (void *)m;
		iov.iov_len = len;
		if (channel_send(w, &iov, 1) != 0)
			return 92;
	}
}

static const size_t sizes[] = {
	0, 1, 7, 8, 9, 100, 4095, 4096, 65535, 65536, 65537, 262143, 262144, 262145,
	300000, 1 << 20, 5u << 20, 3, 0, 12345,
};

/* Sends every message in sizes[] (several in flight at once: the parent
 * posts the next while earlier echoes stream back) and checks each echo. */
START_TEST(echo_all_sizes_in_order)
{
	struct channel *ch;
	size_t n = ARRAY_SIZE(sizes), sent = 0, got = 0;
	unsigned char **bufs = xcalloc(n, sizeof *bufs);
	pid_t pid;
	uint64_t deadline = now_ns() + 30000000000ull;

	ck_assert_int_eq(channel_new(&ch, kinds[_i]), 0);
	pid = fork_worker(ch, echo_worker);
	while (got < n) {
		const void *m;
		size_t len;
		int rc;
		bool busy = false;

		ck_assert_msg(now_ns() < deadline, "echo stalled at %zu of %zu", got, n);
		if (sent < n && !channel_send_pending(ch)) {
			bufs[sent] = make_msg(sent, sizes[sent]);
			ck_assert_int_eq(channel_post(ch, "", 0, bufs[sent], sizes[sent]), 0);
			sent++;
			busy = true;
		}
		ck_assert_int_ge(channel_flush(ch), 0);
		while ((rc = channel_try_recv(ch, &m, &len)) == 1) {
			ck_assert_msg(msg_ok(got, m, len, sizes[got]),
				      "message %zu (%zu bytes) came back as %zu bytes or changed", got,
				      sizes[got], len);
			free(bufs[got]);
			bufs[got] = NULL;
			got++;
			busy = true;
		}
		ck_assert_int_eq(rc, 0);
		if (!busy)
			parent_sleep(ch, 100);
	}
	channel_free(ch);
	ck_assert_int_eq(wait_status(pid), 0);
	free(bufs);
	tvp_assert_no_children();
}
END_TEST

/* Sends count small messages of varying size up as fast as it can. */
static int burst_worker(struct channel *w)
{
	for (uint64_t seq = 0; seq < 20000; seq++) {
		size_t len = (size_t)(seq % 97) * 3;
		unsigned char buf[300];
		struct iovec iov[2] = { { &seq, sizeof seq }, { buf, len } };

		for (size_t i = 0; i < len; i++)
			buf[i] = pattern(seq, i);
		if (channel_send(w, iov, 2) != 0)
			return 93;
	}
	channel_free(w);
	return 0;
}

START_TEST(many_small_messages_up_in_order)
{
	struct channel *ch;
	uint64_t want = 0;
	pid_t pid;
	int rc;

	ck_assert_int_eq(channel_new(&ch, kinds[_i]), 0);
	pid = fork_worker(ch, burst_worker);
	for (;;) {
		const void *m;
		size_t len;
		uint64_t seq;

		rc = channel_try_recv(ch, &m, &len);
		if (rc == 0) {
			parent_sleep(ch, 1000);
			continue;
		}
		if (rc < 0)
			break;
		ck_assert_uint_ge(len, sizeof seq);
		memcpy(&seq, m, sizeof seq);
		ck_assert_uint_eq(seq, want);
		ck_assert(msg_ok(seq, (const unsigned char *)m + sizeof seq, len - sizeof seq,
				 (size_t)(seq % 97) * 3));
		want++;
	}
	/* Every message first, then the end. */
	ck_assert_int_eq(rc, -EPIPE);
	ck_assert_uint_eq(want, 20000);
	channel_free(ch);
	ck_assert_int_eq(wait_status(pid), 0);
	tvp_assert_no_children();
}
END_TEST

/* Sends three messages, then dies without closing anything. */
static int dying_worker(struct channel *w)
{
	for (uint64_t seq = 0; seq < 3; seq++) {
		unsigned char *m = make_msg(seq, 1000);
		struct iovec iov = { m, 1000 };

		if (channel_send(w, &iov, 1) != 0)
			return 94;
		free(m);
	}
	/* Wait to be killed: the parent sends SIGKILL. */
	for (;;)
		pause();
}

START_TEST(dead_worker_is_noticed_after_its_messages)
{
	struct channel *ch;
	pid_t pid;
	int got = 0, rc, st;
	uint64_t deadline = now_ns() + 10000000000ull;

	ck_assert_int_eq(channel_new(&ch, kinds[_i]), 0);
	pid = fork_worker(ch, dying_worker);
	while (got < 3) {
		const void *m;
		size_t len;

		ck_assert(now_ns() < deadline);
		rc = channel_try_recv(ch, &m, &len);
		if (rc == 0) {
			parent_sleep(ch, 100);
			continue;
		}
		ck_assert_int_eq(rc, 1);
		ck_assert(msg_ok((uint64_t)got, m, len, 1000));
		got++;
	}
	kill(pid, SIGKILL);
	st = wait_status(pid);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* Nothing more will come, and the channel must say so (not hang). */
	for (;;) {
		const void *m;
		size_t len;

		ck_assert_msg(now_ns() < deadline, "a dead peer went unnoticed");
		rc = channel_try_recv(ch, &m, &len);
		if (rc != 0)
			break;
		parent_sleep(ch, 100);
	}
	ck_assert_int_eq(rc, -EPIPE);
	/* Writing to it fails too, rather than blocking or raising SIGPIPE. */
	{
		static unsigned char big[1 << 20];
		int prc = channel_post(ch, "", 0, big, sizeof big);

		ck_assert_int_eq(prc, -EPIPE);
	}
	channel_free(ch);
	tvp_assert_no_children();
}
END_TEST

/* Waits for a message that never comes: -ETIMEDOUT, then -EPIPE once the
 * parent closes. Exit 0 if both happened. */
static int waiting_worker(struct channel *w)
{
	const void *m;
	size_t len;
	uint64_t t0 = now_ns();

	if (channel_recv(w, 30000000, 10000, &m, &len) != -ETIMEDOUT)
		return 95;
	if (now_ns() - t0 < 30000000)
		return 96;
	if (channel_recv(w, 10000000000ll, 10000, &m, &len) != -EPIPE)
		return 97;
	channel_free(w);
	return 0;
}

START_TEST(timeout_then_parent_close)
{
	struct channel *ch;
	pid_t pid;
	int st;

	ck_assert_int_eq(channel_new(&ch, kinds[_i]), 0);
	pid = fork_worker(ch, waiting_worker);
	sleep_ns(100000000);
	channel_free(ch);
	st = wait_status(pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "worker status %d", st);
	tvp_assert_no_children();
}
END_TEST

#define BIG_MSG (4u << 20)   /* larger than an shm ring or a pipe's buffer */

/* The message one_worker sends (sequence one_seq, one_len bytes, after
 * one_delay_us): set before fork_worker. */
static uint64_t one_seq;
static size_t one_len;
static useconds_t one_delay_us;

/* Sends one message, then waits for the parent to close. */
static int one_worker(struct channel *w)
{
	unsigned char *m = make_msg(one_seq, one_len);
	struct iovec iov = { m, one_len };
	const void *in;
	size_t len;

	usleep(one_delay_us);
	if (channel_send(w, &iov, 1) != 0)
		return 95;
	free(m);
	return channel_recv(w, POOL_FOREVER, 0, &in, &len) == -EPIPE ? 0 : 96;
}

/* channel_recv_partial says when a message has begun to arrive and not
 * ended (the fork pool's parent keeps pumping then: fork_dispatch.c). */
START_TEST(a_message_half_read_is_partial)
{
	struct channel *ch;
	bool seen_partial = false;
	const void *m;
	size_t len;
	pid_t pid;
	int rc;

	ck_assert_int_eq(channel_new(&ch, kinds[_i]), 0);
	ck_assert(!channel_recv_partial(ch));
	one_seq = 7;
	one_len = BIG_MSG;
	one_delay_us = 0;
	pid = fork_worker(ch, one_worker);
	/* Let the worker fill what the transport holds and fall asleep
	 * waiting for room: the first read then takes a part only. */
	usleep(20000);
	while ((rc = channel_try_recv(ch, &m, &len)) == 0) {
		if (channel_recv_partial(ch))
			seen_partial = true;
		parent_sleep(ch, 1000);
	}
	ck_assert_int_eq(rc, 1);
	/* A pipe's writer, blocked in the kernel, is woken by each read and
	 * may refill the pipe before the next: its message can arrive in one
	 * call. The ring's writer sleeps in poll() and is woken through an
	 * eventfd, far slower than the reader's next look. */
	if (kinds[_i] == CHANNEL_SHM)
		ck_assert(seen_partial);
	ck_assert(msg_ok(7, m, len, BIG_MSG));
	ck_assert(!channel_recv_partial(ch));
	channel_free(ch);
	ck_assert_int_eq(wait_status(pid), 0);
	tvp_assert_no_children();
}
END_TEST

/* Two shm ends sharing one eventfd (a fork pool's parent: fork_poll.c): no
 * descriptors of their own, and a message on either wakes a sleep on the
 * shared one. A pipe cannot share. */
START_TEST(ends_share_one_wake_up)
{
	struct channel *ch[2], *pipe_ch;
	struct pollfd pfd[CHANNEL_MAX_POLLFDS];
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pid_t pid[2];

	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(channel_new(&pipe_ch, CHANNEL_PIPE), 0);
	ck_assert_int_eq(channel_share_wake(pipe_ch, efd), -ENOTSUP);
	channel_free(pipe_ch);
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(channel_new(&ch[k], CHANNEL_SHM), 0);
		ck_assert_int_eq(channel_share_wake(ch[k], efd), 0);
	}
	/* Only the second worker sends: the sleep on efd must end by it. */
	one_seq = 3;
	one_len = 100;
	one_delay_us = 300000;
	pid[0] = fork_worker(ch[0], echo_worker);
	pid[1] = fork_worker(ch[1], one_worker);
	for (int k = 0; k < 2; k++) {
		ck_assert(channel_arm(ch[k]));
		ck_assert_uint_eq(channel_pollfds(ch[k], pfd), 0);
	}
	pfd[0] = (struct pollfd){ .fd = efd, .events = POLLIN };
	ck_assert_int_eq(poll(pfd, 1, 10000), 1);
	for (int k = 0; k < 2; k++)
		channel_disarm(ch[k], pfd, 0);
	{
		const void *m;
		size_t len;
		uint64_t v;

		ck_assert_int_eq(read(efd, &v, sizeof v), (ssize_t)sizeof v);
		ck_assert_int_eq(channel_try_recv(ch[0], &m, &len), 0);
		ck_assert_int_eq(channel_try_recv(ch[1], &m, &len), 1);
		ck_assert(msg_ok(3, m, len, 100));
	}
	for (int k = 0; k < 2; k++) {
		channel_free(ch[k]);
		ck_assert_int_eq(wait_status(pid[k]), 0);
	}
	close(efd);
	tvp_assert_no_children();
}
END_TEST

START_TEST(kind_names)
{
	enum channel_kind k;

	ck_assert_int_eq(channel_kind_parse("pipe", &k), 0);
	ck_assert_int_eq(k, CHANNEL_PIPE);
	ck_assert_int_eq(channel_kind_parse("shm", &k), 0);
	ck_assert_int_eq(k, CHANNEL_SHM);
	ck_assert_int_eq(channel_kind_parse("tcp", &k), -EINVAL);
	ck_assert_int_eq(channel_kind_parse(NULL, &k), -EINVAL);
	ck_assert_str_eq(channel_kind_name(CHANNEL_SHM), "shm");
	ck_assert_str_eq(channel_kind_name(CHANNEL_PIPE), "pipe");
}
END_TEST

static Suite *channel_suite(void)
{
	Suite *s = suite_create("channel");
	TCase *tc = tvp_tcase(s, "messages", 60);

	tcase_add_loop_test(tc, echo_all_sizes_in_order, 0, ARRAY_SIZE(kinds));
	tcase_add_loop_test(tc, many_small_messages_up_in_order, 0, ARRAY_SIZE(kinds));
	tc = tvp_tcase(s, "peers", 30);
	tcase_add_loop_test(tc, dead_worker_is_noticed_after_its_messages, 0, ARRAY_SIZE(kinds));
	tcase_add_loop_test(tc, timeout_then_parent_close, 0, ARRAY_SIZE(kinds));
	tcase_add_loop_test(tc, a_message_half_read_is_partial, 0, ARRAY_SIZE(kinds));
	tcase_add_test(tc, ends_share_one_wake_up);
	tcase_add_test(tc, kind_names);
	return s;
}

TVP_TEST_MAIN(channel_suite)
