/* test_start.c: the start methods of a fork pool (fork, spawn, forkserver):
 * each runs tasks, maps and executor futures with more workers than cores;
 * a worker killed under each is detected and replaced; a robust mutex a
 * dying worker held is recovered under forkserver, and under fork once a
 * replacement comes from its fork server; a pool starts from a parent with
 * threads under spawn and forkserver and is refused under fork; a spawned
 * worker is another program image, which inherits nothing; an unregistered
 * task or initializer fails clearly; maxtasksperchild, deadlines and
 * placement work in a fresh image; nothing is left running after free or
 * terminate; the registry's names, ids, digest and conflicts, and a worker
 * whose image lacks its initializer failing pool_new with its exit code's
 * meaning. (test_pool_spawn.c and test_pool_forkserver.c run the shared
 * pool and executor cases under the two new methods.) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/util.h"
#include "par/executor.h"
#include "par/pin.h"
#include "par/pool.h"
#include "par/sys.h"
#include "par/spawn.h"
#include "par/task_registry.h"
#include "testutil.h"

static const enum pool_start starts[] = { POOL_START_FORK, POOL_START_SPAWN,
					  POOL_START_FORKSERVER };

/* ---- tasks (all registered but st_unregistered) ------------------------ */

static int st_global = 1;   /* the parent sets 2 before its pools start */

static int put_i64(struct task_result *out, int64_t v)
{
	task_result_set(out, &v, sizeof v);
	return 0;
}

static int64_t arg_i64(const void *arg)
{
	int64_t v;

	memcpy(&v, arg, sizeof v);
	return v;
}

static int st_double(const void *arg, size_t len, struct task_result *out)
{
	return put_i64(out, 2 * arg_i64(arg));
}

static int st_pid(const void *arg, size_t len, struct task_result *out)
{
	return put_i64(out, getpid());
}

static int st_ppid(const void *arg, size_t len, struct task_result *out)
{
	return put_i64(out, getppid());
}

static int st_read_global(const void *arg, size_t len, struct task_result *out)
{
	return put_i64(out, st_global);
}

static int st_sleep_ms(const void *arg, size_t len, struct task_result *out)
{
	sleep_ns((uint64_t)arg_i64(arg) * 1000000u);
	return put_i64(out, 0);
}

static int st_die(const void *arg, size_t len, struct task_result *out)
{
	kill(getpid(), SIGKILL);
	return put_i64(out, 0);
}

static int st_unregistered(const void *arg, size_t len, struct task_result *out)
{
	return put_i64(out, 7);
}

static void st_init_unregistered(void *arg)
{
}

/* A robust mutex in a file every worker maps (its initializer: a fresh
 * image inherits no mapping, so it gets the file's path as initarg). */
struct st_shared {
	pthread_mutex_t mu;
};

static struct st_shared *st_shared;

