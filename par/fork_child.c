/* fork_child.c: a fork pool worker's life, after the fork: the one reset,
 * then receive a piece of a job, run it, send the outcomes, until the
 * parent closes the channel.
 *
 * DESIGN
 * A worker gets a struct fork_child (its number, the channel kind, the
 * shared scoreboard, its place, the initializer) and nothing of the
 * parent's state; a fresh image (spawn, forkserver) rebuilds it from bytes
 * (fork_image.c) and finds each task by its registry id instead of its
 * address. It binds itself first (the parent is never bound, so
 * nothing it forks later inherits a mask), then opens its channel end,
 * runs the initializer and loops. Only one idle worker spins at a time (a
 * token in the scoreboard), as in the thread pool: on a machine with two
 * cores, spinning workers would take the cores from the ones with work and
 * from the parent. The worker that finished last takes the token over, and
 * the parent gives the next job to the token's holder. Every spin calls
 * sched_yield between looks: a fork pool is often more processes than
 * cores, and a spinner that does not yield delays the very process it waits
 * for (a one-task round trip took 15 us instead of 2 us when the parent and
 * the worker shared a core); with nothing else runnable it returns at once.
 * The scoreboard's `running` says which task a worker runs, so that the
 * parent can name it if the worker dies. A worker ends with an exit code
 * from enum fork_exit (fork_wire.h).
 *
 * A piece whose arrays the parent shares with us (par/shared_mem.h) is run
 * in place (worker_run_in_place): arguments read where they lie, small
 * results written by the task straight into the caller's slots. A forked
 * worker maps those regions into its page tables at start, as it does the
 * program's code: a fork copies neither kind of page table entry.
 */
#include "par/fork_pool_impl.h"

#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "par/fork_wire.h"
#include "par/shared_mem.h"
#include "par/sys.h"
#include "par/task_registry.h"

/* Binds the worker to its place (HWLOC_CPUBIND_PROCESS; a fresh image
 * from the text its parent sent) and records the outcome on the
 * scoreboard; a failure is recorded with its errno and the caller of the
 * pool decides (--pin-strict). */
static void worker_bind(const struct fork_child *c)
{
	struct board_slot *bs = &c->board->slot[c->id];
	struct worker_stats ws;

	memset(&ws, 0, sizeof ws);
	if (!c->by_name) {
		pin_bind_process(c->pin, c->id, &ws);
	} else if (c->pin_mode == 1) {
		pin_bind_process_cpus(c->pin_cpus, &ws);
	} else {
		ws.pinned = c->pin_mode;
		ws.bind_errno = c->pin_errno;
	}
	memcpy(bs->bound, ws.bound, sizeof bs->bound);
	atomic_store(&bs->bind_errno, ws.bind_errno);
	atomic_store(&bs->pinned, ws.pinned);
}

/* The program's own code, mapped into this worker's page tables at once.
 * A fork does not copy the page table entries of file-backed mappings: a
 * worker's first run of each code page of a task is a page fault (a fork
 * pool worker took 10 us to run its first empty task of a workload, whose
 * code the warm-up's task had not touched; 1 us in a thread). Done here,
 * the cost is start-up, which pool_new's caller times as setup. Kernels
 * before 5.14 refuse MADV_POPULATE_READ: the pages then fault as before. */
static void populate_code(void)
{
#ifdef MADV_POPULATE_READ
	extern char __executable_start[], etext[];
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t lo = (uintptr_t)__executable_start & ~(page - 1);
	uintptr_t hi = ((uintptr_t)etext + page - 1) & ~(page - 1);

	(void)madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
#endif
}

/* Waits for the next job message. A worker expecting the rest of its job
 * spins first. An idle worker takes the spinner token (from whoever held
 * it: the worker that finished last is the one the parent will pick next)
 * and spins while it holds it; it sleeps once the window has passed or
 * another worker has taken the token. */
