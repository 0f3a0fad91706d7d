/* test_lessons.c: every lesson runs to completion with --quick, says what it
 * claims, and leaves nothing behind; the `tvp lesson` command line.
 *
 * Each lesson runs as a user would run it (build/tvp lesson NAME --quick),
 * with this test process made a child subreaper: a process the lesson left
 * running would be re-parented to us and caught by tvp_assert_no_children.
 * TMPDIR points at a fresh directory that must be empty afterwards (sockets,
 * files), /dev/shm must hold no new segment, and no new process may remain
 * in our process group. The claims are read from the output with its
 * whitespace collapsed, so word-wrapping cannot hide them.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "par/spawn.h"
#include "testutil.h"
#include "bench/util.h"


/* ---- what a run leaves behind ---- */

struct names {
	char **v;
	size_t n;
};

static struct names list_dir(const char *path)
{
	struct names ns = { 0 };
	struct dirent *e;
	DIR *d = opendir(path);

	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		ns.v = xrealloc(ns.v, (ns.n + 1) * sizeof *ns.v);
		ns.v[ns.n++] = xstrdup(e->d_name);
	}
	if (d)
		closedir(d);
	return ns;
}

static bool has_name(const struct names *ns, const char *name)
{
	for (size_t i = 0; i < ns->n; i++)
		if (strcmp(ns->v[i], name) == 0)
			return true;
	return false;
}

static void free_names(struct names *ns)
{
	for (size_t i = 0; i < ns->n; i++)
		free(ns->v[i]);
	free(ns->v);
}

/* Pids (as names) of the processes in our process group, other than us. */
static struct names group_pids(void)
{
	struct names all = list_dir("/proc"), ours = { 0 };

	for (size_t i = 0; i < all.n; i++) {
		int pid = atoi(all.v[i]);
		if (pid > 0 && pid != getpid() && getpgid(pid) == getpgrp()) {
			ours.v = xrealloc(ours.v, (ours.n + 1) * sizeof *ours.v);
			ours.v[ours.n++] = xstrdup(all.v[i]);
		}
	}
	free_names(&all);
	return ours;
}

struct lesson_run {
	struct tvp_cmd cmd;
	char *flat;                  /* the output, whitespace collapsed */
};

static char *collapse(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == ' ' || *s == '\n' || *s == '\t') {
			if (o > out && o[-1] != ' ')
				*o++ = ' ';
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
	return out;
}

/* Runs `tvp lesson <name>` (with --quick if quick) and checks it left
 * nothing behind. */
static void run_lesson_sized(struct lesson_run *r, const char *name, bool quick)
{
	char *tmp = tvp_tmpdir();
	struct names shm_before = list_dir("/dev/shm"), pg_before = group_pids();
	struct names shm_after, pg_after, tmp_after;

	const char *was = getenv("TMPDIR");
	char *old_tmp = was ? xstrdup(was) : NULL;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	setenv("TMPDIR", tmp, 1);
	setenv("NO_COLOR", "1", 1);
	tvp_run_cli(&r->cmd, 120, "lesson", name, quick ? "--quick" : NULL, NULL);
	ck_assert_msg(r->cmd.status == 0, "tvp lesson %s: exit %d\n%s\n%s", name, r->cmd.status,
		      r->cmd.out, r->cmd.err);
	r->flat = collapse(r->cmd.out);

	tvp_assert_no_children();
	pg_after = group_pids();
	for (size_t i = 0; i < pg_after.n; i++)
		ck_assert_msg(has_name(&pg_before, pg_after.v[i]) ||
			      kill(atoi(pg_after.v[i]), 0) != 0,
			      "lesson %s left process %s in our process group", name, pg_after.v[i]);
	tmp_after = list_dir(tmp);
	ck_assert_msg(tmp_after.n == 0, "lesson %s left %s in TMPDIR", name,
		      tmp_after.n ? tmp_after.v[0] : "");
	/* Another program may make a segment meanwhile; one of ours would stay. */
	shm_after = list_dir("/dev/shm");
	for (size_t i = 0; i < shm_after.n; i++)
		if (!has_name(&shm_before, shm_after.v[i])) {
			char path[600];
			int pid;

			sleep_ns(500000000);

			snprintf(path, sizeof path, "/dev/shm/%s", shm_after.v[i]);
			/* A workload's state names its tvp (workloads/shm_state.h):
			 * another tvp still running holds its own. */
			if (sscanf(shm_after.v[i], "tvp-%d-", &pid) == 1 && kill(pid, 0) == 0)
				continue;
			ck_assert_msg(access(path, F_OK) != 0, "lesson %s left /dev/shm/%s",
				      name, shm_after.v[i]);
		}
	free_names(&shm_before);
	free_names(&shm_after);
	free_names(&pg_before);
	free_names(&pg_after);
	free_names(&tmp_after);
	tvp_rm_rf(tmp);
	free(tmp);
	if (old_tmp)
		setenv("TMPDIR", old_tmp, 1);
	else
		unsetenv("TMPDIR");
	free(old_tmp);
}

