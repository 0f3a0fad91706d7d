/* test_pool_fork.c: the fork pool. The shared pool API cases (pool_cases.c)
 * with the pipe channel (test_pool_fork_shm.c runs them with shm), then
 * what only processes promise, on both channels: maxtasksperchild replaces
 * workers, a worker that crashes, aborts, exits or is killed from outside
 * fails its task with a message that says how and the pool goes on, a task
 * past its deadline is killed, fork failing under RLIMIT_NPROC gives a clear
 * error and leaks nothing, a pool is refused once threads exist, large
 * arguments and results cross intact, many caller threads, an idle pool
 * sleeps. Every case ends with no child process left. */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <stdio.h>

#include "par/fork_wire.h"
#include "par/proc.h"
#include "pool_cases.h"
#include "testutil.h"
#include "bench/util.h"

static const enum channel_kind chans[] = { CHANNEL_PIPE, CHANNEL_SHM };

static struct pool *fork_pool(enum channel_kind ch, unsigned workers, uint64_t maxtasks)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = workers,
				    .channel = ch, .maxtasksperchild = maxtasks };

	return case_start(&opt);
}

enum crash_how { CRASH_NONE, CRASH_SEGV, CRASH_ABORT, CRASH_EXIT3, CRASH_HANG, CRASH_EXIT71 };

/* arg: int64 { how, value }: how != NONE crashes that way, else returns
 * value * 2. */
static int task_crash(const void *arg, size_t len, struct task_result *out)
{
	int64_t a[2];

	memcpy(a, arg, sizeof a);
	switch (a[0]) {
	case CRASH_SEGV:
		/* The default action, whatever a sanitizer installed: the
		 * case is about a worker the kernel kills. */
		signal(SIGSEGV, SIG_DFL);
		{
			volatile int *volatile bad = (volatile int *)(uintptr_t)16;

			*bad = 1;
		}
		break;
	case CRASH_ABORT:
		abort();
	case CRASH_EXIT3:
		_exit(3);
	case CRASH_EXIT71:
		_exit(FORK_EXIT_NO_CHANNEL);    /* a worker's own code, from a task */
	case CRASH_HANG:
		for (;;)   /* asleep, as tvp_wait_in_sleep looks for */
			sleep_ns(1000000000);
	}
	a[1] *= 2;
	task_result_set(out, &a[1], sizeof a[1]);
	return 0;
}

START_TEST(maxtasksperchild_replaces_workers)
{
	struct pool *p = fork_pool(chans[_i], 2, 3);
	enum { N = 30 };
	int64_t pids[N];
	int distinct = 0;

	for (int i = 0; i < N; i++)
		pids[i] = case_apply_pid(p);
	for (int i = 0; i < N; i++) {
		int same = 0;

		for (int k = 0; k < N; k++)
			same += pids[k] == pids[i];
		ck_assert_msg(same <= 3, "pid %lld ran %d tasks, more than maxtasksperchild 3",
			      (long long)pids[i], same);
		distinct += 1;
		for (int k = 0; k < i; k++)
			if (pids[k] == pids[i]) {
				distinct--;
				break;
			}
	}
	ck_assert_int_ge(distinct, N / 3);
	/* The retired workers' tasks are in the stats. */
	{
		struct worker_stats ws[64];
		unsigned n = pool_take_stats(p, ws, 64);
		uint64_t total = 0;

		for (unsigned k = 0; k < n; k++)
			total += ws[k].tasks;
		ck_assert_uint_eq(total, N);
	}
	case_pool_free(p);
}
END_TEST

