/* mpi_job.c: an Open MPI job of tvp-mpi-worker ranks bridged to tvp by a
 * Unix socket (mpi_job.h).
 *
 * DESIGN
 * tvp never calls MPI_Init: the ranks are a separate program,
 * build/tvp-mpi-worker (mpi/worker.c, built only where Open MPI is
 * installed). mpi_job_start makes a Unix socket in a private temporary
 * folder, forks `mpirun` in a process group of its own (stdin from
 * /dev/null, its output into a log in that folder) and waits, at most
 * START_NS, for rank 0 to connect and send every rank's pid and binding.
 * A socket to rank 0 is the simplest robust bridge: it needs no ompi-server
 * (MPI_Comm_connect would), mpirun does not pass other inherited
 * descriptors to ranks, and its stdin/stdout forwarding goes through
 * mpirun's event loop. Hence rank 0 runs on this machine: with
 * --mpi-hosts, this host must be the hostfile's first (as usual for mpirun).
 * Reads are cut into POLL_MS slices, in which a Ctrl-C (-EINTR), an mpirun
 * that ended, or a rank pid that is gone (named in the error) ends the
 * wait: Open MPI aborts the whole job when one rank dies, so this bounds
 * the detection at a slice. mpi_job_stop sends 0 (the ranks finalize and
 * mpirun exits) when the ranks are idle, and kills what is left after
 * QUIT_NS (at once when busy): SIGTERM, then SIGKILL, to mpirun's process
 * group, and SIGKILL to every rank pid and every other process mpirun
 * started (Open MPI gives each rank, and the ssh to a remote host, a
 * process group of its own). Open MPI's session folder and the ranks' shared-memory
 * segments are put in the private folder (orte_tmpdir_base,
 * btl_vader_backing_directory), which is removed last: a killed job leaves
 * nothing in /tmp or /dev/shm.
 *
 * As root, Open MPI refuses to start unless OMPI_ALLOW_RUN_AS_ROOT=1 and
 * OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 are set: tvp sets them in mpirun's
 * environment only (never its own), and only when running as root.
 * mpirun options: --bind-to none (placement is tvp's --pin, applied by each
 * rank), --oversubscribe (more workers than cores is a case tvp measures),
 * mpi_yield_when_idle 1 (a rank that polls for a message yields the CPU:
 * without it, on this shared 2-core VM, a ping-pong round trip took 4 ms,
 * a whole time slice of the polling partner, against 3-5 us with it),
 * pml ob1 with btl self,vader (sm) or self,tcp (tcp; over loopback, lo,
 * when no hostfile is given). TVP_MPI_WORKER overrides where the rank
 * program is.
 */
#include "bench/modes/mpi_job.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/modes/mpi_wire.h"
#include "bench/util.h"

/* mpirun to rank 0's hello: ssh to a dead host gives up sooner. Four times
 * that in a sanitizer's build: make check once saw a TSan-built job on a
 * loaded machine miss 30 s (test_bench's plan on 128 PUs, at d364d07). */
#ifndef TVP_SAN
#define TVP_SAN ""
#endif
#define START_NS (TVP_SAN[0] ? 120000000000ull : 30000000000ull)
#define QUIT_NS 5000000000ull     /* MPI_Finalize and mpirun's exit */
#define KILL_GRACE_NS 500000000ull
#define POLL_MS 50
#define MAX_ARGS 64
#define MAX_TREE 4200          /* ranks (RUN_MAX_WORKERS) and mpirun's helpers */

struct mpi_job {
	pid_t mpirun;               /* 0: reaped */
	int status;                 /* mpirun's wait status once reaped */
	int lfd, fd;
	char dir[32], sock[64], log[64];
	unsigned ranks;
	bool idle;                  /* between commands: rank 0 reads the next */
	struct worker_stats *hello; /* per rank: pid, binding */
	int was_subreaper;          /* PR_GET_CHILD_SUBREAPER before the job; -1: not set */
};