static int worker_recv(const struct fork_child *c, struct channel *ch, bool more_expected,
		       int32_t me, const void **m, size_t *len)
{
	struct board *b = c->board;

	if (more_expected) {
		int rc = channel_recv(ch, (int64_t)c->spin_ns, c->spin_ns, m, len);

		if (rc != -ETIMEDOUT)
			return rc;
	} else if (c->spin_ns) {
		uint64_t start = now_ns(), t = start;

		/* A look after every pause when it is a plain load (shm): one
		 * look per 64 pauses (1.4 us on the Xeon VM, a pause being 22
		 * ns there) made the worker notice a job 1 us late on average,
		 * half the gap between a fork pool's one-task round trip and a
		 * thread pool's, whose spinner looks after every pause. */
		bool cheap = channel_look_is_cheap(ch), seen = false;

		atomic_store(&b->spinner, me);
		while (!(seen = channel_may_have_input(ch)) && t - start < c->spin_ns &&
		       atomic_load_explicit(&b->spinner, memory_order_relaxed) == me) {
			for (int i = 0; i < 64 && !seen; i++) {
				cpu_relax();
				seen = cheap && channel_may_have_input(ch);
			}
			if (seen)
				break;
			t = now_ns();
			/* The parent or a worker with a job may need this
			 * core: let them run first (see DESIGN). */
			sched_yield();
		}
		board_drop_token(b, me);
	}
	return channel_recv(ch, POOL_FOREVER, 0, m, len);
}

struct outbuf {
	unsigned char *b;
	size_t len, cap;
};

static void out_put(struct outbuf *o, const void *p, size_t n)
{
	if (o->cap - o->len < n) {
		o->cap = (o->cap + n) * 2;
		o->b = xrealloc(o->b, o->cap);
	}
	memcpy(o->b + o->len, p, n);
	o->len += n;
}

/* Sends the outcomes of records [first, first + count), and says so on the
 * board for a parent that spins (fork_poll.c). */
static void send_results(const struct fork_child *c, struct channel *ch, uint32_t flags,
			 uint64_t seq, uint64_t first, uint64_t count, struct outbuf *o)
{
	struct wire_results h = { MSG_RESULTS, flags, seq, first, count };
	struct iovec iov[2] = { { &h, sizeof h }, { o->b, o->len } };

	if (channel_send(ch, iov, 2) != 0)
		_exit(FORK_EXIT_DONE);  /* the parent has gone or let us go */
	board_note_ready(c->board, c->id);
	o->len = 0;
}

/* A task that is not in this image's registry: each record fails. */
static int unknown_task(const void *arg, size_t arg_len, struct task_result *out)
{
	return task_result_error(out, -ENOENT, "the task is not registered in the worker's image "
				 "of the program (TASK_REGISTER at file scope registers it before "
				 "main, in every image)");
}

/* The function a wire_run names: its address after a fork, its registry
 * id in a fresh image (the last one looked up is kept). */
static task_fn task_of(const struct fork_child *c, uint64_t fn)
{
	static uint64_t last_id;
	static task_fn last_fn;

	if (!c->by_name)
		return (task_fn)(uintptr_t)fn;
	if (fn != last_id) {
		last_fn = (task_fn)task_registry_by_id(fn);
		last_id = fn;
		if (!last_fn)
			last_fn = unknown_task;
	}
	return last_fn;
}

/* Under WIRE_OUT_AT: an outcome the parent's slot could not take (the
 * task's own heap, or the slot holds the caller's), sent naming record k;
 * r is released. */
static void out_at_send(struct outbuf *o, uint64_t k, int st, struct task_result *r)
{
	struct wire_direct d = { k, st, 0 };

	if (r->len > UINT32_MAX)
		d.status = task_result_error(r, -EMSGSIZE, "result of %zu bytes is too large",
					     r->len);
	d.len = (uint32_t)r->len;
	out_put(o, &d, sizeof d);
	out_put(o, task_result_data(r), r->len);
	task_result_release(r);
}

/* Runs one piece of a job whose status and results arrays the parent
 * shares with us (WIRE_OUT_AT, shared_mem.h), as a thread pool worker
 * does: the task writes its result straight into results[k] when that slot
 * holds nothing of the caller's (else into ours, and it travels). A result
 * the task put on our heap travels too, and the slot is emptied, for the
 * parent must never free our pointer; should we die in the task, the board's
 * in_place (= running) tells the parent the slot may hold one
 * (fork_death.c). Results that fit stay where they are: only the count and
 * the rest come back. The loop is kept as lean as a thread pool worker's:
 * a result built on the side and copied in made a map of a million empty
 * tasks 1.6 times the thread pool's time in a driver over libtvp.a; this
 * is 1.4 there, and within noise of it in tvp run. */