static void run_lesson(struct lesson_run *r, const char *name)
{
	run_lesson_sized(r, name, true);
}

static void lesson_run_free(struct lesson_run *r)
{
	tvp_cmd_free(&r->cmd);
	free(r->flat);
}

/* The claim line starting with prefix must be in the output. */
static const char *claim(struct lesson_run *r, const char *prefix)
{
	const char *p = strstr(r->flat, prefix);

	ck_assert_msg(p != NULL, "no '%s' in:\n%s", prefix, r->cmd.out);
	return p + strlen(prefix);
}

/* ---- one test per lesson: its key claim ---- */

START_TEST(process_zombie_seen_then_gone)
{
	struct lesson_run r;
	int pid1, pid2;

	run_lesson(&r, "process");
	claim(&r, "exit code 7");
	ck_assert_int_eq(sscanf(claim(&r, "zombie seen: /proc/"), "%d", &pid1), 1);
	ck_assert_int_eq(sscanf(claim(&r, "zombie reaped: after waitpid, /proc/"), "%d", &pid2), 1);
	ck_assert_int_eq(pid1, pid2);
	claim(&r, "is gone");
	claim(&r, "terminated: killed by signal 15");
	lesson_run_free(&r);
}
END_TEST

static bool have_python(void);

/* The costs are figures; the rest is what a worker saw, and what a child
 * forked while another thread held a lock did: block, until killed. */
START_TEST(start_inheritance_deadlock_and_cure)
{
	struct lesson_run r;
	int fork_saw = -1, spawn_saw = -1, server_saw = -1;

	SKIP_UNDER_TSAN("lesson start");   /* it forks while a thread holds a lock, on purpose */
	run_lesson(&r, "start");
	claim(&r, "start-up of a pool of 2: fork ");
	claim(&r, "posix_spawn of /bin/true twice: ");
	ck_assert_int_eq(sscanf(claim(&r, "a global set to 42 before the pool started: "),
				"fork sees %d, spawn sees %d, forkserver sees %d", &fork_saw,
				&spawn_saw, &server_saw), 3);
	ck_assert_int_eq(fork_saw, 42);
	ck_assert_int_eq(spawn_saw, 1);    /* main() never ran there */
	ck_assert_int_eq(server_saw, 1);   /* tvp's server is spawned, as CPython's */
	/* fork copies every descriptor; tvp's workers close what they were
	 * not given, under every method. */
	claim(&r, "without close-on-exec: a bare fork() child: inherited; tvp's workers: fork "
		  "not inherited, spawn not inherited, forkserver not inherited");
	ck_assert(strstr(claim(&r, "a spawn worker's command line: "), SPAWN_ARGV1) != NULL);
	claim(&r, "fork with another thread holding the lock: the child was still waiting "
		  "for it after 1.0 s");
	claim(&r, "fork pool, started now: refused:");
	claim(&r, "spawn pool, started now: the task took its lock and returned");
	if (have_python()) {
		claim(&r, "fork sees 42, descriptor inherited; spawn sees 1, descriptor not "
			  "inherited; forkserver sees 1, descriptor not inherited");
		claim(&r, "os.fork() with a second thread running: ");
	}
	lesson_run_free(&r);
}
END_TEST

START_TEST(daemon_python_waits_c_does_not)
{
	struct lesson_run r;

	run_lesson(&r, "daemon");
	claim(&r, "python-style exit: the daemon child was terminated when the "
		  "code ended: killed by signal 15");
	claim(&r, "python-style exit: P waited for its normal child (exit code 0)");
	claim(&r, "bare C parent: the PDEATHSIG child died with it (killed by signal 9");
	claim(&r, "bare C parent: exited without waiting; its normal child is still running");
	claim(&r, "the orphan, released, was reaped by its new parent: exit code 0");
	lesson_run_free(&r);
}
END_TEST

