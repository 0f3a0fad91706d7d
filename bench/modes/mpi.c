/* mpi.c: the `mpi` mode: WORKERS MPI ranks, started by Open MPI's mpirun,
 * run the tasks and send the results back through MPI.
 *
 * Lesson: MPI is how HPC codes use processes, on one machine or on many:
 * each rank is a process with its own memory, and data moves only as
 * messages (here over shared memory, `--mpi-transport sm`, or TCP, `tcp`,
 * which shows what the network stack adds even on one machine). The ranks
 * split the batch statically, as an MPI loop does, and gather the results.
 *
 * DESIGN
 * tvp never calls MPI_Init: the ranks are a separate program,
 * build/tvp-mpi-worker (mpi/worker.c, built only where Open MPI is
 * installed). setup (not timed) makes a Unix socket in a private temporary
 * folder, forks `mpirun` in a process group of its own (stdin from
 * /dev/null, its output into a log in that folder) and waits, at most
 * START_NS, for rank 0 to connect and send every rank's pid and binding.
 * A socket to rank 0 is the simplest robust bridge: it needs no ompi-server
 * (MPI_Comm_connect would), mpirun does not pass other inherited
 * descriptors to ranks, and its stdin/stdout forwarding goes through
 * mpirun's event loop. Hence rank 0 runs on this machine: with
 * --mpi-hosts, this host must be the hostfile's first (as usual for mpirun).
 * execute (timed) writes the task count and reads each rank's results
 * (mpi_wire.h); waits are cut into POLL_NS slices, in which a Ctrl-C
 * (-EINTR), an mpirun that ended, or a rank pid that is gone (named in the
 * error) ends the wait. teardown sends 0 (the ranks finalize and mpirun
 * exits), and kills what is left after QUIT_NS: SIGTERM, then SIGKILL, to
 * mpirun's process group and to every rank pid; nothing is left behind.
 *
 * As root, Open MPI refuses to start unless OMPI_ALLOW_RUN_AS_ROOT=1 and
 * OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 are set: tvp sets them in mpirun's
 * environment only (never its own), and only when running as root.
 * Options: --bind-to none (placement is tvp's --pin, applied by each rank),
 * --oversubscribe (more workers than cores is a case tvp measures),
 * pml ob1 with btl self,vader (sm) or self,tcp (tcp, over loopback when no
 * hostfile is given). TVP_MPI_WORKER overrides where the rank program is.
 */
#include "bench/modes/mode.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/modes/mpi_wire.h"
#include "bench/util.h"
#include "par/pin.h"

#define START_NS 30000000000ull   /* mpirun to rank 0's hello: ssh to a dead host gives up sooner */
#define QUIT_NS 5000000000ull     /* MPI_Finalize and mpirun's exit */
#define KILL_GRACE_NS 500000000ull
#define POLL_MS 50
#define MAX_ARGS 48

struct mpi_state {
	pid_t mpirun;               /* 0: reaped */
	int status;                 /* mpirun's wait status once reaped */
	int lfd, fd;
	char dir[32], sock[64], log[64];
	unsigned ranks;
	struct worker_stats *hello; /* per rank: pid, binding */
};

static bool mpirun_alive(struct mpi_state *st)
{
	if (st->mpirun > 0 && waitpid(st->mpirun, &st->status, WNOHANG) == st->mpirun)
		st->mpirun = 0;
	return st->mpirun > 0;
}

/* True when pid no longer runs (gone, or a zombie mpirun has not reaped). */
static bool pid_gone(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	p = fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' && (p[2] == 'Z' || p[2] == 'X');
}

/* The last non-empty line of mpirun's log (its complaint), into buf. */
static const char *log_tail(const struct mpi_state *st, char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen(st->log, "r");

	snprintf(buf, len, "no output");
	if (!f)
		return buf;
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[strspn(line, " -\t")])
			snprintf(buf, len, "%s", line + strspn(line, " \t"));
	}
	fclose(f);
	return buf;
}

/* Waits until fd is readable. 0, -EINTR on Ctrl-C, -ETIMEDOUT past
 * deadline_ns (0: none), -ECHILD with m->err set when mpirun or a rank
 * ended. */
