/* fork_dispatch.c: the fork pool parent's work: jobs to idle workers in
 * pieces, results back into the jobs (decoded by fork_results.c),
 * deadlines, replacements; one non-blocking round of it is
 * fork_dispatch_pump.
 *
 * DESIGN
 * One parent thread does everything. The parent has no helper thread: all
 * progress (posting jobs, reading results, noticing deaths, killing tasks
 * past their deadline, starting replacements) happens in ops->progress,
 * called by whichever caller thread waits (fork_poll.c), and in submit. The
 * parent's channel ends never block, so one thread can stream a large job
 * to one worker while another worker streams a large result back. A job
 * goes to one idle worker (the one spinning, else the one idle most
 * recently) in pieces (fork_wire.h). A worker runs one job at a time; a job
 * handed to an idle worker is RUNNING (no longer cancellable) from then, and
 * its deadline counts from then. When no worker is idle, a busy worker may
 * get a second job to start as soon as it is done (fork_prefetch.c); that
 * job stays QUEUED until the worker starts it.
 */
#include "par/fork_pool_impl.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "par/fork_wire.h"
#include "par/proc.h"
#include "par/shared_mem.h"
#include "par/sys.h"
#include "par/task_registry.h"

void fork_dispatch_push_done(struct job **fin, struct job *j)
{
	j->next = *fin;
	*fin = j;
}

void fork_dispatch_push_front(struct fpool *fp, struct job *j)
{
	j->next = fp->qhead;
	fp->qhead = j;
	if (!fp->qtail)
		fp->qtail = j;
}

/* What names j's task on the wire: its address for a forked worker, its
 * registry id for a fresh image (pool.c let only registered tasks in). */
static uint64_t wire_fn(struct fpool *fp, task_fn fn)
{
	if (!pool_start_by_name(fp->start))
		return (uint64_t)(uintptr_t)fn;
	if (fn != fp->sent_fn) {
		fp->sent_id = task_registry_id((task_any_fn)fn);
		fp->sent_fn = fn;
	}
	return fp->sent_id;
}

_Static_assert(sizeof(struct wire_run) <= CHANNEL_POST_HDR_MAX, "a job's header must fit channel_post");
_Static_assert(sizeof(struct wire_run) % 16 == 0, "records after the header stay 16-byte aligned");

/* Whether [p, p + len) is the workers' too (mu held). */
static bool shared_with_workers(struct fpool *fp, const void *p, size_t len)
{
	return shared_mem_covers_cached(&fp->shared_seen, p, len, fp->shared_gen);
}

/* Whether j's argument records lie in memory its workers share. */
static bool fork_dispatch_args_shared(struct fpool *fp, const struct job *j)
{
	return fp->shared_gen && j->n && j->arg_size &&
	       shared_with_workers(fp, j->args, j->n * j->arg_size);
}

bool fork_dispatch_one_piece(struct fpool *fp, const struct job *j)
{
	return j->arg_size == 0 || j->n <= PIECE_BYTES / j->arg_size ||
	       fork_dispatch_args_shared(fp, j);
}

/* Which of j's arrays lie in memory its workers share (shared_mem.h), as
 * wire_run flags, with their addresses set in h. Only for workers forked
 * from this process's memory over shm; the pipe channel stays a pipe. */
static uint32_t fork_dispatch_shared(struct fpool *fp, const struct job *j,
				     struct wire_run *h)
{
	uint32_t f = 0;

	if (!fp->shared_gen || !j->n)
		return 0;
	if (fork_dispatch_args_shared(fp, j)) {
		f |= WIRE_ARGS_AT;
		h->args_at = (uint64_t)(uintptr_t)j->args;
	}
	if (shared_with_workers(fp, j->status, j->n * sizeof *j->status) &&
	    shared_with_workers(fp, j->results, j->n * sizeof *j->results)) {
		f |= WIRE_OUT_AT;
		h->status_at = (uint64_t)(uintptr_t)j->status;
		h->results_at = (uint64_t)(uintptr_t)j->results;
	}
	return f;
}

int fork_dispatch_post(struct fpool *fp, struct wslot *s, struct job *j, uint64_t seq,
		       size_t first, size_t cnt, uint32_t flags)
{
	struct wire_run h;
	int rc;

	memset(&h, 0, sizeof h);
	h.kind = MSG_RUN;
	h.flags = flags;
	h.job_seq = seq;
	h.fn = wire_fn(fp, j->fn);
	h.arg_size = j->arg_size;
	h.first = first;
	h.count = cnt;
	h.first_task = j->first_task + first;
	h.job_n = j->n;
	h.flags |= fork_dispatch_shared(fp, j, &h);
	rc = channel_post(s->ch, &h, sizeof h, j->args + first * j->arg_size,
			  h.flags & WIRE_ARGS_AT ? 0 : cnt * j->arg_size);
	if (rc < 0)
		fp->next_death_check = 0;   /* it is dead: see to it soon */
	return rc;
}

