/* test_pin.c: placement (par/pin.h) and `tvp topo`: plans on synthetic
 * machines, list parsing and its errors, binding threads and forked workers
 * on the real machine, restriction to the CPUs a taskset allows. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "bench/pin_json.h"
#include "par/pin.h"
#include "testutil.h"
#include "bench/util.h"

#define SYN16 "pack:2 core:4 pu:2"   /* 16 PUs, 8 cores, 2 per core */
#define SYN2  "pack:1 core:2 pu:1"   /* 2 PUs, 2 cores */

static void use_synthetic(const char *desc)
{
	char err[256] = "";

	unsetenv("HWLOC_XMLFILE");
	ck_assert_int_eq(setenv("HWLOC_SYNTHETIC", desc, 1), 0);
	ck_assert_msg(pin_topology_load(err, sizeof err) == 0, "load %s: %s", desc, err);
	ck_assert(!pin_topology_is_this_system());
}

/* The real machine; skips the test (tvp_skip does not return) when this
 * machine cannot bind or has fewer than 2 usable PUs. */
static bool use_real_machine(const char *test)
{
	char err[256] = "";

	unsetenv("HWLOC_SYNTHETIC");
	unsetenv("HWLOC_XMLFILE");
	ck_assert_msg(pin_topology_load(err, sizeof err) == 0, "load: %s", err);
	if (!pin_can_bind_threads() || !pin_can_bind_processes()) {
		tvp_skip("%s: hwloc cannot bind threads and processes here", test);
	}
	if (hwloc_get_nbobjs_by_type(pin_topology(), HWLOC_OBJ_PU) < 2) {
		tvp_skip("%s: this process may use fewer than 2 PUs", test);
	}
	return true;
}

/* Every worker's cpuset, space-separated: "0 8" or "0-1 2-3". */
static char *plan_text(const struct pin_plan *p)
{
	size_t cap = 16 * pin_plan_workers(p) + 1, used = 0;
	char *s = xcalloc(1, cap);

	for (unsigned i = 0; i < pin_plan_workers(p); i++) {
		char set[96];

		pin_plan_cpuset_text(p, i, set, sizeof set);
		used += (size_t)snprintf(s + used, cap - used, "%s%s", i ? " " : "", set);
	}
	return s;
}

/* ---- Plans on synthetic machines ---------------------------------------- */

static const struct {
	const char *machine, *policy;
	unsigned workers;
	const char *expect;
	bool wraps;
} plans[] = {
	/* compact: PUs in logical order, a core's PUs first. */
	{ SYN16, "compact", 1, "0", false },
	{ SYN16, "compact", 2, "0 1", false },
	{ SYN16, "close", 2, "0 1", false },
	{ SYN16, "compact", 8, "0 1 2 3 4 5 6 7", false },
	{ SYN16, "compact", 16, "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", false },
	{ SYN16, "compact", 32, "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 "
				"0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", true },
	/* scatter: packages first (0, 8), then cores (every second PU), then
	 * the cores' second PUs. */
	{ SYN16, "scatter", 1, "0", false },
	{ SYN16, "scatter", 2, "0 8", false },
	{ SYN16, "spread", 2, "0 8", false },
	{ SYN16, "scatter", 3, "0 4 8", false },       /* package 0 gets 2 of 3 */
	{ SYN16, "scatter", 4, "0 4 8 12", false },
	{ SYN16, "scatter", 9, "0 1 2 4 6 8 10 12 14", false },   /* core 0 gets 2 */
	{ SYN16, "scatter", 8, "0 2 4 6 8 10 12 14", false },
	{ SYN16, "scatter", 16, "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", false },
	{ SYN16, "scatter", 32, "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 "
				"0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", true },
	/* explicit lists: logical indexes; core: binds to the core's PUs */
	{ SYN16, "pu:0,2,4-7", 6, "0 2 4 5 6 7", false },
	{ SYN16, "pu:0,2,4-7", 8, "0 2 4 5 6 7 0 2", true },
	{ SYN16, "pu:3", 2, "3 3", true },
	{ SYN16, "pu:1,1", 2, "1 1", true },
	{ SYN16, "core:0-3", 4, "0-1 2-3 4-5 6-7", false },
	{ SYN16, "core:7", 1, "14-15", false },
	{ SYN16, "core:1,5", 3, "2-3 10-11 2-3", true },
	/* two single-PU cores */
	{ SYN2, "compact", 1, "0", false },
	{ SYN2, "compact", 2, "0 1", false },
	{ SYN2, "compact", 4, "0 1 0 1", true },
	{ SYN2, "scatter", 1, "0", false },
	{ SYN2, "scatter", 2, "0 1", false },
	{ SYN2, "scatter", 4, "0 1 0 1", true },
	{ SYN2, "pu:1,0", 2, "1 0", false },
	{ SYN2, "core:1", 1, "1", false },
};

