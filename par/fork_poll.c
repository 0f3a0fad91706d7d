/* fork_poll.c: waiting on a fork pool: one caller thread at a time is the
 * poller and makes progress (spin, then sleep in ppoll on every channel,
 * pidfd and the wake eventfd); the others sleep on a condition variable.
 *
 * DESIGN
 * All progress happens in ops->progress, called by whichever caller thread
 * waits (fork_dispatch.c does the work of one round). One waiter at a time
 * is the "poller"; the others sleep on fpool.cv until it reports something.
 * The poller spins for spin_ns after anything moved (yielding between
 * looks: a worker sharing its core is what it waits for; not at all while
 * every PU runs a worker with a long job, see spin_window), then sleeps in
 * ppoll until a channel, a pidfd or the wake eventfd (submit, wake) fires,
 * or the earliest deadline of a running task or of a retried spawn. The
 * pidfds enter the sleep as one epoll descriptor (fork_death.c), and the shm
 * channels as one eventfd all their workers write (channel_share_wake), so
 * an shm pool sleeps on 4 descriptors at any size (a pipe pool's channels
 * are their own wake-ups: one per busy worker). fork_poll_pidfds builds a
 * poll set of every pidfd for the death check's fallback and for the grace
 * period of join and terminate.
 *
 * The poller pumps (fork_dispatch_pump) only when it could find something:
 * the board's news counter moved (a worker sent results or claimed a
 * prefetched job), the last pump left work behind (a send waiting for
 * room, pieces of a job to feed, a deadline, a message half read, a worker
 * to start, jobs queued), a death check is due, or QUIET_PUMP_NS (25 us)
 * passed; and always before it sleeps, but not on entering progress (an
 * executor's caller enters once per future it waits for). A pump then
 * visits only the slots whose workers set their bit in the board's ready
 * words (board_note_ready), unless the last pump left work behind or
 * FULL_PUMP_NS (1 ms) passed since one visited every slot: a worker's death
 * shows on its pidfd, so nothing else needs a look at a slot nobody
 * touched. Before, a pump after every pause of the spin walked every
 * channel: in a map of 256 sleeping tasks at 128 workers that walk
 * (shm_peek, channel_try_recv, the pump) was about a third of the parent's
 * profile samples (perf -a, cpu-clock).
 */
#include "par/fork_pool_impl.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include "par/sys.h"

void fork_poll_reserve(struct fpool *fp, unsigned need)
{
	if (fp->cap_pfd < need) {
		fp->cap_pfd = 2 * need + 8;
		fp->pfd = xrealloc(fp->pfd, fp->cap_pfd * sizeof *fp->pfd);
	}
}

static void set_pollfd(struct pollfd *pfd, int fd)
{
	pfd->fd = fd;
	pfd->events = POLLIN;
	pfd->revents = 0;
}

unsigned fork_poll_pidfds(struct fpool *fp, struct pollfd *pfd, unsigned *live)
{
	unsigned n = 0, k = 0;

	if (!pfd) {
		fork_poll_reserve(fp, fp->n + fp->n_exiting);
		pfd = fp->pfd;
	}
	for (unsigned i = 0; i < fp->n; i++) {
		bool empty = fp->w[i].state == W_EMPTY;

		set_pollfd(&pfd[n++], empty ? -1 : fp->w[i].pidfd);
		k += !empty;
	}
	for (unsigned i = 0; i < fp->n_exiting; i++)
		set_pollfd(&pfd[n++], fp->exiting[i].pidfd);
	if (live)
		*live = k + fp->n_exiting;
	return n;
}

#define NOT_ARMED UINT_MAX   /* pfd_first of a slot sleep_poll did not arm */

/* Takes the channels sleep_poll armed among the first `armed` slots out of
 * the poll set again, each told it may stop waking us. An shm channel that
 * shares our wake-up eventfd has no descriptor of its own in the set
 * (pfd_count 0) and must still be disarmed: once this skipped it, so its
 * "parent sleeping" word stayed set, and each worker wrote the eventfd
 * after each of its results (two writes a worker per round of a map of
 * 256 sleeping tasks at 128 workers, for the parent's three sleeps), each
 * also a needless wake-up of the parent. */
static void disarm(struct fpool *fp, unsigned armed)
{
	for (unsigned i = 0; i < armed; i++)
		if (fp->pfd_first[i] != NOT_ARMED && fp->w[i].state != W_EMPTY)
			channel_disarm(fp->w[i].ch, &fp->pfd[fp->pfd_first[i]], fp->pfd_count[i]);
}