/* Eight records, one per job; record `bad` crashes its worker `how`. */
static void check_crash(enum channel_kind ch, enum crash_how how, const char *want)
{
	struct pool *p = fork_pool(ch, 2, 0);
	enum { N = 8, BAD = 5 };
	int64_t args[N][2];
	int status[N];
	struct task_result res[N];
	struct task_result r = TASK_RESULT_INIT;
	int64_t again[2] = { CRASH_NONE, 21 };
	char expect[200];

	memset(res, 0, sizeof res);
	for (int i = 0; i < N; i++) {
		args[i][0] = i == BAD ? how : CRASH_NONE;
		args[i][1] = i;
	}
	ck_assert_int_eq(pool_map(p, task_crash, args, sizeof args[0], N, 1, res, status), 0);
	for (int i = 0; i < N; i++) {
		if (i == BAD)
			continue;
		ck_assert_int_eq(status[i], 0);
		ck_assert_int_eq(case_i64(&res[i]), 2 * i);
	}
	ck_assert_int_eq(status[BAD], -ECHILD);
	snprintf(expect, sizeof expect, "%s while running task %d", want, BAD);
	/* It ends there: nothing decoded or appended after the task. */
	ck_assert_msg(strlen(case_msg(&res[BAD])) >= strlen(expect) &&
		      !strcmp(case_msg(&res[BAD]) + strlen(case_msg(&res[BAD])) - strlen(expect), expect) &&
		      strstr(case_msg(&res[BAD]), "(pid "),
		      "message '%s' does not end in '%s'", case_msg(&res[BAD]), expect);
	/* What the run loop prints is the message itself: no "(No child
	 * processes)", the meaningless text of -ECHILD, after it. */
	{
		char text[400];

		task_error_text(&res[BAD], status[BAD], text, sizeof text);
		ck_assert_str_eq(text, case_msg(&res[BAD]));
		ck_assert(!strstr(text, "No child processes"));
	}
	/* The pool goes on, with a replacement. */
	ck_assert_int_eq(pool_apply(p, task_crash, again, sizeof again, &r), 0);
	ck_assert_int_eq(case_i64(&r), 42);
	for (int i = 0; i < N; i++)
		task_result_release(&res[i]);
	task_result_release(&r);
	case_pool_free(p);
}

START_TEST(worker_segfault)
{
	check_crash(chans[_i], CRASH_SEGV, "killed by signal 11 (Segmentation fault)");
}
END_TEST

START_TEST(worker_abort)
{
	check_crash(chans[_i], CRASH_ABORT, "killed by signal 6 (Aborted)");
}
END_TEST

START_TEST(worker_exit_status)
{
	check_crash(chans[_i], CRASH_EXIT3, "exited with status 3");
}
END_TEST

/* The workers' own exit codes have names, but a task may exit with any
 * code: the message decodes one only when no task was running. */
START_TEST(worker_exit_codes_decoded)
{
	ck_assert_ptr_nonnull(fork_exit_meaning(FORK_EXIT_NO_CHANNEL));
	ck_assert_ptr_nonnull(fork_exit_meaning(FORK_EXIT_BAD_MESSAGE));
	ck_assert_ptr_null(fork_exit_meaning(FORK_EXIT_DONE));
	ck_assert_ptr_null(fork_exit_meaning(3));
	check_crash(chans[_i], CRASH_EXIT71, "exited with status 71");
}
END_TEST

