/* worker.c: tvp-mpi-worker, the rank program of the `mpi` mode: every rank
 * runs its share of a batch of tasks; rank 0 also bridges tvp and the ranks.
 *
 * DESIGN
 * tvp never calls MPI_Init (an MPI library in tvp would start threads and
 * constrain its fork pools), so the ranks are this separate program, started
 * by `mpirun` (bench/modes/mpi_job.c). Usage, written by tvp:
 *   tvp-mpi-worker SOCKET tasks WORKLOAD SIZE QUICK CPUS [OPTION=VALUE...]
 *   tvp-mpi-worker SOCKET pingpong
 * SOCKET is the path of the Unix socket tvp listens on; WORKLOAD, SIZE,
 * QUICK (0 or 1) and the options rebuild the same workload instance tvp
 * has (each rank runs the workload's setup: the tasks' code is tvp's own,
 * linked from libtvpdrv.a, and runs through workload_run_task with the same
 * task ABI); CPUS is "-" (not pinned) or the ';'-separated cpusets of the
 * --pin plan, one per rank (hwloc list text).
 *
 * Rank 0 connects to SOCKET and sends the hello (mpi_wire.h). Then, per
 * batch: rank 0 reads the task count from tvp and broadcasts it; every rank
 * runs tasks rank, rank + size, rank + 2 size... (a static cyclic
 * decomposition, as an MPI code divides a loop), packs its statistics and
 * results, and the packs are gathered to rank 0 (MPI_Gather of sizes,
 * MPI_Gatherv of bytes), which writes them to tvp. A count of 0 ends the
 * job: MPI_Finalize and exit 0. Any failure exits non-zero, and mpirun then
 * ends the whole job; tvp sees the socket close.
 *
 * pingpong (the MPI kernels of `tvp overhead`, 2 ranks): per command
 * (struct mpi_pingpong from tvp), rank 0 times iters round trips of a
 * message of bytes bytes with rank 1 (MPI_Send, MPI_Recv: the OSU latency
 * test's loop) after one untimed round trip, and writes the nanoseconds
 * back as a uint64_t. iters 0 ends the job.
 */
#include <errno.h>
#include <stdarg.h>
#include <hwloc.h>
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "bench/modes/mpi_wire.h"
#include "par/pin.h"
#include "par/sys.h"
#include "workloads/workload.h"

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "tvp-mpi-worker: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	MPI_Abort(MPI_COMM_WORLD, 1);
	exit(1);
}

/* A growing byte buffer for one rank's pack. */
struct pack {
	unsigned char *p;
	size_t len, cap;
};

static void *pack_put(struct pack *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	return b->p + b->len - len;
}

/* Binds this rank to its cpuset from the ';'-separated list; fills ws. */
static void bind_rank(const char *cpus, int rank, struct worker_stats *ws)
{
	char *list = xstrdup(cpus), *save = NULL, *tok, *mine = NULL;
	hwloc_bitmap_t set = hwloc_bitmap_alloc();
	int n = 0, i;
	cpu_set_t cs;

	ws->pinned = -1;
	if (strcmp(cpus, "-") == 0)
		goto out;
	for (tok = strtok_r(list, ";", &save); tok; tok = strtok_r(NULL, ";", &save))
		n++;
	free(list);
	list = xstrdup(cpus);
	save = NULL;
	tok = strtok_r(list, ";", &save);
	for (i = 0; tok && i < rank % n; i++)
		tok = strtok_r(NULL, ";", &save);
	mine = tok;
	CPU_ZERO(&cs);
	if (!mine || hwloc_bitmap_list_sscanf(set, mine) != 0) {
		ws->pinned = 0;
		ws->bind_errno = EINVAL;
		goto out;
	}
	hwloc_bitmap_foreach_begin(i, set)
		if (i < CPU_SETSIZE)
			CPU_SET(i, &cs);
	hwloc_bitmap_foreach_end();
	if (sched_setaffinity(0, sizeof cs, &cs) != 0) {
		ws->pinned = 0;
		ws->bind_errno = errno;
		goto out;
	}
	ws->pinned = 1;
	snprintf(ws->bound, sizeof ws->bound, "%s", mine);
out:
	hwloc_bitmap_free(set);
	free(list);
}