static int wait_readable(struct mode_run *m, struct mpi_state *st, int fd, uint64_t deadline_ns)
{
	char tail[300];

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, POLL_MS) > 0)
			return 0;
		if (tvp_interrupted)
			return -EINTR;
		for (unsigned r = 0; st->hello && r < st->ranks; r++)
			if (pid_gone(st->hello[r].pid)) {
				snprintf(m->err, sizeof m->err, "rank %u (pid %d) died during the batch", r,
					 st->hello[r].pid);
				return -ECHILD;
			}
		if (!mpirun_alive(st)) {
			char how[64];

			if (WIFEXITED(st->status))
				snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st->status));
			else
				snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(st->status));
			snprintf(m->err, sizeof m->err, "mpirun %s: %s", how, log_tail(st, tail, sizeof tail));
			return -ECHILD;
		}
		if (deadline_ns && now_ns() > deadline_ns)
			return -ETIMEDOUT;
	}
}

/* Reads len bytes from rank 0, waiting as wait_readable does. */
static int read_rank0(struct mode_run *m, struct mpi_state *st, void *buf, size_t len,
		      uint64_t deadline_ns)
{
	int rc = wait_readable(m, st, st->fd, deadline_ns);

	if (rc == 0 && (rc = read_full(st->fd, buf, len)) != 0)
		rc = wait_readable(m, st, st->fd, now_ns() + 1000000000ull) == -ECHILD ? -ECHILD
			: (snprintf(m->err, sizeof m->err, "rank 0 closed its socket"), -EPIPE);
	return rc;
}

static const char *find_mpirun(char *buf, size_t len)
{
	const char *path = getenv("PATH");
	char *dirs = xstrdup(path ? path : "/usr/bin:/bin"), *save = NULL;

	buf[0] = '\0';
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(buf, len, "%s/mpirun", d);
		if (access(buf, X_OK) == 0)
			break;
		buf[0] = '\0';
	}
	free(dirs);
	return buf[0] ? buf : NULL;
}

/* TVP_MPI_WORKER, else tvp-mpi-worker beside this program or one folder up
 * (the tests run from build/tests/). */
static const char *find_worker(char *buf, size_t len)
{
	const char *env = getenv("TVP_MPI_WORKER");
	char exe[400];
	ssize_t n;

	if (env)
		return access(env, X_OK) == 0 ? snprintf(buf, len, "%s", env), buf : NULL;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(buf, len, "%s/tvp-mpi-worker", exe);
	if (access(buf, X_OK) == 0)
		return buf;
	snprintf(buf, len, "%s/../tvp-mpi-worker", exe);
	return access(buf, X_OK) == 0 ? buf : NULL;
}

static int listen_socket(struct mpi_state *st, char *err, size_t errlen)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	snprintf(st->dir, sizeof st->dir, "/tmp/tvp-mpi-XXXXXX");
	if (!mkdtemp(st->dir)) {
		st->dir[0] = '\0';
		snprintf(err, errlen, "mkdtemp /tmp/tvp-mpi-XXXXXX: %s", strerror(errno));
		return -errno;
	}
	snprintf(st->sock, sizeof st->sock, "%s/sock", st->dir);
	snprintf(st->log, sizeof st->log, "%s/mpirun.log", st->dir);
	snprintf(a.sun_path, sizeof a.sun_path, "%s", st->sock);
	st->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (st->lfd < 0 || bind(st->lfd, (struct sockaddr *)&a, sizeof a) != 0 ||
	    listen(st->lfd, 1) != 0) {
		snprintf(err, errlen, "socket %s: %s", st->sock, strerror(errno));
		return -errno;
	}
	return 0;
}

/* The --pin plan's cpusets, ';'-separated, or "-". */
static char *cpus_arg(const struct mode_run *m)
{
	size_t cap = 16 + (size_t)m->workers * 100;
	char *s = xcalloc(1, cap);

	if (!m->pin || pin_plan_is_none(m->pin))
		return strcpy(s, "-");
	for (unsigned i = 0; i < m->workers; i++) {
		size_t l = strlen(s);

		if (i)
			s[l++] = ';';
		pin_plan_cpuset_text(m->pin, i, s + l, cap - l);
	}
	return s;
}

