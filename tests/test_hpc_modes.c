/* test_hpc_modes.c: what the omp and mpi modes promise beyond giving the
 * serial mode's results (test_thread_modes and test_fork_modes check those,
 * and each workload's cli_every_mode runs them from the registry): omp
 * leaves no thread behind, so a fork pool works after it, and leaves the
 * calling thread's CPUs as it found them; mpi fails with a
 * clear message when mpirun is missing, names a rank killed mid-batch,
 * works over TCP, and leaves no mpirun or rank behind. Skipped where the
 * mode was not built or mpirun is absent. */
#include <dirent.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/modes/mode.h"
#include "bench/util.h"
#include "par/pin.h"
#include "par/proc.h"
#include "testutil.h"
#include "workloads/workload.h"

static const struct mode *need_mode(const char *name)
{
	const struct mode *md = mode_find(name);

	if (!md)
		tvp_skip("the %s mode was not built here", name);
	if (strcmp(name, "mpi") == 0 && system("command -v mpirun >/dev/null 2>&1") != 0)
		tvp_skip("mpirun is not installed");
	if (strcmp(name, "mpi") == 0) {
		char tag[32];

		snprintf(tag, sizeof tag, "%d", (int)getpid());
		setenv("TVP_HPC_TEST", tag, 1);
	}
	return md;
}

static void prepare(struct mode_run *m, struct workload_inst *wi, unsigned workers, uint64_t tasks)
{
	memset(m, 0, sizeof *m);
	m->wi = wi;
	m->workers = workers;
	m->channel = CHANNEL_SHM;
	mode_run_alloc_arrays(m, tasks);
}

/* Setup, execute, teardown; returns execute's status (setup must work). */
static int run(const struct mode *md, struct mode_run *m)
{
	int rc;

	ck_assert_msg(md->setup(m) == 0, "%s setup: %s", md->name, m->err);
	rc = md->execute(m);
	md->teardown(m);
	return rc;
}

/* True when process pid has TAG in its environment: mpirun passes the
 * test's environment on to its ranks, so the tag tells this test's ranks
 * from those of another program running mpi at the same time. */
static bool tagged(const char *pid)
{
	static char env[1 << 18];   /* Open MPI adds a long environment */
	char path[300], want[64];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%s/environ", pid);
	snprintf(want, sizeof want, "TVP_HPC_TEST=%s", getenv("TVP_HPC_TEST"));
	if (!(f = fopen(path, "r")))
		return false;
	n = fread(env, 1, sizeof env - 1, f);
	fclose(f);
	env[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(env + i) + 1) {
		if (strcmp(env + i, want) == 0)
			return true;
	}
	return false;
}

/* This test's processes whose command name is comm: how many, and the
 * last one's pid in *pid (0 when none). */
