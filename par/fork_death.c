/* fork_death.c: fork pool workers that end: noticing it, reading what they
 * sent last, reaping them, failing their job with a message that says how
 * they died, and retiring workers past maxtasksperchild.
 *
 * DESIGN
 * Deaths are seen without polling in a sleep loop: each worker's pidfd is in
 * the parent's poll set, a pipe channel reaches end of file, and while the
 * parent spins it looks at the pidfds at most every 0.2 ms. The pidfds are
 * in one epoll set (death_epfd), which the sleep polls and a look asks
 * first: poll() over 128 pidfds every 0.2 ms, and over them again in every
 * sleep, was a third of a fork pool parent's CPU time in a 128-worker map
 * of sleeping tasks (perf, issue 13), where epoll answers in one step. A
 * pidfd the set cannot take (epoll_ctl failed: max_user_watches) makes the
 * parent look at all of them as before. The parent first
 * reads whatever results the worker sent before it died, then reaps it, then
 * fails the job's unfinished records with -ECHILD and a message naming the
 * worker, its pid, the signal or exit status (an exit code of enum fork_exit
 * by its meaning) and the task it was running (the scoreboard says which),
 * then starts a replacement. A worker forked by a fork server is the
 * server's child: its status comes from the server (fork_server_reap).
 * Records of the piece being run that had finished but not yet been sent
 * are reported failed with the rest. A task past its deadline: SIGKILL, the
 * same path, -ETIMEDOUT. Workers are numbered from 0 in every message.
 *
 * A job handed to a worker that died before beginning it (the board's
 * `started` never reached the job's sequence number) ran nowhere: a worker
 * killed while idle, before the parent saw the death (it looks at pidfds
 * when it waits, not when it submits), used to fail the next job with "killed
 * while running task N". That job goes back to the queue's head instead,
 * QUEUED again, once: a second such death fails it as before, so a
 * replacement that cannot even start (its initializer crashes) does not
 * make the job go round forever.
 */
#include "par/fork_pool_impl.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "par/fork_wire.h"
#include "par/proc.h"
#include "par/sys.h"

/* Records what the process in slot s did since the last take_stats. Past
 * MAX_RETIRED entries (maxtasksperchild 1 over a million tasks, never
 * taken) the rest are added into the last entry, so memory stays bounded. */
static void retire_stats(struct fpool *fp, struct wslot *s)
{
	struct board_slot *bs = &fp->board->slot[s->id];
	uint64_t tasks = atomic_load(&bs->tasks) - s->taken_tasks;
	uint64_t busy = atomic_load(&bs->busy_ns) - s->taken_busy;
	struct worker_stats *ws;

	if (fp->n_retired == MAX_RETIRED) {
		fp->retired[MAX_RETIRED - 1].tasks += tasks;
		fp->retired[MAX_RETIRED - 1].busy_ns += busy;
		return;
	}
	if (fp->n_retired == fp->cap_retired) {
		fp->cap_retired = fp->cap_retired ? 2 * fp->cap_retired : 8;
		fp->retired = xrealloc(fp->retired, fp->cap_retired * sizeof *fp->retired);
	}
	ws = &fp->retired[fp->n_retired++];
	memset(ws, 0, sizeof *ws);
	ws->pid = s->pid;
	ws->tid = atomic_load(&bs->tid) ? atomic_load(&bs->tid) : s->pid;
	ws->tasks = tasks;
	ws->busy_ns = busy;
	ws->pinned = atomic_load(&bs->pinned);
	ws->bind_errno = atomic_load(&bs->bind_errno);
	memcpy(ws->bound, bs->bound, sizeof ws->bound);
	pin_cpu_bits_take(bs->cpus_seen, ws->ran_on, sizeof ws->ran_on);
}

/* Fails the records of s's job that have no outcome, and finishes it. */
static void fail_job(struct fpool *fp, struct wslot *s, int err, const char *msg,
		     struct job **fin)
{
	struct job *j = s->job;
	struct board_slot *bs = &fp->board->slot[s->id];
	uint64_t running = atomic_load(&bs->running);
	uint64_t at = running - 1 - j->first_task;   /* the record it ran, if this job's */