START_TEST(synthetic_plans)
{
	struct pin_plan *p = NULL;
	char err[256] = "", *got;

	use_synthetic(plans[_i].machine);
	ck_assert_msg(pin_plan_new(&p, plans[_i].policy, plans[_i].workers, err, sizeof err) == 0,
		      "%s x%u: %s", plans[_i].policy, plans[_i].workers, err);
	got = plan_text(p);
	ck_assert_msg(strcmp(got, plans[_i].expect) == 0, "[%s] %s x%u: got '%s', expected '%s'",
		      plans[_i].machine, plans[_i].policy, plans[_i].workers, got, plans[_i].expect);
	ck_assert_uint_eq(pin_plan_workers(p), plans[_i].workers);
	ck_assert_msg(pin_plan_wraps(p) == plans[_i].wraps, "%s x%u: wraps %d", plans[_i].policy,
		      plans[_i].workers, pin_plan_wraps(p));
	ck_assert(!pin_plan_is_none(p));
	free(got);
	pin_plan_free(p);
	pin_topology_free();
}
END_TEST

START_TEST(policy_names_are_canonical)
{
	static const char *const in[] = { "close", "spread", "compact", "scatter", "pu:0-1", "core:1" };
	static const char *const out[] = { "compact", "scatter", "compact", "scatter", "pu:0-1", "core:1" };
	char err[256];

	use_synthetic(SYN16);
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct pin_plan *p;

		ck_assert_int_eq(pin_plan_new(&p, in[i], 2, err, sizeof err), 0);
		ck_assert_str_eq(pin_plan_policy(p), out[i]);
		pin_plan_free(p);
	}
	pin_topology_free();
}
END_TEST

static const struct {
	const char *policy;
	unsigned workers;
	const char *says;   /* the message must contain this */
} bad[] = {
	{ "pu:99", 1, "pu:99 does not exist: this process may use pu:0-1" },
	{ "core:1-0", 1, "1-0 is backwards" },
	{ "pu:a", 1, "'a' is not a pu index" },
	{ "bogus", 1, "accepted: none, compact (close), scatter (spread), pu:LIST, core:LIST" },
	{ "Compact", 1, "unknown pin policy" },
	{ "", 1, "unknown pin policy" },
	{ "pu:", 1, "needs a list" },
	{ "pu:1,,0", 1, "empty entry" },
	{ "pu:0,", 1, "empty entry" },
	{ "pu:-1", 1, "'-1' is not" },
	{ "pu:0-", 1, "'0-' is not" },
	{ "pu:1x", 1, "'1x' is not" },
	{ "pu:0-2", 1, "pu:2 does not exist" },
	{ "core:2", 1, "core:2 does not exist: this process may use core:0-1" },
	{ "pu:99999999999999999999", 1, "does not exist" },
	{ "compact", 0, "at least 1 worker" },
};

START_TEST(bad_policies_fail_with_a_message)
{
	struct pin_plan *p = (struct pin_plan *)&p;   /* must come back NULL */
	char err[256] = "";
	int rc;

	use_synthetic(SYN2);
	rc = pin_plan_new(&p, bad[_i].policy, bad[_i].workers, err, sizeof err);
	ck_assert_msg(rc == -EINVAL, "'%s': rc %d", bad[_i].policy, rc);
	ck_assert_ptr_null(p);
	ck_assert_msg(strstr(err, bad[_i].says) != NULL, "'%s': message '%s' lacks '%s'",
		      bad[_i].policy, err, bad[_i].says);
	pin_topology_free();
}
END_TEST