START_TEST(worker_killed_from_outside)
{
	struct pool *p = fork_pool(chans[_i], 1, 0);
	int64_t hang[2] = { CRASH_HANG, 0 }, ok[2] = { CRASH_NONE, 5 };
	struct pool_async *a;
	struct task_result r = TASK_RESULT_INIT;
	struct worker_stats ws[4];
	char expect[100];
	uint64_t t0;

	a = pool_apply_async(p, task_crash, hang, sizeof hang, NULL, NULL, NULL, 0);
	case_wait_running(a);
	ck_assert_uint_eq(pool_take_stats(p, ws, 4), 1);
	tvp_wait_in_sleep(ws[0].pid);   /* begun: handed over is not enough */
	t0 = now_ns();
	ck_assert_int_eq(kill(ws[0].pid, SIGKILL), 0);
	ck_assert_int_eq(pool_async_get(a, 10000000000ll, &r), -ECHILD);
	/* Promptly: a pidfd, not a polling loop with sleeps. Gross bound. */
	ck_assert_msg(now_ns() - t0 < 2000000000ull, "death noticed after %llu ns",
		      (unsigned long long)(now_ns() - t0));
	snprintf(expect, sizeof expect, "worker 0 (pid %d) killed by signal 9 (Killed) while "
		 "running task 0", (int)ws[0].pid);
	ck_assert_msg(strstr(case_msg(&r), expect), "message '%s' lacks '%s'", case_msg(&r), expect);
	pool_async_free(a);
	ck_assert_int_eq(pool_apply(p, task_crash, ok, sizeof ok, &r), 0);
	ck_assert_int_eq(case_i64(&r), 10);
	ck_assert_uint_eq(pool_take_stats(p, ws, 4), 2);   /* the dead one and its replacement */
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

/* A worker killed while idle takes no task with it: a job handed to it
 * before the parent saw the death (it looks at pidfds when it waits, not
 * when it submits) never started, so it runs on the replacement instead
 * of failing with a message that says it was running there. */
START_TEST(worker_killed_while_idle_loses_no_task)
{
	struct pool *p = fork_pool(chans[_i], 1, 0);
	int64_t ok[2] = { CRASH_NONE, 21 };
	struct task_result r = TASK_RESULT_INIT;
	struct worker_stats ws[4];
	struct pollfd pfd;
	int rc;

	ck_assert_uint_eq(pool_take_stats(p, ws, 4), 1);
	pfd.fd = (int)syscall(SYS_pidfd_open, ws[0].pid, 0);
	ck_assert_int_ge(pfd.fd, 0);
	pfd.events = POLLIN;
	ck_assert_int_eq(kill(ws[0].pid, SIGKILL), 0);
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);   /* dead, not reaped: the pool reaps */
	close(pfd.fd);
	rc = pool_apply(p, task_crash, ok, sizeof ok, &r);
	ck_assert_msg(rc == 0, "the task failed (%d): %s", rc, case_msg(&r));
	ck_assert_int_eq(case_i64(&r), 42);
	ck_assert_uint_eq(pool_take_stats(p, ws, 4), 2);   /* the dead one and its replacement */
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

/* Workers started after the first one die in their initializer (killed
 * by a signal, as an idle worker killed from outside is). */
static void init_only_first(void *arg)
{
	_Atomic int *started = arg;

	if (atomic_fetch_add(started, 1) > 0)
		raise(SIGKILL);
}

/* ... but only once: a job whose second worker dies before beginning it
 * too fails, naming that death, rather than go round replacements that
 * cannot start. */
START_TEST(a_job_is_handed_on_once)
{
	_Atomic int *started = mmap(NULL, sizeof *started, PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = 1, .channel = chans[_i],
				    .initializer = init_only_first, .initarg = (void *)started };
	int64_t ok[2] = { CRASH_NONE, 21 };
	struct task_result r = TASK_RESULT_INIT;
	struct worker_stats ws[8];
	struct pool *p;
	char first[32];
	int rc;

	ck_assert_ptr_ne(started, MAP_FAILED);
	atomic_init(started, 0);
	p = case_start(&opt);
	ck_assert_uint_eq(pool_take_stats(p, ws, 8), 1);
	ck_assert_int_eq(kill(ws[0].pid, SIGKILL), 0);
	rc = pool_apply(p, task_crash, ok, sizeof ok, &r);
	ck_assert_int_eq(rc, -ECHILD);
	/* Failed on the second worker (the replacement), not the first. */
	snprintf(first, sizeof first, "(pid %d)", (int)ws[0].pid);
	ck_assert_msg(strstr(case_msg(&r), "killed by signal 9") && !strstr(case_msg(&r), first),
		      "message: %s (the first worker was %s)", case_msg(&r), first);
	ck_assert_int_ge(atomic_load(started), 2);
	task_result_release(&r);
	case_pool_free(p);
	munmap((void *)started, sizeof *started);
}
END_TEST

START_TEST(task_past_deadline)
{
	struct pool *p = fork_pool(chans[_i], 2, 0);
	int64_t hang[2] = { CRASH_HANG, 0 }, ok[2] = { CRASH_NONE, 8 };
	struct pool_async *slow, *fast;
	struct task_result r = TASK_RESULT_INIT;
	uint64_t t0 = now_ns();

	slow = pool_apply_async(p, task_crash, hang, sizeof hang, NULL, NULL, NULL, 100000000);
	fast = pool_apply_async(p, task_crash, ok, sizeof ok, NULL, NULL, NULL, 5000000000ull);
	ck_assert_int_eq(pool_async_get(slow, 10000000000ll, &r), -ETIMEDOUT);
	ck_assert_msg(strstr(case_msg(&r), "ran past its deadline of 100.00 ms") &&
		      strstr(case_msg(&r), "was killed and replaced"), "message: %s", case_msg(&r));
	ck_assert_msg(now_ns() - t0 >= 100000000u, "killed before its deadline");
	ck_assert_msg(now_ns() - t0 < 3000000000ull, "killed long after its deadline");
	ck_assert_int_eq(pool_async_get(fast, POOL_FOREVER, &r), 0);
	ck_assert_int_eq(case_i64(&r), 16);
	pool_async_free(slow);
	pool_async_free(fast);
	/* The pool goes on. */
	ck_assert_int_eq(pool_apply(p, task_crash, ok, sizeof ok, &r), 0);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

/* A running task is killed by terminate; queued ones are cancelled. */
START_TEST(terminate_kills_running)
{
	struct pool *p = fork_pool(chans[_i], 1, 0);
	int64_t hang[2] = { CRASH_HANG, 0 }, ok[2] = { CRASH_NONE, 1 };
	struct pool_async *a, *q;
	struct task_result r = TASK_RESULT_INIT;
	uint64_t t0;

	a = pool_apply_async(p, task_crash, hang, sizeof hang, NULL, NULL, NULL, 0);
	case_wait_running(a);
	q = pool_apply_async(p, task_crash, ok, sizeof ok, NULL, NULL, NULL, 0);
	t0 = now_ns();
	pool_terminate(p);
	ck_assert_msg(now_ns() - t0 < 3000000000ull, "terminate took too long");
	ck_assert_int_eq(tvp_count_children(), 0);   /* reaped, not just signalled */
	ck_assert_int_eq(pool_async_get(a, 0, &r), -ECANCELED);
	ck_assert_msg(strstr(case_msg(&r), "terminated"), "message: %s", case_msg(&r));
	ck_assert_int_eq(pool_async_get(q, 0, &r), -ECANCELED);
	pool_async_free(a);
	pool_async_free(q);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

/* arg: n bytes; result: 3 * n bytes, each argument byte + 1, three times. */
static int task_big(const void *arg, size_t len, struct task_result *out)
{
	const unsigned char *a = arg;
	unsigned char *o = task_result_reserve(out, 3 * len);

	for (size_t k = 0; k < 3; k++)
		for (size_t i = 0; i < len; i++)
			o[k * len + i] = (unsigned char)(a[i] + 1);
	return 0;
}

START_TEST(large_arguments_and_results)
{
	struct pool *p = fork_pool(chans[_i], 2, 0);
	static const size_t sizes[] = { 0, 1, 1000, 300000, 2u << 20 };

	for (size_t s = 0; s < ARRAY_SIZE(sizes); s++) {
		size_t n = sizes[s];
		unsigned char *arg = xmalloc(n + 1);
		struct task_result r = TASK_RESULT_INIT;
		const unsigned char *o;
		size_t bad = 0;

		for (size_t i = 0; i < n; i++)
			arg[i] = (unsigned char)(i * 13 + s);
		ck_assert_int_eq(pool_apply(p, task_big, arg, n, &r), 0);
		ck_assert_uint_eq(r.len, 3 * n);
		o = task_result_data(&r);
		/* One assertion, not one per byte: each ck_assert writes to
		 * Check's log. */
		for (size_t i = 0; i < 3 * n; i++)
			bad += o[i] != (unsigned char)(arg[i % n] + 1);
		ck_assert_uint_eq(bad, 0);
		task_result_release(&r);
		free(arg);
	}
	case_pool_free(p);
}
END_TEST

/* A large map: many pieces per job, results streaming back. */
START_TEST(large_map)
{
	struct pool *p = fork_pool(chans[_i], 3, 0);
	enum { N = 200000 };
	int64_t *v = xmalloc(N * sizeof *v);
	int *status = xcalloc(N, sizeof *status);
	struct task_result *res = xcalloc(N, sizeof *res);
	int64_t bad = 0;

	for (int64_t i = 0; i < N; i++)
		v[i] = i;
	ck_assert_int_eq(pool_map(p, case_square, v, sizeof *v, N, 0, res, status), 0);
	for (int64_t i = 0; i < N; i++) {
		bad += status[i] != 0 || case_i64(&res[i]) != i * i;
		task_result_release(&res[i]);
	}
	ck_assert_int_eq(bad, 0);
	free(v);
	free(status);
	free(res);
	case_pool_free(p);
}
END_TEST

/* Waits until its pipe is written to. */
static void *parked_thread(void *arg)
{
	char c;

	while (read(*(int *)arg, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

START_TEST(refused_once_threads_exist)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = 2 };
	struct pool *p = NULL;
	pthread_t t;
	char err[256] = "";
	int pfd[2], rc;

	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, parked_thread, &pfd[0]), 0);
	rc = pool_new(&p, &opt, err, sizeof err);
	ck_assert_int_eq(rc, -EBUSY);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, "fork start method: this process has ") &&
		      strstr(err, "use spawn or forkserver"), "err: %s", err);
	ck_assert_int_eq(tvp_count_children(), 0);
	ck_assert_int_eq(write(pfd[1], "x", 1), 1);
	pthread_join(t, NULL);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

static void *exiting_thread(void *arg)
{
	(void)arg;
	sleep_ns(20000000);
	return NULL;
}

/* A thread on its way out is waited for (a thread just joined is counted
 * until the kernel reaps it, so a fork pool started right after a thread
 * pool was freed refused, under load); a thread that stays is not. Then a
 * fork pool started right after a thread pool's free, a few times. */
START_TEST(waits_for_exiting_threads)
{
	struct pool_options topt = { .kind = POOL_THREADS, .workers = 16 };
	struct pool_options fopt = { .kind = POOL_PROCESSES, .workers = 1 };
	pthread_t t;
	int pfd[2];

	SKIP_UNDER_TSAN("counting threads");
	ck_assert_int_eq(proc_count_threads(), 1);
	ck_assert_int_eq(pthread_create(&t, NULL, exiting_thread, NULL), 0);
	ck_assert_int_eq(pthread_detach(t), 0);
	ck_assert_int_eq(proc_count_threads(), 2);
	ck_assert_int_eq(proc_threads_settle(1, 10000000000ull), 1);
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, parked_thread, &pfd[0]), 0);
	ck_assert_int_eq(proc_threads_settle(1, 1000000), 2);
	ck_assert_int_eq(write(pfd[1], "x", 1), 1);
	pthread_join(t, NULL);
	close(pfd[0]);
	close(pfd[1]);
	for (int i = 0; i < 5; i++) {
		pool_free(case_start(&topt));
		case_pool_free(case_start(&fopt));
	}
}
END_TEST

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;   /* the directory's own descriptor */
}

