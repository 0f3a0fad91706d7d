/* test_net.c: the net workload against tvp's own server, against an
 * independent server (python3 -m http.server), and against servers that
 * misbehave (close early, never answer, reset, refuse), checking that every
 * failure is a clear task error, is counted, never hangs, and that no server
 * process is left behind. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "wltest.h"
#include "bench/util.h"

/* What a net task returns (net.c's struct net_result). */
struct net_result {
	uint32_t status;
	uint64_t body_bytes;
	uint64_t checksum;
};

static uint64_t fnv(const unsigned char *p, size_t n)
{
	uint64_t h = 0xCBF29CE484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001B3ull;
	return h;
}

/* A listening socket on 127.0.0.1 and an ephemeral port. */
static int listen_any(uint16_t *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert(fd >= 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, 64), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

static void stop_child(pid_t pid)
{
	int st;

	kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
}

/* One task against url (with options), expected to fail; returns its
 * message in msg and checks the counter it should have bumped. */
static void expect_failure(const char *url, const char *counter, const char *text,
			   const char *timeout)
{
	struct wlt t;
	struct task_result r = TASK_RESULT_INIT;
	char msg[600];
	uint64_t t0;
	int rc;

	wlt_init(&t, "net", "1K", "url", url, "net-timeout", timeout, NULL);
	wlt_setup(&t);
	wlt_prepare(&t);
	t0 = now_ns();
	rc = wlt_task(&t, 0, &r);
	wlt_msg(&r, msg, sizeof msg);
	ck_assert_msg(rc < 0, "task against %s succeeded", url);
	ck_assert_msg(strstr(msg, text) && strstr(msg, "GET http://127.0.0.1:"),
		      "message for %s says '%s' and names the URL: %s", counter, text, msg);
	ck_assert_msg(wlt_counter(&t, counter) == 1, "%s = %g (%s)", counter,
		      wlt_counter(&t, counter), msg);
	/* No waiting far beyond the timeout: the whole request has a deadline. */
	ck_assert_msg(now_ns() - t0 < 5000000000ull, "took %.1f s", (double)(now_ns() - t0) / 1e9);
	task_result_release(&r);
	wlt_teardown(&t);
}

static const char *const sizes[] = { "0", "1", "4K", "300000" };

START_TEST(own_server_every_way)
{
	struct wlt t;

	wlt_init(&t, "net", sizes[_i], "net-delay", "1ms", NULL);
	wlt_setup(&t);
	ck_assert_int_eq(tvp_count_children(), 1);   /* the server */
	wlt_run_serial(&t, 3);
	wlt_run_threads(&t, 24, 12);
	wlt_run_forked(&t, 24, 6);
	ck_assert(wlt_counter(&t, "connect_errors") == 0);
	ck_assert(wlt_counter(&t, "bad_body") == 0);
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

/* 32 threads, each waiting 50 ms for the server: overlapped, well under the
 * 1.6 s that waiting one after another would take (bound: 8x the ideal). */
START_TEST(requests_overlap)
{
	struct wlt t;
	uint64_t t0;

	wlt_init(&t, "net", "1K", "net-delay", "50ms", NULL);
	wlt_setup(&t);
	t0 = now_ns();
	wlt_run_threads(&t, 32, 32);
	ck_assert_msg(now_ns() - t0 < 400000000, "took %.0f ms", (double)(now_ns() - t0) / 1e6);
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

static pid_t start_python(const char *dir, uint16_t *port)
{
	char portbuf[16];
	int fd = listen_any(port);
	pid_t pid;

	/* Learn a free port, then free it for python (a tiny race another
	 * process could win; the connect loop below would then fail loudly). */
	close(fd);
	snprintf(portbuf, sizeof portbuf, "%u", *port);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		tvp_child_to_devnull();
		execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1",
		       "--directory", dir, portbuf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 500; i++) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(*port) };
		int c = socket(AF_INET, SOCK_STREAM, 0), ok, st;

		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(c, (struct sockaddr *)&a, sizeof a) == 0;
		close(c);
		if (ok)
			return pid;
		if (waitpid(pid, &st, WNOHANG) == pid)
			ck_abort_msg("python3 -m http.server exited (status %#x)", st);
		sleep_ns(20000000);
	}
	stop_child(pid);
	ck_abort_msg("python3 -m http.server did not listen on port %u within 10 s", *port);
	return -1;
}

/* An independent HTTP server serving a file of known bytes: every task gets
 * exactly those bytes, in threads and processes alike; a missing file is a
 * counted non-200 answer with a clear message. */
