/* channel_impl.h: what channel.c shares with the two transports
 * (channel_pipe.c, channel_shm.c). Not for users of channels: they include
 * par/channel.h.
 *
 * A transport moves bytes without blocking and knows how to sleep; channel.c
 * does the framing (a 16-byte prefix holding the length before each message,
 * and padding after it to a multiple of 16 bytes), reassembles
 * messages in the inbox (or hands a whole one out where it lies, when the
 * transport can peek) and keeps the unwritten rest of a message in the
 * outbox.
 */
#ifndef CHANNEL_IMPL_H
#define CHANNEL_IMPL_H

#include <stdatomic.h>
#include <sys/types.h>

#include "par/channel.h"
#include "par/sys.h"

struct channel;

struct channel_transport {
	bool spins;                    /* waiting for bytes is worth a spin */
	bool cheap_look;               /* may_read is a plain load, no system call */
	/* Writes what fits of iov[0..n) without blocking: the bytes written,
	 * 0 if there is no room, or -EPIPE when the peer is gone. */
	ssize_t (*write_some)(struct channel *ch, const struct iovec *iov, unsigned n);
	/* Reads up to len bytes without blocking: the bytes read, 0 if none
	 * are there, -EPIPE when the peer is gone and nothing is left. */
	ssize_t (*read_some)(struct channel *ch, void *buf, size_t len);
	/* Cheap: might read_some return something other than 0? */
	bool (*may_read)(struct channel *ch);
	/* Optional (shm): the unread bytes as they lie in the transport's own
	 * memory, *contig of them in one piece from the returned address; and
	 * consume, which lets the writer have n of them back. channel.c hands
	 * a whole message out in place and consumes it at the next receive. */
	const unsigned char *(*peek)(struct channel *ch, size_t *contig);
	void (*consume)(struct channel *ch, size_t n);
	/* Announces a sleep (see channel_arm); false if there is input, room
	 * to write (want_write) or a closed peer already. */
	bool (*arm)(struct channel *ch, bool want_write);
	unsigned (*pollfds)(struct channel *ch, bool want_write, struct pollfd *pfd);
	void (*disarm)(struct channel *ch, const struct pollfd *pfd, unsigned n);
	unsigned (*worker_fds)(const struct channel *ch, int *fds);
	void (*parent_ready)(struct channel *ch);
	/* Optional (shm): see channel_share_wake. */
	int (*share_wake)(struct channel *ch, int efd);
	/* Releases the transport. quietly: this is a forked copy of the end,
	 * so the peer must not be told anything. */
	void (*close)(struct channel *ch, bool quietly);
};

struct pipe_end {
	int rfd, wfd;                  /* ours: read from the peer, write to it */
	int peer_fds[2];               /* parent, until ready: the worker's */
	int hold_fd;                   /* the parent: a read end of the down pipe it never
					  reads, so no write raises SIGPIPE; -1: none */
	bool guard_sigpipe;            /* no hold_fd: block SIGPIPE around each write */
	bool peer_gone;                /* a read saw the end of the stream */
};

struct shm_area;

struct shm_end {
	struct shm_area *area;
	size_t map_bytes;
	uint64_t ring_bytes;           /* a power of two */
	_Atomic uint64_t *in_head, *in_tail, *out_head, *out_tail;
	uint64_t out_tail_seen;        /* *out_tail when last read: never ahead of it */
	unsigned char *in_data, *out_data;
	_Atomic uint32_t *my_sleeping, *peer_sleeping, *my_closed, *peer_closed;
	int my_efd;                    /* we sleep on it; the peer writes it */
	int peer_efd;                  /* we write it to wake the peer */
	int sentinel;                  /* our end of a socketpair: hangs up when the peer is gone */
	bool wake_shared;              /* my_efd is a copy of an eventfd other ends share */
	int memfd, peer_sentinel;      /* parent, until ready */
	bool peer_gone;
};

struct channel {
	const struct channel_transport *t;
	enum channel_kind kind;

	/* Outbox: the message being written (prefix, parts, padding). */
	uint64_t out_prefix[2];
	unsigned char out_hdr[CHANNEL_POST_HDR_MAX];
	struct iovec out_iov[6];
	unsigned out_n;
	size_t out_total, out_done;

	/* Inbox: bytes read, [in_off, in_len) not yet handed out. */
	unsigned char *in;
	size_t in_cap, in_len, in_off;
	size_t held;                   /* a message handed out in place (peek):
					  its bytes, consumed at the next receive */

	union {
		struct pipe_end pipe;
		struct shm_end shm;
	} u;
};

/* Each fills in ch->t and ch->u; 0 or a negative errno (nothing left open). */
int channel_pipe_new(struct channel *ch);
int channel_pipe_open(struct channel *ch, const int *fds, unsigned nfds);
int channel_shm_new(struct channel *ch);
int channel_shm_open(struct channel *ch, const int *fds, unsigned nfds);

#endif