/* Tasks (threads) of uid now alive: what RLIMIT_NPROC counts. (A
 * sanitizer's background thread counts too.) */
static int count_user_processes(uid_t uid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d))) {
		char path[300], line[256];
		unsigned ruid = ~0u;
		int threads = 1;
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof line, f)) {
			sscanf(line, "Uid: %u", &ruid);
			sscanf(line, "Threads: %d", &threads);
		}
		if (ruid == uid)
			n += threads;
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

/* want is the exact message, except that '#' stands for a worker number
 * (which worker fails depends on how many tasks the process already has: a
 * sanitizer may run a thread of its own in it and in the fork server). */
static bool error_matches(const char *err, const char *want)
{
	const char *hash = strchr(want, '#');
	unsigned k;
	int used = 0;

	if (!hash)
		return strcmp(err, want) == 0;
	if (strncmp(err, want, (size_t)(hash - want)) != 0)
		return false;
	err += hash - want;
	if (sscanf(err, "%u%n", &k, &used) != 1 || k >= 8)
		return false;
	return strcmp(err + used, hash + 1) == 0;
}

/* In a child of the test: lower RLIMIT_NPROC so that `room` more processes
 * may start, start a pool of 8, and check the error and that nothing is
 * left. Writes what went wrong to fd 'report'; exits 0 if all is well,
 * TVP_SKIP_EXIT if the limit cannot be applied here. */
