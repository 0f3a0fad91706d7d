/* channel.c: the part of a channel both transports share: framing, the
 * inbox, the outbox, and the blocking loops of the worker end (see
 * channel.h).
 *
 * DESIGN
 * On the wire a message is a 16-byte prefix holding its length (host order:
 * both ends are the same program on the same machine), its bytes, and zero
 * padding to a multiple of 16 bytes. The padding keeps every message at a
 * 16-byte boundary of the inbox (malloc's alignment), so a receiver may cast
 * records in it to their type without copying them first. The inbox
 * reads in large pieces (64 KiB or what the current message still needs),
 * so many small messages cost one read and a large one is read as it
 * streams; a message is handed out by pointer into the inbox once it is
 * whole. The outbox points at the caller's bytes instead of copying them
 * (a job's arguments stay put until its results are in), apart from a
 * small header.
 */
#include "par/channel.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "par/channel_impl.h"
#include "par/pool.h"
#include "par/sys.h"

#define IN_CHUNK (64u << 10)
#define PREFIX 16u                   /* bytes before each message */
#define PAD(n) (((n) + 15u) & ~(size_t)15u)

#define SEND_SPIN_NS 50000u         /* a blocked sender's spin window */

static const unsigned char zeros[16];

const char *channel_kind_name(enum channel_kind kind)
{
	return kind == CHANNEL_SHM ? "shm" : "pipe";
}

int channel_kind_parse(const char *name, enum channel_kind *kind)
{
	if (name && strcmp(name, "pipe") == 0)
		*kind = CHANNEL_PIPE;
	else if (name && strcmp(name, "shm") == 0)
		*kind = CHANNEL_SHM;
	else
		return -EINVAL;
	return 0;
}

int channel_new(struct channel **out, enum channel_kind kind)
{
	struct channel *ch = xcalloc(1, sizeof *ch);
	int rc;

	ch->kind = kind;
	rc = kind == CHANNEL_SHM ? channel_shm_new(ch) : channel_pipe_new(ch);
	if (rc < 0) {
		free(ch);
		*out = NULL;
		return rc;
	}
	*out = ch;
	return 0;
}

unsigned channel_worker_fds(const struct channel *ch, int *fds)
{
	return ch->t->worker_fds(ch, fds);
}

void channel_parent_ready(struct channel *ch)
{
	ch->t->parent_ready(ch);
}

int channel_share_wake(struct channel *ch, int efd)
{
	return ch->t->share_wake ? ch->t->share_wake(ch, efd) : -ENOTSUP;
}

int channel_open_worker(struct channel **out, enum channel_kind kind, const int *fds,
			unsigned nfds)
{
	struct channel *ch = xcalloc(1, sizeof *ch);
	int rc;

	ch->kind = kind;
	rc = kind == CHANNEL_SHM ? channel_shm_open(ch, fds, nfds) : channel_pipe_open(ch, fds, nfds);
	if (rc < 0) {
		free(ch);
		*out = NULL;
		return rc;
	}
	*out = ch;
	return 0;
}

int channel_become_worker(struct channel *parent_end, struct channel **out)
{
	enum channel_kind kind = parent_end->kind;
	int fds[CHANNEL_MAX_FDS];
	unsigned n = channel_worker_fds(parent_end, fds);

	/* Copies first: closing the parent end below closes descriptors both
	 * ends share (the shm end's eventfds). */
	for (unsigned i = 0; i < n; i++) {
		fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		if (fds[i] < 0) {
			int rc = -errno;

			while (i-- > 0)
				close(fds[i]);
			return rc;
		}
	}
	parent_end->t->close(parent_end, true);
	free(parent_end->in);
	free(parent_end);
	return channel_open_worker(out, kind, fds, n);
}

void channel_free(struct channel *ch)
{
	if (!ch)
		return;
	ch->t->close(ch, false);
	free(ch->in);
	free(ch);
}

/* ---- outbox ------------------------------------------------------------ */

bool channel_send_pending(const struct channel *ch)
{
	return ch->out_n != 0;
}

void channel_drop_pending(struct channel *ch)
{
	ch->out_n = 0;
	ch->out_total = ch->out_done = 0;
}

static void out_start(struct channel *ch, const struct iovec *parts, unsigned n)
{
	size_t total = 0;

	for (unsigned i = 0; i < n; i++)
		total += parts[i].iov_len;
	ch->out_prefix[0] = total;
	ch->out_prefix[1] = 0;
	ch->out_iov[0].iov_base = ch->out_prefix;
	ch->out_iov[0].iov_len = PREFIX;
	ch->out_n = 1;
	for (unsigned i = 0; i < n; i++)
		if (parts[i].iov_len)
			ch->out_iov[ch->out_n++] = parts[i];
	if (PAD(total) != total) {
		ch->out_iov[ch->out_n].iov_base = (void *)zeros;
		ch->out_iov[ch->out_n++].iov_len = PAD(total) - total;
	}
	ch->out_total = PREFIX + PAD(total);
	ch->out_done = 0;
}