static const struct {
	const char *text;
	const char *expect;   /* items joined by " | ", or NULL: -EINVAL */
} splits[] = {
	{ "none", "none" },
	{ "none,compact,scatter", "none | compact | scatter" },
	{ "pu:0,2,4-7", "pu:0,2,4-7" },
	{ "none,pu:0,2,4-7,core:1,3,spread", "none | pu:0,2,4-7 | core:1,3 | spread" },
	{ "pu:a,compact", "pu:a | compact" },   /* split only: pin_plan_new rejects pu:a */
	{ "compact,2", NULL },
	{ "3,compact", NULL },
	{ "none,,compact", NULL },
	{ "none,", NULL },
	{ "", NULL },
};

START_TEST(pin_option_splits_into_policies)
{
	char **items = NULL, err[256] = "", joined[256] = "";
	size_t n = 0;
	int rc = pin_policies_split(splits[_i].text, &items, &n, err, sizeof err);

	if (!splits[_i].expect) {
		ck_assert_msg(rc == -EINVAL, "'%s': rc %d", splits[_i].text, rc);
		ck_assert_msg(strstr(err, "--pin") != NULL, "message: %s", err);
		ck_assert_ptr_null(items);
		return;
	}
	ck_assert_msg(rc == 0, "'%s': %s", splits[_i].text, err);
	for (size_t i = 0; i < n; i++)
		snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s%s", i ? " | " : "",
			 items[i]);
	ck_assert_str_eq(joined, splits[_i].expect);
	pin_policies_free(items, n);
}
END_TEST

START_TEST(none_plan_binds_nothing)
{
	struct pin_plan *p;
	struct worker_stats ws = { .pinned = 7 };
	char err[256], text[16] = "x";
	json_t *j;

	/* none needs no topology at all */
	ck_assert_int_eq(pin_plan_new(&p, "none", 3, err, sizeof err), 0);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_null(pin_topology());
	ck_assert(pin_plan_is_none(p));
	ck_assert(!pin_plan_wraps(p));
	ck_assert_ptr_null(pin_plan_cpuset(p, 0));
	pin_plan_cpuset_text(p, 1, text, sizeof text);
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(pin_bind_thread(p, 0, &ws), 0);
	ck_assert_int_eq(ws.pinned, -1);
	ck_assert_int_eq(pin_bind_process(NULL, 0, &ws), 0);
	ck_assert_int_eq(ws.pinned, -1);
	j = pin_json_plan(p);
	ck_assert_str_eq(json_string_value(json_object_get(j, "policy")), "none");
	ck_assert_uint_eq(json_array_size(json_object_get(j, "cpusets")), 0);
	json_decref(j);
	pin_plan_free(p);
}
END_TEST

START_TEST(topology_json_of_a_synthetic_machine)
{
	json_t *j;
	struct pin_plan *p;
	char err[256];
	hwloc_topology_t first;

	use_synthetic(SYN16);
	first = pin_topology();
	ck_assert_int_eq(pin_topology_load(err, sizeof err), 0);   /* idempotent */
	ck_assert_ptr_eq(pin_topology(), first);
	j = pin_json_topology();
	ck_assert_int_eq(json_integer_value(json_object_get(j, "packages")), 2);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "cores")), 8);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "pus")), 16);
	ck_assert_int_eq(json_integer_value(json_object_get(j, "allowed_pu_count")), 16);
	ck_assert_str_eq(json_string_value(json_object_get(j, "allowed_pus")), "0-15");
	ck_assert(json_is_false(json_object_get(j, "this_system")));
	ck_assert(json_is_array(json_object_get(j, "caches")));
	json_decref(j);

	ck_assert_int_eq(pin_plan_new(&p, "scatter", 3, err, sizeof err), 0);
	j = pin_json_plan(p);
	ck_assert_str_eq(json_string_value(json_object_get(j, "policy")), "scatter");
	ck_assert_int_eq(json_integer_value(json_object_get(j, "workers")), 3);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(j, "cpusets"), 1)), "4");
	json_decref(j);
	pin_plan_free(p);
	pin_topology_free();
	ck_assert_ptr_null(pin_topology());
}
END_TEST

/* ---- Binding failures, strictness, the ran_on record -------------------- */