static int nproc_child(int report, int room, const char *want)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = 8 };
	struct pool *p = NULL;
	char err[256] = "";
	struct rlimit rl;
	int fds_before, rc;

	/* The limit does not bind root: become nobody first. */
	if (geteuid() == 0) {
		if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
		    setresuid(65534, 65534, 65534) != 0)
			return TVP_SKIP_EXIT;
		prctl(PR_SET_DUMPABLE, 1);   /* keep /proc/self readable */
	}
	rl.rlim_cur = rl.rlim_max = (rlim_t)(count_user_processes(getuid()) + room);
	if (setrlimit(RLIMIT_NPROC, &rl) != 0)
		return TVP_SKIP_EXIT;
	fds_before = count_fds();
	rc = pool_new(&p, &opt, err, sizeof err);
	if (rc != -EAGAIN || p != NULL) {
		dprintf(report, "pool_new returned %d (%s), expected -EAGAIN", rc, err);
		return 1;
	}
	if (!error_matches(err, want)) {
		dprintf(report, "error '%s', expected '%s'", err, want);
		return 1;
	}
	if (tvp_count_children() != 0) {
		dprintf(report, "%d children left", tvp_count_children());
		return 1;
	}
	if (count_fds() != fds_before) {
		dprintf(report, "%d descriptors before, %d after", fds_before, count_fds());
		return 1;
	}
	return 0;
}