static int connect_tvp(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof a.sun_path)
		die("socket %s: cannot make it", path);
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
		die("connect %s failed", path);
	return fd;
}

/* Reads a command of len bytes from tvp on rank 0 (a zeroed one, which
 * ends the job, if tvp went away) and broadcasts it to every rank. */
static void next_command(int fd, void *cmd, size_t len)
{
	int rank;

	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	if (rank == 0 && read_full(fd, cmd, len) != 0)
		memset(cmd, 0, len);
	MPI_Bcast(cmd, (int)len, MPI_BYTE, 0, MPI_COMM_WORLD);
}

/* Runs this rank's share of tasks into b: statistics first, then records. */
static void run_share(const struct workload_inst *wi, uint64_t tasks, int rank, int size,
		      struct worker_stats *ws, struct pack *b)
{
	struct worker_stats *out;

	b->len = 0;
	out = pack_put(b, ws, sizeof *ws);
	out->tasks = 0;
	out->busy_ns = 0;
	pin_note_cpu(ws);
	for (uint64_t i = (uint64_t)rank; i < tasks; i += (uint64_t)size) {
		struct task_arg arg = { .wi = wi, .index = i };
		struct task_result r = TASK_RESULT_INIT;
		struct mpi_record rec = { .index = i };
		uint64_t t0 = now_ns();

		rec.status = workload_run_task(&arg, sizeof arg, &r);
		ws->busy_ns += now_ns() - t0;
		ws->tasks++;
		rec.len = (uint32_t)r.len;
		pack_put(b, &rec, sizeof rec);
		pack_put(b, task_result_data(&r), r.len);
		task_result_release(&r);
	}
	pin_note_cpu(ws);
	out = (struct worker_stats *)b->p;
	*out = *ws;
	ws->tasks = 0;
	ws->busy_ns = 0;
	ws->ran_on[0] = '\0';
}

/* Rebuilds the workload instance from argv (see DESIGN); dies on error. */
static void make_instance(struct workload_inst *wi, int argc, char **argv)
{
	const char **values;
	size_t nopts = 0;
	char err[256] = "";

	wi->wl = workload_find(argv[3]);
	if (!wi->wl)
		die("unknown workload %s", argv[3]);
	wi->size = strtoull(argv[4], NULL, 10);
	wi->quick = strcmp(argv[5], "1") == 0;
	while (wi->wl->options && wi->wl->options[nopts].name)
		nopts++;
	values = xcalloc(nopts + 1, sizeof *values);
	for (int a = 7; a < argc; a++) {
		const char *eq = strchr(argv[a], '=');

		for (size_t k = 0; eq && k < nopts; k++)
			if (strncmp(wi->wl->options[k].name, argv[a], (size_t)(eq - argv[a])) == 0 &&
			    wi->wl->options[k].name[eq - argv[a]] == '\0')
				values[k] = eq + 1;
	}
	for (size_t k = 0; k < nopts; k++)
		if (!values[k])
			values[k] = wi->wl->options[k].def;
	wi->opt_values = values;
	if (wi->wl->setup && wi->wl->setup(wi, err, sizeof err) != 0)
		die("workload setup: %s", err);
}

/* Every rank's pid and binding, gathered to rank 0 and sent to tvp as the
 * hello. Returns rank 0's socket (-1 on the other ranks). */
static int hello(const char *path, const struct worker_stats *ws)
{
	struct worker_stats *all = NULL;
	int rank, size, fd = -1;

	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (rank == 0)
		all = xcalloc((size_t)size, sizeof *all);
	MPI_Gather(ws, sizeof *ws, MPI_BYTE, all, sizeof *ws, MPI_BYTE, 0, MPI_COMM_WORLD);
	if (rank == 0) {
		struct mpi_hello h = { MPI_WIRE_MAGIC, (uint32_t)size };

		fd = connect_tvp(path);
		if (write_full(fd, &h, sizeof h) != 0 ||
		    write_full(fd, all, (size_t)size * sizeof *all) != 0)
			die("%s: cannot write the hello", path);
	}
	free(all);
	return fd;
}