static void st_map(void *arg)
{
	int fd = open(arg, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		_exit(99);
	st_shared = mmap(NULL, sizeof *st_shared, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (st_shared == MAP_FAILED)
		_exit(98);
}

static int st_lock_and_die(const void *arg, size_t len, struct task_result *out)
{
	pthread_mutex_lock(&st_shared->mu);
	kill(getpid(), SIGKILL);
	return put_i64(out, 0);
}

/* Locks and unlocks; returns what the lock said (0 or EOWNERDEAD). */
static int st_lock_unlock(const void *arg, size_t len, struct task_result *out)
{
	int rc = pthread_mutex_lock(&st_shared->mu);

	if (rc == EOWNERDEAD)
		pthread_mutex_consistent(&st_shared->mu);
	pthread_mutex_unlock(&st_shared->mu);
	return put_i64(out, rc);
}

TASK_REGISTER(st_double)
TASK_REGISTER(st_pid)
TASK_REGISTER(st_ppid)
TASK_REGISTER(st_read_global)
TASK_REGISTER(st_sleep_ms)
TASK_REGISTER(st_die)
TASK_REGISTER(st_map)
TASK_REGISTER(st_lock_and_die)
TASK_REGISTER(st_lock_unlock)

/* ---- helpers ----------------------------------------------------------- */

/* More workers than this machine has cores. */
static unsigned many_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 && n < 8 ? (unsigned)n * 2 + 1 : 9;
}

static struct pool_options st_options(enum pool_start s, unsigned workers)
{
	/* Both channels get their turn across the methods. */
	return (struct pool_options){ .kind = POOL_PROCESSES, .workers = workers, .start = s,
				      .channel = s == POOL_START_SPAWN ? CHANNEL_SHM : CHANNEL_PIPE };
}

static struct pool *st_pool_opt(const struct pool_options *opt)
{
	struct pool *p = NULL;
	char err[256] = "";
	int rc = pool_new(&p, opt, err, sizeof err);

	ck_assert_msg(rc == 0, "pool_new (%s): %s (%d)", pool_start_name(opt->start), err, rc);
	return p;
}

static struct pool *st_pool(enum pool_start s, unsigned workers)
{
	struct pool_options opt = st_options(s, workers);

	return st_pool_opt(&opt);
}

/* Applies fn to v and returns the int64 result; fails the test unless it
 * succeeded. */
static int64_t apply_i64(struct pool *p, task_fn fn, int64_t v)
{
	struct task_result r = TASK_RESULT_INIT;
	int rc = pool_apply(p, fn, &v, sizeof v, &r);
	int64_t got = -1;

	ck_assert_msg(rc == 0, "task failed (%d): %.*s", rc, (int)r.len,
		      (const char *)task_result_data(&r));
	ck_assert_uint_eq(r.len, sizeof got);
	memcpy(&got, task_result_data(&r), sizeof got);
	task_result_release(&r);
	return got;
}

/* Applies fn and expects it to fail with want and a message holding each
 * of the NULL-terminated strings. */
static void apply_fails(struct pool *p, task_fn fn, int want, ...)
{
	struct task_result r = TASK_RESULT_INIT;
	int64_t v = 0;
	int rc = pool_apply(p, fn, &v, sizeof v, &r);
	char msg[512];
	va_list ap;

	snprintf(msg, sizeof msg, "%.*s", (int)r.len, (const char *)task_result_data(&r));
	ck_assert_msg(rc == want, "status %d, wanted %d: %s", rc, want, msg);
	va_start(ap, want);
	for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *))
		ck_assert_msg(strstr(msg, s), "'%s' not in: %s", s, msg);
	va_end(ap);
	task_result_release(&r);
}

static void *parked(void *arg)
{
	char c;

	while (read(*(int *)arg, &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

/* A thread that waits on a pipe until unpark. */
struct park {
	pthread_t t;
	int fd[2];
};

static void park(struct park *k)
{
	ck_assert_int_eq(pipe(k->fd), 0);
	ck_assert_int_eq(pthread_create(&k->t, NULL, parked, &k->fd[0]), 0);
}

static void unpark(struct park *k)
{
	ck_assert_int_eq(write(k->fd[1], "x", 1), 1);
	pthread_join(k->t, NULL);
	close(k->fd[0]);
	close(k->fd[1]);
}

/* Waits up to 5 s for pid to be gone: ended, and reaped here if it is our
 * child (a subreaper's orphan), else gone from the system. */
static bool gone(pid_t pid)
{
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid || (kill(pid, 0) < 0 && errno == ESRCH))
			return true;
		sleep_ns(10000000);
	}
	return false;
}

/* ---- cases ------------------------------------------------------------- */

START_TEST(every_method_runs_tasks_maps_futures)
{
	enum { N = 100, F = 10 };
	unsigned w = many_workers();

	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		struct pool_options opt = st_options(starts[m], w);
		struct pool *p = st_pool_opt(&opt);
		int64_t args[N];
		int status[N];
		struct task_result res[N];
		struct executor *ex = NULL;
		struct future *f[F];
		char err[256] = "";

		ck_assert_int_eq(apply_i64(p, st_double, 21), 42);
		memset(res, 0, sizeof res);
		for (int i = 0; i < N; i++)
			args[i] = i;
		ck_assert_int_eq(pool_map(p, st_double, args, sizeof *args, N, 3, res, status), 0);
		for (int i = 0; i < N; i++) {
			ck_assert_int_eq(status[i], 0);
			ck_assert_int_eq(*(const int64_t *)task_result_data(&res[i]), 2 * i);
			task_result_release(&res[i]);
		}
		pool_free(p);
		tvp_assert_no_children();

		ck_assert_msg(executor_new(&ex, &opt, err, sizeof err) == 0, "executor: %s", err);
		for (int i = 0; i < F; i++) {
			int64_t v = i;

			f[i] = executor_submit(ex, st_double, &v, sizeof v, 0);
			ck_assert_ptr_nonnull(f[i]);
		}
		for (int i = 0; i < F; i++) {
			struct task_result r = TASK_RESULT_INIT;

			ck_assert_int_eq(future_result(f[i], POOL_FOREVER, &r), 0);
			ck_assert_int_eq(*(const int64_t *)task_result_data(&r), 2 * i);
			task_result_release(&r);
			future_free(f[i]);
		}
		executor_free(ex);
		tvp_assert_no_children();
	}
}
END_TEST

