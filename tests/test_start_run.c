/* test_start_run.c: `tvp run --start`: every process mode under fork, spawn
 * and forkserver verifies every workload (or refuses it with exit 2 and a
 * reason), the start method is recorded in every cell and shown by export,
 * report and compare, a spawned worker is another program image, and a
 * workload instance survives the trip as bytes (workloads/workload_wire.h).
 * Through build/tvp, as a user runs it, except the last. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/util.h"
#include "par/spawn.h"
#include "testutil.h"
#include "wltest.h"
#include "workloads/workload_wire.h"

#define PROCESS_MODES "fork-spawn,fork-pool,executor-fork"
#define ALL_STARTS "fork,spawn,forkserver"

/* Checks the run's JSON at path: every cell verified, every cell of a
 * process mode carries a start, and each process mode has a cell under each
 * of the three methods (per workload). Returns how many cells there were. */
static size_t check_cells(const char *path, const char *workload)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr), *r;
	unsigned seen[3][3] = { { 0 } };   /* [mode][start] */
	static const char *const pm[] = { "fork-spawn", "fork-pool", "executor-fork" };
	static const char *const st[] = { "fork", "spawn", "forkserver" };
	size_t i, n = 0;

	ck_assert_msg(doc, "%s: %s", path, jerr.text);
	ck_assert_int_eq(json_array_size(json_object_get(json_object_get(doc, "config"), "start")), 3);
	json_array_foreach(json_object_get(doc, "results"), i, r) {
		const char *mode = json_string_value(json_object_get(r, "mode"));
		const char *start = json_string_value(json_object_get(r, "start"));
		bool process = strcmp(mode, "serial") != 0;

		if (workload && strcmp(json_string_value(json_object_get(r, "workload")), workload))
			continue;
		n++;
		ck_assert_msg(json_is_true(json_object_get(r, "verified")),
			      "%s %s start %s: not verified: %s",
			      json_string_value(json_object_get(r, "workload")), mode,
			      start ? start : "-", json_string_value(json_object_get(r, "error")));
		ck_assert_msg(process == (start != NULL), "%s: start %s", mode, start ? start : "absent");
		for (int m = 0; m < 3 && start; m++)
			for (int s = 0; s < 3; s++)
				seen[m][s] += !strcmp(mode, pm[m]) && !strcmp(start, st[s]);
	}
	for (int m = 0; m < 3; m++)
		for (int s = 0; s < 3; s++)
			ck_assert_msg(seen[m][s] == 1, "%s start %s: %u cells", pm[m], st[s], seen[m][s]);
	json_decref(doc);
	return n;
}

/* Fails if /dev/shm holds a workload's shared state (workloads/shm_state.h,
 * "tvp-PID-N-what") whose tvp has ended: a name teardown did not remove. */
static void assert_no_shm_left(void)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int pid;

	if (!d)
		return;   /* no /dev/shm: the states were anonymous */
	while ((e = readdir(d)))
		if (sscanf(e->d_name, "tvp-%d-", &pid) == 1)
			ck_assert_msg(kill(pid, 0) == 0 || errno != ESRCH,
				      "/dev/shm/%s outlived its tvp", e->d_name);
	closedir(d);
}

/* The issue's command, as given: every cell verifies and records its start. */
START_TEST(issue_command)
{
	char *out = wlt_json_path();
	struct tvp_cmd c;

	tvp_run_cli(&c, 240, "run", "--workload", "count,sleep,transfer", "--mode", PROCESS_MODES,
		    "--start", ALL_STARTS, "--workers", "2", "--quick", "--quiet", "--output", out, NULL);
	ck_assert_msg(c.status == 0, "exit %d\n%s", c.status, c.err);
	ck_assert_uint_eq(check_cells(out, "count"), 10);
	ck_assert_uint_eq(check_cells(out, "sleep"), 10);
	ck_assert_uint_eq(check_cells(out, "transfer"), 10);
	tvp_cmd_free(&c);
	unlink(out);
	free(out);
	tvp_assert_no_children();
}
END_TEST

/* Every registered workload, with its default options, in every process
 * mode under every start method: one small run each. */
START_TEST(every_workload_every_start)
{
	const char *name = workloads[_i]->name;
	char *out = wlt_json_path();
	struct tvp_cmd c;

	tvp_run_cli(&c, 120, "run", "--workload", name, "--mode", PROCESS_MODES, "--start",
		    ALL_STARTS, "--workers", "2", "--tasks", "4", "--quick", "--quiet", "--repeat", "1",
		    "--warmup", "0", "--output", out, NULL);
	ck_assert_msg(c.status == 0, "%s: exit %d\n%s", name, c.status, c.err);
	ck_assert_uint_eq(check_cells(out, name), 10);
	tvp_cmd_free(&c);
	unlink(out);
	free(out);
	tvp_assert_no_children();
	assert_no_shm_left();
}
END_TEST

