/* fork_results.c: a worker's result message into its job: the statuses
 * and results of the records it names, decoded into the caller's arrays by
 * the one parent thread; the job DONE once all its records are in.
 *
 * DESIGN
 * A message is a wire_results header (fork_wire.h) and then either one
 * record per task (status, length, bytes) or, when the worker wrote the
 * small outcomes in place in the caller's shared arrays (WIRE_OUT_AT),
 * only the outcomes that did not fit, each naming its record. Anything
 * that does not match the job the parent handed this worker (its sequence
 * number, the next record, the count) marks the worker malformed and kills
 * it; its job then fails with a message that says so (fork_death.c). The
 * decoding loop is the parent's hottest in a map of empty tasks; the
 * comments in it give what each choice measured. Split from
 * fork_dispatch.c, which hands the jobs out.
 */
#include "par/fork_pool_impl.h"

#include <signal.h>
#include <string.h>

#include "par/fork_wire.h"
#include "par/proc.h"

#define PREFETCH_RECORDS 64   /* 2.5 KiB ahead: best of 8-256 measured */

bool fork_dispatch_results(struct fpool *fp, struct wslot *s, const void *m, size_t len,
			   struct job **fin)
{
	const unsigned char *b = m, *end = b + len;
	struct wire_results h;
	struct job *j = s->job;

	if (len < sizeof h)
		goto bad;
	memcpy(&h, b, sizeof h);
	b += sizeof h;
	if (h.kind != MSG_RESULTS || !j || h.job_seq != s->job_seq || h.first != s->done ||
	    h.count > j->n - s->done)
		goto bad;
	if (!s->claimed)
		fork_prefetch_note_claim(fp, s);   /* it sends results: it started it */
	if (h.flags & WIRE_OUT_AT) {
		/* The worker wrote the small outcomes in place; the rest
		 * follow, each naming its record. */
		while (b < end) {
			struct wire_direct d;

			if ((size_t)(end - b) < sizeof d)
				goto bad;
			memcpy(&d, b, sizeof d);
			b += sizeof d;
			if ((size_t)(end - b) < d.len || d.index < h.first ||
			    d.index - h.first >= h.count)
				goto bad;
			j->status[d.index] = d.status;
			task_result_set(&j->results[d.index], b, d.len);
			b += d.len;
		}
		goto counted;
	}
	for (uint64_t i = 0; i < h.count; i++) {
		struct wire_record rec;
		size_t k = (size_t)(h.first + i);

		/* The caller's array is written once, by this one core: ask
		 * for its lines ahead (the read of results[k].heap below was a
		 * cache miss, a third of the parent's time in a map of empty
		 * tasks; decoding alone went from 5 to 3.2 ns a record). */
		if (i + PREFETCH_RECORDS < h.count)
			__builtin_prefetch(&j->results[k + PREFETCH_RECORDS], 1);
		if ((size_t)(end - b) < sizeof rec)
			goto bad;
		memcpy(&rec, b, sizeof rec);
		b += sizeof rec;
		if ((size_t)(end - b) < rec.len)
			goto bad;
		j->status[k] = rec.status;
		if (rec.len <= TASK_RESULT_INLINE && !j->results[k].heap) {
			/* The common small result: no calls. A copy of the
			 * whole inline size (when the message holds that many
			 * more bytes) is two moves; one of rec.len bytes was a
			 * call to memmove, a sixth of the parent's time in a
			 * map of empty tasks. Bytes past len are not read. */
			if ((size_t)(end - b) >= TASK_RESULT_INLINE)
				memcpy(j->results[k].inl, b, TASK_RESULT_INLINE);
			else
				memcpy(j->results[k].inl, b, rec.len);
			j->results[k].len = rec.len;
		} else {
			task_result_set(&j->results[k], b, rec.len);
		}
		b += rec.len;
	}
counted:
	s->done += (size_t)h.count;
	if (s->done < j->n)
		return true;
	atomic_store_explicit(&j->state, JOB_DONE, memory_order_release);
	fork_dispatch_push_done(fin, j);
	s->job = NULL;
	fork_slot_state(fp, s, W_IDLE, false);
	if (!pool_base(fp->p)->warming)
		s->lifetime += j->n;
	s->deadline_at = 0;
	fork_prefetch_promote(fp, s);
	return true;
bad:
	/* Its job fails with a message that says so (fork_death.c). */
	s->malformed = true;
	proc_pidfd_signal(s->pidfd, SIGKILL);
	fp->next_death_check = 0;
	return false;
}