START_TEST(killed_worker_detected_and_replaced)
{
	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		struct pool *p = st_pool(starts[m], 2);
		int64_t before = apply_i64(p, st_pid, 0);

		apply_fails(p, st_die, -ECHILD, "worker", "killed by signal 9", NULL);
		/* Replaced: the pool goes on with two live workers. */
		for (int i = 0; i < 20; i++)
			ck_assert_int_eq(apply_i64(p, st_double, i), 2 * i);
		ck_assert_uint_eq(pool_workers(p), 2);
		ck_assert(before > 0);
		pool_free(p);
		tvp_assert_no_children();
	}
}
END_TEST

START_TEST(worker_killed_from_outside_detected_and_replaced)
{
	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		struct pool *p = st_pool(starts[m], 1);
		struct task_result r = TASK_RESULT_INIT;
		pid_t pid = (pid_t)apply_i64(p, st_pid, 0);
		int64_t ms = 20000;
		struct pool_async *a = pool_apply_async(p, st_sleep_ms, &ms, sizeof ms, NULL, NULL,
							NULL, 0);

		for (int i = 0; i < 10000 && !pool_async_running(a); i++)
			sleep_ns(1000000);
		ck_assert(pool_async_running(a));
		tvp_wait_in_sleep(pid);   /* begun: handed over is not enough */
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(pool_async_get(a, POOL_FOREVER, &r), -ECHILD);
		ck_assert_msg(strstr(task_result_data(&r), "killed by signal 9") &&
			      strstr(task_result_data(&r), "worker 0"), "%s: %.*s",
			      pool_start_name(starts[m]), (int)r.len,
			      (const char *)task_result_data(&r));
		pool_async_free(a);
		task_result_release(&r);
		ck_assert_int_ne(apply_i64(p, st_pid, 0), pid);   /* a new process */
		pool_free(p);
		tvp_assert_no_children();
	}
}
END_TEST

/* A worker dies holding a robust mutex; the next locker gets EOWNERDEAD
 * instead of hanging. Under fork, a thread is started first, so the
 * worker that dies was forked by the fork server (its parent is not us). */
static void robust_case(enum pool_start s)
{
	char *dir = tvp_tmpdir();
	char *path = xasprintf("%s/shared", dir);
	struct pool_options opt = st_options(s, 1);
	pthread_mutexattr_t ma;
	struct park k;
	struct pool *p;
	int fd, rc;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, sizeof *st_shared), 0);
	st_map(path);
	close(fd);
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&ma, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&st_shared->mu, &ma);
	pthread_mutexattr_destroy(&ma);

	opt.initializer = st_map;
	opt.initarg = path;
	opt.initarg_len = strlen(path) + 1;
	p = st_pool_opt(&opt);
	park(&k);
	/* A replacement forked while we have a thread. */
	apply_fails(p, st_die, -ECHILD, "killed by signal 9", NULL);
	ck_assert_msg(apply_i64(p, st_ppid, 0) != getpid(),
		      "%s: the replacement should be a fork server's child", pool_start_name(s));
	apply_fails(p, st_lock_and_die, -ECHILD, "killed by signal 9", NULL);
	/* The next locker is another worker (as in test_pool_fork): one
	 * process locking a mutex another process died holding is beyond
	 * ThreadSanitizer's model, which would call the unlock after
	 * EOWNERDEAD an unlock of an unlocked mutex. A hang here is the
	 * defect; the case's timeout catches it. */
	rc = (int)apply_i64(p, st_lock_unlock, 0);
	ck_assert_msg(rc == EOWNERDEAD, "%s: locking after the holder died: %s",
		      pool_start_name(s), strerror(rc));
	ck_assert_int_eq(apply_i64(p, st_lock_unlock, 0), 0);
	pool_free(p);
	unpark(&k);
	tvp_assert_no_children();
	munmap(st_shared, sizeof *st_shared);
	tvp_rm_rf(dir);
	free(path);
	free(dir);
}