/* Runs fn with stderr going to a temporary file; returns what it printed. */
static char *capture_stderr(void (*fn)(void))
{
	FILE *tmp = tmpfile();
	int saved = dup(2);
	char *out = xcalloc(1, 4096);
	size_t n;

	ck_assert(tmp && saved >= 0);
	fflush(stderr);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, 4095, tmp);
	out[n] = '\0';
	fclose(tmp);
	return out;
}

static struct pin_plan *fail_plan;

/* Binds twice in this process and once in a forked child. */
static void bind_three_times(void)
{
	struct worker_stats ws;
	pid_t pid;
	int st;

	memset(&ws, 0, sizeof ws);
	ck_assert_int_eq(pin_bind_thread(fail_plan, 0, &ws), -ENOSYS);
	ck_assert_int_eq(ws.pinned, 0);
	ck_assert_str_eq(ws.bound, "");
	ck_assert_int_eq(pin_bind_thread(fail_plan, 1, &ws), -ENOSYS);
	fflush(stderr);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		int rc = pin_bind_process(fail_plan, 2, &ws);
		_exit(rc == -ENOSYS && ws.pinned == 0 ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

START_TEST(failed_binding_is_recorded_with_its_errno)
{
	char err[256], *out;

	/* A synthetic machine is not this one: binding to it must fail, not
	 * pretend, and say why in the stats, not on stderr (the runtime
	 * prints nothing; the driver decides: warning or --pin-strict). */
	use_synthetic(SYN16);
	ck_assert_int_eq(pin_plan_new(&fail_plan, "compact", 4, err, sizeof err), 0);
	out = capture_stderr(bind_three_times);
	ck_assert_msg(out[0] == '\0', "the runtime printed: %s", out);
	free(out);
	{
		struct worker_stats ws;

		memset(&ws, 0, sizeof ws);
		ws.bind_errno = 12345;
		ck_assert_int_eq(pin_bind_thread(fail_plan, 1, &ws), -ENOSYS);
		ck_assert_int_eq(ws.pinned, 0);
		ck_assert_int_eq(ws.bind_errno, ENOSYS);
		ck_assert_str_eq(ws.bound, "");
		ck_assert_int_eq(pin_bind_thread(NULL, 1, &ws), 0);
		ck_assert_int_eq(ws.pinned, -1);
		ck_assert_int_eq(ws.bind_errno, 0);
	}
	pin_plan_free(fail_plan);
	pin_topology_free();
	tvp_assert_no_children();
}
END_TEST

START_TEST(ran_outside_compares_sets)
{
	struct worker_stats ws;

	memset(&ws, 0, sizeof ws);
	ws.pinned = 1;
	strcpy(ws.bound, "1");
	strcpy(ws.ran_on, "0-1");
	ck_assert(pin_ran_outside(&ws));
	strcpy(ws.bound, "0-3");
	strcpy(ws.ran_on, "1,3");
	ck_assert(!pin_ran_outside(&ws));
	strcpy(ws.ran_on, "");
	ck_assert(!pin_ran_outside(&ws));       /* never sampled */
	strcpy(ws.ran_on, "7");
	ws.pinned = 0;                          /* binding failed: nothing promised */
	ck_assert(!pin_ran_outside(&ws));
	ws.pinned = -1;
	ck_assert(!pin_ran_outside(&ws));
}
END_TEST

START_TEST(note_cpu_accumulates)
{
	struct worker_stats ws;
	hwloc_bitmap_t seen = hwloc_bitmap_alloc();
	int cpu;

	/* no topology loaded: falls back on sched_getcpu */
	memset(&ws, 0, sizeof ws);
	strcpy(ws.ran_on, "100-101");
	pin_note_cpu(&ws);
	cpu = sched_getcpu();
	ck_assert_int_eq(hwloc_bitmap_list_sscanf(seen, ws.ran_on), 0);
	ck_assert(hwloc_bitmap_isset(seen, 100) && hwloc_bitmap_isset(seen, 101));
	ck_assert_msg(hwloc_bitmap_weight(seen) >= 3 || cpu == 100 || cpu == 101,
		      "the current CPU was added: '%s'", ws.ran_on);

	memset(&ws, 0, sizeof ws);
	for (int i = 0; i < 1000; i++)
		pin_note_cpu(&ws);
	ck_assert_int_eq(hwloc_bitmap_list_sscanf(seen, ws.ran_on), 0);
	ck_assert_msg(hwloc_bitmap_weight(seen) >= 1, "ran_on '%s'", ws.ran_on);
	hwloc_bitmap_free(seen);
}
END_TEST

/* ---- Binding on the real machine ---------------------------------------- */

struct bound_thread {
	const struct pin_plan *plan;
	unsigned worker;
	int rc;
	int cpu;                 /* sched_getcpu after the busy loop */
	struct worker_stats ws;
};

/* Keeps the CPU busy for about ms milliseconds, noting where it runs. */
static void busy(struct worker_stats *ws, unsigned ms)
{
	uint64_t end = now_ns() + ms * 1000000ull;
	volatile uint64_t x = 0;

	while (now_ns() < end) {
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i;
		pin_note_cpu(ws);
	}
}

static void *bound_thread_main(void *arg)
{
	struct bound_thread *t = arg;

	t->rc = pin_bind_thread(t->plan, t->worker, &t->ws);
	busy(&t->ws, 30);
	t->cpu = sched_getcpu();
	return NULL;
}

static void check_ran_where_planned(const struct pin_plan *p, const struct bound_thread *t)
{
	char want[96];

	pin_plan_cpuset_text(p, t->worker, want, sizeof want);
	ck_assert_msg(t->rc == 0, "worker %u: bind failed: %d", t->worker, t->rc);
	ck_assert_int_eq(t->ws.pinned, 1);
	ck_assert_str_eq(t->ws.bound, want);
	ck_assert_msg(hwloc_bitmap_isset(pin_plan_cpuset(p, t->worker), (unsigned)t->cpu),
		      "worker %u bound to %s ran on CPU %d", t->worker, want, t->cpu);
	ck_assert_msg(strcmp(t->ws.ran_on, want) == 0, "worker %u bound to %s was seen on %s",
		      t->worker, want, t->ws.ran_on);
	ck_assert(!pin_ran_outside(&t->ws));
}

START_TEST(thread_bound_to_pu1_runs_on_pu1)
{
	struct pin_plan *p;
	struct bound_thread t = { 0 };
	cpu_set_t before, after;
	pthread_t th;
	char err[256];

	if (!use_real_machine("thread_bound_to_pu1_runs_on_pu1"))
		return;
	ck_assert_int_eq(pin_plan_new(&p, "pu:1", 1, err, sizeof err), 0);
	ck_assert_int_eq(sched_getaffinity(0, sizeof before, &before), 0);
	t.plan = p;
	ck_assert_int_eq(pthread_create(&th, NULL, bound_thread_main, &t), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	check_ran_where_planned(p, &t);
	/* HWLOC_CPUBIND_THREAD: the main thread kept its own mask. */
	ck_assert_int_eq(sched_getaffinity(0, sizeof after, &after), 0);
	ck_assert(CPU_EQUAL(&before, &after));
	pin_plan_free(p);
	pin_topology_free();
}
END_TEST

START_TEST(more_threads_than_pus_each_stay_put)
{
	struct pin_plan *p;
	struct bound_thread *t;
	pthread_t *th;
	unsigned n;
	char err[256];

	if (!use_real_machine("more_threads_than_pus_each_stay_put"))
		return;
	n = 2 * (unsigned)hwloc_get_nbobjs_by_type(pin_topology(), HWLOC_OBJ_PU);
	ck_assert_int_eq(pin_plan_new(&p, "compact", n, err, sizeof err), 0);
	ck_assert(pin_plan_wraps(p));
	t = xcalloc(n, sizeof *t);
	th = xcalloc(n, sizeof *th);
	for (unsigned i = 0; i < n; i++) {
		t[i].plan = p;
		t[i].worker = i;
		ck_assert_int_eq(pthread_create(&th[i], NULL, bound_thread_main, &t[i]), 0);
	}
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(pthread_join(th[i], NULL), 0);
	for (unsigned i = 0; i < n; i++)
		check_ran_where_planned(p, &t[i]);
	free(th);
	free(t);
	pin_plan_free(p);
	pin_topology_free();
}
END_TEST

/* Cpus_allowed_list of a process, from /proc/<pid>/status. */
static void cpus_allowed(pid_t pid, char *buf, size_t len)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "open %s", path);
	buf[0] = '\0';
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
			char *v = line + 18;
			v += strspn(v, " \t");
			v[strcspn(v, "\n")] = '\0';
			snprintf(buf, len, "%s", v);
		}
	fclose(f);
	ck_assert_msg(buf[0], "no Cpus_allowed_list in %s", path);
}

