/* fork_pool.c: the process backend (fork_pool_ops): N persistent worker
 * processes fed through channels, replaced when they die, time out or have
 * run maxtasksperchild tasks. This file starts, joins, terminates and frees
 * a pool; fork_pool_impl.h lists the files that do the rest, by role.
 *
 * DESIGN
 * fp_start maps the scoreboard (a MAP_SHARED memfd, one slot per worker),
 * starts the fork server the start method needs and the N workers
 * (fork_server.c says how, by start method: the fork method refuses a
 * parent with threads). Join drains what is queued and running, then closes every
 * channel (end of input tells a worker to exit) and waits JOIN_GRACE_NS
 * before SIGKILL; terminate cancels what is queued and sends SIGTERM, then
 * SIGKILL after TERM_GRACE_NS. Both make the poller leave first (quiesce),
 * reap every worker and then the server. Stats of workers gone are kept
 * (bounded) until take_stats.
 *
 * Where a fork pool's time went (issue 13; 2-vCPU VM shared with other
 * builds, perf record -e cpu-clock -g, strace -c -f, tvp overhead):
 *   - start-up timed as work: a first task after pool_new cost 100-160 us
 *     against 7-10 us warm, because the workers were still starting. Now
 *     pool_new warms the pool before it returns (pool.c).
 *   - O(workers) system calls per look: the pump read every worker's
 *     channel, a read() per pipe, so one hand-off to an idle pool of 128
 *     pipe workers cost 38-88 us against 9 us at one worker (perf: read
 *     and the pipe's mutex on top). Now only busy workers' channels are
 *     read and polled (fork_dispatch.c, fork_poll.c).
 *   - one job in flight per worker: a worker that finished waited, spinning,
 *     for the parent to read its result and post the next (executor-fork
 *     noop: a quarter of the samples in the worker's spin loop, a fifth in
 *     context switches). Now a busy worker holds a second job
 *     (fork_prefetch.c).
 *   - the pipe channel: a worker waiting on a pipe slept in poll at once,
 *     so every hand-off to an idle pipe worker was a wake-up, and the parent
 *     blocked SIGPIPE around every write. Now a pipe end spins in the same
 *     window, looking with ioctl(FIONREAD), and the parent holds a read end
 *     of each down pipe instead of the guard: one round trip 9-16 us ->
 *     4.0-5.3 us, against 1.3-2.0 us for the thread pool in the same
 *     minutes (channel_pipe.c).
 *   - tvp's own reads between setup and the timed region (CPU pressure,
 *     run-queue delay: 40-100 us) outlast the spin window, so a one-task
 *     cell timed a sleeping worker's wake-up: 87 us over shm, 19 us for a
 *     thread pool, against 2.3-2.4 us warm. Now the run loop calls
 *     pool_wake last before the timed region (bench/run/measure.c). Two
 *     more pieces of such a cell were not the hand-off: taking the
 *     workers' statistics (2.7-3 us, now after the timed region: the
 *     modes' collect), and the worker's first run of the task's code,
 *     10 us against 1.6 us after (a fork leaves a file mapping's page
 *     table entries to be faulted in: the worker now populates the
 *     program's code at start, fork_child.c).
 *   - a map of empty tasks (1,000,000 noop, 2 workers): the parent is the
 *     bottleneck, busy for the whole map (its CPU time = the wall time):
 *     it decodes every result record into the caller's array of struct
 *     task_result (44 bytes a task with the status: 44 MB written by one
 *     core, 4-5 ns a record measured alone), where a thread pool's two
 *     workers write the same array in parallel. Calls to memmove for each
 *     small result (a sixth of the parent) and to free(NULL) in every
 *     task_result_set went (fixed-size copies, task.h's inline fast path),
 *     as did the map's copy of its arguments (pool_map.c). That left
 *     the copy back: 10 ms against the thread pool's 3-4.5 in a driver
 *     over libtvp.a. Then the caller's arrays in shared memory made before
 *     the pool (par/shared_mem.h; tvp run's are): the worker reads the
 *     arguments where they lie and the task writes its result straight
 *     into the caller's slot, as in a thread; only the count and large
 *     results travel, and a job is one message (so it can be prefetched).
 *     A result built aside and copied in still cost 1.6 times the thread
 *     pool (the worker's loop must be as lean as a thread's), and a fresh
 *     worker faulted its way through the shared pages (a fork copies no
 *     page table entries of a shared mapping: it now maps them at start,
 *     fork_child.c). tvp run noop 1,000,000 at 2 workers: fork-pool within
 *     noise of thread-pool (paired ratios 0.89 and 1.07, from 1.4-1.9).
 *   - a one-task tvp run cell (timestamps in a build made for it): a
 *     worker's first map over the cell's arrays paid its first touches of
 *     them, of the workload's instance and of the in-place path (2.7 us;
 *     a thread pool's, 2.0), and in about one one-worker pool in seven the
 *     worker had been forked onto the caller's PU and both stayed there.
 *     Now the mode's ready hook ends the wake-up with those records
 *     (pool_wake_map) and pool_new's caller sleeps while workers start
 *     (pool_life.c): the cell went from 2.3-3.1 times the warmed hand-off
 *     to 1.4-1.8. The shared-memory look-ups of a submit (0.4-0.7 us: three
 *     locked list walks) now read a per-pool copy (shared_mem.c).
 *   - a wave of 128 jobs to 128 idle, sleeping workers: the parent posts
 *     one every 4.7-5.5 us where a thread pool queues one every 3.3-4.7;
 *     the wake-up system call is most of both (3.1-4.5 us, eventfd or
 *     futex alike). A map's jobs now arrive in one submit (one lock, and
 *     the idle workers listed once, not scanned per job: 0.3-0.45 us a
 *     job): map_async of 256 sleeping tasks at 128 workers returned after
 *     688-721 us instead of 741-907. Left: writing into each worker's
 *     ring (0.35-0.65 us a job, its lines cold), so the 128th task still
 *     starts 150-300 us after a thread pool's.
 *   - the same map, whole (perf -a over 150 maps, after start-up): the
 *     parent used twice a thread pool caller's CPU (16-18% of the samples
 *     against 7%). A pump after every pause of its spin, over all 128
 *     channels, and a poll() of 128 pidfds every 0.2 ms and again in every
 *     sleep. Now the spinning parent pumps only when the board has news
 *     or the last pump left work, and then only the slots whose workers
 *     set a ready bit (fork_poll.c), and the pidfds sit in one
 *     epoll set (fork_death.c): the pump and the death check left the
 *     profile. The sleep's ppoll over each busy channel's eventfd and
 *     socket (257 descriptors, 40% of the parent's samples) is now over
 *     four: the shm channels share one eventfd (channel_share_wake).
 *     strace -c of the parent over 30 such maps: ppoll 21-31 -> 3-4 us a
 *     call, poll() of the pidfds 845-932 calls -> 2, all its system calls
 *     about 1.7 -> 0.55 ms a map (strace's own cost included). Four
 *     alternated runs of `tvp run` of that map, fork-pool/thread-pool:
 *     0.957-0.982, mean 0.970 (before: 0.957-0.976, mean 0.965), within
 *     the noise. The floor: `tvp overhead --only
 *     wave-thread-128,wave-process-128`, bare threads and processes woken
 *     the same way, processes 1.01-1.02 times slower (bench/overhead/wave.c).
 *   - what is left of that map's gap (a driver running thread-pool,
 *     fork-pool and both executors alternately in one process, 40-60
 *     rounds, medians; 2026-11-30): the 128th task starts 564-818 us after
 *     the map begins in a thread pool and 992-1466 us in a fork pool, most
 *     of the final gap. Half of it is the parent's own CPU in the dispatch
 *     (CLOCK_THREAD_CPUTIME_ID around map_async: 620-760 us against
 *     330-530; the eventfd write that wakes a worker about 3.7 us of a
 *     post, a thread pool's futex wake 2.2 in a bare driver), half the
 *     woken workers preempting it on its PU (about 50 involuntary switches
 *     of the caller per dispatch in both pools) with slices of 8 us
 *     median against a thread worker's 5 (perf sched timehist; bare
 *     processes 6, bare threads 4: a process switch costs more on this
 *     VM). Tried and dropped, each within 0.4% in paired rounds: workers
 *     that sleep on a futex in the channel's page instead of poll() on an
 *     eventfd (the waker reads how its peer sleeps from the sleeping word);
 *     prefetching the next idle worker's ring lines in the dispatch loop;
 *     and, in a bare driver, a wake-up tree (each woken worker wakes two):
 *     the chain's latency outweighed the parallel wake-ups. Also dropped:
 *     the parent not spinning at all while busy workers outnumber the PUs
 *     (spin_window, as the issue suggested): 3% slower (fork-pool time
 *     ratio spinning/not 0.970, quartiles 0.954-0.998, 40 alternated
 *     rounds), the last task ending 320 us later; likely because a parent
 *     asleep costs every worker that sends a result an eventfd write to
 *     wake it, while a spinning one reads it for free (not traced
 *     further). The same driver counted the parent's CPU over a whole map,
 *     2.6-2.7 ms of its 11.8 against a thread pool caller's 0.7, and two
 *     voluntary sleeps against 73-87.
 *   - counting system calls of that map per round (perf stat -e
 *     syscalls:sys_enter_write, perf record by pid): the parent wrote 133
 *     eventfds (its 128 wake-ups) but the workers 259, two each, while the
 *     parent slept about three times a round. When the parent woke it
 *     disarmed only the channels with descriptors of their own in its poll
 *     set; an shm channel sharing its eventfd has none, so its "parent
 *     sleeping" word stayed set and its worker paid a wake-up call after
 *     each result, before its next task (fork_poll.c's disarm). Fixed: 29
 *     worker writes a round; alternated tvp runs of the 128-worker map,
 *     fork-pool 0.959-0.988 of thread-pool's speedup against 0.945-0.974
 *     before (README). Worth knowing that a wake-up's cost is the
 *     scheduler's, not the system call's: 128 bare processes woken by one
 *     FUTEX_WAKE of a shared word had the last of them running as late as
 *     with 128 calls (0.56-0.66 ms either way, a bare driver
 *     alternating both, 30 rounds), so batching wake-ups was not pursued.
 */