/* A thread-only mutex cannot serve worker processes: refused before any
 * measuring, with the reason and what to use; thread modes still run it. */
START_TEST(private_lock_refused_with_processes)
{
	static const char *const starts[] = { "fork", "spawn", "forkserver" };
	struct tvp_cmd c;

	for (size_t i = 0; i < ARRAY_SIZE(starts); i++) {
		tvp_run_cli(&c, 30, "run", "--workload", "contention", "--lock", "private", "--mode",
			    "fork-pool", "--start", starts[i], "--workers", "2", "--quick", "--quiet",
			    "--output", "/dev/null", NULL);
		tvp_assert_one_line_error(&c, 2, "tvp: ", starts[i]);
		ck_assert_msg(strstr(c.err, "--lock private") && strstr(c.err, "--lock mutex") &&
			      strstr(c.err, starts[i]), "says why and what to use: %s", c.err);
		tvp_cmd_free(&c);
	}
	tvp_run_cli(&c, 60, "run", "--workload", "contention", "--lock", "private", "--mode",
		    "thread-pool", "--workers", "2", "--quick", "--quiet", "--repeat", "1", "--warmup",
		    "0", "--output", "/dev/null", NULL);
	ck_assert_msg(c.status == 0, "thread-pool: exit %d\n%s", c.status, c.err);
	tvp_cmd_free(&c);
}
END_TEST

START_TEST(bad_start_value)
{
	struct tvp_cmd c;

	tvp_run_cli(&c, 10, "run", "--start", "vfork", NULL);
	ck_assert_int_eq(c.status, 2);
	ck_assert_msg(strstr(c.err, "tvp: ") && strstr(c.err, "'vfork'") &&
		      strstr(c.err, "accepted: fork, spawn, forkserver"), "%s", c.err);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 10, "run", "--start", "fork,,spawn", NULL);
	ck_assert_int_eq(c.status, 2);
	ck_assert_msg(strstr(c.err, "empty item"), "%s", c.err);
	tvp_cmd_free(&c);
}
END_TEST

/* Reads /proc/PID/what into buf (NUL-terminated); its length, or -1. */
static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, what);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n > 0)
		buf[n] = '\0';
	return n > 0 ? n : -1;
}

/* The pid of a child of parent whose argv[1] is want (read from /proc), or
 * 0; its argv[2] goes into role. */
static pid_t find_child(pid_t parent, const char *want, char *role, size_t len)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	pid_t found = 0;

	ck_assert(d);
	while (!found && (e = readdir(d))) {
		char buf[4096], *p, *comm_end;
		pid_t pid = (pid_t)atoi(e->d_name), ppid = 0;
		ssize_t n;

		if (pid <= 0 || read_proc(pid, "stat", buf, sizeof buf) < 0)
			continue;
		comm_end = strrchr(buf, ')');
		if (!comm_end || sscanf(comm_end + 2, "%*c %d", &ppid) != 1 || ppid != parent)
			continue;
		n = read_proc(pid, "cmdline", buf, sizeof buf);
		if (n < 0)
			continue;
		p = buf + strlen(buf) + 1;           /* argv[1] */
		if (p < buf + n && !strcmp(p, want)) {
			p += strlen(p) + 1;          /* argv[2] */
			snprintf(role, len, "%s", p < buf + n ? p : "");
			found = pid;
		}
	}
	closedir(d);
	return found;
}

/* Starts tvp with argv in the background (output discarded). */
static pid_t start_tvp(char *const argv[])
{
	pid_t pid = fork();

	ck_assert(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		signal(SIGINT, SIG_DFL);   /* as a shell starts it: Ctrl-C reaches it */
		execv(getenv("TVP_BIN"), argv);
		_exit(127);
	}
	return pid;
}

/* While a long sleep task runs, tvp's worker is found among its children:
 * under spawn a fresh program whose command line names the worker entry
 * and its role; under fork a copy of tvp whose command line is tvp's own. */