START_TEST(robust_mutex_recovered_under_forkserver)
{
	robust_case(POOL_START_FORKSERVER);
}
END_TEST

START_TEST(robust_mutex_recovered_under_fork_server_replacements)
{
	robust_case(POOL_START_FORK);
}
END_TEST

START_TEST(threaded_parent_spawn_and_forkserver_work_fork_refused)
{
	struct park k;

	park(&k);
	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		struct pool_options opt = st_options(starts[m], 3);
		struct pool *p = NULL;
		char err[256] = "";
		int rc = pool_new(&p, &opt, err, sizeof err);

		if (starts[m] == POOL_START_FORK) {
			ck_assert_int_eq(rc, -EBUSY);
			ck_assert_ptr_null(p);
			ck_assert_msg(strstr(err, "fork start method: this process has ") &&
				      strstr(err, "threads; a forked worker would inherit locks") &&
				      strstr(err, "use spawn or forkserver"), "err: %s", err);
			ck_assert_int_eq(tvp_count_children(), 0);
			continue;
		}
		ck_assert_msg(rc == 0, "%s: %s", pool_start_name(starts[m]), err);
		ck_assert_int_eq(apply_i64(p, st_double, 5), 10);
		apply_fails(p, st_die, -ECHILD, "killed by signal 9", NULL);
		ck_assert_int_eq(apply_i64(p, st_double, 6), 12);
		pool_free(p);
		tvp_assert_no_children();
	}
	unpark(&k);
}
END_TEST

/* What a thread that starts a pool and then ends leaves behind. */
struct starter {
	enum pool_start start;
	struct pool *p;
	int64_t pid;          /* the pool's one worker, as the thread saw it */
	char err[256];
};

static void *start_and_end(void *arg)
{
	struct starter *s = arg;
	struct pool_options opt = st_options(s->start, 1);

	if (pool_new(&s->p, &opt, s->err, sizeof s->err) == 0)
		s->pid = apply_i64(s->p, st_pid, 0);
	return NULL;
}

/* spawn and forkserver start from any thread; the kernel's parent-death
 * signal (PR_SET_PDEATHSIG) fires when the thread that forked a child
 * ends, not the process, so it must not be armed for children forked by a
 * thread other than the main one: the pool's worker (and a fork server)
 * would be killed as the thread that started the pool returns. */
START_TEST(a_pool_outlives_the_thread_that_started_it)
{
	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		struct starter s = { .start = starts[m] };
		pthread_t t;

		if (starts[m] == POOL_START_FORK)
			continue;   /* refused from a thread (the test above) */
		ck_assert_int_eq(pthread_create(&t, NULL, start_and_end, &s), 0);
		pthread_join(t, NULL);
		ck_assert_msg(s.p, "%s: %s", pool_start_name(starts[m]), s.err);
		sleep_ns(200000000);   /* a parent-death signal has landed by now */
		ck_assert_msg(apply_i64(s.p, st_pid, 0) == s.pid,
			      "%s: the worker started by the ended thread was replaced",
			      pool_start_name(starts[m]));
		ck_assert_int_eq(apply_i64(s.p, st_double, 21), 42);
		pool_free(s.p);
		tvp_assert_no_children();
	}
}
END_TEST

/* ... and without the death signal they still end with their process:
 * killed outright, a process whose pool a thread started (then ended)
 * leaves no worker and no fork server behind; they learn it from their
 * channels hanging up. The test is a subreaper, so the orphans come to it
 * and are reaped, whatever reaps orphans on this machine. */