START_TEST(forked_worker_bound_to_pu1_and_parent_left_free)
{
	struct pin_plan *p;
	struct bound_thread t = { 0 };
	char err[256], want[96], parent_before[256], parent_after[256], child[256];
	int up[2], down[2], st;
	pid_t pid;

	if (!use_real_machine("forked_worker_bound_to_pu1_and_parent_left_free"))
		return;
	ck_assert_int_eq(pin_plan_new(&p, "pu:1", 1, err, sizeof err), 0);
	pin_plan_cpuset_text(p, 0, want, sizeof want);
	cpus_allowed(getpid(), parent_before, sizeof parent_before);
	ck_assert(pipe(up) == 0 && pipe(down) == 0);
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		char c;

		close(up[0]);
		close(down[1]);
		t.rc = pin_bind_process(p, 0, &t.ws);
		busy(&t.ws, 30);
		t.cpu = sched_getcpu();
		if (write_full(up[1], &t, sizeof t) < 0)
			_exit(1);
		/* stay alive, bound, until the parent has read /proc */
		(void)read_full(down[0], &c, 1);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	ck_assert_int_eq(read_full(up[0], &t, sizeof t), 0);
	cpus_allowed(pid, child, sizeof child);
	close(down[1]);
	close(up[0]);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);

	t.plan = p;
	check_ran_where_planned(p, &t);
	ck_assert_msg(strcmp(child, want) == 0, "child's Cpus_allowed_list %s, planned %s", child, want);
	cpus_allowed(getpid(), parent_after, sizeof parent_after);
	ck_assert_msg(strcmp(parent_before, parent_after) == 0, "parent's mask went from %s to %s",
		      parent_before, parent_after);
	pin_plan_free(p);
	pin_topology_free();
	tvp_assert_no_children();
}
END_TEST