START_TEST(isolation_parent_array_unchanged)
{
	struct lesson_run r;

	run_lesson(&r, "isolation");
	claim(&r, "parent's array after the child: unchanged");
	claim(&r, "parent's array after the thread: changed");
	lesson_run_free(&r);
}
END_TEST

START_TEST(shared_updates_lost_only_without_lock)
{
	struct lesson_run r;
	long lost = -1, of = -1;

	run_lesson(&r, "shared");
	claim(&r, "parent sees the child's Array [1, 4, 9, 16] and Value 30");
	/* Four processes, each running tens of ms with a wide window between
	 * load and store, and the lesson retries longer before reporting zero
	 * (see demos/shared.c): a loss is all but certain on any machine. */
	ck_assert_int_eq(sscanf(claim(&r, "lost updates without the lock: "), "%ld of %ld",
				&lost, &of), 2);
	ck_assert_msg(lost > 0 && lost < of, "lost %ld of %ld", lost, of);
	claim(&r, "lost updates with the lock: 0 ");
	claim(&r, "lost updates with an atomic add: 0 ");
	lesson_run_free(&r);
}
END_TEST

/* The racy way loses updates (the lesson tries three times before it
 * reports none, and each try has 600 chances); the locked and server-side
 * ways lose none, on any machine. */
START_TEST(manager_proxy_loses_updates_lock_does_not)
{
	struct lesson_run r;
	long got = -1, want = -2, lost = -3;

	run_lesson(&r, "manager");
	ck_assert_int_eq(sscanf(claim(&r, "proxy get-then-set (d[k] += 1): "),
				"%ld of %ld counted, %ld lost", &got, &want, &lost), 3);
	ck_assert_msg(lost > 0 && got + lost == want, "%ld + %ld lost of %ld", got, lost, want);
	ck_assert_int_eq(sscanf(claim(&r, "get-then-set under a Lock: "),
				"%ld of %ld counted, %ld lost", &got, &want, &lost), 3);
	ck_assert_int_eq(lost, 0);
	ck_assert_int_eq(got, want);
	ck_assert_int_eq(sscanf(claim(&r, "one server-side operation: "),
				"%ld of %ld counted, %ld lost", &got, &want, &lost), 3);
	ck_assert_int_eq(lost, 0);
	claim(&r, "TCP");
	claim(&r, "a proxy call cost ");
	lesson_run_free(&r);
}
END_TEST

START_TEST(queue_bounded_joinable_and_deadlock_detected)
{
	struct lesson_run r;
	unsigned peak = 99;

	run_lesson(&r, "queue");
	claim(&r, "queue: 10 of 10 items delivered");
	ck_assert_int_eq(sscanf(claim(&r, "at most "), "%u", &peak), 1);
	ck_assert_uint_le(peak, 3);
	claim(&r, "join returned after 6 task_done calls");
	claim(&r, "deadlock detected: join timed out after");
	claim(&r, "fixed: took 8 items, then join returned in");
	lesson_run_free(&r);
}
END_TEST

START_TEST(pipe_big_messages_corrupt_small_do_not)
{
	struct lesson_run r;
	long bad = -1, a = -1, b = -1, torn = -1, cut = -1;

	run_lesson(&r, "pipe");
	claim(&r, "pipe: 3 messages received before END");
	claim(&r, "messages of 512 bytes: 0 of");
	/* Two writers released together, each writing 50 messages of twice
	 * the pipe's capacity: every write has to wait for room at least once,
	 * and the other writer's bytes go in while it waits. */
	ck_assert_int_eq(sscanf(claim(&r, "messages of 100000 bytes: "), "%ld", &bad), 1);
	ck_assert_int_gt(bad, 0);
	/* One stream, two readers: every small message reaches exactly one of
	 * them, whole (each is one atomic write, read in one piece). */
	ck_assert_int_eq(sscanf(claim(&r, "two readers, 512-byte messages: "),
				"%ld and %ld whole, %ld torn, %ld cut off", &a, &b, &torn, &cut), 4);
	ck_assert_int_eq(a + b, 100);
	ck_assert_int_eq(torn + cut, 0);
	claim(&r, "two readers, 100000-byte messages: ");
	lesson_run_free(&r);
}
END_TEST

