/* channel.h: a two-way byte-message channel between the parent and ONE
 * worker process: jobs go down, results come up. Two transports behind one
 * API, chosen by enum channel_kind: pipes (channel_pipe.c) and rings in
 * shared memory (channel_shm.c).
 *
 * DESIGN
 * A message is a length and that many bytes; the channel keeps messages whole
 * and in order whatever their size (0 B to many MiB: larger than the pipe or
 * ring buffer, a message is streamed through it in pieces). The framing, the
 * inbox that reassembles messages and the outbox that holds a message not yet
 * written live once in channel.c; a transport only moves bytes and knows how
 * to sleep.
 *
 * The two ends are used differently, on purpose:
 *   - the worker end blocks (channel_send, channel_recv): a worker has
 *     nothing else to do;
 *   - the parent end never blocks (channel_post, channel_flush,
 *     channel_try_recv), because one parent thread serves every worker: if it
 *     blocked writing a large job to one worker while that worker blocked
 *     writing a large result back, both would wait forever. The parent sleeps
 *     only in poll(), on the descriptors channel_pollfds gives, after
 *     channel_arm has said that sleeping is safe.
 *
 * Making a channel: the parent calls channel_new before the worker exists.
 * The worker end is made from descriptors alone (channel_worker_fds), so it
 * can be handed to a worker forked by someone else (the fork pool's fork
 * server passes them with SCM_RIGHTS) and rebuilt there with
 * channel_open_worker; a child forked directly by the parent can use
 * channel_become_worker instead. Once the worker holds its descriptors, the
 * parent calls channel_parent_ready to close its copies, so that the
 * worker's death closes the last copy and the parent sees the end of the
 * stream.
 *
 * A peer that is gone (closed its end, exited, was killed) shows as -EPIPE
 * once every message it sent has been read.
 *
 * None of this is thread-safe: one thread uses one end at a time. Every
 * descriptor is close-on-exec.
 */
#ifndef CHANNEL_H
#define CHANNEL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "par/channel_kind.h"

/* Most descriptors a worker end needs, and most a parent polls on. */
#define CHANNEL_MAX_FDS 4
#define CHANNEL_MAX_POLLFDS 3

struct channel;

/* The transport's name ("pipe", "shm"). */
const char *channel_kind_name(enum channel_kind kind);

/* Parses "pipe" or "shm"; returns 0, or -EINVAL for anything else. */
int channel_kind_parse(const char *name, enum channel_kind *kind);

/* In the parent: makes a channel and returns its parent end in *out (and the
 * worker's descriptors, see channel_worker_fds). Returns 0 or a negative
 * errno (EMFILE, ENOMEM...), having made nothing. */
int channel_new(struct channel **out, enum channel_kind kind);

/* The descriptors the worker end is made from, in order, written into fds
 * (room for CHANNEL_MAX_FDS); returns how many. They belong to ch until
 * channel_parent_ready. */
unsigned channel_worker_fds(const struct channel *ch, int *fds);

/* In the parent, once the worker has its own copies of those descriptors:
 * closes the parent's. */
void channel_parent_ready(struct channel *ch);

/* In the parent, before channel_worker_fds: the peer will wake this end by
 * writing efd, an eventfd that the ends of many channels share and their
 * owner polls once, instead of an eventfd of the channel's own (the end
 * keeps a copy of efd). Such an end has no poll descriptors: channel_pollfds
 * gives 0, so its owner polls efd, reads it after a wake-up, and learns of
 * a peer's death some other way (a pidfd). Returns 0, -ENOTSUP when the
 * transport cannot (a pipe: its data is its wake-up), or a negative errno. */
int channel_share_wake(struct channel *ch, int efd);

/* In the worker: makes the worker end from the descriptors (taking them
 * over: they are closed by channel_free, or at once on failure). Returns 0
 * with *out set, or a negative errno. */
int channel_open_worker(struct channel **out, enum channel_kind kind, const int *fds,
			unsigned nfds);

/* In a child forked directly from the parent after channel_new: turns the
 * inherited parent end into the worker end (the parent's copy of it is
 * dropped without a word to the real parent). Returns 0 or a negative errno. */
int channel_become_worker(struct channel *parent_end, struct channel **out);

/* Closes this end and frees it. The peer reads what was sent, then -EPIPE.
 * NULL is accepted. */
void channel_free(struct channel *ch);

/* ---- the worker end: blocking ------------------------------------------ */

/* Sends one message made of the parts iov[0..n), waiting for room as long as
 * it takes. Returns 0, or -EPIPE if the peer is gone. */
int channel_send(struct channel *ch, const struct iovec *iov, unsigned n);

/* Waits up to timeout_ns (POOL_FOREVER: no limit) for a message, spinning
 * for spin_ns first (a pipe end looks with ioctl FIONREAD). Returns 1 with
 * *msg and *len set (the bytes stay valid until the next receive on ch),
 * -ETIMEDOUT, or -EPIPE when the peer is gone and every message has been
 * read. */
int channel_recv(struct channel *ch, int64_t timeout_ns, uint64_t spin_ns, const void **msg,
		 size_t *len);

/* ---- the parent end: never blocks -------------------------------------- */

/* The largest header channel_post takes. */
#define CHANNEL_POST_HDR_MAX 128

/* Queues one message: hdr (copied; at most CHANNEL_POST_HDR_MAX bytes,
 * else -EMSGSIZE) followed by payload (not
 * copied: it must stay valid and unchanged until channel_send_pending is
 * false), and writes what fits at once. Returns 0, -EBUSY if a message is
 * still pending, -EPIPE if the peer is gone. */
int channel_post(struct channel *ch, const void *hdr, size_t hlen, const void *payload,
		 size_t plen);

/* Writes more of the pending message. Returns 0 when nothing is pending any
 * more, 1 when some remains, -EPIPE. */
int channel_flush(struct channel *ch);

bool channel_send_pending(const struct channel *ch);

/* Drops the pending message (the peer is being replaced). */
void channel_drop_pending(struct channel *ch);

/* Returns 1 with the next whole message (as channel_recv), 0 if none has
 * arrived whole yet, -EPIPE when the peer is gone and everything it sent has
 * been read. */
int channel_try_recv(struct channel *ch, const void **msg, size_t *len);

/* True if there may be bytes to read right now: cheap (no system call for
 * shm), for spinning. Ends the last received message's lifetime, as a
 * receive does. */
bool channel_may_have_input(struct channel *ch);

/* Whether part of a message has been read and the rest has not come yet
 * (after channel_try_recv returned 0). */
bool channel_recv_partial(const struct channel *ch);

/* True if channel_may_have_input costs a plain load (shm), so a spinner may
 * look after every pause; false if it is a system call (a pipe's FIONREAD):
 * look once per round of pauses. */
bool channel_look_is_cheap(const struct channel *ch);

/* Sleeping in poll(). channel_arm announces that this end is about to sleep
 * (so the peer knows to wake it) and returns false if there is something to
 * do already (input, room for the pending message, a closed peer): then do
 * not sleep. After arm returned true, poll the descriptors channel_pollfds
 * writes (at most CHANNEL_MAX_POLLFDS; any revents at all means "look
 * again"), then call channel_disarm, whatever happened. */
bool channel_arm(struct channel *ch);
unsigned channel_pollfds(struct channel *ch, struct pollfd *pfd);
void channel_disarm(struct channel *ch, const struct pollfd *pfd, unsigned npfd);

#endif