/* Restricts this process to CPU 1, as `taskset -c 1` does (taskset is
 * sched_setaffinity followed by exec); skips the test when CPU 1 is not
 * ours to use. */
static bool restrict_to_cpu1(const char *test)
{
	cpu_set_t set;

	ck_assert_int_eq(sched_getaffinity(0, sizeof set, &set), 0);
	if (!CPU_ISSET(1, &set) || CPU_COUNT(&set) < 2) {
		tvp_skip("%s: CPU 1 is not usable here, or is the only CPU", test);
	}
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	ck_assert_int_eq(sched_setaffinity(0, sizeof set, &set), 0);
	return true;
}

START_TEST(taskset_restricts_every_plan)
{
	static const char *const policies[] = { "compact", "scatter", "pu:0", "core:0" };
	char err[256] = "";
	struct pin_plan *p;

	unsetenv("HWLOC_SYNTHETIC");
	unsetenv("HWLOC_XMLFILE");
	if (!restrict_to_cpu1("taskset_restricts_every_plan"))
		return;
	ck_assert_int_eq(pin_topology_load(err, sizeof err), 0);
	ck_assert_int_eq(hwloc_get_nbobjs_by_type(pin_topology(), HWLOC_OBJ_PU), 1);
	for (size_t i = 0; i < ARRAY_SIZE(policies); i++)
		for (unsigned w = 1; w <= 3; w++) {
			char *got, *want = xcalloc(1, 8);

			ck_assert_msg(pin_plan_new(&p, policies[i], w, err, sizeof err) == 0, "%s: %s",
				      policies[i], err);
			for (unsigned k = 0; k < w; k++)
				strcat(want, k ? " 1" : "1");
			got = plan_text(p);
			ck_assert_msg(strcmp(got, want) == 0, "%s x%u: %s", policies[i], w, got);
			ck_assert(pin_plan_wraps(p) == (w > 1));
			free(got);
			free(want);
			pin_plan_free(p);
		}
	/* pu:1 is the second usable PU, and there is none now */
	ck_assert_int_eq(pin_plan_new(&p, "pu:1", 1, err, sizeof err), -EINVAL);
	ck_assert_msg(strstr(err, "may use pu:0 ") != NULL, "%s", err);
	pin_topology_free();
}
END_TEST