/* Posts pieces of s's job while the channel takes them. */
static void feed(struct fpool *fp, struct wslot *s)
{
	struct job *j = s->job;

	while (j && !channel_send_pending(s->ch) && s->sent < j->n) {
		size_t per = j->arg_size ? PIECE_BYTES / j->arg_size : j->n;
		size_t cnt = j->n - s->sent;

		/* Pieces let a worker start while the arguments still
		 * stream in; arguments it reads in place need none (each
		 * piece cost a message, a results message and often a
		 * wake-up: 244 of them in a map of a million records). */
		if (cnt > per && s->sent == 0 && fork_dispatch_args_shared(fp, j))
			per = j->n;

		if (per == 0)
			per = 1;
		if (cnt > per)
			cnt = per;
		if (fork_dispatch_post(fp, s, j, s->job_seq, s->sent, cnt, 0) < 0)
			return;
		s->sent += cnt;
	}
}

/* What a slot left after its part of a pump that only another pump will
 * notice: no worker's news comes of it. */
static bool slot_left_work(const struct wslot *s)
{
	if (s->state == W_EMPTY)
		return true;   /* a replacement to start */
	if (channel_send_pending(s->ch) || channel_recv_partial(s->ch))
		return true;
	return s->state == W_BUSY &&
	       (s->sent < s->job->n || (s->deadline_at && !s->killed));
}

static void idle_unlink(struct fpool *fp, struct wslot *s)
{
	if (s->idle_prev >= 0)
		fp->w[s->idle_prev].idle_next = s->idle_next;
	else
		fp->idle_first = s->idle_next;
	if (s->idle_next >= 0)
		fp->w[s->idle_next].idle_prev = s->idle_prev;
	else
		fp->idle_last = s->idle_prev;
	s->idle_prev = s->idle_next = -1;
}

void fork_slot_state(struct fpool *fp, struct wslot *s, enum wstate st, bool fresh)
{
	int me = (int)s->id;

	if (s->state == W_IDLE && st != W_IDLE)
		idle_unlink(fp, s);
	if (st == W_IDLE && s->state != W_IDLE) {
		if (fresh) {
			s->idle_prev = fp->idle_last;
			s->idle_next = -1;
			if (fp->idle_last >= 0)
				fp->w[fp->idle_last].idle_next = me;
			else
				fp->idle_first = me;
			fp->idle_last = me;
		} else {
			s->idle_prev = -1;
			s->idle_next = fp->idle_first;
			if (fp->idle_first >= 0)
				fp->w[fp->idle_first].idle_prev = me;
			else
				fp->idle_last = me;
			fp->idle_first = me;
		}
	}
	s->state = st;
}

/* The idle worker to give a job: the one spinning (it sees a job in well
 * under a microsecond), else the one idle most recently; NULL if none. */
static struct wslot *pick_idle(struct fpool *fp)
{
	int32_t spinner = atomic_load_explicit(&fp->board->spinner, memory_order_relaxed);

	if (spinner > 0 && (unsigned)spinner <= fp->n && fp->w[spinner - 1].state == W_IDLE)
		return &fp->w[spinner - 1];
	return fp->idle_first >= 0 ? &fp->w[fp->idle_first] : NULL;
}

/* Hands queued jobs to idle workers, the most recently idle first, each
 * picked in O(1) from the list of idle slots (fork_slot_state). Scanning
 * every slot per job cost a map's wave of 128 jobs 0.3-0.45 us a job;
 * listing the idle ones once per call still cost an executor, which
 * submits its futures one by one, a scan per future (1.8% of the parent's
 * samples for 256 futures at 128 workers; a submit took 7.5-9 us there
 * against a thread executor's 4.7-6.3, most of it the post itself). */
bool fork_dispatch_jobs(struct fpool *fp, uint64_t now)
{
	bool any = false;

	while ((fp->qhead || fp->n_prefetched) && fp->idle_first >= 0) {
		struct wslot *best;
		struct job *j;
		int expect = JOB_QUEUED;

		if (fp->qhead) {
			j = fp->qhead;
			fp->qhead = j->next;
			if (!fp->qhead)
				fp->qtail = NULL;
		} else if (!(j = fork_prefetch_steal(fp))) {
			break;   /* an idle worker, and nothing it could take */
		}
		/* Jobs in the queue are QUEUED (cancel takes them out under
		 * mu); the CAS is the contract's transition. */
		if (!atomic_compare_exchange_strong(&j->state, &expect, JOB_RUNNING))
			continue;
		best = pick_idle(fp);
		fork_slot_state(fp, best, W_BUSY, false);
		best->job = j;
		best->claimed = true;
		best->job_seq = ++fp->next_seq;
		best->sent = best->done = 0;
		best->killed = false;
		best->deadline_at = j->deadline_ns ? now + j->deadline_ns : 0;
		feed(fp, best);
		if (slot_left_work(best))
			fp->dispatch_left = true;   /* a send waits for room */
		any = true;
	}
	if (fork_prefetch_jobs(fp))
		any = true;
	return any;
}