static void worker_run_in_place(const struct fork_child *c, struct board_slot *bs,
				struct channel *ch, const struct wire_run *h,
				const unsigned char *args, struct outbuf *o)
{
	task_fn fn = task_of(c, h->fn);
	int *status = (int *)(uintptr_t)h->status_at;
	struct task_result *results = (struct task_result *)(uintptr_t)h->results_at;
	uint64_t t0 = now_ns();

	for (uint64_t i = 0; i < h->count; i++) {
		uint64_t k = h->first + i, task = h->first_task + i + 1;
		struct task_result *slot = &results[k];
		const unsigned char *arg = args + i * h->arg_size;

		if (!slot->heap) {
			int st;

			atomic_store_explicit(&bs->in_place, task, memory_order_relaxed);
			atomic_store_explicit(&bs->running, task, memory_order_relaxed);
			st = fn(arg, h->arg_size, slot);
			if (slot->heap)
				out_at_send(o, k, st, slot);
			status[k] = st;
		} else {
			struct task_result r = TASK_RESULT_INIT;

			atomic_store_explicit(&bs->running, task, memory_order_relaxed);
			out_at_send(o, k, fn(arg, h->arg_size, &r), &r);
		}
	}
	pin_cpu_bits_note(bs->cpus_seen);
	atomic_store_explicit(&bs->running, 0, memory_order_relaxed);
	atomic_store_explicit(&bs->tasks, atomic_load(&bs->tasks) + h->count, memory_order_relaxed);
	atomic_store_explicit(&bs->busy_ns, atomic_load(&bs->busy_ns) + (now_ns() - t0),
			      memory_order_release);
	send_results(c, ch, WIRE_OUT_AT, h->job_seq, h->first, h->count, o);
}

/* Runs one piece of a job and sends its outcomes back. */
static void worker_run(const struct fork_child *c, struct board_slot *bs, struct channel *ch,
		       const struct wire_run *h, const unsigned char *args, struct outbuf *o)
{
	task_fn fn = task_of(c, h->fn);
	uint64_t sent_to = 0;
	uint64_t t0 = now_ns(), busy = 0;

	for (uint64_t i = 0; i < h->count; i++) {
		struct task_result r = TASK_RESULT_INIT;
		struct wire_record rec;
		int st;

		atomic_store_explicit(&bs->running, h->first_task + i + 1, memory_order_relaxed);
		st = fn(args + i * h->arg_size, h->arg_size, &r);
		if (r.len > UINT32_MAX)
			st = task_result_error(&r, -EMSGSIZE, "result of %zu bytes is too large",
					       r.len);
		rec.status = st;
		rec.len = (uint32_t)r.len;
		if (!r.heap && o->cap - o->len >= sizeof rec + TASK_RESULT_INLINE) {
			/* The common small result: no calls. Each field is
			 * stored straight into the buffer: the record built on
			 * the stack and copied as one word stalled on store
			 * forwarding (two 4-byte stores, one 8-byte load), the
			 * hottest instruction of a worker mapping empty tasks. */
			unsigned char *w = o->b + o->len;

			memcpy(w + offsetof(struct wire_record, status), &st, sizeof st);
			memcpy(w + offsetof(struct wire_record, len), &rec.len, sizeof rec.len);
			/* By words, as many as len needs: a 16-byte load of
			 * r.inl right after the task's 8-byte store of it
			 * stalled on store forwarding too. */
			for (size_t k = 0; k < r.len; k += 8)
				memcpy(w + sizeof rec + k, r.inl + k, 8);
			o->len += sizeof rec + r.len;
		} else {
			out_put(o, &rec, sizeof rec);
			out_put(o, task_result_data(&r), r.len);
			task_result_release(&r);
		}
		if (o->len >= RESULT_FLUSH_BYTES && i + 1 < h->count) {
			uint64_t t = now_ns();

			busy += t - t0;
			atomic_store_explicit(&bs->tasks, atomic_load(&bs->tasks) + (i + 1 - sent_to),
					      memory_order_relaxed);
			send_results(c, ch, 0, h->job_seq, h->first + sent_to,
				     i + 1 - sent_to, o);
			sent_to = i + 1;
			t0 = now_ns();
		}
	}
	busy += now_ns() - t0;
	pin_cpu_bits_note(bs->cpus_seen);
	atomic_store_explicit(&bs->running, 0, memory_order_relaxed);
	atomic_store_explicit(&bs->tasks, atomic_load(&bs->tasks) + (h->count - sent_to),
			      memory_order_relaxed);
	atomic_store_explicit(&bs->busy_ns, atomic_load(&bs->busy_ns) + busy, memory_order_release);
	send_results(c, ch, 0, h->job_seq, h->first + sent_to, h->count - sent_to, o);
}

