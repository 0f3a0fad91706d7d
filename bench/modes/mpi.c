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
 * The ranks are an Open MPI job of tvp-mpi-worker (bench/modes/mpi_job.c
 * starts it, joins it to tvp by a Unix socket to rank 0, and says how
 * failures and Ctrl-C are seen and how nothing is left behind). Each rank
 * rebuilds the workload instance from its name, size and options and runs
 * its setup (mpi/worker.c), so a workload whose tasks depend on state set
 * up in tvp (local_state) gets no mpi cell. setup (not timed) starts the
 * job: every rank has run MPI_Init and the workload's setup, and bound
 * itself to its --pin cpuset. execute (timed) writes the task count and
 * reads each rank's statistics and results (mpi_wire.h), which it copies
 * into the run loop's arrays. teardown ends the job.
 */
#include "bench/modes/mode.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/modes/mpi_job.h"
#include "bench/modes/mpi_wire.h"
#include "bench/util.h"
#include "par/pin.h"

#define MAX_OPTS 16

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

/* tvp-mpi-worker's arguments for the tasks of m (mpi/worker.c), into
 * args; the strings live in *blk (free it). */
static void worker_args(const struct mode_run *m, const char **args, char **blk)
{
	const struct workload *wl = m->wi->wl;
	char *cpus = cpus_arg(m), *p;
	size_t n = 0, k;

	p = *blk = xcalloc(1, 64 + strlen(cpus) + MAX_OPTS * 256);
	args[n++] = "tasks";
	args[n++] = wl->name;
	args[n++] = p;
	p += sprintf(p, "%llu", (unsigned long long)m->wi->size) + 1;
	args[n++] = m->wi->quick ? "1" : "0";
	args[n++] = p;
	p += sprintf(p, "%s", cpus) + 1;
	for (k = 0; wl->options && wl->options[k].name && k < MAX_OPTS; k++) {
		args[n++] = p;
		p += snprintf(p, 256, "%s=%s", wl->options[k].name,
			      workload_opt(m->wi, wl->options[k].name)) + 1;
	}
	args[n] = NULL;
	free(cpus);
}

static int mpi_setup(struct mode_run *m)
{
	const char *args[MAX_OPTS + 8];
	struct mpi_job_options o = {
		.ranks = m->workers ? m->workers : 1,
		.hosts = m->mpi_hosts,
		.transport = m->mpi_transport,
		.args = args,
	};
	struct mpi_job *j = NULL;
	char *blk;
	int rc;

	worker_args(m, args, &blk);
	rc = mpi_job_start(&j, &o, m->err, sizeof m->err);
	free(blk);
	m->state = j;
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
	struct mpi_job *j = m->state;
	unsigned ranks = mpi_job_ranks(j);
	uint64_t tasks = m->tasks;
	int rc;

	m->wstats = xcalloc(ranks, sizeof *m->wstats);
	m->n_wstats = ranks;
	mpi_job_set_idle(j, false);   /* until every rank's results are in */
	rc = mpi_job_write(j, &tasks, sizeof tasks, m->err, sizeof m->err);
	for (unsigned r = 0; r < ranks && rc == 0; r++) {
		uint64_t n;
		unsigned char *b;

		if ((rc = mpi_job_read(j, &n, sizeof n, 0, m->err, sizeof m->err)) != 0)
			break;
		b = xmalloc(n ? n : 1);
		if ((rc = mpi_job_read(j, b, n, 0, m->err, sizeof m->err)) == 0)
			rc = unpack(m, r, b, n);
		free(b);
	}
	mpi_job_set_idle(j, rc == 0);
	return rc;
}

static void mpi_teardown(struct mode_run *m)
{
	mpi_job_stop(m->state);
	m->state = NULL;
	mode_run_free_wstats(m);
}

const struct mode mode_mpi = {
	.name = "mpi",
	.summary = "WORKERS MPI ranks (Open MPI's mpirun, tvp-mpi-worker) split the tasks and gather the results",
	.family = MODE_FAMILY_POOL,
	.flags = MODE_FORKS | MODE_OWN_PROGRAM,
	.setup = mpi_setup,
	.execute = mpi_execute,
	.teardown = mpi_teardown,
};