#include "par/fork_pool_impl.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "par/proc.h"
#include "par/shared_mem.h"
#include "par/sys.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Stops taking part: makes the poller leave and waits until it has. */
static void quiesce(struct fpool *fp)
{
	fp->stopping = true;
	while (fp->poller && !pthread_equal(fp->poller_thread, pthread_self())) {
		fork_poll_rouse(fp);
		fork_poll_cond_wait_until(fp, now_ns() + 10000000u);
	}
}

static int fp_join(struct pool *p)
{
	struct fpool *fp = fpool_of(p);
	struct job *fin = NULL;

	/* The front end has closed the pool: drain what is queued and
	 * running, making progress ourselves. */
	for (;;) {
		bool busy;

		pthread_mutex_lock(&fp->mu);
		busy = fp->qhead != NULL;
		for (unsigned i = 0; i < fp->n; i++)
			busy = busy || fp->w[i].state == W_BUSY;
		pthread_mutex_unlock(&fp->mu);
		if (!busy)
			break;
		fork_poll_progress(p, 100000000, NULL);
	}
	pthread_mutex_lock(&fp->mu);
	quiesce(fp);
	/* End of input tells each worker to exit. */
	for (unsigned i = 0; i < fp->n; i++) {
		if (fp->w[i].state != W_EMPTY) {
			channel_free(fp->w[i].ch);
			fp->w[i].ch = NULL;
		}
	}
	fork_death_await(fp, JOIN_GRACE_NS);
	fork_death_bury_all(fp, -ECANCELED, &fin);
	fork_server_stop(fp);
	fp->stopped = true;
	fork_dispatch_deliver(fp, fin);
	pthread_mutex_unlock(&fp->mu);
	return 0;
}

