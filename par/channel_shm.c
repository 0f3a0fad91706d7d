/* channel_shm.c: the shared-memory transport of channels: two byte rings
 * (jobs down, results up) in one MAP_SHARED memfd, with eventfd wake-ups
 * after bounded spinning.
 *
 * DESIGN
 * Each ring has one producer and one consumer (single producer, single
 * consumer): the producer owns head, the consumer owns tail, both count
 * bytes forever (64 bits never wrap), and the ring's size is a power of two,
 * so free space is size - (head - tail) and a position is index & mask. A
 * producer copies bytes in and then publishes head with release order; the
 * consumer reads head with acquire order, copies out and publishes tail.
 * head and tail sit on cache lines of their own, so the two processes do not
 * fight over a line one of them never writes. A message larger than the ring
 * simply streams through it: channel.c writes what fits and goes on when the
 * consumer has made room.
 *
 * Waiting: a reader (or a writer waiting for room) first spins on plain
 * loads, because waking a sleeping core costs 30-40 us on the machines tvp
 * targets while a spinning reader sees new bytes in well under a
 * microsecond. After its window it sleeps in poll() on its own eventfd: it
 * sets its "sleeping" word, looks at the ring once more, then sleeps. Whoever
 * changes a ring (a producer after publishing head, a consumer after
 * publishing tail) then reads the peer's sleeping word and, if set, clears
 * it and writes the peer's eventfd. Both sides put a sequentially consistent
 * fence between their store and their load (Dekker's pattern), so either the
 * sleeper sees the new bytes or the waker sees the sleeper: no lost wake-up,
 * and no system call at all while both sides are awake. An idle end sleeps
 * in the kernel and uses no CPU.
 *
 * A producer reads the consumer's tail only when the room it last saw is
 * too small for what it writes (out_tail_seen, never ahead of the real
 * tail, so the room it computes is never too large), as rigtorp's
 * SPSCQueue caches its indices. Read on every write, the tail's line went
 * back and forth between the two cores once per message each way, and the
 * consumer's next store to it had to take the line back again.
 *
 * eventfd rather than futex: the parent must sleep on many workers at once,
 * and on their pidfds, in one poll(); a futex cannot be polled. The cost of a
 * wake-up is the same 30-40 us either way (it is the scheduler's). A fork
 * pool's parent shares one eventfd among all its ends (channel_share_wake):
 * it then sleeps on three descriptors instead of two per busy worker (a
 * ppoll over 257 of them at 128 workers was 40% of the parent's time in a
 * map of sleeping tasks: setting up and tearing down a wait on each).
 *
 * A peer that closes its end sets its "closed" word and wakes us. A peer that
 * dies cannot, so each channel also holds a socketpair on which nothing is
 * ever written: when the peer's process is gone its end closes and ours
 * hangs up, which poll() reports.
 *
 * Why our own ring: no well-kept library fits. Lock-free queue libraries
 * (liblfds, concurrencykit's ck_ring, Boost.Lockfree's spsc_queue) are
 * written for threads of one process: fixed-size slots or pointers rather
 * than variable-length byte messages, and no sleeping at all (they leave
 * waiting to the caller). What a fork pool needs, bytes streamed through
 * memory shared across fork with a wake-up that can be polled with other
 * descriptors, is the 150 lines below.
 */
#include "par/channel_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#define CACHE_LINE 64
#define RING_BYTES (256u << 10)     /* each way; a power of two */
#define AREA_HEADER 4096u           /* the control block's page */

/* The control block at the start of the shared memory, then the down ring's
 * bytes, then the up ring's. */
struct shm_area {
	alignas(CACHE_LINE) _Atomic uint64_t down_head;     /* parent writes */
	alignas(CACHE_LINE) _Atomic uint64_t down_tail;     /* worker writes */
	alignas(CACHE_LINE) _Atomic uint64_t up_head;       /* worker writes */
	alignas(CACHE_LINE) _Atomic uint64_t up_tail;       /* parent writes */
	alignas(CACHE_LINE) _Atomic uint32_t parent_sleeping;
	alignas(CACHE_LINE) _Atomic uint32_t worker_sleeping;
	alignas(CACHE_LINE) _Atomic uint32_t parent_closed;
	_Atomic uint32_t worker_closed;
	uint64_t ring_bytes;
};

