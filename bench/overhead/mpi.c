/* mpi.c: Open MPI kernels of `tvp overhead`: a ping-pong between two MPI
 * ranks over shared memory (sm) or TCP (tcp, loopback), as latency for
 * small messages and as bandwidth up to 4 MiB, beside the pipe, socket pair
 * and shm ring (wakeup.c, ipc.c); and the start-up of an mpirun job of 2
 * ranks, beside a fork pool's start-up (handoff.c).
 *
 * Lesson: MPI moves messages between processes that share no memory; on
 * one machine Open MPI's vader transport copies through shared memory (the
 * shm ring's idea), its tcp transport goes through the network stack.
 * Starting a job costs far more than forking a pool: mpirun starts a
 * runtime, the ranks load the MPI library and exchange their addresses.
 *
 * DESIGN
 * tvp does not call MPI: the ranks run tvp-mpi-worker's pingpong program
 * (mpi/worker.c), started by mpi_job_start in setup (not timed). run sends
 * {iters, bytes} to rank 0, which times iters round trips between ranks 0
 * and 1 (MPI_Send/MPI_Recv, after one untimed round trip) with its own
 * clock and answers with the nanoseconds: the pipe to tvp is not in the
 * figure. Latency kernels report a round trip per operation (as wakeup.c);
 * bandwidth kernels a one-way message per operation (half a round trip, as
 * the OSU latency test counts it). mpi-start-2 times mpi_job_start (until
 * both ranks have run MPI_Init and rank 0 has said hello); stopping the job
 * is not timed. Run only when tvp-mpi-worker is built (TVP_HAVE_MPI); else
 * listed as not built (ovh_absent).
 */
#include "bench/overhead/ovh.h"

#include <errno.h>
#include <stdlib.h>

#include "bench/modes/mpi_job.h"
#include "bench/modes/mpi_wire.h"
#include "bench/util.h"

enum { MPI_LATENCY, MPI_BANDWIDTH, MPI_START };

struct mpi_kernel {
	const struct ovh_bench *b;
	struct mpi_job *job;
};

static const char *const pingpong_args[] = { "pingpong", NULL };

static int start(const struct ovh_bench *b, struct mpi_job **job, char *err, size_t errlen)
{
	struct mpi_job_options o = {
		.ranks = 2,
		.transport = b->channel == CHANNEL_SHM ? MODE_MPI_SM : MODE_MPI_TCP,
		.args = pingpong_args,
	};

	return mpi_job_start(job, &o, err, errlen);
}

static int mpi_kernel_setup(const struct ovh_bench *b, const struct ovh_ctx *c, void **state,
			    char *err, size_t errlen)
{
	struct mpi_kernel *s = xcalloc(1, sizeof *s);
	int rc;

	s->b = b;
	if (b->variant != MPI_START && (rc = start(b, &s->job, err, errlen)) != 0) {
		free(s);
		return rc;
	}
	*state = s;
	return 0;
}

static int mpi_kernel_run(void *state, uint64_t iters, struct ovh_sample *out, char *err,
			  size_t errlen)
{
	struct mpi_kernel *s = state;
	struct mpi_pingpong c = { .iters = iters, .bytes = s->b->bytes };
	uint64_t ns = 0;
	int rc = 0;

	if (s->b->variant == MPI_START) {
		for (uint64_t i = 0; i < iters && rc == 0; i++) {
			struct mpi_job *job;
			uint64_t t0 = now_ns();

			rc = start(s->b, &job, err, errlen);
			ns += now_ns() - t0;
			if (rc == 0)
				mpi_job_stop(job);
		}
		out->value = (double)ns;
		return rc;
	}
	mpi_job_set_idle(s->job, false);
	rc = mpi_job_write(s->job, &c, sizeof c, err, errlen);
	if (rc == 0)
		rc = mpi_job_read(s->job, &ns, sizeof ns, 0, err, errlen);
	mpi_job_set_idle(s->job, rc == 0);
	out->value = s->b->variant == MPI_BANDWIDTH ? ns / 2.0 : (double)ns;
	return rc;
}

static void mpi_kernel_teardown(void *state)
{
	struct mpi_kernel *s = state;

	mpi_job_stop(s->job);
	free(s);
}

/* The channel field carries the transport: CHANNEL_SHM for sm, CHANNEL_PIPE
 * for tcp. */
#define MPIK(nm, grp, var, unt, tr, sz, sum)                                                \
	{ .name = nm, .group = OVH_GROUP_##grp, .kind = OVH_KIND_PROCESS, .unit = OVH_UNIT_##unt, \
	  .summary = sum, .bytes = sz, .variant = var, .channel = tr,                         \
	  .flags = OVH_BY_NAME | OVH_NEEDS_MPI,                                                   \
	  .setup = mpi_kernel_setup, .run = mpi_kernel_run, .teardown = mpi_kernel_teardown }

#define MPI_BW(base, tr, sz, label, what)                                                  \
	MPIK(base "-" label, IPC, MPI_BANDWIDTH, BYTES_PER_S, tr, sz, what)

const struct ovh_bench ovh_mpi_benches[] = {
	MPIK("mpi-start-2", CREATION, MPI_START, NS, CHANNEL_SHM, 0,
	     "mpirun of 2 tvp-mpi-worker ranks (sm), until both ran MPI_Init and rank 0 connected"),
	MPIK("mpi-pingpong-sm", WAKEUP, MPI_LATENCY, NS, CHANNEL_SHM, 8,
	     "MPI_Send + MPI_Recv round trip of 8 B between 2 ranks, shared memory (btl vader)"),
	MPIK("mpi-pingpong-tcp", WAKEUP, MPI_LATENCY, NS, CHANNEL_PIPE, 8,
	     "MPI_Send + MPI_Recv round trip of 8 B between 2 ranks, TCP over loopback (btl tcp)"),
	/* Three sizes, not ipc.c's five: every sample starts an mpirun job
	 * (0.2 s on an idle VM, seconds on a loaded one). */
	MPI_BW("mpi-bw-sm", CHANNEL_SHM, 64, "64b", "MPI ping-pong between 2 ranks over shared memory, 64 B messages"),
	MPI_BW("mpi-bw-sm", CHANNEL_SHM, 65536, "64kib", "MPI ping-pong between 2 ranks over shared memory, 64 KiB messages"),
	MPI_BW("mpi-bw-sm", CHANNEL_SHM, 4u << 20, "4mib", "MPI ping-pong between 2 ranks over shared memory, 4 MiB messages"),
	MPI_BW("mpi-bw-tcp", CHANNEL_PIPE, 4u << 20, "4mib", "MPI ping-pong between 2 ranks over TCP loopback, 4 MiB messages"),
};
const size_t ovh_mpi_benches_count = ARRAY_SIZE(ovh_mpi_benches);
