/* fork_wire.h: what the fork pool's parent and workers say to each other
 * over a channel, and the exit codes a worker ends with.
 *
 * DESIGN
 * A job goes to one worker in pieces of about 64 KiB of argument records
 * (a struct wire_run header, then count * arg_size bytes), so the worker
 * starts on the first piece while the rest stream in. Results come back a
 * message per piece, or per 64 KiB of results (a struct wire_results header,
 * then count (struct wire_record, result bytes) pairs). Both sides check
 * every length: a worker that gets a message it cannot read exits with
 * FORK_EXIT_BAD_MESSAGE; a parent that gets one kills the worker. Headers
 * are 96 and 32 bytes, so records that follow stay 16-byte aligned in a
 * channel's inbox. A prefetched job (fork_prefetch.c) comes whole in one
 * message flagged WIRE_PREFETCHED: the worker runs it only if it wins its
 * slot's claim word on the scoreboard, else it drops it unanswered.
 *
 * Shared memory (par/shared_mem.h): a piece flagged WIRE_ARGS_AT carries no
 * argument bytes (the worker reads them at args_at, an address in memory it
 * shares with the parent); one flagged WIRE_OUT_AT has the worker write
 * each small result into results_at[i] and status_at[i] (record i of the
 * job) itself, and its results messages (flagged WIRE_OUT_AT too) carry
 * only the records it could not write there, each as a struct wire_direct
 * naming its record, then its bytes.
 */
#ifndef FORK_WIRE_H
#define FORK_WIRE_H

#include <stddef.h>
#include <stdint.h>

enum { MSG_RUN = 1, MSG_RESULTS = 2 };

/* Parent -> worker: a piece of a job; count * arg_size argument bytes
 * follow. */
#define WIRE_PREFETCHED 1u     /* wire_run.flags: run only if the claim is still ours */
#define WIRE_ARGS_AT 2u        /* wire_run.flags: the arguments are at args_at */
#define WIRE_OUT_AT 4u         /* wire_run, wire_results flags: small outcomes are
				  written at status_at and results_at */

struct wire_run {
	uint32_t kind, flags;
	uint64_t job_seq;
	uint64_t fn;            /* fork: the task_fn's address (the same in the
				   worker); a fresh image: its registry id */
	uint64_t arg_size;
	uint64_t first;         /* the piece's first record, within the job */
	uint64_t count;
	uint64_t first_task;    /* pool-wide number of the piece's first record */
	uint64_t job_n;         /* records in the whole job */
	uint64_t args_at;       /* WIRE_ARGS_AT: the job's record 0 */
	uint64_t status_at;     /* WIRE_OUT_AT: the job's int status[job_n] */
	uint64_t results_at;    /* WIRE_OUT_AT: its struct task_result[job_n] */
	uint64_t pad;
};

/* Worker -> parent: outcomes of records [first, first + count); count
 * (struct wire_record, result bytes) pairs follow. */
struct wire_results {
	uint32_t kind, flags;   /* flags: WIRE_OUT_AT, as the piece asked */
	uint64_t job_seq;
	uint64_t first;
	uint64_t count;
};

struct wire_record {
	int32_t status;
	uint32_t len;
};

/* Under WIRE_OUT_AT: an outcome the worker could not write in place (a
 * large result, or a slot holding a result of the caller's), then len
 * bytes. index is the record's within the job. */
struct wire_direct {
	uint64_t index;
	int32_t status;
	uint32_t len;
};

/* How a worker process ends on its own. The parent names the last two in
 * the message a dead worker's job fails with. */
enum fork_exit {
	FORK_EXIT_DONE = 0,             /* end of input, or the parent is gone */
	FORK_EXIT_BAD_START = 70,       /* a spawned worker that could not start
					   (SPAWN_EXIT_BAD_START: it said why on stderr) */
	FORK_EXIT_NO_CHANNEL = 71,      /* could not open its end of the channel */
	FORK_EXIT_BAD_MESSAGE = 72,     /* the parent sent what it cannot read */
	FORK_EXIT_REGISTRY = 73,        /* a fresh image whose task registry differs
					   from the parent's, or lacks the initializer */
	FORK_EXIT_BAD_INIT = 74,        /* could not read its start-up bytes */
	FORK_EXIT_NO_BOARD = 75,        /* could not map the pool's scoreboard */
};

/* What code means when a worker exits with it between tasks (a task may
 * call exit with any code: the caller decodes only when none was
 * running), or NULL for FORK_EXIT_DONE and codes not in enum fork_exit. */
static inline const char *fork_exit_meaning(int code)
{
	switch (code) {
	case FORK_EXIT_BAD_START:
		return "it could not start as a spawned worker (its stderr says why)";
	case FORK_EXIT_NO_CHANNEL:
		return "it could not open its channel";
	case FORK_EXIT_REGISTRY:
		return "its task registry differs from the parent's (another build of the "
		       "program, or an initializer registered after main began)";
	case FORK_EXIT_BAD_INIT:
		return "it could not read its start-up bytes";
	case FORK_EXIT_NO_BOARD:
		return "it could not map the pool's scoreboard";
	case FORK_EXIT_BAD_MESSAGE:
		return "it could not read a message from the parent";
	default:
		return NULL;
	}
}

#endif
