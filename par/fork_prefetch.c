/* fork_prefetch.c: a second job in flight per fork pool worker, so that a
 * worker that finishes a job starts the next one at once instead of
 * waiting for the parent to read its results and answer.
 *
 * DESIGN
 * Profiled first (perf record -e cpu-clock -g over `tvp run --workload noop
 * --mode executor-fork --workers 2`): each one-task job was a full round
 * trip, and while the parent read a result and posted the next job the
 * worker spun (a quarter of all samples in its spin loop, a fifth in
 * context switches and sched_yield), so a task cost the parent's turn-around
 * plus the worker's. With a job waiting in its channel, the worker goes on
 * while the parent catches up.
 *
 * When no worker is idle, the queue's head may go to a busy worker as its
 * next job, posted whole in one message flagged WIRE_PREFETCHED. Only a job
 * of one piece (PIECE_BYTES of arguments at most, or arguments read in
 * place from shared memory) without a deadline, behind
 * a job without one, in a pool without maxtasksperchild: a deadline counts
 * from the job's start, which the parent would not see, and a kill for the
 * running job's deadline must not hit the next one.
 *
 * A prefetched job is not RUNNING: it stays QUEUED, cancellable, until the
 * worker starts it. Who owns it is decided by one word of the worker's
 * scoreboard slot, claim, which the parent sets to the job's sequence number
 * before posting it: the worker swaps it to 0 before it starts the job (and
 * drops the message unanswered if it finds it 0 already); the parent swaps
 * it to 0 to take the job back (cancel, terminate, a death, an idle worker
 * with nothing queued). Exactly one of them wins. When the running job is
 * done the prefetched one becomes the slot's job (claimed false) and is
 * marked RUNNING once the claim word shows the worker took it, or when its
 * results come. A worker that dies fails only the job it had started; the
 * ones it had not go back to the head of the queue, in order.
 */
#include "par/fork_pool_impl.h"

#include <errno.h>

#include "par/fork_wire.h"
#include "par/sys.h"

static _Atomic uint64_t *claim_of(struct fpool *fp, struct wslot *s)
{
	return &fp->board->slot[s->id].claim;
}

static bool may_wait_behind(struct fpool *fp, struct wslot *s, const struct job *j)
{
	const struct job *cur = s->job;

	return s->state == W_BUSY && s->claimed && !s->next && cur->deadline_ns == 0 &&
	       s->sent == cur->n && !channel_send_pending(s->ch) && j->deadline_ns == 0 &&
	       fork_dispatch_one_piece(fp, j);
}

bool fork_prefetch_jobs(struct fpool *fp)
{
	bool any = false;

	if (fp->stopping || pool_base(fp->p)->opt.maxtasksperchild)
		return false;
	/* From where the last prefetch went: the slots before it are likely
	 * to hold a next job already (an executor prefetches one future per
	 * submit, and a scan from slot 0 each time is O(workers^2) over a
	 * wave). */
	for (unsigned k = 0; k < fp->n && fp->qhead; k++) {
		unsigned i = (fp->prefetch_at + k) % fp->n;
		struct wslot *s = &fp->w[i];
		struct job *j = fp->qhead;

		if (j->deadline_ns || !fork_dispatch_one_piece(fp, j))
			break;   /* the head must wait for an idle worker: keep the order */
		if (!may_wait_behind(fp, s, j))
			continue;
		fp->qhead = j->next;
		if (!fp->qhead)
			fp->qtail = NULL;
		s->next = j;
		fp->prefetch_at = i + 1;
		s->next_seq = ++fp->next_seq;
		fp->n_prefetched++;
		atomic_store_explicit(claim_of(fp, s), s->next_seq, memory_order_release);
		fork_dispatch_post(fp, s, j, s->next_seq, 0, j->n, WIRE_PREFETCHED);
		if (channel_send_pending(s->ch))
			fp->dispatch_left = true;   /* the pump flushes it */
		any = true;
	}
	return any;
}

void fork_prefetch_promote(struct fpool *fp, struct wslot *s)
{
	struct job *j = s->next;

	if (!j)
		return;
	s->next = NULL;
	fp->n_prefetched--;
	fork_slot_state(fp, s, W_BUSY, false);
	s->job = j;
	s->job_seq = s->next_seq;
	s->claimed = false;
	s->sent = j->n;
	s->done = 0;
	s->killed = false;
	s->deadline_at = 0;
	fork_prefetch_note_claim(fp, s);
}

void fork_prefetch_note_claim(struct fpool *fp, struct wslot *s)
{
	int expect = JOB_QUEUED;

	if (s->claimed ||
	    atomic_load_explicit(claim_of(fp, s), memory_order_acquire) == s->job_seq)
		return;
	s->claimed = true;
	atomic_compare_exchange_strong(&s->job->state, &expect, JOB_RUNNING);
}

bool fork_prefetch_take_back(struct fpool *fp, struct wslot *s, struct job *j)
{
	uint64_t seq = j == s->next ? s->next_seq : s->job_seq;

	/* Its message still in the outbox points at its arguments, which a
	 * cancelled job's owner frees: it stays until it is all sent. */
	if (channel_send_pending(s->ch))
		return false;
	if (!atomic_compare_exchange_strong(claim_of(fp, s), &seq, 0)) {
		if (j == s->job)
			fork_prefetch_note_claim(fp, s);
		return false;
	}
	if (j == s->next) {
		s->next = NULL;
		fp->n_prefetched--;
	} else {
		s->job = NULL;
		fork_slot_state(fp, s, W_IDLE, false);
	}
	return true;
}

struct job *fork_prefetch_steal(struct fpool *fp)
{
	for (unsigned i = 0; i < fp->n && fp->n_prefetched; i++) {
		struct wslot *s = &fp->w[i];
		struct job *j = s->next;

		if (j && fork_prefetch_take_back(fp, s, j))
			return j;
	}
	return NULL;
}

/* Puts j back at the head of the queue, or cancels it (err != 0). */
static void give_back(struct fpool *fp, struct job *j, int err, struct job **fin)
{
	int expect = JOB_QUEUED;

	if (err) {
		if (atomic_compare_exchange_strong(&j->state, &expect, JOB_CANCELLED))
			fork_dispatch_push_done(fin, j);
		return;
	}
	fork_dispatch_push_front(fp, j);
}

void fork_prefetch_return(struct fpool *fp, struct wslot *s, int err, struct job **fin)
{
	struct job *j;

	/* The later job first: both go to the head, so the earlier ends first.
	 * The next job is ours whatever the claim says: the worker starts it
	 * only after sending the running job's last results, and those were
	 * read (fork_death_bury drains first), which would have promoted it. */
	if ((j = s->next)) {
		s->next = NULL;
		fp->n_prefetched--;
		give_back(fp, j, err, fin);
	}
	if ((j = s->job) && !s->claimed) {
		uint64_t seq = s->job_seq;

		if (atomic_compare_exchange_strong(claim_of(fp, s), &seq, 0)) {
			s->job = NULL;
			give_back(fp, j, err, fin);
		} else {
			fork_prefetch_note_claim(fp, s);   /* it died in it */
		}
	}
}