static bool mpirun_alive(struct mpi_job *st)
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
static const char *log_tail(const struct mpi_job *st, char *buf, size_t len)
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

/* -ECHILD with err set when a rank pid is gone (named) or mpirun ended;
 * else 0. */
static int check_job(struct mpi_job *st, char *err, size_t errlen)
{
	char tail[300], how[64];

	for (unsigned r = 0; st->hello && r < st->ranks; r++)
		if (pid_gone(st->hello[r].pid)) {
			snprintf(err, errlen, "rank %u (pid %d) died", r, st->hello[r].pid);
			return -ECHILD;
		}
	if (mpirun_alive(st))
		return 0;
	if (WIFEXITED(st->status))
		snprintf(how, sizeof how, "exited with status %d", WEXITSTATUS(st->status));
	else
		snprintf(how, sizeof how, "killed by signal %d", WTERMSIG(st->status));
	snprintf(err, errlen, "mpirun %s: %s", how, log_tail(st, tail, sizeof tail));
	return -ECHILD;
}

/* Waits until fd is readable. 0, -EINTR on Ctrl-C, -ETIMEDOUT past
 * deadline_ns (0: none), -ECHILD (check_job) when mpirun or a rank ended. */
static int wait_readable(struct mpi_job *st, int fd, uint64_t deadline_ns, char *err,
			 size_t errlen)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int rc;

		if (poll(&p, 1, POLL_MS) > 0)
			return 0;
		if (tvp_interrupted)
			return -EINTR;
		if ((rc = check_job(st, err, errlen)) != 0)
			return rc;
		if (deadline_ns && now_ns() > deadline_ns)
			return -ETIMEDOUT;
	}
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

static int listen_socket(struct mpi_job *st, char *err, size_t errlen)
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

static void exec_mpirun(const struct mpi_job *st, const char **argv)
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

/* The parent pid of pid, from /proc (0 when unknown). */
static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	int ppid = 0;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return 0;
	p = fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (p && sscanf(p + 2, "%*c %d", &ppid) != 1)
		ppid = 0;
	return ppid;
}

/* Every descendant of root (mpirun's ranks, and the ssh it started for a
 * remote host: Open MPI puts each in a process group of its own, so
 * kill(-pgid) misses them), into out (at most max); returns how many. */
static size_t descendants(pid_t root, pid_t *out, size_t max)
{
	size_t n = 0, grown = 1;

	while (grown) {   /* until a pass adds nobody: grandchildren too */
		DIR *d = opendir("/proc");
		struct dirent *e;

		grown = 0;
		while (d && (e = readdir(d)) && n < max) {
			pid_t pid = (pid_t)atoi(e->d_name), pp;
			bool known = false, ours;

			if (pid <= 0)
				continue;
			for (size_t i = 0; i < n && !known; i++)
				known = out[i] == pid;
			pp = known ? 0 : parent_of(pid);
			ours = pp == root;
			for (size_t i = 0; i < n && !ours && pp; i++)
				ours = out[i] == pp;
			if (ours) {
				out[n++] = pid;
				grown = 1;
			}
		}
		if (d)
			closedir(d);
	}
	return n;
}