START_TEST(without_the_death_signal_workers_still_end_with_their_process)
{
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		int64_t got[9];   /* count, then the worker, then the process's children */
		int fd[2];
		pid_t c;

		if (starts[m] == POOL_START_FORK)
			continue;
		ck_assert_int_eq(pipe(fd), 0);
		c = fork();
		ck_assert_int_ge(c, 0);
		if (c == 0) {
			struct starter s = { .start = starts[m] };
			int64_t out[9] = { 0 };
			char path[64];
			pthread_t t;
			FILE *f;
			int pid;

			close(fd[0]);
			if (pthread_create(&t, NULL, start_and_end, &s) != 0)
				_exit(3);
			pthread_join(t, NULL);
			if (!s.p)
				_exit(4);
			out[1] = s.pid;
			out[0] = 1;
			/* The ended thread's children are the main thread's now. */
			snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(),
				 (int)getpid());
			f = fopen(path, "r");
			while (f && out[0] < 8 && fscanf(f, "%d", &pid) == 1)
				out[++out[0]] = pid;
			if (f)
				fclose(f);
			if (write(fd[1], out, sizeof out) != (ssize_t)sizeof out)
				_exit(5);
			pause();
			_exit(0);
		}
		close(fd[1]);
		ck_assert_int_eq(read_full(fd[0], got, sizeof got), 0);
		close(fd[0]);
		ck_assert_msg(got[0] >= 2, "%s: the pool's process has no child",
			      pool_start_name(starts[m]));
		ck_assert_int_eq(kill(c, SIGKILL), 0);
		ck_assert_int_eq(waitpid(c, NULL, 0), c);
		for (int64_t i = 1; i <= got[0]; i++)
			ck_assert_msg(gone((pid_t)got[i]), "%s: process %lld outlived its parent",
				      pool_start_name(starts[m]), (long long)got[i]);
	}
}
END_TEST

/* argv of process pid, NUL-separated, into buf; returns the count. */
static int cmdline(pid_t pid, char *argv[8], char *buf, size_t len)
{
	char path[64];
	ssize_t n;
	int fd, c = 0;

	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, len - 1);
	close(fd);
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	for (char *s = buf; s < buf + n && c < 8; s += strlen(s) + 1)
		argv[c++] = s;
	return c;
}

START_TEST(spawned_worker_is_another_image)
{
	st_global = 2;   /* changed before each pool starts */
	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		struct pool *p = st_pool(starts[m], 2);
		pid_t pid = (pid_t)apply_i64(p, st_pid, 0);
		char buf[512], *argv[8], exe[256], mine[256];
		int argc = cmdline(pid, argv, buf, sizeof buf);
		ssize_t a, b;

		if (starts[m] == POOL_START_FORK) {
			ck_assert(argc < 2 || strcmp(argv[1], SPAWN_ARGV1) != 0);
			ck_assert_int_eq(apply_i64(p, st_read_global, 0), 2);   /* a copy of us */
		} else {
			const char *role = starts[m] == POOL_START_SPAWN ? "pool" : "forkserver";

			ck_assert_int_eq(argc, 4);
			ck_assert_str_eq(argv[1], SPAWN_ARGV1);
			ck_assert_str_eq(argv[2], role);
			ck_assert_msg(strstr(argv[3], "pool"), "label: %s", argv[3]);
			/* A fresh image: the global as the program starts. */
			ck_assert_int_eq(apply_i64(p, st_read_global, 0), 1);
		}
		snprintf(buf, sizeof buf, "/proc/%d/exe", (int)pid);
		a = readlink(buf, exe, sizeof exe - 1);
		b = readlink("/proc/self/exe", mine, sizeof mine - 1);
		ck_assert(a > 0 && b > 0);
		exe[a] = mine[b] = '\0';
		ck_assert_str_eq(exe, mine);
		pool_free(p);
	}
	st_global = 1;
	tvp_assert_no_children();
}
END_TEST