START_TEST(sync_lock_semaphore_event)
{
	struct lesson_run r;
	int broken = -1, peak = -1;

	run_lesson(&r, "sync");
	/* All three start together and the shortest sleep is 5 ms, so every
	 * 'running' line precedes every 'done' line without the lock. */
	ck_assert_int_eq(sscanf(claim(&r, "without the lock: "), "%d", &broken), 1);
	ck_assert_int_gt(broken, 0);
	claim(&r, "with the lock: 0 of 3 workers interrupted");
	ck_assert_int_eq(sscanf(claim(&r, "semaphore: at most "), "%d", &peak), 1);
	ck_assert(peak >= 1 && peak <= 2);
	claim(&r, "event: 4 of 4 waiting workers released");
	/* The lesson reports whether wait() slept on its condition variable,
	 * not a time: a set event never makes it sleep. */
	claim(&r, "event: wait() after set() returned True in");
	claim(&r, "without blocking");
	claim(&r, "event: after clear(), wait(timeout=20 ms) returned False");
	claim(&r, ", blocked");
	lesson_run_free(&r);
}
END_TEST

/* Whether the interpreter the lessons use ($TVP_PYTHON, else python3) is
 * there. */
static bool have_python(void)
{
	const char *py = getenv("TVP_PYTHON");
	char *cmd = xasprintf("command -v '%s' >/dev/null 2>&1", py && *py ? py : "python3");
	bool yes = system(cmd) == 0;

	free(cmd);
	return yes;
}

START_TEST(gil_runs_both_languages)
{
	struct lesson_run r;
	double cpu = -1;

	run_lesson(&r, "gil");
	claim(&r, "conclusion: C");
	if (have_python()) {
		claim(&r, "conclusion: Python");
		/* Load-independent: whatever else runs, threads that take turns
		 * under one GIL keep at most one core busy (a busy machine only
		 * lowers the figure). */
		ck_assert_int_eq(sscanf(claim(&r, "Python threads CPU/wall: "), "%lf", &cpu), 1);
		ck_assert_msg(cpu > 0 && cpu < 1.3, "Python threads CPU/wall %.2f", cpu);
	} else {
		claim(&r, "Python part skipped");
	}
	lesson_run_free(&r);
}
END_TEST

/* A stand-in interpreter (through TVP_PYTHON) that prints count.py's JSON
 * with the given wall times for serial, threads and processes: the
 * conclusion must follow the numbers, not a script. */
static void gil_with_fake_times(struct lesson_run *r, long serial_ns, long threads_ns,
				long processes_ns)
{
	char *dir = tvp_tmpdir(), *stub = xasprintf("%s/python3", dir);
	FILE *f = fopen(stub, "w");

	ck_assert_ptr_nonnull(f);
	fprintf(f, "#!/bin/sh\n"
		"w=%ld\n"
		"while [ $# -gt 0 ]; do\n"
		"  case \"$1$2\" in --modethread-spawn) w=%ld;; --modefork-spawn) w=%ld;; esac\n"
		"  shift\n"
		"done\n"
		"printf '{\"wall_ns\": [%%s], \"results_ok\": true, "
		"\"python\": {\"gil\": true}}\\n' $w\n", serial_ns, threads_ns, processes_ns);
	fclose(f);
	ck_assert_int_eq(chmod(stub, 0755), 0);
	setenv("TVP_PYTHON", stub, 1);
	run_lesson(r, "gil");
	unsetenv("TVP_PYTHON");
	tvp_rm_rf(dir);
	free(stub);
	free(dir);
}

START_TEST(gil_conclusion_follows_the_numbers)
{
	struct lesson_run r;

	gil_with_fake_times(&r, 400000000, 100000000, 100000000);
	claim(&r, "conclusion: Python threads faster than serial (4.00x); processes "
		  "faster than serial (4.00x)");
	lesson_run_free(&r);

	gil_with_fake_times(&r, 400000000, 440000000, 160000000);
	claim(&r, "conclusion: Python threads no faster than serial (0.91x); processes "
		  "faster than serial (2.50x)");
	lesson_run_free(&r);

	gil_with_fake_times(&r, 400000, 400000, 400000);
	claim(&r, "conclusion: Python: too small to conclude");
	lesson_run_free(&r);
}
END_TEST

START_TEST(pool_why_apply_async_and_error_callback)
{
	struct lesson_run r;

	run_lesson(&r, "pool");
	claim(&r, "why pools: ");
	claim(&r, "apply: 4 tasks took");
	claim(&r, "apply_async: 4 tasks took");
	claim(&r, "4 callbacks ran");
	claim(&r, "error_callback: 4 callbacks, 1 error_callback: 'ValueError: bad input 3'");
	claim(&r, "get() of each: 0 1 4 (failed) 16");
	lesson_run_free(&r);
}
END_TEST