static void fp_terminate(struct pool *p)
{
	struct fpool *fp = fpool_of(p);
	struct job *fin = NULL;

	pthread_mutex_lock(&fp->mu);
	quiesce(fp);
	while (fp->qhead) {
		struct job *j = fp->qhead;
		int expect = JOB_QUEUED;

		fp->qhead = j->next;
		if (atomic_compare_exchange_strong(&j->state, &expect, JOB_CANCELLED))
			fork_dispatch_push_done(&fin, j);
	}
	fp->qtail = NULL;
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state != W_EMPTY)
			proc_pidfd_signal(fp->w[i].pidfd, SIGTERM);
	for (unsigned i = 0; i < fp->n_exiting; i++)
		proc_pidfd_signal(fp->exiting[i].pidfd, SIGTERM);
	fork_death_await(fp, TERM_GRACE_NS);
	fork_death_bury_all(fp, -ECANCELED, &fin);
	fork_server_stop(fp);
	fp->stopped = true;
	fork_dispatch_deliver(fp, fin);
	pthread_mutex_unlock(&fp->mu);
}

static void fp_free_state(struct fpool *fp)
{
	for (unsigned i = 0; i < fp->n; i++) {
		channel_free(fp->w[i].ch);
		close_fd(&fp->w[i].pidfd);
	}
	if (fp->board)
		munmap(fp->board, fp->board_bytes);
	close_fd(&fp->board_fd);
	close_fd(&fp->wake_efd);
	close_fd(&fp->death_epfd);
	close_fd(&fp->chan_efd);
	free(fp->tmpl);
	pthread_cond_destroy(&fp->cv);
	pthread_mutex_destroy(&fp->mu);
	free(fp->w);
	free(fp->retired);
	free(fp->exiting);
	free(fp->pfd);
	free(fp->pfd_first);
	free(fp->pfd_count);
	free(fp);
}

