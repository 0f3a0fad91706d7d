/* mpi_job.h: one Open MPI job of tvp-mpi-worker ranks, started by mpirun
 * and joined to tvp by a Unix socket to rank 0: what the mpi mode and the
 * MPI kernels of `tvp overhead` share. tvp itself never calls MPI.
 *
 * Not thread-safe: one thread drives a job. Every call that waits looks at
 * tvp_interrupted (returns -EINTR), at mpirun (it ended) and at every rank's
 * pid (one is gone: the error names it) every 50 ms.
 */
#ifndef MPI_JOB_H
#define MPI_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/modes/mode.h"

struct mpi_job;

struct mpi_job_options {
	unsigned ranks;
	const char *hosts;                 /* hostfile, or NULL: this machine */
	enum mode_mpi_transport transport;
	/* What tvp-mpi-worker gets after the socket path (mpi/worker.c),
	 * NULL-terminated. */
	const char *const *args;
};

/* Starts mpirun in a process group of its own (stdin /dev/null, output
 * into a log), waits at most 30 s for rank 0's hello (mpi_wire.h), and
 * returns 0 with *out set; or a negative errno with one line in err:
 * -ENOENT when mpirun or tvp-mpi-worker is missing, -ECHILD when mpirun
 * ended (its last line quoted), -ETIMEDOUT, -EINTR. On failure nothing is
 * left running. Call while the process has one thread (it forks). */
int mpi_job_start(struct mpi_job **out, const struct mpi_job_options *o, char *err,
		  size_t errlen);

/* The ranks, and the hello's per-rank pid and binding. */
unsigned mpi_job_ranks(const struct mpi_job *j);
const struct worker_stats *mpi_job_hello(const struct mpi_job *j);

/* Writes len bytes to rank 0, or reads len bytes from it, waiting at most
 * until deadline_ns (0: no deadline). 0 or a negative errno with err set
 * (-EINTR leaves err empty). */
int mpi_job_write(struct mpi_job *j, const void *buf, size_t len, char *err, size_t errlen);
int mpi_job_read(struct mpi_job *j, void *buf, size_t len, uint64_t deadline_ns, char *err,
		 size_t errlen);

/* Marks the ranks as waiting for their next command (true) or busy (false):
 * mpi_job_stop asks idle ranks to end and kills busy ones at once. A job
 * starts idle. */
void mpi_job_set_idle(struct mpi_job *j, bool idle);

/* Ends the job: an idle job gets a zero uint64_t (the ranks finalize; at
 * most 5 s), then mpirun gets SIGTERM and SIGKILL, every rank pid SIGKILL;
 * the private folder (socket, log, Open MPI's session folder and shared
 * memory) is removed. Nothing is left. NULL: nothing. */
void mpi_job_stop(struct mpi_job *j);

#endif
