/* mpi_wire.h: what the `mpi` mode (bench/modes/mpi.c, in tvp) and its rank
 * program (mpi/worker.c, built with mpicc) say to each other over the Unix
 * socket that joins tvp to rank 0. Both are built from this tree for this
 * machine, so the records are plain structs in host byte order.
 *
 *   rank 0 -> tvp  struct mpi_hello, then hello.ranks struct worker_stats
 *                  (pid and binding of each rank)
 *   tvp -> rank 0  uint64_t tasks: run a batch of that many tasks; 0: quit
 *   rank 0 -> tvp  per rank, in rank order: uint64_t bytes, then that many
 *                  bytes: struct worker_stats, then per task it ran a
 *                  struct mpi_record followed by the record's len bytes
 * The pingpong program (tvp overhead) takes a struct mpi_pingpong instead
 * of the task count (iters 0: quit) and answers with the uint64_t
 * nanoseconds of iters round trips between ranks 0 and 1.
 */
#ifndef MPI_WIRE_H
#define MPI_WIRE_H

#include <stdint.h>

#define MPI_WIRE_MAGIC 0x7476706du   /* "tvpm" */

struct mpi_hello {
	uint32_t magic;
	uint32_t ranks;
};

struct mpi_record {
	uint64_t index;     /* the task */
	int32_t status;     /* 0 or a negative errno */
	uint32_t len;       /* result (or message) bytes that follow */
};

struct mpi_pingpong {
	uint64_t iters;     /* round trips to time; 0: end the job */
	uint64_t bytes;     /* message size */
};

#endif