START_TEST(map_orders_chunks_and_timeout)
{
	struct lesson_run r;

	run_lesson(&r, "map");
	claim(&r, "map: 0 1 4 9 16 25, in input order");
	claim(&r, "map_async: ready() at once: no; then the callback ran and get(): "
		  "0 1 4 9 16 25");
	claim(&r, "chunksize: ");
	claim(&r, "imap: 0 1 2 3 4 5 ");
	claim(&r, "imap_unordered:");
	/* next(timeout) of half the task's sleep, while input 0 sleeps 6x that */
	claim(&r, "TimeoutError; then next(): input 0 = 0");
	lesson_run_free(&r);
}
END_TEST

START_TEST(lifecycle_initializer_maxtasks_terminate)
{
	struct lesson_run r;
	unsigned served = 0;
	int done = -1;

	run_lesson(&r, "lifecycle");
	claim(&r, "initializer: every task saw 42");
	/* maxtasksperchild 2 and 6 tasks: at least 3 different processes. */
	ck_assert_int_eq(sscanf(claim(&r, "maxtasksperchild: "), "%u", &served), 1);
	ck_assert_uint_ge(served, 3);
	claim(&r, "close+join: 6 queued tasks: 6 done, 0 dropped");
	/* 6 tasks of 20 ms on 2 workers, terminated at once: some never ran. */
	ck_assert_int_eq(sscanf(claim(&r, "terminate: 6 queued tasks: "), "%d", &done), 1);
	ck_assert_int_lt(done, 6);
	lesson_run_free(&r);
}
END_TEST

/* The two executors give the same answers, in lines of the same shape: a
 * claim differs only in its kind (the column the lines align on). */
START_TEST(executor_same_answers_over_threads_and_processes)
{
	static const char *const kinds[] = { "process:", "thread:" };
	static const char *const want[] = {
		"submit; done() at once: no; result() = 9",
		"running(): yes; result(timeout=10 ms): timed out",
		"cancel(): running task refused, queued task cancelled",
		"exception() = EDOM",
		"shutdown(wait=False): returned before the task ended",
		"shutdown(wait=True): returned after the task ended",
	};
	struct lesson_run r;

	run_lesson(&r, "executor");
	for (int i = 0; i < 2; i++)
		for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
			char *line = xasprintf("\n* %-9s%s\n", kinds[i], want[k]);
			ck_assert_msg(strstr(r.cmd.out, line), "no line '%s' in:\n%s", line,
				      r.cmd.out);
			free(line);
		}
	claim(&r, "(another process)");
	claim(&r, "(this process)");
	claim(&r, "exception(timeout=10 ms) while the failing task runs: TimeoutError");
	lesson_run_free(&r);
}
END_TEST

START_TEST(crash_alone_in_processes_fatal_in_threads)
{
	struct lesson_run r;

	run_lesson(&r, "crash");
	claim(&r, "process pool: task 3 failed alone: worker");
	claim(&r, "process pool: other workers' results: 5 of 5 present");
	claim(&r, "process pool goes on: a new task after the crash succeeded");
	/* killed by signal 11, or under ASan an exit code after its report */
	claim(&r, "thread pool: the whole process died:");
	ck_assert_msg(strstr(r.flat, "thread pool: the whole process died: exit code 0") == NULL,
		      "the thread pool's process did not die");
	/* CPython issue 66587: the Pool waits for ever for the lost task. */
	if (have_python())
		claim(&r, "Python's multiprocessing.Pool: no results 1.0 s later: it hangs");
	lesson_run_free(&r);
}
END_TEST

START_TEST(choose_states_findings_from_a_run)
{
	struct lesson_run r;

	SKIP_UNDER_TSAN("lesson choose");
	run_lesson(&r, "choose");
	claim(&r, "finding: count: ");
	lesson_run_free(&r);
}
END_TEST


/* ---- the command line ---- */

static void assert_projector_fit(const char *out)
{
	for (const char *line = out; *line;) {
		size_t n = strcspn(line, "\n");
		ck_assert_msg(n <= LESSON_COLS, "line of %zu columns: %.*s", n, (int)n, line);
		line += n + (line[n] == '\n');
	}
	ck_assert_msg(strchr(out, '\033') == NULL, "colour codes although stdout is a file");
}