/* Fails every queued job: no worker exists and none can be started. */
static void fail_queue(struct fpool *fp, struct job **fin)
{
	while (fp->qhead) {
		struct job *j = fp->qhead;
		int expect = JOB_QUEUED;

		fp->qhead = j->next;
		if (!atomic_compare_exchange_strong(&j->state, &expect, JOB_RUNNING))
			continue;
		for (size_t k = 0; k < j->n; k++) {
			j->status[k] = -EAGAIN;
			task_result_error(&j->results[k], -EAGAIN, "no worker could be started: %s",
					  fp->spawn_err);
		}
		atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
		fork_dispatch_push_done(fin, j);
	}
	fp->qtail = NULL;
}


/* Starts workers in empty slots (not too often after a failure). */
static void refill(struct fpool *fp, uint64_t now, struct job **fin)
{
	unsigned live = 0;
	bool failed = false;

	if (fp->stopping)
		return;
	for (unsigned i = 0; i < fp->n; i++) {
		if (fp->w[i].state != W_EMPTY) {
			live++;
			continue;
		}
		if (failed || now < fp->spawn_retry_at)
			continue;
		if (fork_server_spawn(fp, &fp->w[i], fp->spawn_err, sizeof fp->spawn_err) == 0) {
			live++;
		} else {
			failed = true;
			fp->spawn_retry_at = now + SPAWN_RETRY_NS;
		}
	}
	/* Never leave a job waiting for a worker that cannot come. */
	if (live == 0 && fp->qhead)
		fail_queue(fp, fin);
}

bool fork_dispatch_pump_due(struct fpool *fp, uint64_t now)
{
	return fp->pump_busy || fp->dispatch_left || now >= fp->next_death_check ||
	       now - fp->pump_at >= QUIET_PUMP_NS ||
	       atomic_load_explicit(&fp->board->news, memory_order_acquire) != fp->pump_news;
}

/* One slot's part of a pump. Returns true if anything moved; sets *busy
 * if it left work only a pump will notice (slot_left_work). */
static bool pump_slot(struct fpool *fp, struct wslot *s, uint64_t now, struct job **fin,
		      bool *busy)
{
	uint64_t maxtasks = pool_base(fp->p)->opt.maxtasksperchild;
	bool moved = false;
	const void *m;
	size_t len;
	int rc;

	if (s->state == W_EMPTY) {
		*busy = true;
		return false;
	}
	if (s->state == W_IDLE) {
		/* An idle worker sends nothing: do not read its channel (a
		 * pipe's read is a system call per worker, which made one
		 * hand-off to a pool of 128 cost 38 us instead of 9). Its
		 * death shows on its pidfd. A job taken back from it may
		 * still be on its way out. */
		if (channel_send_pending(s->ch) && channel_flush(s->ch) < 0)
			fp->next_death_check = 0;
		if (maxtasks && s->lifetime >= maxtasks) {
			fork_death_retire(fp, s);
			*busy = true;
		}
		return false;
	}
	if (channel_send_pending(s->ch)) {
		rc = channel_flush(s->ch);
		if (rc < 0)
			fp->next_death_check = 0;
		else if (rc == 0)
			moved = true;
	}
	while ((rc = channel_try_recv(s->ch, &m, &len)) == 1) {
		moved = true;
		if (!fork_dispatch_results(fp, s, m, len, fin))
			break;
		if (s->state != W_BUSY)
			break;
	}
	if (s->state == W_IDLE && maxtasks && s->lifetime >= maxtasks) {
		fork_death_retire(fp, s);
		*busy = true;   /* its slot is empty: a replacement to start */
		return moved;
	}
	if (rc < 0) {
		/* End of stream: the worker is gone. */
		fork_death_bury(fp, s, 0, fin);
		*busy = true;
		return true;
	}
	if (s->state == W_BUSY) {
		if (!s->claimed)
			fork_prefetch_note_claim(fp, s);
		feed(fp, s);
		if (s->deadline_at && now >= s->deadline_at && !s->killed) {
			proc_pidfd_signal(s->pidfd, SIGKILL);
			s->killed = true;
			fp->next_death_check = 0;
		}
	}
	if (!*busy)
		*busy = slot_left_work(s);
	return moved;
}