_Static_assert(sizeof(struct shm_area) <= AREA_HEADER, "control block fits its page");

/* Wakes the peer if it announced a sleep. Called after publishing a head or
 * a tail; the fence orders that store before the load of the peer's word. */
static void wake_peer(struct shm_end *se)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (atomic_load_explicit(se->peer_sleeping, memory_order_relaxed) &&
	    atomic_exchange(se->peer_sleeping, 0)) {
		uint64_t one = 1;
		ssize_t w;

		do
			w = write(se->peer_efd, &one, sizeof one);
		while (w < 0 && errno == EINTR);
	}
}

static bool peer_is_gone(struct shm_end *se)
{
	return se->peer_gone || atomic_load_explicit(se->peer_closed, memory_order_acquire);
}

static ssize_t shm_write_some(struct channel *ch, const struct iovec *iov, unsigned n)
{
	struct shm_end *se = &ch->u.shm;
	uint64_t head = atomic_load_explicit(se->out_head, memory_order_relaxed);
	uint64_t mask = se->ring_bytes - 1;
	size_t room = (size_t)(se->ring_bytes - (head - se->out_tail_seen));
	size_t done = 0, want = 0;

	if (peer_is_gone(se))
		return -EPIPE;
	for (unsigned i = 0; i < n; i++)
		want += iov[i].iov_len;
	if (room < want) {   /* the reader's tail only when it matters (DESIGN) */
		se->out_tail_seen = atomic_load_explicit(se->out_tail, memory_order_acquire);
		room = (size_t)(se->ring_bytes - (head - se->out_tail_seen));
	}
	for (unsigned i = 0; i < n && room > 0; i++) {
		const unsigned char *src = iov[i].iov_base;
		size_t len = iov[i].iov_len < room ? iov[i].iov_len : room;
		size_t at = (size_t)((head + done) & mask);
		size_t first = len < se->ring_bytes - at ? len : (size_t)se->ring_bytes - at;

		memcpy(se->out_data + at, src, first);
		memcpy(se->out_data, src + first, len - first);
		done += len;
		room -= len;
	}
	if (done == 0)
		return 0;
	atomic_store_explicit(se->out_head, head + done, memory_order_release);
	wake_peer(se);
	return (ssize_t)done;
}

/* Gives n read bytes back to the writer (and wakes it if it waits for
 * room). */
static void shm_consume(struct channel *ch, size_t n)
{
	struct shm_end *se = &ch->u.shm;
	uint64_t tail = atomic_load_explicit(se->in_tail, memory_order_relaxed);

	atomic_store_explicit(se->in_tail, tail + n, memory_order_release);
	wake_peer(se);
}