START_TEST(list_help_and_bad_name)
{
	struct tvp_cmd c;

	tvp_run_cli(&c, 10, "lesson", NULL);
	ck_assert_int_eq(c.status, 0);
	for (unsigned i = 0; i < lessons_count; i++)
		ck_assert_msg(strstr(c.out, lessons[i]->name), "%s not listed", lessons[i]->name);
	assert_projector_fit(c.out);
	tvp_cmd_free(&c);

	tvp_run_cli(&c, 10, "lesson", "--help", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strstr(c.out, "--quick") != NULL);
	tvp_cmd_free(&c);

	tvp_run_cli(&c, 10, "lesson", "no-such-lesson", NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: lesson: ", "process");
	ck_assert(strstr(c.err, "all"));
	tvp_cmd_free(&c);

	tvp_run_cli(&c, 10, "lesson", "process", "--bogus", NULL);
	ck_assert_int_eq(c.status, 2);
	ck_assert(strncmp(c.err, "tvp: ", 5) == 0);
	tvp_cmd_free(&c);
}
END_TEST

START_TEST(all_in_order_fits_a_projector)
{
	struct lesson_run r;
	const char *prev = NULL;

	SKIP_UNDER_TSAN("lesson all");
	unsetenv("NO_COLOR");   /* a file is not a terminal: still no colour */
	run_lesson(&r, "all");
	assert_projector_fit(r.cmd.out);
	for (unsigned i = 0; i < lessons_count; i++) {
		char *head = xasprintf("== %s:", lessons[i]->name);
		const char *at = strstr(r.cmd.out, head);
		ck_assert_msg(at && (!prev || at > prev), "%s missing or out of order", head);
		prev = at;
		free(head);
	}
	lesson_run_free(&r);
}
END_TEST

/* Full size, the lessons that take a second or less even on a loaded
 * machine; the others (shared, manager, map, pool, executor, crash: a few
 * seconds each; gil and choose: ten or more) run full size in `make demo`
 * and the guide's pre-flight, not here. */
START_TEST(full_size_lessons_fit_a_projector)
{
	static const char *const names[] = { "process", "daemon", "isolation", "queue",
					     "pipe", "sync", "lifecycle" };
	struct lesson_run r;

	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		run_lesson_sized(&r, names[i], false);
		assert_projector_fit(r.cmd.out);
		lesson_run_free(&r);
	}
}
END_TEST

/* The interface itself: a lesson run in this process into a memstream. */
START_TEST(run_in_process_with_memstream)
{
	const struct lesson *l = lesson_find("isolation");
	struct lesson_ctx ctx = { .quick = true };
	char *buf = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(l);
	ck_assert_ptr_null(lesson_find("nope"));
	ctx.out = open_memstream(&buf, &len);
	ck_assert_int_eq(l->run(&ctx), 0);
	fclose(ctx.out);
	ck_assert(strstr(buf, "parent's array after the child: unchanged") != NULL);
	free(buf);
	tvp_assert_no_children();
}
END_TEST

static Suite *lessons_suite(void)
{
	Suite *s = suite_create("lessons");
	TCase *tc = tvp_tcase(s, "each", 120);

	tcase_add_test(tc, process_zombie_seen_then_gone);
	tcase_add_test(tc, start_inheritance_deadlock_and_cure);
	tcase_add_test(tc, daemon_python_waits_c_does_not);
	tcase_add_test(tc, isolation_parent_array_unchanged);
	tcase_add_test(tc, shared_updates_lost_only_without_lock);
	tcase_add_test(tc, manager_proxy_loses_updates_lock_does_not);
	tcase_add_test(tc, queue_bounded_joinable_and_deadlock_detected);
	tcase_add_test(tc, pipe_big_messages_corrupt_small_do_not);
	tcase_add_test(tc, sync_lock_semaphore_event);
	tcase_add_test(tc, gil_runs_both_languages);
	tcase_add_test(tc, gil_conclusion_follows_the_numbers);
	tcase_add_test(tc, pool_why_apply_async_and_error_callback);
	tcase_add_test(tc, map_orders_chunks_and_timeout);
	tcase_add_test(tc, lifecycle_initializer_maxtasks_terminate);
	tcase_add_test(tc, executor_same_answers_over_threads_and_processes);
	tcase_add_test(tc, crash_alone_in_processes_fatal_in_threads);
	tcase_add_test(tc, choose_states_findings_from_a_run);
	tc = tvp_tcase(s, "command", 300);
	tcase_add_test(tc, list_help_and_bad_name);
	tcase_add_test(tc, all_in_order_fits_a_projector);
	tcase_add_test(tc, full_size_lessons_fit_a_projector);
	tcase_add_test(tc, run_in_process_with_memstream);
	return s;
}

TVP_TEST_MAIN(lessons_suite)