/* The life of a worker: receive a piece, run it, send the outcomes, until
 * the parent closes the channel. Never returns. */
__attribute__((noreturn)) void fork_child_main(const struct fork_child *c, int *fds,
					       unsigned nfds)
{
	struct board_slot *bs = &c->board->slot[c->id];
	struct outbuf o = { NULL, 0, 0 };
	unsigned char *abuf = NULL;
	size_t abuf_cap = 0;
	struct channel *ch;
	bool more_expected = false;
	int32_t me;

	worker_bind(c);
	populate_code();
	if (!c->by_name && c->kind == CHANNEL_SHM)
		shared_mem_populate();   /* maps over them run in place (shared_mem.h) */
	if (channel_open_worker(&ch, c->kind, fds, nfds) < 0)
		_exit(FORK_EXIT_NO_CHANNEL);
	me = (int32_t)c->id + 1;   /* the spinner token (struct board) */
	atomic_store(&bs->tid, (int32_t)syscall(SYS_gettid));
	atomic_store(&bs->pid, (int32_t)getpid());
	if (c->initializer)
		c->initializer(c->initarg);
	for (;;) {
		const void *m;
		size_t len;
		struct wire_run h;
		const unsigned char *args;
		size_t bytes;

		if (worker_recv(c, ch, more_expected, me, &m, &len) != 1)
			_exit(FORK_EXIT_DONE);
		if (len < sizeof h)
			_exit(FORK_EXIT_BAD_MESSAGE);
		memcpy(&h, m, sizeof h);
		if (h.kind != MSG_RUN || (h.arg_size && h.count > SIZE_MAX / h.arg_size))
			_exit(FORK_EXIT_BAD_MESSAGE);
		bytes = (size_t)(h.count * h.arg_size);
		if (len - sizeof h != (h.flags & WIRE_ARGS_AT ? 0 : bytes))
			_exit(FORK_EXIT_BAD_MESSAGE);
		if (h.flags & WIRE_PREFETCHED) {
			uint64_t seq = h.job_seq;

			/* The parent may have taken it back (fork_prefetch.c). */
			if (!atomic_compare_exchange_strong(&bs->claim, &seq, 0)) {
				more_expected = false;
				continue;
			}
			/* A spinning parent notes the claim (and may send
			 * the next job behind it) at its next pump. */
			board_note_ready(c->board, c->id);
		}
		/* Begun: from here its death fails the job (fork_death.c). The
		 * fence keeps the task's stores behind this one. */
		atomic_store_explicit(&bs->started, h.job_seq, memory_order_relaxed);
		atomic_thread_fence(memory_order_release);
		/* Messages sit at 16-byte boundaries of the inbox (channel.c)
		 * and the header is 96 bytes, so the records are aligned as
		 * malloc would align them; copy only if that ever changes. */
		args = (const unsigned char *)m + sizeof h;
		if (h.flags & WIRE_ARGS_AT)   /* in memory we share (shared_mem.h) */
			args = (const unsigned char *)(uintptr_t)h.args_at + h.first * h.arg_size;
		else if ((uintptr_t)args % alignof(max_align_t) != 0 && bytes) {
			if (abuf_cap < bytes) {
				abuf = xrealloc(abuf, bytes);
				abuf_cap = bytes;
			}
			memcpy(abuf, args, bytes);
			args = abuf;
		}
		if (h.flags & WIRE_OUT_AT)
			worker_run_in_place(c, bs, ch, &h, args, &o);
		else
			worker_run(c, bs, ch, &h, args, &o);
		more_expected = h.first + h.count < h.job_n;
	}
}