START_TEST(spawned_worker_is_another_image)
{
	static const struct {
		const char *mode, *start, *argv1, *role;
	} cases[] = {
		{ "fork-pool", "spawn", SPAWN_ARGV1, NULL },
		{ "fork-spawn", "spawn", SPAWN_ARGV1, "task" },
		{ "fork-pool", "fork", "run", "--workload" },
	};
	const char *bin = getenv("TVP_BIN");

	ck_assert_msg(bin, "TVP_BIN is not set");
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *argv[] = { "tvp", "run", "--workload", "sleep", "--size", "3s", "--mode",
				 (char *)cases[i].mode, "--start", (char *)cases[i].start, "--workers",
				 "1", "--tasks", "1", "--repeat", "1", "--warmup", "0", "--quiet",
				 "--output", "/dev/null", NULL };
		char role[64] = "";
		pid_t tvp = start_tvp(argv), w = 0;
		int st;

		for (int k = 0; k < 400 && !w; k++) {
			w = find_child(tvp, cases[i].argv1, role, sizeof role);
			if (!w)
				usleep(25000);
		}
		kill(tvp, SIGINT);
		ck_assert_int_eq(waitpid(tvp, &st, 0), tvp);
		ck_assert_msg(w, "%s --start %s: no child with argv[1] %s", cases[i].mode,
			      cases[i].start, cases[i].argv1);
		if (cases[i].role)
			ck_assert_msg(!strcmp(role, cases[i].role), "%s --start %s: argv[2] '%s'",
				      cases[i].mode, cases[i].start, role);
	}
	tvp_assert_no_children();
}
END_TEST

/* Ctrl-C while spawned workers count into shared memory: the run ends
 * with 130, its workers gone and the memory's name removed. */
START_TEST(interrupted_spawn_leaves_nothing)
{
	/* Long enough that the workers are still counting when they are found,
	 * even after a serial baseline measured first (in random order); under
	 * a sanitizer every lock costs tens of times more, so a tenth of it
	 * (300M locks of the serial cell took past the one-minute look). */
	char *argv[] = { "tvp", "run", "--workload", "contention", "--size",
			 TVP_SAN[0] ? "30M" : "300M", "--mode", "fork-pool", "--start", "spawn",
			 "--workers", "2", "--tasks", "2", "--repeat", "1", "--warmup", "0", "--quiet",
			 "--output", "/dev/null", NULL };
	char role[64];
	pid_t tvp = start_tvp(argv), w = 0;
	int st;

	for (int k = 0; k < (TVP_SAN[0] ? 9600 : 2400) && !w; k++) {
		w = find_child(tvp, SPAWN_ARGV1, role, sizeof role);
		if (!w)
			usleep(25000);
	}
	usleep(100000);
	kill(tvp, SIGINT);
	ck_assert_int_eq(waitpid(tvp, &st, 0), tvp);
	ck_assert_msg(w, "no spawned worker seen");
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 130, "status 0x%x", st);
	ck_assert_msg(kill(w, 0) != 0, "spawned worker %d still alive", (int)w);
	assert_no_shm_left();
	tvp_assert_no_children();
}
END_TEST

/* export, report and compare name the start method of every cell. */
/* A tvp killed outright leaves its /dev/shm/tvp-PID-* names; the next tvp
 * that shares state by name removes those whose PID is gone, and keeps one
 * whose PID is alive (this test's own: it may not be a tvp's to remove). */