START_TEST(independent_server)
{
	char *dir, *file, *url, *missing;
	unsigned char data[12345];
	struct task_result r = TASK_RESULT_INIT;
	struct net_result res;
	struct wlt t;
	uint16_t port;
	pid_t py;
	int fd;

	if (system("python3 -c pass >/dev/null 2>&1") != 0)
		tvp_skip("python3 not found");
	dir = tvp_tmpdir();
	file = xasprintf("%s/data.bin", dir);
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	ck_assert(fd >= 0 && write_full(fd, data, sizeof data) == 0);
	close(fd);
	py = start_python(dir, &port);
	url = xasprintf("http://127.0.0.1:%u/data.bin", port);
	missing = xasprintf("http://127.0.0.1:%u/missing.bin", port);

	wlt_init(&t, "net", "1K", "url", url, NULL);
	wlt_setup(&t);
	ck_assert_int_eq(tvp_count_children(), 1);   /* python only: no server of ours */
	ck_assert_int_eq(wlt_task(&t, 0, &r), 0);
	ck_assert_uint_eq(r.len, sizeof res);
	memcpy(&res, task_result_data(&r), sizeof res);
	ck_assert_uint_eq(res.status, 200);
	ck_assert_uint_eq(res.body_bytes, sizeof data);
	ck_assert(res.checksum == fnv(data, sizeof data));
	task_result_release(&r);
	wlt_run_serial(&t, 2);
	wlt_run_threads(&t, 8, 4);
	wlt_run_forked(&t, 8, 4);
	wlt_teardown(&t);

	expect_failure(missing, "bad_status", "404", "5s");
	stop_child(py);
	tvp_rm_rf(dir);
	free(dir);
	free(file);
	free(url);
	free(missing);
	tvp_assert_no_children();
}
END_TEST

enum bad_server { CLOSES_EARLY, NEVER_ANSWERS, RESETS, NOT_HTTP };

/* A forked server that misbehaves the given way on every connection. */
static pid_t start_bad_server(enum bad_server how, uint16_t *port)
{
	int lfd = listen_any(port);
	pid_t pid = fork();

	ck_assert(pid >= 0);
	if (pid > 0) {
		close(lfd);
		return pid;
	}
	for (;;) {
		int c = accept(lfd, NULL, NULL);
		char req[2048];
		struct linger lg = { 1, 0 };

		if (c < 0)
			continue;
		switch (how) {
		case CLOSES_EARLY:
			recv(c, req, sizeof req, 0);
			send(c, "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nabc", 44, MSG_NOSIGNAL);
			close(c);
			break;
		case NEVER_ANSWERS:
			break;   /* accepted, kept open, never answered */
		case RESETS:
			recv(c, req, sizeof req, 0);
			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			close(c);   /* with linger 0: an RST */
			break;
		case NOT_HTTP:
			recv(c, req, sizeof req, 0);
			send(c, "SSH-2.0-OpenSSH\r\n\r\n", 19, MSG_NOSIGNAL);
			close(c);
			break;
		}
	}
}

static const struct {
	enum bad_server how;
	const char *counter, *text;
} bad[] = {
	{ CLOSES_EARLY, "short_reads", "after 3 of 1000 body bytes" },
	{ NEVER_ANSWERS, "timeouts", "no answer within 0.3 s" },
	{ RESETS, "resets", "Connection reset" },
	{ NOT_HTTP, "bad_status", "not an HTTP/1.x answer" },
};

START_TEST(misbehaving_servers_fail_tasks_clearly)
{
	uint16_t port;
	pid_t srv = start_bad_server(bad[_i].how, &port);
	char *url = xasprintf("http://127.0.0.1:%u/", port);

	expect_failure(url, bad[_i].counter, bad[_i].text, "300ms");
	stop_child(srv);
	free(url);
	tvp_assert_no_children();
}
END_TEST

START_TEST(nobody_listening_is_a_connect_error)
{
	uint16_t port;
	int fd = listen_any(&port);
	char *url = xasprintf("http://127.0.0.1:%u/x", port);

	close(fd);   /* the port is free now: connect is refused */
	expect_failure(url, "connect_errors", strerror(ECONNREFUSED), "1s");
	free(url);
}
END_TEST

/* Four processes meeting a silent server time out together, in about the
 * timeout, and every failure is counted in the shared counters. */