	/* It died in a task writing straight into the caller's shared
	 * array (fork_child.c): a heap pointer there is the dead worker's. */
	if (running && running == atomic_load(&bs->in_place) && running - 1 >= j->first_task &&
	    at < j->n && at >= s->done) {
		j->results[at].heap = NULL;
		j->results[at].len = 0;
	}
	for (size_t k = s->done; k < j->n; k++) {
		j->status[k] = err;
		task_result_error(&j->results[k], err, "%s", msg);
	}
	atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
	fork_dispatch_push_done(fin, j);
	s->job = NULL;
}

/* What the job of a dead worker fails with. */
static void death_message(struct fpool *fp, struct wslot *s, int status, char *msg, size_t len)
{
	uint64_t running = atomic_load(&fp->board->slot[s->id].running);
	uint64_t task = running ? running - 1 : s->job->first_task + s->done;
	char how[80];

	if (s->killed) {
		char d[32];

		format_duration(d, sizeof d, (double)s->job->deadline_ns);
		snprintf(msg, len, "task %" PRIu64 " ran past its deadline of %s: worker %u (pid %d) "
			 "was killed and replaced", task, d, s->id, (int)s->pid);
	} else if (s->malformed) {
		snprintf(msg, len, "worker %u (pid %d) sent a malformed message and was killed "
			 "while running task %" PRIu64, s->id, (int)s->pid, task);
	} else if (status < 0) {
		snprintf(msg, len, "worker %u (pid %d) ended (status unknown) while running task %"
			 PRIu64, s->id, (int)s->pid, task);
	} else {
		/* An exit code of our own only when no task was running: a
		 * task may exit with any code. */
		const char *why = WIFEXITED(status) && !running ?
				  fork_exit_meaning(WEXITSTATUS(status)) : NULL;

		snprintf(msg, len, "worker %u (pid %d) %s while running task %" PRIu64 "%s%s",
			 s->id, (int)s->pid, proc_status_text(status, how, sizeof how), task,
			 why ? ": " : "", why ? why : "");
	}
}

/* Reads what a worker sent before the end. */
static void drain(struct fpool *fp, struct wslot *s, struct job **fin)
{
	const void *m;
	size_t len;

	while (s->ch && channel_try_recv(s->ch, &m, &len) == 1)
		if (!fork_dispatch_results(fp, s, m, len, fin))
			break;
}

/* The worker in s is dead or dying (its pidfd is readable, its channel
 * ended, or we killed it): read its last results, reap it, fail its job,
 * free the slot. why_err: 0 for a death, else the status to fail the job
 * with (terminate). */
void fork_death_bury(struct fpool *fp, struct wslot *s, int why_err, struct job **fin)
{
	int status;

	drain(fp, s, fin);
	status = fork_server_reap(fp, s->pid, s->pidfd, s->served);
	retire_stats(fp, s);
	board_drop_token(fp->board, (int32_t)s->id + 1);
	fork_prefetch_return(fp, s, why_err, fin);   /* what it had not started */
	if (s->job && !why_err && !s->malformed && !s->job->requeued && s->done == 0 &&
	    atomic_load(&fp->board->slot[s->id].started) != s->job_seq) {
		/* Handed over, never begun: it runs on another worker. */
		s->job->requeued = true;
		atomic_store_explicit(&s->job->state, JOB_QUEUED, memory_order_release);
		fork_dispatch_push_front(fp, s->job);
		s->job = NULL;
	}
	if (s->job) {
		char msg[300];

		if (why_err) {
			uint64_t running = atomic_load(&fp->board->slot[s->id].running);

			snprintf(msg, sizeof msg, "the pool was terminated while worker %u (pid %d) "
				 "was running task %" PRIu64, s->id, (int)s->pid,
				 running ? running - 1 : s->job->first_task + s->done);
			fail_job(fp, s, why_err, msg, fin);
		} else {
			death_message(fp, s, status, msg, sizeof msg);
			fail_job(fp, s, s->killed ? -ETIMEDOUT : -ECHILD, msg, fin);
		}
	}
	channel_free(s->ch);
	s->ch = NULL;
	fork_death_unwatch(fp, s->pidfd);
	close(s->pidfd);
	s->pidfd = -1;
	fork_slot_state(fp, s, W_EMPTY, false);
	s->pid = 0;
}

/* maxtasksperchild: lets the (idle) worker in s go; it exits when it sees
 * its channel close. */