START_TEST(stale_shm_names_are_swept)
{
	char dead[64], live[64];
	struct tvp_cmd c;
	pid_t pid = fork();
	int fd;

	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	snprintf(dead, sizeof dead, "/tvp-%d-0-stale", (int)pid);
	snprintf(live, sizeof live, "/tvp-%d-0-alive", (int)getpid());
	for (int i = 0; i < 2; i++) {
		fd = shm_open(i ? live : dead, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			tvp_skip("shm_open: %s", strerror(errno));
		close(fd);
	}
	tvp_run_cli(&c, 60, "run", "--workload", "contention", "--mode", "serial", "--workers", "1",
		    "--quick", "--quiet", "--output", "-", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	fd = shm_open(dead, O_RDONLY, 0);
	ck_assert_msg(fd < 0 && errno == ENOENT, "%s (pid %d gone) is still there", dead, (int)pid);
	fd = shm_open(live, O_RDONLY, 0);
	ck_assert_msg(fd >= 0, "%s (a live pid) was removed", live);
	close(fd);
	shm_unlink(live);
	tvp_cmd_free(&c);
}
END_TEST

START_TEST(readers_show_the_start)
{
	char *out = wlt_json_path();
	struct tvp_cmd c;

	tvp_run_cli(&c, 120, "run", "--workload", "count", "--mode", "fork-pool", "--start",
		    "fork,spawn", "--workers", "2", "--quick", "--quiet", "--repeat", "3", "--warmup",
		    "0", "--output", out, NULL);
	ck_assert_msg(c.status == 0, "exit %d\n%s", c.status, c.err);
	tvp_cmd_free(&c);

	tvp_run_cli(&c, 30, "export", out, NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert_msg(strstr(c.out, ",start\n") && strstr(c.out, "fork-pool/shm+spawn") &&
		      strstr(c.out, ",spawn\n") && strstr(c.out, ",fork\n"), "export:\n%s", c.out);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "export", "--where", "start=spawn", out, NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert_msg(strstr(c.out, "+spawn") && !strstr(c.out, ",fork\n"), "export --where:\n%s",
		      c.out);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "report", out, NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert_msg(strstr(c.out, "fork-pool/shm+spawn") &&
		      strstr(c.out, "workers started by spawn against fork"), "report:\n%s", c.out);
	tvp_cmd_free(&c);
	tvp_run_cli(&c, 30, "compare", out, out, NULL);
	ck_assert_msg(c.status == 0, "compare: exit %d\n%s", c.status, c.err);
	ck_assert_msg(strstr(c.out, "fork-pool/shm+spawn"), "compare:\n%s", c.out);
	ck_assert_msg(!strstr(c.out, "only in old:") && !strstr(c.out, "only in new:"),
		      "every cell matched itself:\n%s", c.out);
	tvp_cmd_free(&c);
	unlink(out);
	free(out);
}
END_TEST

/* In this process: each workload, set up, encoded and decoded, runs its
 * tasks to results the original instance verifies (the state a spawned
 * worker rebuilds is the one the tasks need). */
START_TEST(instance_survives_the_wire)
{
	const struct workload *wl = workloads[_i];
	struct workload_inst back;
	struct wlt t;
	char err[256] = "", size[32];
	void *bytes;
	size_t len;

	/* Durations need a unit; counts and bytes are bare numbers. */
	snprintf(size, sizeof size, "%llu", (unsigned long long)wl->default_size(true));
	if (!wl->parse_size(size, &t.wi.size, err, sizeof err))
		strcat(size, "ns");
	wlt_init(&t, wl->name, size, NULL);
	t.wi.quick = true;
	wlt_setup(&t);
	wlt_prepare(&t);
	ck_assert_msg(workload_wire_encode(&t.wi, &bytes, &len, err, sizeof err) == 0, "%s: %s",
		      wl->name, err);
	ck_assert_msg(workload_wire_decode(&back, bytes, len, err, sizeof err) == 0, "%s: %s",
		      wl->name, err);
	ck_assert(back.wl == wl && back.size == t.wi.size && back.quick);
	for (uint64_t i = 0; i < 2; i++) {
		struct task_result r = TASK_RESULT_INIT;
		int rc = wl->task(&back, i, &r);

		ck_assert_msg(rc == 0, "%s task %llu: %s", wl->name, (unsigned long long)i,
			      wlt_msg(&r, err, sizeof err));
		ck_assert_msg(wl->verify(&t.wi, i, &r, err, sizeof err), "%s: %s", wl->name, err);
		task_result_release(&r);
	}
	if (wl->verify_batch)
		ck_assert_msg(wl->verify_batch(&t.wi, 2, err, sizeof err), "%s: %s", wl->name, err);
	workload_wire_release(&back);
	/* Truncated bytes are refused, not read past. */
	ck_assert_int_eq(workload_wire_decode(&back, bytes, len - 1, err, sizeof err), -EINVAL);
	ck_assert_msg(strstr(err, "malformed"), "%s", err);
	free(bytes);
	wlt_teardown(&t);
	tvp_assert_no_children();
}
END_TEST

static Suite *start_run_suite(void)
{
	Suite *s = suite_create("start_run");

	tcase_add_test(tvp_tcase(s, "issue", 300), issue_command);
	tcase_add_loop_test(tvp_tcase(s, "workloads", 150), every_workload_every_start, 0,
			    (int)workloads_count);
	tcase_add_test(tvp_tcase(s, "private", 90), private_lock_refused_with_processes);
	tcase_add_test(tvp_tcase(s, "bad", 20), bad_start_value);
	tcase_add_test(tvp_tcase(s, "image", 60), spawned_worker_is_another_image);
	tcase_add_test(tvp_tcase(s, "interrupt", 120), interrupted_spawn_leaves_nothing);
	tcase_add_test(tvp_tcase(s, "readers", 180), readers_show_the_start);
	tcase_add_test(tvp_tcase(s, "sweep", 60), stale_shm_names_are_swept);
	tcase_add_loop_test(tvp_tcase(s, "wire", 60), instance_survives_the_wire, 0,
			    (int)workloads_count);
	return s;
}

TVP_TEST_MAIN(start_run_suite)