/* Sleeps in ppoll on every channel, pidfd and the wake eventfd, until
 * something happens or until `until`. Returns false without sleeping when a
 * channel has something to do already. Called with mu held; drops it while
 * asleep. */
static bool sleep_poll(struct fpool *fp, uint64_t until)
{
	unsigned n = 0, armed = 0;
	unsigned *first = fp->pfd_first, *count = fp->pfd_count;
	struct timespec ts, *tsp = NULL;
	uint64_t now, v;

	fork_poll_reserve(fp, fp->n * (CHANNEL_MAX_POLLFDS + 1) + fp->n_exiting + 3);
	for (unsigned i = 0; i < fp->n; i++) {
		struct wslot *s = &fp->w[i];

		first[i] = NOT_ARMED;
		count[i] = 0;
		if (s->state != W_BUSY)
			continue;   /* only a busy worker sends; its pidfd tells a death */
		if (!channel_arm(s->ch)) {
			disarm(fp, armed);
			return false;
		}
		first[i] = n;
		armed = i + 1;
		count[i] = channel_pollfds(s->ch, &fp->pfd[n]);
		n += count[i];
	}
	if (fp->unwatched)
		n += fork_poll_pidfds(fp, &fp->pfd[n], NULL);
	else   /* every pidfd, in one descriptor (fork_death.c) */
		set_pollfd(&fp->pfd[n++], fp->death_epfd);
	if (fp->chan_efd >= 0)   /* every shm channel's, in one (channel_share_wake) */
		set_pollfd(&fp->pfd[n++], fp->chan_efd);
	set_pollfd(&fp->pfd[n++], fp->wake_efd);
	now = now_ns();
	if (until != UINT64_MAX) {
		uint64_t left = until > now ? until - now : 0;

		ts.tv_sec = (time_t)(left / 1000000000u);
		ts.tv_nsec = (long)(left % 1000000000u);
		tsp = &ts;
	}
	fp->poller_sleeping = true;
	pthread_mutex_unlock(&fp->mu);
	if (ppoll(fp->pfd, n, tsp, NULL) < 0)
		for (unsigned i = 0; i < n; i++)
			fp->pfd[i].revents = 0;
	pthread_mutex_lock(&fp->mu);
	fp->poller_sleeping = false;
	if (fp->pfd[n - 1].revents)
		while (read(fp->wake_efd, &v, sizeof v) < 0 && errno == EINTR)
			;
	if (fp->chan_efd >= 0 && fp->pfd[n - 2].revents)
		while (read(fp->chan_efd, &v, sizeof v) < 0 && errno == EINTR)
			;
	/* A pidfd may have fired: look at them all next round. */
	fp->next_death_check = 0;
	disarm(fp, armed);
	return true;
}

static bool is_ready(struct fpool *fp, const _Atomic int *flag, uint64_t base)
{
	if (flag)
		return atomic_load_explicit(flag, memory_order_acquire) != 0;
	return fp->done_seq != base;
}

/* The earliest deadline of a running job, or `until`. */
static uint64_t next_wakeup(struct fpool *fp, uint64_t until)
{
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state == W_BUSY && fp->w[i].deadline_at && !fp->w[i].killed &&
		    fp->w[i].deadline_at < until)
			until = fp->w[i].deadline_at;
	for (unsigned i = 0; i < fp->n; i++)
		if (fp->w[i].state == W_EMPTY && fp->spawn_retry_at < until)
			until = fp->spawn_retry_at;
	return until;
}

/* How long the poller may spin now: the spin window, or 0 when every PU is
 * taken by a worker with a long job (LONG_JOB_RECORDS outcomes or more to
 * come). Spinning then takes a core from a worker, and the next message is
 * far off: in a map of a million empty tasks on two PUs, the parent spun
 * between result messages, its CPU time equal to the wall time, and the
 * workers ran half the time (their busy_ns half the wall). Asleep, it is
 * woken by the message (an eventfd write per 64 KiB of results). A short
 * job's result is near, so the parent keeps spinning for it, as it does
 * while a PU is free for it to spin on. */