/* ---- tvp topo ----------------------------------------------------------- */

static json_t *parse_json_or_fail(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	ck_assert_msg(j != NULL, "not JSON (line %d: %s): %s", e.line, e.text, text);
	return j;
}

START_TEST(cli_topo_under_taskset)
{
	const char *bin = getenv("TVP_BIN");
	char outp[] = "/tmp/tvp-test-topo-XXXXXX", *text;
	int fd = mkstemp(outp), st;
	json_t *j, *plan;
	pid_t pid;
	FILE *f;
	size_t n;

	ck_assert_msg(bin && *bin, "TVP_BIN is not set (run the tests through make test)");
	ck_assert(fd >= 0);
	unlink(outp);
	unsetenv("HWLOC_SYNTHETIC");
	pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(1, &set);
		if (sched_setaffinity(0, sizeof set, &set) != 0)
			_exit(TVP_SKIP_EXIT);
		dup2(fd, 1);
		execl(bin, bin, "topo", "--workers", "2", "--pin", "scatter", "--json", (char *)NULL);
		_exit(127);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st));
	if (WEXITSTATUS(st) == TVP_SKIP_EXIT) {
		close(fd);
		tvp_skip("CPU 1 is not usable here");
	}
	ck_assert_int_eq(WEXITSTATUS(st), 0);
	f = fdopen(fd, "r");
	rewind(f);
	text = xcalloc(1, 65536);
	n = fread(text, 1, 65535, f);
	text[n] = '\0';
	fclose(f);
	j = parse_json_or_fail(text);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "topology"), "allowed_pus")), "1");
	plan = json_object_get(j, "plan");
	ck_assert_uint_eq(json_array_size(json_object_get(plan, "cpusets")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(plan, "cpusets"), 0)), "1");
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(plan, "cpusets"), 1)), "1");
	ck_assert(json_is_true(json_object_get(plan, "wraps")));
	json_decref(j);
	free(text);
	tvp_assert_no_children();
}
END_TEST

START_TEST(cli_topo_shows_the_machine)
{
	struct tvp_cmd c;
	json_t *j, *t;

	unsetenv("HWLOC_SYNTHETIC");
	tvp_run_cli(&c, 30, "topo", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	ck_assert_msg(strstr(c.out, "PU L#0") && strstr(c.out, "this process may use"), "%s", c.out);
	tvp_cmd_free(&c);

	tvp_run_cli(&c, 30, "topo", "--json", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	j = parse_json_or_fail(c.out);
	t = json_object_get(j, "topology");
	ck_assert(json_integer_value(json_object_get(t, "pus")) >= 1);
	ck_assert(json_integer_value(json_object_get(t, "allowed_pu_count")) >= 1);
	ck_assert(json_integer_value(json_object_get(t, "allowed_pu_count")) <=
		  json_integer_value(json_object_get(t, "pus")));
	ck_assert(json_is_string(json_object_get(t, "allowed_pus")));
	ck_assert_ptr_null(json_object_get(j, "plan"));
	json_decref(j);
	tvp_cmd_free(&c);

	tvp_run_cli(&c, 30, "topo", "--workers", "3", "--pin", "compact", "--json", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	j = parse_json_or_fail(c.out);
	ck_assert_uint_eq(json_array_size(json_object_get(json_object_get(j, "plan"), "placement")), 3);
	json_decref(j);
	tvp_cmd_free(&c);

	tvp_run_cli(&c, 30, "topo", "--help", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert(strstr(c.out, "pu:LIST") && strstr(c.out, "logical"));
	tvp_cmd_free(&c);
}
END_TEST

START_TEST(cli_topo_plans_a_synthetic_machine)
{
	struct tvp_cmd c;
	json_t *j, *sets;

	ck_assert_int_eq(setenv("HWLOC_SYNTHETIC", SYN16, 1), 0);   /* inherited by tvp */
	tvp_run_cli(&c, 30, "topo", "--workers", "4", "--pin", "scatter", "--json", NULL);
	ck_assert_msg(c.status == 0, "exit %d: %s", c.status, c.err);
	j = parse_json_or_fail(c.out);
	ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "topology"), "pus")), 16);
	sets = json_object_get(json_object_get(j, "plan"), "cpusets");
	ck_assert_uint_eq(json_array_size(sets), 4);
	ck_assert_str_eq(json_string_value(json_array_get(sets, 0)), "0");
	ck_assert_str_eq(json_string_value(json_array_get(sets, 1)), "4");
	ck_assert_str_eq(json_string_value(json_array_get(sets, 2)), "8");
	ck_assert_str_eq(json_string_value(json_array_get(sets, 3)), "12");
	json_decref(j);
	tvp_cmd_free(&c);

	tvp_run_cli(&c, 30, "topo", "--workers", "3", "--pin", "compact", NULL);
	ck_assert_int_eq(c.status, 0);
	ck_assert_msg(strstr(c.out, "not this machine") && strstr(c.out, "plan: --pin compact, 3 workers"),
		      "%s", c.out);
	tvp_cmd_free(&c);

	ck_assert_int_eq(setenv("HWLOC_SYNTHETIC", SYN2, 1), 0);
	tvp_run_cli(&c, 30, "topo", "--workers", "2", "--pin", "pu:99", NULL);
	ck_assert_int_eq(c.status, 2);
	ck_assert_msg(strstr(c.err, "pu:99 does not exist: this process may use pu:0-1"), "%s", c.err);
	tvp_cmd_free(&c);
}
END_TEST