/* Fills argv for mpirun; returns the strings to free (one block). */
static char *build_argv(const struct mode_run *m, const struct mpi_state *st, const char *mpirun,
			const char *worker, const char **argv)
{
	const struct workload *wl = m->wi->wl;
	char *cpus = cpus_arg(m), *blk = xcalloc(1, 256 + strlen(cpus) + 64 * 20), *p = blk;
	int n = 0;

#define ADD(s) (argv[n++] = (s))
#define FMT(...) (argv[n++] = p, p += sprintf(p, __VA_ARGS__) + 1)
	ADD(mpirun);
	ADD("-np");
	FMT("%u", m->workers ? m->workers : 1);
	ADD("--oversubscribe");
	ADD("--bind-to");
	ADD("none");
	ADD("--mca");
	ADD("pml");
	ADD("ob1");
	ADD("--mca");
	ADD("btl");
	ADD(m->mpi_transport == MODE_MPI_TCP ? "self,tcp" : "self,vader");
	if (m->mpi_hosts) {
		ADD("--hostfile");
		ADD(m->mpi_hosts);
	} else if (m->mpi_transport == MODE_MPI_TCP) {
		ADD("--mca");
		ADD("btl_tcp_if_include");
		ADD("lo");
	}
	ADD(worker);
	ADD(st->sock);
	ADD(wl->name);
	FMT("%llu", (unsigned long long)m->wi->size);
	ADD(m->wi->quick ? "1" : "0");
	FMT("%s", cpus);
	for (size_t k = 0; wl->options && wl->options[k].name && n < MAX_ARGS - 2; k++)
		FMT("%s=%s", wl->options[k].name, workload_opt(m->wi, wl->options[k].name));
	argv[n] = NULL;
#undef ADD
#undef FMT
	free(cpus);
	return blk;
}