static void check_nproc(int room, const char *want)
{
	int pfd[2], st;
	char why[400] = "";
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(pfd), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pfd[0]);
		_exit(nproc_child(pfd[1], room, want));
	}
	close(pfd[1]);
	n = read(pfd[0], why, sizeof why - 1);
	why[n > 0 ? n : 0] = '\0';
	close(pfd[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert_msg(WIFEXITED(st), "the child died: status %d", st);
	if (WEXITSTATUS(st) == TVP_SKIP_EXIT)
		tvp_skip("RLIMIT_NPROC cannot be applied here");
	ck_assert_msg(WEXITSTATUS(st) == 0, "%s", why);
	tvp_assert_no_children();
}

START_TEST(fork_fails_under_nproc_limit)
{
	/* Room for the fork server and workers 0 and 1: worker 2 fails.
	 * (Under TSan its background threads take some of the room.) */
#ifdef __SANITIZE_THREAD__
	check_nproc(3, "fork: Resource temporarily unavailable (worker # of 8)");
#else
	check_nproc(3, "fork: Resource temporarily unavailable (worker 2 of 8)");
#endif
	/* No room at all: the fork server itself fails. */
	check_nproc(0, "fork: Resource temporarily unavailable (the fork server)");
}
END_TEST

/* Several threads of the parent using one fork pool at once: one of them
 * pumps, the others wait for its reports. */
static void *hammer(void *arg)
{
	struct pool *p = arg;
	intptr_t bad = 0;

	for (int64_t i = 0; i < 200; i++) {
		struct task_result r = TASK_RESULT_INIT;
		int64_t v = i + (int64_t)(uintptr_t)pthread_self() % 1000;

		if (pool_apply(p, case_square, &v, sizeof v, &r) != 0 || case_i64(&r) != v * v)
			bad++;
		task_result_release(&r);
	}
	return (void *)bad;
}

START_TEST(concurrent_callers)
{
	struct pool *p = fork_pool(chans[_i], 3, 0);
	pthread_t t[4];

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, p), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;

		pthread_join(t[i], &bad);
		ck_assert_int_eq((intptr_t)bad, 0);
	}
	case_pool_free(p);
}
END_TEST

/* CPU time (user + system) of a process, from /proc, in ns. */
static double cpu_ns_of(pid_t pid)
{
	char path[64], buf[1024], *s;
	unsigned long ut = 0, st = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(buf, sizeof buf, f))
		buf[0] = '\0';
	fclose(f);
	s = strrchr(buf, ')');
	if (s && sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		ut = st = 0;
	return (double)(ut + st) * 1e9 / (double)sysconf(_SC_CLK_TCK);
}