void fork_death_retire(struct fpool *fp, struct wslot *s)
{
	retire_stats(fp, s);
	channel_free(s->ch);
	s->ch = NULL;
	if (fp->n_exiting == fp->cap_exiting) {
		fp->cap_exiting = fp->cap_exiting ? 2 * fp->cap_exiting : 8;
		fp->exiting = xrealloc(fp->exiting, fp->cap_exiting * sizeof *fp->exiting);
	}
	fp->exiting[fp->n_exiting].pid = s->pid;
	fp->exiting[fp->n_exiting].pidfd = s->pidfd;
	fp->exiting[fp->n_exiting].served = s->served;
	fp->n_exiting++;
	s->pidfd = -1;
	s->pid = 0;
	fork_slot_state(fp, s, W_EMPTY, false);
}

/* Reaps and forgets the exiting workers whose pidfd is readable (all of
 * them when ready is NULL). */
static void reap_exiting(struct fpool *fp, const struct pollfd *ready)
{
	unsigned k = 0;

	for (unsigned i = 0; i < fp->n_exiting; i++) {
		if (!ready || ready[i].revents) {
			fork_server_reap(fp, fp->exiting[i].pid, fp->exiting[i].pidfd,
					 fp->exiting[i].served);
			fork_death_unwatch(fp, fp->exiting[i].pidfd);
			close(fp->exiting[i].pidfd);
			fp->exiting[i].pidfd = -1;
		}
	}
	for (unsigned i = 0; i < fp->n_exiting; i++)
		if (fp->exiting[i].pidfd >= 0)
			fp->exiting[k++] = fp->exiting[i];
	fp->n_exiting = k;
}

void fork_death_watch(struct fpool *fp, int pidfd)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (epoll_ctl(fp->death_epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0)
		fp->unwatched++;
}

void fork_death_unwatch(struct fpool *fp, int pidfd)
{
	if (epoll_ctl(fp->death_epfd, EPOLL_CTL_DEL, pidfd, NULL) < 0 && fp->unwatched)
		fp->unwatched--;   /* it was one of those */
}

bool fork_death_check(struct fpool *fp, struct job **fin)
{
	struct epoll_event ev;
	unsigned n;
	bool any = false;

	if (!fp->unwatched && epoll_wait(fp->death_epfd, &ev, 1, 0) <= 0)
		return false;   /* no pidfd readable (DESIGN) */
	n = fork_poll_pidfds(fp, NULL, NULL);
	if (poll(fp->pfd, n, 0) <= 0)
		return false;
	for (unsigned i = 0; i < fp->n; i++) {
		if (fp->pfd[i].revents) {
			fork_death_bury(fp, &fp->w[i], 0, fin);
			any = true;
		}
	}
	reap_exiting(fp, &fp->pfd[fp->n]);
	return any;
}

void fork_death_await(struct fpool *fp, uint64_t grace_ns)
{
	uint64_t until = now_ns() + grace_ns;

	for (;;) {
		unsigned k = 0, live, n = fork_poll_pidfds(fp, NULL, &live);
		uint64_t now = now_ns();
		struct timespec ts;

		/* A readable pidfd stays readable: done when all are. */
		if (live == 0 || poll(fp->pfd, n, 0) == (int)live)
			return;
		if (now >= until)
			break;
		/* Sleep until one more of those still running ends (the set
		 * is rebuilt each round), or the grace is over. */
		for (unsigned i = 0; i < n; i++)
			if (fp->pfd[i].fd >= 0 && !fp->pfd[i].revents)
				fp->pfd[k++] = fp->pfd[i];
		ts.tv_sec = (time_t)((until - now) / 1000000000u);
		ts.tv_nsec = (long)((until - now) % 1000000000u);
		ppoll(fp->pfd, k, &ts, NULL);
	}
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state != W_EMPTY)
			proc_pidfd_signal(fp->w[i].pidfd, SIGKILL);
	for (unsigned i = 0; i < fp->n_exiting; i++)
		proc_pidfd_signal(fp->exiting[i].pidfd, SIGKILL);
}

void fork_death_bury_all(struct fpool *fp, int err, struct job **fin)
{
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state != W_EMPTY)
			fork_death_bury(fp, &fp->w[i], err, fin);
	reap_exiting(fp, NULL);
}