static void stop_job(struct mpi_job *st)
{
	uint64_t deadline = now_ns() + QUIT_NS;
	uint64_t quit = 0;
	pid_t tree[MAX_TREE];
	size_t n = 0;

	if (mpirun_alive(st))
		n = descendants(st->mpirun, tree, MAX_TREE);
	for (unsigned r = 0; st->hello && r < st->ranks && n < MAX_TREE; r++)
		tree[n++] = st->hello[r].pid;
	if (st->idle && mpirun_alive(st) && write_full(st->fd, &quit, sizeof quit) == 0)
		while (mpirun_alive(st) && now_ns() < deadline)
			sleep_ns(2000000);
	/* SIGTERM first: mpirun then ends its ranks and cleans up itself. */
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
	/* What mpirun did not take with it (it was killed first). */
	for (size_t i = 0; i < n; i++)
		if (!pid_gone(tree[i]))
			kill(tree[i], SIGKILL);
	/* mpirun may exit before it reaps its ranks: orphans come to tvp, a
	 * subreaper while the job lives (mpi_job_start), and are reaped here;
	 * waitpid fails at once for those mpirun reaped. */
	deadline = now_ns() + KILL_GRACE_NS;
	for (size_t i = 0; i < n; i++)
		while ((!pid_gone(tree[i]) || waitpid(tree[i], NULL, WNOHANG) == 0) &&
		       now_ns() < deadline)
			sleep_ns(1000000);
	if (st->was_subreaper >= 0)
		prctl(PR_SET_CHILD_SUBREAPER, st->was_subreaper);
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	remove(path);
	return 0;
}