int channel_flush(struct channel *ch)
{
	while (ch->out_n) {
		struct iovec iov[6];
		unsigned n = 0;
		size_t skip = ch->out_done;
		ssize_t w;

		/* The parts not yet written, the first one trimmed. */
		for (unsigned i = 0; i < ch->out_n; i++) {
			if (skip >= ch->out_iov[i].iov_len) {
				skip -= ch->out_iov[i].iov_len;
				continue;
			}
			iov[n].iov_base = (char *)ch->out_iov[i].iov_base + skip;
			iov[n].iov_len = ch->out_iov[i].iov_len - skip;
			skip = 0;
			n++;
		}
		w = ch->t->write_some(ch, iov, n);
		if (w < 0)
			return (int)w;
		if (w == 0)
			return 1;
		ch->out_done += (size_t)w;
		if (ch->out_done == ch->out_total)
			channel_drop_pending(ch);
	}
	return 0;
}

int channel_post(struct channel *ch, const void *hdr, size_t hlen, const void *payload,
		 size_t plen)
{
	struct iovec parts[2];
	int rc;

	if (ch->out_n)
		return -EBUSY;
	if (hlen > sizeof ch->out_hdr)
		return -EMSGSIZE;
	memcpy(ch->out_hdr, hdr, hlen);
	parts[0].iov_base = ch->out_hdr;
	parts[0].iov_len = hlen;
	parts[1].iov_base = (void *)payload;
	parts[1].iov_len = plen;
	out_start(ch, parts, 2);
	rc = channel_flush(ch);
	return rc < 0 ? rc : 0;
}

/* ---- inbox ------------------------------------------------------------- */

/* Hands out the next message if it is whole. */
static bool in_take(struct channel *ch, const void **msg, size_t *len)
{
	size_t have = ch->in_len - ch->in_off;
	uint64_t mlen;

	if (have < PREFIX)
		return false;
	memcpy(&mlen, ch->in + ch->in_off, sizeof mlen);
	if (have - PREFIX < PAD(mlen))
		return false;
	*msg = ch->in + ch->in_off + PREFIX;
	*len = (size_t)mlen;
	ch->in_off += PREFIX + PAD((size_t)mlen);
	return true;
}

/* How many bytes from in_off the current message needs in all. */
static size_t in_need(const struct channel *ch)
{
	size_t have = ch->in_len - ch->in_off;
	uint64_t mlen;

	if (have < PREFIX)
		return PREFIX;
	memcpy(&mlen, ch->in + ch->in_off, sizeof mlen);
	return PREFIX + PAD((size_t)mlen);
}

/* Reads once. Returns the bytes read, 0, or -EPIPE. */
static ssize_t in_fill(struct channel *ch)
{
	size_t have = ch->in_len - ch->in_off;
	size_t need = in_need(ch);
	size_t room = need > IN_CHUNK ? need : IN_CHUNK;
	ssize_t n;

	if (have == 0)
		ch->in_off = ch->in_len = 0;
	if (ch->in_cap - ch->in_off < room || ch->in_cap - ch->in_len < IN_CHUNK / 4) {
		/* Move the partial message to the front, then grow. */
		if (ch->in_off) {
			memmove(ch->in, ch->in + ch->in_off, have);
			ch->in_off = 0;
			ch->in_len = have;
		}
		if (ch->in_cap < room) {
			ch->in = xrealloc(ch->in, room);
			ch->in_cap = room;
		}
	}
	n = ch->t->read_some(ch, ch->in + ch->in_len, ch->in_cap - ch->in_len);
	if (n > 0)
		ch->in_len += (size_t)n;
	return n;
}

/* Hands out the next message where it lies in the transport's memory, if
 * the inbox is empty and the message is there whole and in one piece (not
 * across the ring's end): no copy into the inbox. In a map of a million
 * empty tasks that copy was a fifth of the fork pool parent's time, and a
 * worker reads its arguments in place too. The message stays the reader's
 * (the writer cannot reuse its bytes) until the next receive consumes it,
 * which is the lifetime channel.h promises. */
static bool in_peek(struct channel *ch, const void **msg, size_t *len)
{
	const unsigned char *p;
	size_t contig;
	uint64_t mlen;

	if (!ch->t->peek || ch->in_len != ch->in_off)
		return false;
	p = ch->t->peek(ch, &contig);
	if (contig < PREFIX)
		return false;
	memcpy(&mlen, p, sizeof mlen);
	if (mlen > contig || PREFIX + PAD((size_t)mlen) > contig)
		return false;
	*msg = p + PREFIX;
	*len = (size_t)mlen;
	ch->held = PREFIX + PAD((size_t)mlen);
	return true;
}

/* Gives the bytes of a message handed out in place back to the writer. */
static void release_held(struct channel *ch)
{
	if (ch->held) {
		ch->t->consume(ch, ch->held);
		ch->held = 0;
	}
}