START_TEST(unregistered_task_or_initializer_fails_clearly)
{
	for (size_t m = 1; m < ARRAY_SIZE(starts); m++) {
		struct pool_options opt = st_options(starts[m], 2);
		struct pool *p = st_pool_opt(&opt);
		int64_t args[4] = { 0 };
		int status[4];
		struct task_result res[4];
		char err[256] = "";

		apply_fails(p, st_unregistered, -ENOENT, "task function is not registered",
			    "TASK_REGISTER", pool_start_name(starts[m]), NULL);
		memset(res, 0, sizeof res);
		ck_assert_int_eq(pool_map(p, st_unregistered, args, sizeof *args, 4, 1, res, status),
				 0);
		for (int i = 0; i < 4; i++) {
			ck_assert_int_eq(status[i], -ENOENT);
			task_result_release(&res[i]);
		}
		ck_assert_int_eq(apply_i64(p, st_double, 4), 8);   /* the pool is fine */
		pool_free(p);

		/* An initializer too is found by name, and its argument is bytes. */
		opt.initializer = st_init_unregistered;
		p = (struct pool *)&opt;
		ck_assert_int_eq(pool_new(&p, &opt, err, sizeof err), -ENOENT);
		ck_assert_ptr_null(p);
		ck_assert_msg(strstr(err, "initializer is not registered"), "err: %s", err);
		opt.initializer = st_map;
		opt.initarg = err;
		ck_assert_int_eq(pool_new(&p, &opt, err, sizeof err), -EINVAL);
		ck_assert_msg(strstr(err, "initarg_len"), "err: %s", err);
		tvp_assert_no_children();
	}
	/* Under fork a task travels as a pointer: registered or not. */
	{
		struct pool *p = st_pool(POOL_START_FORK, 1);

		ck_assert_int_eq(apply_i64(p, st_unregistered, 0), 7);
		pool_free(p);
	}
}
END_TEST

START_TEST(maxtasks_deadline_terminate_in_fresh_images)
{
	enum { N = 30 };

	for (size_t m = 1; m < ARRAY_SIZE(starts); m++) {
		struct pool_options opt = st_options(starts[m], 2);
		struct pool *p;
		int64_t args[N] = { 0 }, ms = 10000, pids[N];
		int status[N], distinct = 0;
		struct task_result res[N], r = TASK_RESULT_INIT;
		struct pool_async *a;

		opt.maxtasksperchild = 3;
		p = st_pool_opt(&opt);
		memset(res, 0, sizeof res);
		ck_assert_int_eq(pool_map(p, st_pid, args, sizeof *args, N, 1, res, status), 0);
		for (int i = 0; i < N; i++) {
			bool seen = false;

			ck_assert_int_eq(status[i], 0);
			pids[i] = *(const int64_t *)task_result_data(&res[i]);
			for (int k = 0; k < i; k++)
				seen |= pids[k] == pids[i];
			distinct += !seen;
			task_result_release(&res[i]);
		}
		ck_assert_msg(distinct >= N / 3, "%d worker processes for %d tasks", distinct, N);

		a = pool_apply_async(p, st_sleep_ms, &ms, sizeof ms, NULL, NULL, NULL, 100000000);
		ck_assert_int_eq(pool_async_get(a, POOL_FOREVER, &r), -ETIMEDOUT);
		pool_async_free(a);
		ck_assert_int_eq(apply_i64(p, st_double, 3), 6);

		/* Terminate with a task running: nothing is left. */
		a = pool_apply_async(p, st_sleep_ms, &ms, sizeof ms, NULL, NULL, NULL, 0);
		for (int i = 0; i < 1000 && !pool_async_running(a); i++)
			sleep_ns(1000000);
		pool_terminate(p);
		ck_assert_int_eq(pool_async_get(a, 0, &r), -ECANCELED);
		pool_async_free(a);
		task_result_release(&r);
		pool_free(p);
		tvp_assert_no_children();
		for (int i = 0; i < N; i++)
			ck_assert_msg(gone((pid_t)pids[i]), "worker %lld is still alive",
				      (long long)pids[i]);
	}
}
END_TEST

START_TEST(nothing_left_behind)
{
	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		enum { W = 3 };
		struct pool_options opt = st_options(starts[m], W);
		struct pool *p;
		struct worker_stats ws[W];
		unsigned n;
		int children;

		opt.cold = true;   /* no warm-up round trips: the workers have run one task */
		p = st_pool_opt(&opt);
		n = pool_take_stats(p, ws, W);
		children = tvp_count_children();
		ck_assert_uint_eq(n, W);
		/* fork: the workers and the fork server; spawn: the workers;
		 * forkserver: the server alone (the workers are its children). */
		if (starts[m] == POOL_START_FORK)
			ck_assert_int_eq(children, W + 1);
		else if (starts[m] == POOL_START_SPAWN)
			ck_assert_int_eq(children, W);
		else
			ck_assert_int_eq(children, 1);
		pool_free(p);
		tvp_assert_no_children();
		for (unsigned i = 0; i < n; i++)
			ck_assert_msg(gone(ws[i].pid), "%s: worker %d is still alive",
				      pool_start_name(starts[m]), (int)ws[i].pid);
	}
}
END_TEST