START_TEST(idle_pool_sleeps)
{
	struct pool *p = fork_pool(chans[_i], 3, 0);
	struct worker_stats ws[8];
	struct task_result r = TASK_RESULT_INIT;
	unsigned n;
	double before = 0, after = 0;
	int64_t v = 3;

	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(pool_apply(p, case_square, &v, sizeof v, &r), 0);
	n = pool_take_stats(p, ws, 8);
	sleep_ns(50000000);
	before = cpu_ns_of(getpid());
	for (unsigned i = 0; i < n; i++)
		before += cpu_ns_of(ws[i].pid);
	sleep_ns(1000000000);
	after = cpu_ns_of(getpid());
	for (unsigned i = 0; i < n; i++)
		after += cpu_ns_of(ws[i].pid);
	/* Spinning would be a whole core; allow 5% for the machine's noise
	 * (the clock ticks are 10 ms). */
	ck_assert_msg(after - before < 0.05e9, "an idle pool used %.0f ms of CPU in 1 s",
		      (after - before) / 1e6);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

/* Sleeps int64 *arg ms, then returns { pid }. */
static int sleep_then_pid(const void *arg, size_t len, struct task_result *out)
{
	int64_t ms;

	memcpy(&ms, arg, sizeof ms);
	sleep_ns((uint64_t)ms * 1000000u);
	return case_pid(NULL, 0, out);
}

/* A job goes to the worker idle most recently (fork_dispatch.c's list of
 * idle slots: its caches are warm, and it may still be spinning). With no
 * spin, so that no spinner token decides: three workers end their tasks 80
 * ms apart; the next tasks go to the one that ended last, again and again. */
START_TEST(the_worker_idle_most_recently_gets_the_next_task)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = 3, .channel = chans[_i],
				    .spin_ns = 1 };
	struct pool *p = case_start(&opt);
	int64_t ms[3] = { 160, 0, 80 };
	struct task_result r[3] = { TASK_RESULT_INIT, TASK_RESULT_INIT, TASK_RESULT_INIT };
	int st[3];
	int64_t pid[3];

	ck_assert_int_eq(pool_map(p, sleep_then_pid, ms, sizeof ms[0], 3, 1, r, st), 0);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(st[i], 0);
		pid[i] = case_i64(&r[i]);
		task_result_release(&r[i]);
	}
	/* Three tasks at once: three workers. */
	ck_assert(pid[0] != pid[1] && pid[1] != pid[2] && pid[0] != pid[2]);
	for (int k = 0; k < 5; k++)
		ck_assert_int_eq(case_apply_pid(p), pid[0]);
	case_pool_free(p);
}
END_TEST

/* A robust process-shared mutex in shared memory, for the next test. */
static pthread_mutex_t *robust;

/* Locks the robust mutex and returns {owner glibc recorded, real tid};
 * with arg 1 it dies holding it. */
static int lock_robust(const void *arg, size_t len, struct task_result *out)
{
	int v[2], rc = pthread_mutex_lock(robust);

	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(robust);
	v[0] = rc == EOWNERDEAD ? -EOWNERDEAD : robust->__data.__owner;
	v[1] = (int)syscall(SYS_gettid);
	if (*(const int *)arg == 1)
		abort();
	pthread_mutex_unlock(robust);
	task_result_set(out, v, sizeof v);
	return 0;
}