bool fork_dispatch_pump(struct fpool *fp, struct job **fin)
{
	uint64_t now = now_ns();
	uint64_t ready[BOARD_READY_WORDS];
	bool moved = false, busy = fp->n_exiting > 0;
	/* Only the slots whose workers said so (the board's ready bits),
	 * when the last pump left no work behind; every slot otherwise, and
	 * at least every FULL_PUMP_NS (see fork_poll.c's DESIGN). */
	bool all = fp->pump_busy || fp->dispatch_left || now - fp->full_pump_at >= FULL_PUMP_NS;

	/* Read before the bits and the slots: news after this is seen by the
	 * next fork_dispatch_pump_due, and a bit set after the exchange
	 * comes with news after it. */
	fp->pump_news = atomic_load_explicit(&fp->board->news, memory_order_acquire);
	fp->pump_at = now;
	fp->dispatch_left = false;
	for (unsigned w = 0; w < BOARD_READY_WORDS; w++)
		ready[w] = atomic_load_explicit(&fp->board->ready[w], memory_order_relaxed) ?
			   atomic_exchange_explicit(&fp->board->ready[w], 0, memory_order_acquire) : 0;
	if (all) {
		fp->full_pump_at = now;
		for (unsigned i = 0; i < fp->n; i++)
			if (pump_slot(fp, &fp->w[i], now, fin, &busy))
				moved = true;
	} else {
		for (unsigned w = 0; w < BOARD_READY_WORDS; w++)
			while (ready[w]) {
				unsigned bit = (unsigned)__builtin_ctzll(ready[w]);

				ready[w] &= ready[w] - 1;
				/* Slots beyond the bits share them (board_note_ready). */
				for (unsigned i = w * 64 + bit; i < fp->n; i += BOARD_READY_BITS)
					if (pump_slot(fp, &fp->w[i], now, fin, &busy))
						moved = true;
			}
	}
	if (now >= fp->next_death_check) {
		if (fork_death_check(fp, fin))
			moved = true;
		fp->next_death_check = now + DEATH_CHECK_NS;
	}
	refill(fp, now, fin);
	if (fork_dispatch_jobs(fp, now))
		moved = true;
	fp->pump_busy = busy || fp->dispatch_left || fp->qhead != NULL || fp->stopping;
	return moved;
}

void fork_dispatch_deliver(struct fpool *fp, struct job *fin)
{
	if (!fin)
		return;
	pthread_mutex_unlock(&fp->mu);
	while (fin) {
		struct job *next = fin->next;   /* j is not ours after the call */

		pool_job_done(fp->p, fin);
		fin = next;
	}
	pthread_mutex_lock(&fp->mu);
	fp->done_seq++;
	pthread_cond_broadcast(&fp->cv);
}

void fork_dispatch_submit(struct pool *p, struct job *jobs, size_t n)
{
	struct fpool *fp = fpool_of(p);

	pthread_mutex_lock(&fp->mu);
	for (size_t i = 0; i < n; i++) {
		struct job *j = &jobs[i];

		j->next = NULL;
		if (fp->qtail)
			fp->qtail->next = j;
		else
			fp->qhead = j;
		fp->qtail = j;
	}
	/* Hand them over at once to the idle workers: the round trip starts
	 * now, not when the caller begins to wait. */
	if (!fp->stopping)
		fork_dispatch_jobs(fp, now_ns());
	fork_poll_rouse(fp);
	pthread_mutex_unlock(&fp->mu);
}

bool fork_dispatch_cancel(struct pool *p, struct job *j)
{
	struct fpool *fp = fpool_of(p);
	struct job **pp;
	bool ok = false;

	pthread_mutex_lock(&fp->mu);
	for (pp = &fp->qhead; *pp; pp = &(*pp)->next) {
		if (*pp == j) {
			int expect = JOB_QUEUED;

			if (atomic_compare_exchange_strong(&j->state, &expect, JOB_CANCELLED)) {
				*pp = j->next;
				if (fp->qtail == j) {
					fp->qtail = NULL;
					for (struct job *q = fp->qhead; q; q = q->next)
						fp->qtail = q;
				}
				ok = true;
			}
			break;
		}
	}
	/* Not queued: maybe prefetched, or promoted and not yet started. */
	for (unsigned i = 0; !ok && i < fp->n; i++) {
		struct wslot *s = &fp->w[i];
		int expect = JOB_QUEUED;

		if ((s->next == j || (s->job == j && !s->claimed)) &&
		    fork_prefetch_take_back(fp, s, j))
			ok = atomic_compare_exchange_strong(&j->state, &expect, JOB_CANCELLED);
	}
	pthread_mutex_unlock(&fp->mu);
	return ok;
}