START_TEST(spawned_worker_binds_to_its_place)
{
	struct pin_plan *plan = NULL;
	struct worker_stats ws[2];
	char err[256], want[96];
	struct pool_options opt = st_options(POOL_START_SPAWN, 2);
	struct pool *p;
	unsigned n;

	ck_assert_msg(pin_topology_load(err, sizeof err) == 0, "%s", err);
	if (!pin_can_bind_processes())
		tvp_skip("this system cannot bind processes");
	ck_assert_int_eq(pin_plan_new(&plan, "compact", 2, err, sizeof err), 0);
	opt.pin = plan;
	p = st_pool_opt(&opt);
	n = pool_take_stats(p, ws, 2);
	ck_assert_uint_eq(n, 2);
	for (unsigned i = 0; i < n; i++) {
		ck_assert_int_eq(ws[i].pinned, 1);
		/* Stats come by slot: worker i is entry i. */
		pin_plan_cpuset_text(plan, i, want, sizeof want);
		ck_assert_str_eq(ws[i].bound, want);
	}
	pool_free(p);
	pin_plan_free(plan);
	tvp_assert_no_children();
}
END_TEST

/* ---- the registry, names and roles ------------------------------------- */

static int st_other(const void *arg, size_t len, struct task_result *out)
{
	return put_i64(out, 8);
}

static void st_late_init(void *arg)
{
}

START_TEST(registry_names_ids_and_conflicts)
{
	enum pool_start s;
	uint64_t digest = task_registry_digest();
	char err[256] = "";
	struct pool_options opt = st_options(POOL_START_SPAWN, 1);
	struct pool *p = NULL;

	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		ck_assert_int_eq(pool_start_parse(pool_start_name(starts[m]), &s), 0);
		ck_assert_int_eq(s, starts[m]);
	}
	ck_assert_int_eq(pool_start_parse("vfork", &s), -EINVAL);
	ck_assert(!pool_start_by_name(POOL_START_FORK));
	ck_assert(pool_start_by_name(POOL_START_SPAWN) && pool_start_by_name(POOL_START_FORKSERVER));

	ck_assert_str_eq(task_registry_name((task_any_fn)st_double), "st_double");
	ck_assert(task_registry_id((task_any_fn)st_double) != 0);
	ck_assert(task_registry_by_id(task_registry_id((task_any_fn)st_double)) ==
		  (task_any_fn)st_double);
	ck_assert(task_registry_find("st_pid") == (task_any_fn)st_pid);
	ck_assert_uint_eq(task_registry_id((task_any_fn)st_unregistered), 0);
	ck_assert_ptr_null(task_registry_find("st_unregistered"));
	ck_assert_int_eq(task_registry_add("st_double", (task_any_fn)st_double), 0);
	ck_assert_int_eq(task_registry_add("", (task_any_fn)st_other), -EINVAL);
	ck_assert_ptr_null(task_registry_conflict());

	/* Registered at run time (after main began): known here, not in the
	 * digest, which covers what every image has. */
	ck_assert_int_eq(task_registry_add("st_other", (task_any_fn)st_other), 0);
	ck_assert_uint_eq(task_registry_digest(), digest);

	/* An initializer a fresh image lacks: the worker exits with a code
	 * of its own, and pool_new says what it means. */
	ck_assert_int_eq(task_registry_add("st_late_init", (task_any_fn)st_late_init), 0);
	opt.initializer = st_late_init;
	ck_assert_int_eq(pool_new(&p, &opt, err, sizeof err), -ECHILD);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, "exited with status 73") && strstr(err, "task registry differs"),
		      "err: %s", err);
	tvp_assert_no_children();

	/* A name taken by another function is refused and remembered, and
	 * a pool that runs tasks by name refuses to start while it is. */
	ck_assert_int_eq(task_registry_add("st_pid", (task_any_fn)st_other), -EEXIST);
	ck_assert_int_eq(task_registry_add("st_other2", (task_any_fn)st_other), -EEXIST);
	ck_assert_str_eq(task_registry_conflict(), "st_pid");
	opt.initializer = NULL;
	ck_assert_int_eq(pool_new(&p, &opt, err, sizeof err), -EEXIST);
	ck_assert_msg(strstr(err, "two functions are registered as st_pid"), "err: %s", err);
	opt.start = POOL_START_FORK;   /* by pointer: no names needed */
	p = st_pool_opt(&opt);
	pool_free(p);
	tvp_assert_no_children();
}
END_TEST