static int find_named(const char *comm, pid_t *pid)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	*pid = 0;
	while (d && (e = readdir(d))) {
		char path[300], name[64] = "";
		FILE *f;

		snprintf(path, sizeof path, "/proc/%s/comm", e->d_name);
		if (!(f = fopen(path, "r")))
			continue;
		if (fgets(name, sizeof name, f) && strncmp(name, comm, strlen(comm)) == 0 &&
		    tagged(e->d_name)) {
			*pid = atoi(e->d_name);
			n++;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}

static int count_named(const char *comm)
{
	pid_t pid;

	return find_named(comm, &pid);
}

static void check_counted(const struct mode_run *m, uint64_t size)
{
	for (uint64_t i = 0; i < m->tasks; i++) {
		char err[256];

		ck_assert_msg(m->status[i] == 0, "task %llu failed", (unsigned long long)i);
		ck_assert_msg(workload_verify_u64(&m->results[i], i, size, "counted to", err, sizeof err),
			      "%s", err);
	}
}

START_TEST(omp_leaves_no_thread)
{
	const struct mode *omp = need_mode("omp"), *fork = mode_find("fork-pool");
	struct workload_inst wi = { .wl = workload_find("count"), .size = 1000 };
	struct mode_run m;

	prepare(&m, &wi, 3, 50);
	ck_assert_int_eq(run(omp, &m), 0);
	check_counted(&m, 1000);
	mode_run_free_arrays(&m);
	ck_assert_int_eq(proc_count_threads(), 1);
	/* A fork pool refuses to start while other threads exist. */
	prepare(&m, &wi, 2, 50);
	ck_assert_int_eq(run(fork, &m), 0);
	check_counted(&m, 1000);
	mode_run_free_arrays(&m);
	tvp_assert_no_children();
}
END_TEST

/* The calling thread is the omp team's thread 0, so a pin plan binds it;
 * teardown must give it its CPUs back, or every thread and process made
 * after an omp@scatter cell inherits one PU (an unpinned thread pool then
 * ran at 1.00x on two cores). */
START_TEST(omp_gives_the_caller_its_cpus_back)
{
	const struct mode *omp = need_mode("omp");
	struct workload_inst wi = { .wl = workload_find("count"), .size = 1000 };
	struct pin_plan *plan;
	struct mode_run m;
	cpu_set_t before, after;
	char err[256];

	ck_assert_int_eq(sched_getaffinity(0, sizeof before, &before), 0);
	if (CPU_COUNT(&before) < 2)
		tvp_skip("one usable PU: a binding to it changes nothing");
	ck_assert_msg(pin_plan_new(&plan, "scatter", 2, err, sizeof err) == 0, "%s", err);
	prepare(&m, &wi, 2, 50);
	m.pin = plan;
	ck_assert_int_eq(run(omp, &m), 0);
	check_counted(&m, 1000);
	mode_run_free_arrays(&m);
	ck_assert_int_eq(sched_getaffinity(0, sizeof after, &after), 0);
	ck_assert_msg(CPU_EQUAL(&before, &after), "the caller kept the team's binding: %d CPUs of %d",
		      CPU_COUNT(&after), CPU_COUNT(&before));
	pin_plan_free(plan);
}
END_TEST

START_TEST(mpi_without_mpirun)
{
	const struct mode *md = need_mode("mpi");
	struct workload_inst wi = { .wl = workload_find("count"), .size = 1000 };
	char *path = xstrdup(getenv("PATH"));
	struct mode_run m;

	prepare(&m, &wi, 2, 4);
	setenv("PATH", "/nonexistent", 1);
	ck_assert_int_eq(md->setup(&m), -ENOENT);
	setenv("PATH", path, 1);
	ck_assert_msg(strstr(m.err, "mpirun not found"), "%s", m.err);
	mode_run_free_arrays(&m);
	free(path);
	tvp_assert_no_children();
}
END_TEST

START_TEST(mpi_over_tcp)
{
	const struct mode *md = need_mode("mpi");
	struct workload_inst wi = { .wl = workload_find("count"), .size = 1000 };
	struct mode_run m;

	prepare(&m, &wi, 3, 40);
	m.mpi_transport = MODE_MPI_TCP;
	ck_assert_msg(run(md, &m) == 0, "%s", m.err);
	check_counted(&m, 1000);
	mode_run_free_arrays(&m);
	tvp_assert_no_children();
	ck_assert_int_eq(count_named("tvp-mpi-worker"), 0);
}
END_TEST

/* A child that kills a tvp-mpi-worker after delay_ms. */
static pid_t start_killer(unsigned delay_ms)
{
	pid_t pid = fork(), rank;

	if (pid != 0)
		return pid;
	sleep_ns(delay_ms * 1000000ull);
	_exit(find_named("tvp-mpi-worker", &rank) > 0 && kill(rank, SIGKILL) == 0 ? 0 : 1);
}

START_TEST(mpi_killed_rank)
{
	const struct mode *md = need_mode("mpi");
	/* 200 tasks of 20 ms: 2 s of work, far past the kill at 300 ms. */
	struct workload_inst wi = { .wl = workload_find("sleep"), .size = 20000000 };
	struct mode_run m;
	uint64_t t0;
	pid_t killer;
	int rc, st;

	prepare(&m, &wi, 2, 200);
	ck_assert_msg(md->setup(&m) == 0, "setup: %s", m.err);
	killer = start_killer(300);
	t0 = now_ns();
	rc = md->execute(&m);
	ck_assert_msg(rc == -ECHILD, "rc %d after %.2f s: %s", rc, (now_ns() - t0) / 1e9, m.err);
	ck_assert_msg(strstr(m.err, "rank"), "the error names no rank: %s", m.err);
	ck_assert_msg(now_ns() - t0 < 1800000000ull, "the dead rank was seen only after the batch");
	md->teardown(&m);
	ck_assert_int_eq(waitpid(killer, &st, 0), killer);
	ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the killer found no rank");
	mode_run_free_arrays(&m);
	tvp_assert_no_children();
	ck_assert_int_eq(count_named("tvp-mpi-worker"), 0);
}
END_TEST

static Suite *hpc_modes_suite(void)
{
	Suite *s = suite_create("hpc-modes");
	TCase *tc = tvp_tcase(s, "omp-mpi", 60);

	tcase_add_test(tc, omp_leaves_no_thread);
	tcase_add_test(tc, omp_gives_the_caller_its_cpus_back);
	tcase_add_test(tc, mpi_without_mpirun);
	tcase_add_test(tc, mpi_over_tcp);
	tcase_add_test(tc, mpi_killed_rank);
	return s;
}

TVP_TEST_MAIN(hpc_modes_suite)