int channel_try_recv(struct channel *ch, const void **msg, size_t *len)
{
	release_held(ch);
	if (in_peek(ch, msg, len))
		return 1;
	for (;;) {
		ssize_t n;

		if (in_take(ch, msg, len))
			return 1;
		n = in_fill(ch);
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
	}
}

bool channel_may_have_input(struct channel *ch)
{
	release_held(ch);   /* else it would count as input still */
	return ch->in_len - ch->in_off >= in_need(ch) || ch->t->may_read(ch);
}

bool channel_recv_partial(const struct channel *ch)
{
	return ch->in_len > ch->in_off;   /* a whole one would have been taken */
}

bool channel_look_is_cheap(const struct channel *ch)
{
	return ch->t->cheap_look;
}

/* ---- sleeping ---------------------------------------------------------- */

bool channel_arm(struct channel *ch)
{
	return ch->t->arm(ch, ch->out_n != 0);
}

unsigned channel_pollfds(struct channel *ch, struct pollfd *pfd)
{
	return ch->t->pollfds(ch, ch->out_n != 0, pfd);
}

void channel_disarm(struct channel *ch, const struct pollfd *pfd, unsigned npfd)
{
	ch->t->disarm(ch, pfd, npfd);
}

/* Between two looks of a spin: give the core to anyone else runnable on
 * it. A fork pool has a parent and N workers, often more processes than
 * cores; a spinner that does not yield takes the core from the very process
 * it waits for (measured: a one-task round trip of 15 us instead of 2 us
 * when parent and worker shared a core). With nothing else runnable the
 * call returns at once. */
static void spin_yield(void)
{
	sched_yield();
}

static uint64_t deadline_after(int64_t timeout_ns)
{
	if (timeout_ns == POOL_FOREVER)
		return UINT64_MAX;
	return now_ns() + (uint64_t)(timeout_ns > 0 ? timeout_ns : 0);
}

/* Sleeps in poll until something may have changed or the deadline passes.
 * Returns -ETIMEDOUT once the deadline has passed, else 0. */
static int sleep_once(struct channel *ch, uint64_t deadline)
{
	struct pollfd pfd[CHANNEL_MAX_POLLFDS];
	struct timespec ts, *tsp = NULL;
	unsigned n;
	uint64_t now = now_ns();

	if (now >= deadline)
		return -ETIMEDOUT;
	if (!channel_arm(ch))
		return 0;
	n = channel_pollfds(ch, pfd);
	if (deadline != UINT64_MAX) {
		ts.tv_sec = (time_t)((deadline - now) / 1000000000u);
		ts.tv_nsec = (long)((deadline - now) % 1000000000u);
		tsp = &ts;
	}
	/* EINTR: look again, like any wake-up. */
	if (ppoll(pfd, n, tsp, NULL) < 0)
		for (unsigned i = 0; i < n; i++)
			pfd[i].revents = 0;
	channel_disarm(ch, pfd, n);
	return 0;
}

int channel_send(struct channel *ch, const struct iovec *iov, unsigned n)
{
	if (ch->out_n)
		return -EBUSY;
	if (n > 4)
		return -EINVAL;
	out_start(ch, iov, n);
	for (;;) {
		int rc = channel_flush(ch);

		if (rc <= 0)
			return rc;
		if (ch->t->spins) {
			/* The reader is draining the ring (it is mid-stream):
			 * a bounded spin usually finds room without a sleep,
			 * which would cost 30-40 us to wake from. */
			uint64_t spin_end = now_ns() + SEND_SPIN_NS;

			while (now_ns() < spin_end) {
				for (int i = 0; i < 64; i++)
					cpu_relax();
				spin_yield();
				rc = channel_flush(ch);
				if (rc <= 0)
					return rc;
			}
		}
		sleep_once(ch, UINT64_MAX);
	}
}

int channel_recv(struct channel *ch, int64_t timeout_ns, uint64_t spin_ns, const void **msg,
		 size_t *len)
{
	uint64_t deadline = deadline_after(timeout_ns);
	uint64_t spin_end = ch->t->spins && spin_ns ? now_ns() + spin_ns : 0;

	if (spin_end > deadline)
		spin_end = deadline;
	for (;;) {
		int rc = channel_try_recv(ch, msg, len);

		if (rc != 0)
			return rc;
		if (spin_end) {
			/* Spin on a plain load of the ring's head: no system
			 * call, so a message posted now is seen in well under a
			 * microsecond, while waking from a sleep costs 30-40 us
			 * on the machines tvp targets. */
			bool seen = false;

			while (!seen) {
				for (int i = 0; i < 64 && !seen; i++) {
					cpu_relax();
					seen = ch->t->may_read(ch);
				}
				if (!seen)
					spin_yield();
				if (!seen && now_ns() >= spin_end) {
					spin_end = 0;
					break;
				}
			}
			continue;
		}
		if (sleep_once(ch, deadline) < 0)
			return -ETIMEDOUT;
	}
}