static void fp_destroy(struct pool *p)
{
	struct fpool *fp = fpool_of(p);

	if (!fp)
		return;
	if (!fp->stopped)
		fp_terminate(p);
	fp_free_state(fp);
	pool_base(p)->backend = NULL;
}

static unsigned fp_take_stats(struct pool *p, struct worker_stats *out, unsigned max)
{
	struct fpool *fp = fpool_of(p);
	unsigned k = 0;

	pthread_mutex_lock(&fp->mu);
	for (unsigned i = 0; i < fp->n_retired && k < max; i++)
		out[k++] = fp->retired[i];
	fp->n_retired = 0;
	for (unsigned i = 0; i < fp->n; i++) {
		struct wslot *s = &fp->w[i];
		struct board_slot *bs = &fp->board->slot[i];
		uint64_t tasks, busy;

		if (s->state == W_EMPTY)
			continue;
		tasks = atomic_load(&bs->tasks);
		busy = atomic_load(&bs->busy_ns);
		if (k < max) {
			memset(&out[k], 0, sizeof out[k]);
			out[k].pid = s->pid;
			out[k].tid = atomic_load(&bs->tid) ? atomic_load(&bs->tid) : s->pid;
			out[k].tasks = tasks - s->taken_tasks;
			out[k].busy_ns = busy - s->taken_busy;
			out[k].pinned = atomic_load(&bs->pinned);
			out[k].bind_errno = atomic_load(&bs->bind_errno);
			memcpy(out[k].bound, bs->bound, sizeof out[k].bound);
			pin_cpu_bits_take(bs->cpus_seen, out[k].ran_on, sizeof out[k].ran_on);
			k++;
		}
		s->taken_tasks = tasks;
		s->taken_busy = busy;
	}
	pthread_mutex_unlock(&fp->mu);
	return k;
}