void mpi_job_stop(struct mpi_job *st)
{
	if (!st)
		return;
	stop_job(st);
	if (st->fd >= 0)
		close(st->fd);
	if (st->lfd >= 0)
		close(st->lfd);
	if (st->dir[0])
		nftw(st->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(st->hello);
	free(st);
}


/* mpirun's command line: options, then the worker, the socket, o->args. */
static int build_argv(const struct mpi_job_options *o, const struct mpi_job *st,
		      const char *mpirun, const char *worker, const char **argv, char *np)
{
	int n = 0;

	argv[n++] = mpirun;
	argv[n++] = "-np";
	argv[n++] = np;
	argv[n++] = "--oversubscribe";
	argv[n++] = "--bind-to";
	argv[n++] = "none";
	/* Open MPI's session folder and the ranks' shared-memory segments go
	 * into the private folder, which mpi_job_stop removes. */
	argv[n++] = "--mca";
	argv[n++] = "orte_tmpdir_base";
	argv[n++] = st->dir;
	argv[n++] = "--mca";
	argv[n++] = "btl_vader_backing_directory";
	argv[n++] = st->dir;
	argv[n++] = "--mca";
	argv[n++] = "mpi_yield_when_idle";
	argv[n++] = "1";
	argv[n++] = "--mca";
	argv[n++] = "pml";
	argv[n++] = "ob1";
	argv[n++] = "--mca";
	argv[n++] = "btl";
	argv[n++] = o->transport == MODE_MPI_TCP ? "self,tcp" : "self,vader";
	if (o->hosts) {
		argv[n++] = "--hostfile";
		argv[n++] = o->hosts;
	} else if (o->transport == MODE_MPI_TCP) {
		argv[n++] = "--mca";
		argv[n++] = "btl_tcp_if_include";
		argv[n++] = "lo";
	}
	argv[n++] = worker;
	argv[n++] = st->sock;
	for (size_t i = 0; o->args[i]; i++) {
		if (n >= MAX_ARGS - 1)
			return -E2BIG;
		argv[n++] = o->args[i];
	}
	argv[n] = NULL;
	return 0;
}

int mpi_job_start(struct mpi_job **out, const struct mpi_job_options *o, char *err,
		  size_t errlen)
{
	struct mpi_job *st = xcalloc(1, sizeof *st);
	char mpirun[300], worker[420], tail[300], np[16];
	const char *argv[MAX_ARGS];
	struct mpi_hello h;
	int rc;

	st->lfd = st->fd = -1;
	st->was_subreaper = -1;
	if (!find_mpirun(mpirun, sizeof mpirun)) {
		snprintf(err, errlen, "mpirun not found on PATH (Open MPI: apt-get install openmpi-bin)");
		rc = -ENOENT;
		goto out_fail;
	}
	if (!find_worker(worker, sizeof worker)) {
		snprintf(err, errlen, "tvp-mpi-worker not found beside tvp (built by make where Open MPI is installed; or set TVP_MPI_WORKER)");
		rc = -ENOENT;
		goto out_fail;
	}
	if ((rc = listen_socket(st, err, errlen)) != 0)
		goto out_fail;
	snprintf(np, sizeof np, "%u", o->ranks);
	if ((rc = build_argv(o, st, mpirun, worker, argv, np)) != 0) {
		snprintf(err, errlen, "too many arguments for tvp-mpi-worker");
		goto out_fail;
	}
	/* Ranks that outlive mpirun become tvp's children, reaped by stop_job,
	 * not zombies of whichever ancestor is a subreaper. */
	prctl(PR_GET_CHILD_SUBREAPER, &st->was_subreaper);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	st->mpirun = fork();
	if (st->mpirun == 0)
		exec_mpirun(st, argv);
	if (st->mpirun < 0) {
		rc = -errno;
		st->mpirun = 0;
		snprintf(err, errlen, "fork mpirun: %s", strerror(-rc));
		goto out_fail;
	}
	setpgid(st->mpirun, st->mpirun);   /* both sides: no race with kill(-pgid) */
	rc = wait_readable(st, st->lfd, now_ns() + START_NS, err, errlen);
	if (rc == -ETIMEDOUT)
		snprintf(err, errlen, "mpirun: no rank connected within %.0f s: %s", START_NS / 1e9,
			 log_tail(st, tail, sizeof tail));
	if (rc != 0)
		goto out_fail;
	st->fd = accept4(st->lfd, NULL, NULL, SOCK_CLOEXEC);
	if (st->fd < 0) {
		rc = -errno;
		snprintf(err, errlen, "accept: %s", strerror(errno));
		goto out_fail;
	}
	if ((rc = mpi_job_read(st, &h, sizeof h, now_ns() + START_NS, err, errlen)) != 0)
		goto out_fail;
	if (h.magic != MPI_WIRE_MAGIC || h.ranks != o->ranks) {
		snprintf(err, errlen, "rank 0 sent a bad hello (%u ranks)", h.ranks);
		rc = -EPROTO;
		goto out_fail;
	}
	st->ranks = h.ranks;
	st->hello = xcalloc(h.ranks, sizeof *st->hello);
	rc = mpi_job_read(st, st->hello, h.ranks * sizeof *st->hello, now_ns() + START_NS, err,
			  errlen);
	if (rc != 0)
		goto out_fail;
	st->idle = true;
	*out = st;
	return 0;
out_fail:
	mpi_job_stop(st);
	return rc;
}

unsigned mpi_job_ranks(const struct mpi_job *j)
{
	return j->ranks;
}

const struct worker_stats *mpi_job_hello(const struct mpi_job *j)
{
	return j->hello;
}

void mpi_job_set_idle(struct mpi_job *j, bool idle)
{
	j->idle = idle;
}

int mpi_job_write(struct mpi_job *j, const void *buf, size_t len, char *err, size_t errlen)
{
	if (write_full(j->fd, buf, len) != 0) {
		snprintf(err, errlen, "rank 0 closed its socket");
		return -EPIPE;
	}
	return 0;
}

int mpi_job_read(struct mpi_job *j, void *buf, size_t len, uint64_t deadline_ns, char *err,
		 size_t errlen)
{
	int rc = wait_readable(j, j->fd, deadline_ns, err, errlen);
	uint64_t until = now_ns() + 1000000000ull;

	if (rc != 0 || (rc = read_full(j->fd, buf, len)) == 0)
		return rc;
	/* Rank 0 closed the socket: a rank died, or mpirun ends the job;
	 * say which once it shows, within a second. */
	while ((rc = check_job(j, err, errlen)) == 0 && now_ns() < until)
		sleep_ns(POLL_MS * 1000000ull);
	if (rc == 0) {
		snprintf(err, errlen, "rank 0 closed its socket");
		rc = -EPIPE;
	}
	return rc;
}