static const char *const bad_cli[][5] = {
	{ "--pin", "bogus" },
	{ "--pin", "pu:99999" },
	{ "--pin", "core:1-0" },
	{ "--pin", "pu:a" },
	{ "--pin" },
	{ "--workers", "0", "--pin", "compact" },
	{ "--workers", "x", "--pin", "compact" },
	{ "--workers", "2" },
	{ "--frob" },
};

START_TEST(cli_topo_bad_options_exit_2)
{
	struct tvp_cmd c;
	const char *const *a = bad_cli[_i];

	tvp_run_cli(&c, 30, "topo", a[0], a[1], a[2], a[3], NULL);
	tvp_assert_one_line_error(&c, 2, "tvp: ", NULL);
	ck_assert_str_eq(c.out, "");
	tvp_cmd_free(&c);
}
END_TEST

static Suite *pin_suite(void)
{
	Suite *s = suite_create("pin");
	TCase *tc;

	tc = tvp_tcase(s, "plans", 30);
	tcase_add_loop_test(tc, synthetic_plans, 0, ARRAY_SIZE(plans));
	tcase_add_test(tc, policy_names_are_canonical);
	tcase_add_loop_test(tc, bad_policies_fail_with_a_message, 0, ARRAY_SIZE(bad));
	tcase_add_loop_test(tc, pin_option_splits_into_policies, 0, ARRAY_SIZE(splits));
	tcase_add_test(tc, none_plan_binds_nothing);
	tcase_add_test(tc, topology_json_of_a_synthetic_machine);

	tc = tvp_tcase(s, "binding", 30);
	tcase_add_test(tc, failed_binding_is_recorded_with_its_errno);
	tcase_add_test(tc, ran_outside_compares_sets);
	tcase_add_test(tc, note_cpu_accumulates);
	tcase_add_test(tc, thread_bound_to_pu1_runs_on_pu1);
	tcase_add_test(tc, more_threads_than_pus_each_stay_put);
	tcase_add_test(tc, forked_worker_bound_to_pu1_and_parent_left_free);
	tcase_add_test(tc, taskset_restricts_every_plan);

	tc = tvp_tcase(s, "topo", 60);
	tcase_add_test(tc, cli_topo_under_taskset);
	tcase_add_test(tc, cli_topo_shows_the_machine);
	tcase_add_test(tc, cli_topo_plans_a_synthetic_machine);
	tcase_add_loop_test(tc, cli_topo_bad_options_exit_2, 0, ARRAY_SIZE(bad_cli));
	return s;
}

TVP_TEST_MAIN(pin_suite)