/* The tasks command loop (see DESIGN). */
static void serve_tasks(int argc, char **argv)
{
	struct workload_inst wi = { 0 };
	struct worker_stats ws = { 0 };
	struct pack b = { 0 };
	int rank, size, fd;

	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (argc < 7)
		die("usage: %s SOCKET tasks WORKLOAD SIZE QUICK CPUS [OPTION=VALUE...]", argv[0]);
	make_instance(&wi, argc, argv);
	ws.pid = ws.tid = (int32_t)getpid();
	bind_rank(argv[6], rank, &ws);
	fd = hello(argv[1], &ws);
	for (;;) {
		uint64_t tasks;
		int mine, *lens = NULL, *offs = NULL;
		unsigned char *bytes = NULL;
		size_t total = 0;

		next_command(fd, &tasks, sizeof tasks);
		if (tasks == 0)
			break;
		run_share(&wi, tasks, rank, size, &ws, &b);
		mine = (int)b.len;
		if (rank == 0) {
			lens = xcalloc((size_t)size, sizeof *lens);
			offs = xcalloc((size_t)size, sizeof *offs);
		}
		MPI_Gather(&mine, 1, MPI_INT, lens, 1, MPI_INT, 0, MPI_COMM_WORLD);
		if (rank == 0) {
			for (int r = 0; r < size; r++) {
				offs[r] = (int)total;
				total += (size_t)lens[r];
			}
			bytes = xmalloc(total ? total : 1);
		}
		MPI_Gatherv(b.p, mine, MPI_BYTE, bytes, lens, offs, MPI_BYTE, 0, MPI_COMM_WORLD);
		for (int r = 0; rank == 0 && r < size; r++) {
			uint64_t n = (uint64_t)lens[r];

			if (write_full(fd, &n, sizeof n) != 0 ||
			    write_full(fd, bytes + offs[r], (size_t)lens[r]) != 0)
				die("%s: cannot write results", argv[1]);
		}
		free(lens);
		free(offs);
		free(bytes);
	}
	if (wi.wl->teardown)
		wi.wl->teardown(&wi);
	free(b.p);
	free((void *)wi.opt_values);
	if (fd >= 0)
		close(fd);
}

/* The pingpong command loop (see DESIGN). */
static void serve_pingpong(const char *path)
{
	struct worker_stats ws = { .pinned = -1 };
	unsigned char *buf = NULL;
	int rank, fd;

	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	ws.pid = ws.tid = (int32_t)getpid();
	fd = hello(path, &ws);
	for (;;) {
		struct mpi_pingpong c;
		uint64_t t0 = 0, ns;

		next_command(fd, &c, sizeof c);
		if (c.iters == 0)
			break;
		buf = xrealloc(buf, c.bytes ? c.bytes : 1);
		for (uint64_t i = 0; i <= c.iters; i++) {
			if (i == 1)
				t0 = now_ns();   /* the first round trip is not timed */
			if (rank == 0) {
				MPI_Send(buf, (int)c.bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
				MPI_Recv(buf, (int)c.bytes, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
			} else if (rank == 1) {
				MPI_Recv(buf, (int)c.bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
				MPI_Send(buf, (int)c.bytes, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
			}
		}
		ns = now_ns() - t0;
		if (rank == 0 && write_full(fd, &ns, sizeof ns) != 0)
			die("%s: cannot write the time", path);
	}
	free(buf);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	MPI_Init(&argc, &argv);
	if (argc >= 3 && strcmp(argv[2], "tasks") == 0)
		serve_tasks(argc, argv);
	else if (argc >= 3 && strcmp(argv[2], "pingpong") == 0)
		serve_pingpong(argv[1]);
	else
		die("usage: %s SOCKET tasks|pingpong ...", argv[0]);
	MPI_Finalize();
	return 0;
}