static uint64_t spin_window(struct fpool *fp)
{
	unsigned busy = 0;

	if (pool_base(fp->p)->starting)
		return 0;   /* workers starting: sleep (pool_life.c) */
	for (unsigned i = 0; i < fp->n; i++) {
		const struct wslot *s = &fp->w[i];

		if (s->state != W_BUSY)
			continue;
		if (s->job->n - s->done < LONG_JOB_RECORDS)
			return fp->child.spin_ns;
		busy++;
	}
	return busy < fp->pus ? fp->child.spin_ns : 0;
}

/* The poller's loop: pump, spin, sleep. mu held. */
static int poll_loop(struct fpool *fp, uint64_t deadline, const _Atomic int *flag,
		     uint64_t base)
{
	bool outer = !fp->poller;
	uint64_t spin_end = now_ns() + spin_window(fp);
	int rc;

	fp->poller = true;
	fp->poller_thread = pthread_self();
	for (;;) {
		struct job *fin = NULL;
		uint64_t now = now_ns();
		bool moved = false;

		/* Before a sleep; else only when it could find something
		 * (DESIGN). */
		if (now >= spin_end || fork_dispatch_pump_due(fp, now)) {
			moved = fork_dispatch_pump(fp, &fin);
			fork_dispatch_deliver(fp, fin);
		}
		if (is_ready(fp, flag, base)) {
			rc = 0;
			break;
		}
		now = now_ns();
		if (now >= deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		if (fp->stopping) {
			rc = -ETIMEDOUT;
			break;
		}
		if (moved)
			spin_end = now + spin_window(fp);
		if (now < spin_end) {
			/* Let submitters in while spinning. Between pumps,
			 * watch the board's count of result messages after
			 * every pause, as the thread pool watches its flag: a
			 * pump per 32 pauses (0.7 us here) made a result wait
			 * half of that on average. */
			uint64_t news = atomic_load_explicit(&fp->board->news,
							     memory_order_acquire);
			bool seen = false;

			pthread_mutex_unlock(&fp->mu);
			for (int i = 0; i < 32 && !seen; i++) {
				cpu_relax();
				seen = atomic_load_explicit(&fp->board->news,
							    memory_order_acquire) != news;
			}
			/* A worker sharing our core is what we wait for:
			 * let it run first. */
			if (!seen)
				sched_yield();
			pthread_mutex_lock(&fp->mu);
			continue;
		}
		sleep_poll(fp, next_wakeup(fp, deadline));
	}
	if (outer) {
		fp->poller = false;
		pthread_cond_broadcast(&fp->cv);
	}
	return rc;
}

void fork_poll_cond_wait_until(struct fpool *fp, uint64_t until_ns)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(until_ns / 1000000000u);
	ts.tv_nsec = (long)(until_ns % 1000000000u);
	pthread_cond_timedwait(&fp->cv, &fp->mu, &ts);
}

int fork_poll_progress(struct pool *p, int64_t timeout_ns, const _Atomic int *flag)
{
	struct fpool *fp = fpool_of(p);
	uint64_t now = now_ns();
	uint64_t deadline = timeout_ns == POOL_FOREVER ? UINT64_MAX :
			    now + (uint64_t)(timeout_ns > 0 ? timeout_ns : 0);
	uint64_t base;
	int rc;

	pthread_mutex_lock(&fp->mu);
	base = flag ? 0 : fp->seen_seq;
	for (;;) {
		if (is_ready(fp, flag, base)) {
			rc = 0;
			break;
		}
		if (fp->stopping || (fp->poller && !pthread_equal(fp->poller_thread, pthread_self()))) {
			/* Someone else pumps (or nothing is left to pump): wait
			 * for its reports. */
			now = now_ns();
			if (now >= deadline) {
				rc = -ETIMEDOUT;
				break;
			}
			fork_poll_cond_wait_until(fp, deadline < now + 50000000u ? deadline : now + 50000000u);
			continue;
		}
		rc = poll_loop(fp, deadline, flag, base);
		break;
	}
	if (!flag)
		fp->seen_seq = fp->done_seq;
	pthread_mutex_unlock(&fp->mu);
	return rc;
}

void fork_poll_rouse(struct fpool *fp)
{
	uint64_t one = 1;

	if (fp->poller_sleeping)
		while (write(fp->wake_efd, &one, sizeof one) < 0 && errno == EINTR)
			;
}

void fork_poll_wake(struct pool *p)
{
	struct fpool *fp = fpool_of(p);

	pthread_mutex_lock(&fp->mu);
	pthread_cond_broadcast(&fp->cv);
	fork_poll_rouse(fp);
	pthread_mutex_unlock(&fp->mu);
}