START_TEST(silent_server_many_workers)
{
	uint16_t port;
	pid_t srv = start_bad_server(NEVER_ANSWERS, &port);
	char *url = xasprintf("http://127.0.0.1:%u/", port);
	struct wlt t;
	pid_t kids[4];
	uint64_t t0 = now_ns();

	wlt_init(&t, "net", "1K", "url", url, "net-timeout", "200ms", NULL);
	wlt_setup(&t);
	wlt_prepare(&t);
	for (int i = 0; i < 4; i++) {
		kids[i] = fork();
		ck_assert(kids[i] >= 0);
		if (kids[i] == 0) {
			struct task_result r = TASK_RESULT_INIT;
			_exit(wlt_task(&t, (uint64_t)i, &r) == -ETIMEDOUT ? 0 : 1);
		}
	}
	for (int i = 0; i < 4; i++) {
		int st;
		ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "a worker did not time out");
	}
	ck_assert(wlt_counter(&t, "timeouts") == 4);
	ck_assert_msg(now_ns() - t0 < 3000000000ull, "took %.1f s", (double)(now_ns() - t0) / 1e9);
	wlt_teardown(&t);
	stop_child(srv);
	free(url);
	tvp_assert_no_children();
}
END_TEST

/* A stopped server (SIGSTOP): the first request waits out its timeout, the
 * rest of the measurement fails at once instead of each waiting its own
 * (eight tasks in a row took eight timeouts), and every task is counted. */
START_TEST(stopped_server_bounds_the_measurement)
{
	uint16_t port;
	pid_t srv = start_bad_server(CLOSES_EARLY, &port);
	char *url = xasprintf("http://127.0.0.1:%u/", port);
	struct task_result r = TASK_RESULT_INIT;
	uint64_t t0, first_ns, rest_ns;
	struct wlt t;

	kill(srv, SIGSTOP);
	wlt_init(&t, "net", "1K", "url", url, "net-timeout", "300ms", NULL);
	wlt_setup(&t);
	wlt_prepare(&t);
	t0 = now_ns();
	ck_assert_int_eq(wlt_task(&t, 0, &r), -ETIMEDOUT);
	first_ns = now_ns() - t0;
	t0 = now_ns();
	for (uint64_t i = 1; i < 8; i++) {
		char msg[600];
		task_result_release(&r);
		ck_assert_int_eq(wlt_task(&t, i, &r), -ETIMEDOUT);
		ck_assert_msg(strstr(wlt_msg(&r, msg, sizeof msg), "earlier request"), "%s", msg);
	}
	rest_ns = now_ns() - t0;
	ck_assert_msg(rest_ns < first_ns, "7 more tasks took %.0f ms, the first alone %.0f ms",
		      rest_ns / 1e6, first_ns / 1e6);
	ck_assert(wlt_counter(&t, "timeouts") == 8);
	/* A new measurement tries again. */
	wlt_prepare(&t);
	kill(srv, SIGCONT);
	task_result_release(&r);
	ck_assert_int_eq(wlt_task(&t, 0, &r), -EPIPE);   /* CLOSES_EARLY: a short read */
	ck_assert(wlt_counter(&t, "timeouts") == 0);
	task_result_release(&r);
	wlt_teardown(&t);
	stop_child(srv);
	free(url);
	tvp_assert_no_children();
}
END_TEST

static const struct {
	const char *url;
	bool ok;
} urls[] = {
	{ "http://127.0.0.1:8080/", true },      { "http://localhost/", true },
	{ "http://LOCALHOST:81/a/b?c=d", true }, { "http://127.9.8.7", true },
	{ "http://10.1.2.3:8000/x", true },      { "http://172.16.0.1/", true },
	{ "http://172.31.255.255/", true },      { "http://192.168.1.20:80/", true },
	{ "http://[::1]:8080/", true },          { "", true },
	{ "http://8.8.8.8/", false },            { "http://172.32.0.1/", false },
	{ "http://192.169.0.1/", false },        { "http://example.com/", false },
	{ "https://127.0.0.1/", false },         { "ftp://127.0.0.1/", false },
	{ "http://127.0.0.1:0/", false },        { "http://127.0.0.1:70000/", false },
	{ "http://127.0.0.1:80x/", false },      { "http://127.0.0.1/a b", false },
	{ "http://[2001:db8::1]/", false },      { "http:///", false },
	{ "127.0.0.1:8080", false },            { "http://127.0.0.1:+1/", false },
	{ "http://127.0.0.1: 1/", false },       { "http://127.0.0.1:-1/", false },
};

START_TEST(url_check)
{
	char err[512] = "";
	bool ok = wlt_check_option("net", "url", urls[_i].url, err, sizeof err);

	ck_assert_msg(ok == urls[_i].ok, "'%s': %d (%s)", urls[_i].url, ok, err);
	if (!ok)
		ck_assert_msg(strstr(err, "accepted: http://HOST"), "says what is accepted: %s", err);
}
END_TEST