static ssize_t shm_read_some(struct channel *ch, void *buf, size_t len)
{
	struct shm_end *se = &ch->u.shm;
	/* closed before head: a peer sets closed after its last head, so
	 * seeing closed means seeing every byte it sent. */
	bool gone = peer_is_gone(se);
	uint64_t head = atomic_load_explicit(se->in_head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(se->in_tail, memory_order_relaxed);
	uint64_t mask = se->ring_bytes - 1;
	size_t avail = (size_t)(head - tail);
	size_t at, first;

	if (avail == 0)
		return gone ? -EPIPE : 0;
	if (len > avail)
		len = avail;
	at = (size_t)(tail & mask);
	first = len < se->ring_bytes - at ? len : (size_t)se->ring_bytes - at;
	memcpy(buf, se->in_data + at, first);
	memcpy((unsigned char *)buf + first, se->in_data, len - first);
	shm_consume(ch, len);
	return (ssize_t)len;
}

static const unsigned char *shm_peek(struct channel *ch, size_t *contig)
{
	struct shm_end *se = &ch->u.shm;
	uint64_t head = atomic_load_explicit(se->in_head, memory_order_acquire);
	uint64_t tail = atomic_load_explicit(se->in_tail, memory_order_relaxed);
	size_t at = (size_t)(tail & (se->ring_bytes - 1));
	size_t avail = (size_t)(head - tail);

	*contig = avail < se->ring_bytes - at ? avail : (size_t)se->ring_bytes - at;
	return se->in_data + at;
}

static bool shm_may_read(struct channel *ch)
{
	struct shm_end *se = &ch->u.shm;

	return atomic_load_explicit(se->in_head, memory_order_relaxed) !=
	       atomic_load_explicit(se->in_tail, memory_order_relaxed) ||
	       peer_is_gone(se);
}

static bool shm_arm(struct channel *ch, bool want_write)
{
	struct shm_end *se = &ch->u.shm;
	bool ready;

	atomic_store(se->my_sleeping, 1);
	atomic_thread_fence(memory_order_seq_cst);
	ready = shm_may_read(ch);
	if (!ready && want_write) {
		uint64_t head = atomic_load_explicit(se->out_head, memory_order_relaxed);
		uint64_t tail = atomic_load_explicit(se->out_tail, memory_order_acquire);

		ready = head - tail < se->ring_bytes;
	}
	if (ready)
		atomic_store(se->my_sleeping, 0);
	return !ready;
}

static unsigned shm_pollfds(struct channel *ch, bool want_write, struct pollfd *pfd)
{
	if (ch->u.shm.wake_shared)
		return 0;   /* the owner polls the shared eventfd (channel.h) */
	pfd[0].fd = ch->u.shm.my_efd;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	pfd[1].fd = ch->u.shm.sentinel;
	pfd[1].events = POLLIN;
	pfd[1].revents = 0;
	return 2;
}

static void shm_disarm(struct channel *ch, const struct pollfd *pfd, unsigned n)
{
	struct shm_end *se = &ch->u.shm;

	atomic_store(se->my_sleeping, 0);
	if (n >= 1 && pfd[0].revents) {
		uint64_t v;

		/* Non-blocking: a wake-up that raced ours may have drained it. */
		while (read(se->my_efd, &v, sizeof v) < 0 && errno == EINTR)
			;
	}
	/* Nothing is ever written to the sentinel: any event is the peer's
	 * end closing. */
	if (n >= 2 && pfd[1].revents)
		se->peer_gone = true;
}

static unsigned shm_worker_fds(const struct channel *ch, int *fds)
{
	const struct shm_end *se = &ch->u.shm;

	fds[0] = se->memfd;
	fds[1] = se->peer_efd;          /* the worker sleeps on it */
	fds[2] = se->my_efd;            /* the worker writes it */
	fds[3] = se->peer_sentinel;
	return 4;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void shm_parent_ready(struct channel *ch)
{
	close_fd(&ch->u.shm.memfd);
	close_fd(&ch->u.shm.peer_sentinel);
}

static int shm_share_wake(struct channel *ch, int efd)
{
	struct shm_end *se = &ch->u.shm;
	int copy = fcntl(efd, F_DUPFD_CLOEXEC, 0);

	if (copy < 0)
		return -errno;
	close_fd(&se->my_efd);
	se->my_efd = copy;
	se->wake_shared = true;
	return 0;
}

static void shm_close(struct channel *ch, bool quietly)
{
	struct shm_end *se = &ch->u.shm;

	if (se->area && !quietly) {
		atomic_store_explicit(se->my_closed, 1, memory_order_release);
		wake_peer(se);
	}
	if (se->area)
		munmap(se->area, se->map_bytes);
	se->area = NULL;
	close_fd(&se->my_efd);
	close_fd(&se->peer_efd);
	close_fd(&se->sentinel);
	shm_parent_ready(ch);
}

static const struct channel_transport shm_transport = {
	.spins = true,
	.cheap_look = true,
	.peek = shm_peek,
	.consume = shm_consume,
	.write_some = shm_write_some,
	.read_some = shm_read_some,
	.may_read = shm_may_read,
	.arm = shm_arm,
	.pollfds = shm_pollfds,
	.disarm = shm_disarm,
	.worker_fds = shm_worker_fds,
	.parent_ready = shm_parent_ready,
	.share_wake = shm_share_wake,
	.close = shm_close,
};

/* Points the end's fields at the mapped area, from one side's view. */
static void shm_bind(struct shm_end *se, bool parent)
{
	struct shm_area *a = se->area;
	unsigned char *down = (unsigned char *)a + AREA_HEADER;
	unsigned char *up = down + se->ring_bytes;

	if (parent) {
		se->out_head = &a->down_head;
		se->out_tail = &a->down_tail;
		se->in_head = &a->up_head;
		se->in_tail = &a->up_tail;
		se->out_data = down;
		se->in_data = up;
		se->my_sleeping = &a->parent_sleeping;
		se->peer_sleeping = &a->worker_sleeping;
		se->my_closed = &a->parent_closed;
		se->peer_closed = &a->worker_closed;
	} else {
		se->out_head = &a->up_head;
		se->out_tail = &a->up_tail;
		se->in_head = &a->down_head;
		se->in_tail = &a->down_tail;
		se->out_data = up;
		se->in_data = down;
		se->my_sleeping = &a->worker_sleeping;
		se->peer_sleeping = &a->parent_sleeping;
		se->my_closed = &a->worker_closed;
		se->peer_closed = &a->parent_closed;
	}
	se->out_tail_seen = atomic_load_explicit(se->out_tail, memory_order_acquire);
}

int channel_shm_new(struct channel *ch)
{
	struct shm_end *se = &ch->u.shm;
	int sv[2];
	int rc;

	se->ring_bytes = RING_BYTES;
	se->map_bytes = AREA_HEADER + 2 * (size_t)RING_BYTES;
	se->my_efd = se->peer_efd = se->sentinel = se->peer_sentinel = -1;
	se->memfd = memfd_create("tvp-channel", MFD_CLOEXEC);
	if (se->memfd < 0)
		return -errno;
	if (ftruncate(se->memfd, (off_t)se->map_bytes) < 0) {
		rc = -errno;
		goto out_close;
	}
	se->area = mmap(NULL, se->map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, se->memfd, 0);
	if (se->area == MAP_FAILED) {
		se->area = NULL;
		rc = -errno;
		goto out_close;
	}
	/* A fresh memfd reads as zeros: indices 0, nobody asleep or closed. */
	se->area->ring_bytes = se->ring_bytes;
	se->my_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	se->peer_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (se->my_efd < 0 || se->peer_efd < 0) {
		rc = -errno;
		goto out_close;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		rc = -errno;
		goto out_close;
	}
	se->sentinel = sv[0];
	se->peer_sentinel = sv[1];
	shm_bind(se, true);
	ch->t = &shm_transport;
	return 0;

out_close:
	shm_close(ch, true);
	return rc;
}

int channel_shm_open(struct channel *ch, const int *fds, unsigned nfds)
{
	struct shm_end *se = &ch->u.shm;
	struct shm_area *a;
	int rc = -EINVAL;
	size_t map_bytes;

	se->my_efd = se->peer_efd = se->sentinel = se->peer_sentinel = se->memfd = -1;
	if (nfds != 4)
		goto out_close;
	/* Map the control page first to learn the rings' size. */
	a = mmap(NULL, AREA_HEADER, PROT_READ, MAP_SHARED, fds[0], 0);
	if (a == MAP_FAILED) {
		rc = -errno;
		goto out_close;
	}
	se->ring_bytes = a->ring_bytes;
	munmap(a, AREA_HEADER);
	if (se->ring_bytes == 0 || (se->ring_bytes & (se->ring_bytes - 1)))
		goto out_close;
	map_bytes = AREA_HEADER + 2 * (size_t)se->ring_bytes;
	se->area = mmap(NULL, map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
	if (se->area == MAP_FAILED) {
		se->area = NULL;
		rc = -errno;
		goto out_close;
	}
	se->map_bytes = map_bytes;
	close(fds[0]);
	se->my_efd = fds[1];
	se->peer_efd = fds[2];
	se->sentinel = fds[3];
	shm_bind(se, false);
	ch->t = &shm_transport;
	return 0;

out_close:
	for (unsigned i = 0; i < nfds; i++)
		close(fds[i]);
	return rc;
}