/* The write(2) calls process pid has made (/proc/PID/io's syscw). */
static long writes_of(pid_t pid)
{
	char path[64], line[128];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
	ck_assert_msg((f = fopen(path, "r")) != NULL, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "syscw: %ld", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* A parent woken by one worker's result is awake: another worker's result
 * must not write its wake-up eventfd (shm). The parent used to leave the
 * "parent sleeping" word of every channel it had armed set when it woke
 * (those sharing its eventfd were skipped by the disarm), so every worker
 * wrote once per sleep of the parent. Here the parent spins 500 ms after
 * anything moves, then sleeps: task A (1 s) ends while it sleeps and wakes
 * it, task B (1.25 s) ends while it spins. One write in all. */
START_TEST(an_awake_parent_is_not_woken)
{
	struct pool_options opt = { .kind = POOL_PROCESSES, .workers = 2, .channel = CHANNEL_SHM,
				    .spin_ns = 500000000 };
	struct pool *p = case_start(&opt);
	struct task_result r = TASK_RESULT_INIT;
	struct worker_stats ws[4];
	int64_t ms[2] = { 1000, 1250 };
	struct pool_async *a[2];
	long before = 0, after = 0;
	unsigned n = pool_take_stats(p, ws, 4);

	ck_assert_uint_eq(n, 2);
	for (unsigned i = 0; i < n; i++)
		before += writes_of(ws[i].pid);
	for (int k = 0; k < 2; k++)
		ck_assert_ptr_nonnull(a[k] = pool_apply_async(p, sleep_then_pid, &ms[k], sizeof ms[k],
							      NULL, NULL, NULL, 0));
	for (int k = 0; k < 2; k++) {
		ck_assert_int_eq(pool_async_get(a[k], POOL_FOREVER, &r), 0);
		pool_async_free(a[k]);
	}
	for (unsigned i = 0; i < n; i++)
		after += writes_of(ws[i].pid);
	ck_assert_msg(after - before <= 1, "the workers wrote %ld times to wake the parent",
		      after - before);
	task_result_release(&r);
	case_pool_free(p);
}
END_TEST

/* A worker that dies holding a robust mutex must not hang the others: the
 * next locker gets EOWNERDEAD. That needs glibc's own fork in the worker
 * (its thread id and robust list); a raw clone broke it (par/fork_server.c). */
START_TEST(robust_mutex_survives_worker_death)
{
	struct pool *p;
	pthread_mutexattr_t a;
	struct task_result r = TASK_RESULT_INIT;
	const int ok = 0, die = 1;
	int v[2];

	robust = mmap(NULL, sizeof *robust, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(robust != MAP_FAILED);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(robust, &a);
	pthread_mutexattr_destroy(&a);
	p = fork_pool(chans[_i], 2, 0);   /* after the mapping: workers inherit it */
	ck_assert_int_eq(pool_apply(p, lock_robust, &ok, sizeof ok, &r), 0);
	memcpy(v, task_result_data(&r), sizeof v);
	ck_assert_msg(v[0] == v[1], "glibc recorded owner %d, the worker's tid is %d", v[0], v[1]);
	ck_assert_int_eq(pool_apply(p, lock_robust, &die, sizeof die, &r), -ECHILD);
	ck_assert_int_eq(pool_apply(p, lock_robust, &ok, sizeof ok, &r), 0);
	memcpy(v, task_result_data(&r), sizeof v);
	ck_assert_int_eq(v[0], -EOWNERDEAD);
	task_result_release(&r);
	pool_free(p);
	munmap(robust, sizeof *robust);
	tvp_assert_no_children();
}
END_TEST

static Suite *pool_fork_suite(void)
{
	Suite *s;
	TCase *tc;

	s = pool_cases_suite("pool-fork", (struct case_config){ POOL_PROCESSES, CHANNEL_PIPE, POOL_START_FORK });
	tc = tvp_tcase(s, "processes", 60);
	tcase_add_loop_test(tc, maxtasksperchild_replaces_workers, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, worker_segfault, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, worker_abort, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, worker_exit_status, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, worker_exit_codes_decoded, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, worker_killed_from_outside, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, worker_killed_while_idle_loses_no_task, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, a_job_is_handed_on_once, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, task_past_deadline, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, terminate_kills_running, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, large_arguments_and_results, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, large_map, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, concurrent_callers, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, idle_pool_sleeps, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, the_worker_idle_most_recently_gets_the_next_task, 0, ARRAY_SIZE(chans));
	tcase_add_loop_test(tc, robust_mutex_survives_worker_death, 0, ARRAY_SIZE(chans));
	tcase_add_test(tc, an_awake_parent_is_not_woken);
	tcase_add_test(tc, fork_fails_under_nproc_limit);
	tcase_add_test(tc, refused_once_threads_exist);
	tcase_add_test(tc, waits_for_exiting_threads);
	return s;
}

TVP_TEST_MAIN(pool_fork_suite)