START_TEST(duration_options)
{
	char err[256] = "";

	ck_assert(wlt_check_option("net", "net-delay", "0ms", err, sizeof err));
	ck_assert(wlt_check_option("net", "net-delay", "0", err, sizeof err));   /* nought needs no unit */
	ck_assert(wlt_check_option("net", "net-delay", "250us", err, sizeof err));
	ck_assert(!wlt_check_option("net", "net-delay", "5", err, sizeof err));
	ck_assert_msg(strstr(err, "duration"), "%s", err);
	ck_assert(!wlt_check_option("net", "net-timeout", "0ms", err, sizeof err));
	ck_assert(!wlt_check_option("net", "net-timeout", "0", err, sizeof err));
	ck_assert(wlt_check_option("net", "net-timeout", "2s", err, sizeof err));
}
END_TEST

/* The first child of process pid, or 0. */
static pid_t first_child(pid_t pid)
{
	char path[64];
	FILE *f;
	int c = 0;

	snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (fscanf(f, "%d", &c) != 1)
		c = 0;
	fclose(f);
	return (pid_t)c;
}

/* build/tvp run --workload net interrupted with SIGINT: tvp exits 130 and
 * has itself stopped and reaped its server. This process is made a child
 * subreaper, so a server tvp left behind would become our child (and, killed
 * by its parent-death signal, our zombie): tvp_assert_no_children sees it. */
START_TEST(ctrl_c_stops_the_server)
{
	const char *bin = getenv("TVP_BIN");
	char out[] = "/tmp/tvp-test-net-XXXXXX";
	int fd = mkstemp(out), st;
	pid_t pid, server = 0;

	ck_assert_msg(bin && *bin, "TVP_BIN is not set (run the tests through make test)");
	ck_assert(fd >= 0);
	close(fd);
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		tvp_child_to_devnull();
		execl(bin, bin, "run", "--workload", "net", "--net-delay", "20ms", "--mode", "serial",
		      "--workers", "1", "--tasks", "4", "--repeat", "200", "--quiet", "--output", out,
		      (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 2500 && !server; i++) {
		sleep_ns(2000000);
		server = first_child(pid);
	}
	ck_assert_msg(server > 0, "tvp started no server within 5 s");
	sleep_ns(100000000);   /* well into the measurements */
	kill(pid, SIGINT);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 130, "tvp ended with status %#x", st);
	ck_assert_msg(kill(server, 0) != 0 && errno == ESRCH, "server %d still exists", (int)server);
	unlink(out);
	tvp_assert_no_children();
}
END_TEST

/* build/tvp runs it under every mode; the run loop checks every result
 * against serial's. */
START_TEST(cli_every_mode)
{
	char *out = wlt_json_path();
	struct tvp_cmd c;

	tvp_run_cli(&c, 90, "run", "--workload", "net", "--net-delay", "1ms", "--quick", "--workers", "1,3", "--repeat", "1", "--warmup", "0", "--quiet", "--output", out, NULL);
	wlt_check_every_mode(&c, out, "net");
	tvp_cmd_free(&c);
	free(out);
	tvp_assert_no_children();
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net");

	tcase_add_loop_test(tvp_tcase(s, "own_server", 60), own_server_every_way, 0,
			    (int)ARRAY_SIZE(sizes));
	tcase_add_test(tvp_tcase(s, "overlap", 30), requests_overlap);
	tcase_add_test(tvp_tcase(s, "independent", 60), independent_server);
	tcase_add_loop_test(tvp_tcase(s, "misbehaving", 20), misbehaving_servers_fail_tasks_clearly,
			    0, (int)ARRAY_SIZE(bad));
	tcase_add_test(tvp_tcase(s, "refused", 10), nobody_listening_is_a_connect_error);
	tcase_add_test(tvp_tcase(s, "silent_many", 20), silent_server_many_workers);
	tcase_add_test(tvp_tcase(s, "stopped_server", 20), stopped_server_bounds_the_measurement);
	tcase_add_test(tvp_tcase(s, "ctrl_c", 30), ctrl_c_stops_the_server);
	tcase_add_loop_test(tvp_tcase(s, "url", 5), url_check, 0, (int)ARRAY_SIZE(urls));
	tcase_add_test(tvp_tcase(s, "durations", 5), duration_options);
	tcase_add_test(tvp_tcase(s, "cli", 120), cli_every_mode);
	return s;
}

TVP_TEST_MAIN(net_suite)