static int fp_start(struct pool *p, char *err, size_t errlen)
{
	const struct pool_options *opt = &pool_base(p)->opt;
	struct fpool *fp = xcalloc(1, sizeof *fp);
	pthread_condattr_t ca;
	int rc;

	fp->p = p;
	fp->n = opt->workers;
	fp->child.parent_pid = getpid();
	fp->child.kind = opt->channel;
	fp->child.spin_ns = opt->spin_ns;
	fp->child.pin = opt->pin;
	fp->child.initializer = opt->initializer;
	fp->child.initarg = opt->initarg;
	fp->start = opt->start;
	/* Taken before the server and the workers are forked: what is
	 * shared by then is theirs too (shared_mem.h). */
	if (fp->start == POOL_START_FORK && fp->child.kind == CHANNEL_SHM)
		fp->shared_gen = shared_mem_generation();
	fp->pus = sys_usable_pus();
	fp->wake_efd = fp->board_fd = fp->death_epfd = fp->chan_efd = -1;
	pthread_mutex_init(&fp->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&fp->cv, &ca);
	pthread_condattr_destroy(&ca);
	fp->w = xcalloc(fp->n, sizeof *fp->w);
	fp->pfd_first = xcalloc(fp->n, sizeof *fp->pfd_first);
	fp->pfd_count = xcalloc(fp->n, sizeof *fp->pfd_count);
	fp->idle_first = fp->idle_last = -1;
	for (unsigned i = 0; i < fp->n; i++) {
		fp->w[i].id = i;
		fp->w[i].pidfd = -1;
		fp->w[i].idle_prev = fp->w[i].idle_next = -1;
	}
	pool_base(p)->backend = fp;

	rc = fork_server_start(fp, err, errlen);
	if (rc < 0)
		goto out_stop;
	fp->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fp->wake_efd < 0) {
		rc = -errno;
		snprintf(err, errlen, "eventfd (the pool's wake-up): %s", strerror(-rc));
		goto out_stop;
	}
	fp->death_epfd = epoll_create1(EPOLL_CLOEXEC);
	if (fp->death_epfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "epoll_create1 (the workers' pidfds): %s", strerror(-rc));
		goto out_stop;
	}
	if (fp->child.kind == CHANNEL_SHM) {
		fp->chan_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fp->chan_efd < 0) {
			rc = -errno;
			snprintf(err, errlen, "eventfd (the workers' wake-up of the parent): %s",
				 strerror(-rc));
			goto out_stop;
		}
	}
	for (unsigned i = 0; i < fp->n; i++) {
		if (opt->stop && *opt->stop) {
			snprintf(err, errlen, "interrupted while starting worker %u of %u", i + 1, fp->n);
			rc = -EINTR;
			goto out_stop;
		}
		rc = fork_server_spawn(fp, &fp->w[i], err, errlen);
		if (rc < 0)
			goto out_stop;
	}
	return 0;

out_stop:
	{
		struct job *fin = NULL;

		for (unsigned i = 0; i < fp->n; i++)
			if (fp->w[i].state != W_EMPTY)
				proc_pidfd_signal(fp->w[i].pidfd, SIGKILL);
		fork_death_bury_all(fp, 0, &fin);
		fp->n_retired = 0;
		fork_server_stop(fp);
	}
	fp_free_state(fp);
	pool_base(p)->backend = NULL;
	return rc;
}

const struct pool_backend_ops fork_pool_ops = {
	.start = fp_start,
	.submit = fork_dispatch_submit,
	.cancel = fork_dispatch_cancel,
	.progress = fork_poll_progress,
	.join = fp_join,
	.terminate = fp_terminate,
	.destroy = fp_destroy,
	.take_stats = fp_take_stats,
	.wake = fork_poll_wake,
};