/* The highest descriptor number open here. */
static int max_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int hi = -1, me = dirfd(d);

	while ((e = readdir(d))) {
		int fd = atoi(e->d_name);

		if (e->d_name[0] != '.' && fd != me && fd > hi)
			hi = fd;
	}
	closedir(d);
	return hi;
}

/* Out of descriptors at every step of a start, one limit after another:
 * each failure names the call that failed (never "fork: Too many open
 * files", issue 16), and leaves no child and no descriptor behind. */
START_TEST(out_of_descriptors_names_the_call)
{
	struct rlimit old;

	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	for (size_t m = 0; m < ARRAY_SIZE(starts); m++) {
		int failures = 0;

		for (int extra = 0; extra < 40; extra++) {
			struct pool_options opt = st_options(starts[m], 4);
			struct rlimit lim = old;
			struct pool *p = NULL;
			char err[256] = "";
			int before = max_fd(), lowest = dup(0), rc;

			close(lowest);   /* new descriptors get the lowest free numbers */
			lim.rlim_cur = (rlim_t)(lowest + extra);
			ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
			rc = pool_new(&p, &opt, err, sizeof err);
			ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
			if (rc == 0) {
				pool_free(p);
				break;
			}
			failures++;
			ck_assert_msg(rc == -EMFILE, "%s, %d spare: %d (%s)",
				      pool_start_name(starts[m]), extra, rc, err);
			ck_assert_msg(strstr(err, "Too many open files") && strncmp(err, "fork:", 5),
				      "%s, %d spare: %s", pool_start_name(starts[m]), extra, err);
			ck_assert_msg(strstr(err, "memfd_create") || strstr(err, "socketpair") ||
				      strstr(err, "pidfd_open") || strstr(err, "eventfd") ||
				      strstr(err, "channel") || strstr(err, "F_DUPFD") ||
				      strstr(err, "receiving") || strstr(err, "epoll_create1"),
				      "%s, %d spare: no call named in '%s'",
				      pool_start_name(starts[m]), extra, err);
			tvp_assert_no_children();
			ck_assert_int_eq(max_fd(), before);
		}
		ck_assert_msg(failures > 0, "%s: never ran out", pool_start_name(starts[m]));
	}
}
END_TEST

static Suite *start_suite(void)
{
	Suite *s = suite_create("start");
	TCase *tc;

	tc = tvp_tcase(s, "run", 120);
	tcase_add_test(tc, every_method_runs_tasks_maps_futures);
	tcase_add_test(tc, killed_worker_detected_and_replaced);
	tcase_add_test(tc, worker_killed_from_outside_detected_and_replaced);
	tcase_add_test(tc, spawned_worker_is_another_image);
	tc = tvp_tcase(s, "robust", 60);
	tcase_add_test(tc, robust_mutex_recovered_under_forkserver);
	tcase_add_test(tc, robust_mutex_recovered_under_fork_server_replacements);
	tc = tvp_tcase(s, "threads", 60);
	tcase_add_test(tc, threaded_parent_spawn_and_forkserver_work_fork_refused);
	tcase_add_test(tc, a_pool_outlives_the_thread_that_started_it);
	tcase_add_test(tc, without_the_death_signal_workers_still_end_with_their_process);
	tc = tvp_tcase(s, "names", 60);
	tcase_add_test(tc, unregistered_task_or_initializer_fails_clearly);
	tcase_add_test(tc, registry_names_ids_and_conflicts);
	tcase_add_test(tc, out_of_descriptors_names_the_call);
	tc = tvp_tcase(s, "life", 120);
	tcase_add_test(tc, maxtasks_deadline_terminate_in_fresh_images);
	tcase_add_test(tc, nothing_left_behind);
	tcase_add_test(tc, spawned_worker_binds_to_its_place);
	return s;
}

TVP_TEST_MAIN(start_suite)