static void exec_mpirun(const struct mpi_state *st, const char **argv)
{
	int null = open("/dev/null", O_RDONLY), log = open(st->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	setpgid(0, 0);
	sys_child_after_fork();
	if (null < 0 || log < 0 || dup2(null, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(126);
	if (getuid() == 0) {
		setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
		setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
	}
	execv(argv[0], (char *const *)argv);
	dprintf(2, "exec %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static void stop_job(struct mpi_state *st)
{
	uint64_t deadline = now_ns() + QUIT_NS;
	uint64_t quit = 0;

	if (st->fd >= 0 && mpirun_alive(st) && write_full(st->fd, &quit, sizeof quit) == 0)
		while (mpirun_alive(st) && now_ns() < deadline)
			sleep_ns(2000000);
	for (int sig = SIGTERM; mpirun_alive(st); sig = SIGKILL) {
		kill(-st->mpirun, sig);
		deadline = now_ns() + KILL_GRACE_NS;
		while (mpirun_alive(st) && now_ns() < deadline)
			sleep_ns(2000000);
		if (sig == SIGKILL && mpirun_alive(st)) {
			waitpid(st->mpirun, &st->status, 0);
			st->mpirun = 0;
		}
	}
	/* Ranks mpirun did not take with it (it was killed first). */
	for (unsigned r = 0; st->hello && r < st->ranks; r++)
		if (!pid_gone(st->hello[r].pid))
			kill(st->hello[r].pid, SIGKILL);
}

static void free_state(struct mode_run *m, struct mpi_state *st)
{
	stop_job(st);
	if (st->fd >= 0)
		close(st->fd);
	if (st->lfd >= 0)
		close(st->lfd);
	if (st->dir[0]) {
		unlink(st->sock);
		unlink(st->log);
		rmdir(st->dir);
	}
	free(st->hello);
	free(st);
	m->state = NULL;
}

static int mpi_setup(struct mode_run *m)
{
	struct mpi_state *st = xcalloc(1, sizeof *st);
	char mpirun[300], worker[420], tail[300];
	const char *argv[MAX_ARGS];
	struct mpi_hello h;
	char *blk;
	int rc;

	st->lfd = st->fd = -1;
	m->state = st;
	if (!find_mpirun(mpirun, sizeof mpirun)) {
		snprintf(m->err, sizeof m->err, "mpirun not found on PATH (Open MPI: apt-get install openmpi-bin)");
		rc = -ENOENT;
		goto out_fail;
	}
	if (!find_worker(worker, sizeof worker)) {
		snprintf(m->err, sizeof m->err, "tvp-mpi-worker not found beside tvp (built by make where Open MPI is installed; or set TVP_MPI_WORKER)");
		rc = -ENOENT;
		goto out_fail;
	}
	if ((rc = listen_socket(st, m->err, sizeof m->err)) != 0)
		goto out_fail;
	blk = build_argv(m, st, mpirun, worker, argv);
	st->mpirun = fork();
	if (st->mpirun == 0)
		exec_mpirun(st, argv);
	free(blk);
	if (st->mpirun < 0) {
		rc = -errno;
		st->mpirun = 0;
		snprintf(m->err, sizeof m->err, "fork mpirun: %s", strerror(-rc));
		goto out_fail;
	}
	setpgid(st->mpirun, st->mpirun);   /* both sides: no race with kill(-pgid) */
	rc = wait_readable(m, st, st->lfd, now_ns() + START_NS);
	if (rc == -ETIMEDOUT)
		snprintf(m->err, sizeof m->err, "mpirun: no rank connected within %.0f s: %s",
			 START_NS / 1e9, log_tail(st, tail, sizeof tail));
	if (rc != 0)
		goto out_fail;
	st->fd = accept4(st->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (st->fd < 0) {
		rc = -errno;
		snprintf(m->err, sizeof m->err, "accept: %s", strerror(errno));
		goto out_fail;
	}
	if ((rc = read_rank0(m, st, &h, sizeof h, now_ns() + START_NS)) != 0)
		goto out_fail;
	if (h.magic != MPI_WIRE_MAGIC || h.ranks != (m->workers ? m->workers : 1)) {
		snprintf(m->err, sizeof m->err, "rank 0 sent a bad hello (%u ranks)", h.ranks);
		rc = -EPROTO;
		goto out_fail;
	}
	st->ranks = h.ranks;
	st->hello = xcalloc(h.ranks, sizeof *st->hello);
	if ((rc = read_rank0(m, st, st->hello, h.ranks * sizeof *st->hello, now_ns() + START_NS)) != 0)
		goto out_fail;
	return 0;
out_fail:
	free_state(m, st);
	return rc;
}

/* Unpacks one rank's bytes into m's arrays and its statistics. */
static int unpack(struct mode_run *m, unsigned rank, const unsigned char *b, size_t len)
{
	size_t off = sizeof(struct worker_stats);

	if (len < off)
		goto out_bad;
	memcpy(&m->wstats[rank], b, sizeof m->wstats[rank]);
	while (off < len) {
		struct mpi_record rec;

		if (len - off < sizeof rec)
			goto out_bad;
		memcpy(&rec, b + off, sizeof rec);
		off += sizeof rec;
		if (rec.index >= m->tasks || len - off < rec.len)
			goto out_bad;
		m->status[rec.index] = rec.status;
		task_result_set(&m->results[rec.index], b + off, rec.len);
		off += rec.len;
	}
	return 0;
out_bad:
	snprintf(m->err, sizeof m->err, "rank %u sent malformed results", rank);
	return -EPROTO;
}

static int mpi_execute(struct mode_run *m)
{
	struct mpi_state *st = m->state;
	uint64_t tasks = m->tasks;
	int rc = 0;

	m->wstats = xcalloc(st->ranks, sizeof *m->wstats);
	m->n_wstats = st->ranks;
	if (write_full(st->fd, &tasks, sizeof tasks) != 0) {
		snprintf(m->err, sizeof m->err, "rank 0 closed its socket");
		return -EPIPE;
	}
	for (unsigned r = 0; r < st->ranks && rc == 0; r++) {
		uint64_t n;
		unsigned char *b;

		if ((rc = read_rank0(m, st, &n, sizeof n, 0)) != 0)
			break;
		b = xmalloc(n ? n : 1);
		if ((rc = read_rank0(m, st, b, n, 0)) == 0)
			rc = unpack(m, r, b, n);
		free(b);
	}
	return rc;
}

static void mpi_teardown(struct mode_run *m)
{
	if (m->state)
		free_state(m, m->state);
	free(m->wstats);
	m->wstats = NULL;
	m->n_wstats = 0;
}

const struct mode mode_mpi = {
	.name = "mpi",
	.summary = "WORKERS MPI ranks (Open MPI's mpirun, tvp-mpi-worker) split the tasks and gather the results",
	.family = MODE_FAMILY_POOL,
	.flags = MODE_FORKS,
	.setup = mpi_setup,
	.execute = mpi_execute,
	.teardown = mpi_teardown,
};
