/* ipc.c: IPC bandwidth kernels of `tvp overhead`: messages of 64 B to 4 MiB
 * streamed from a child process to tvp through a pipe or a UNIX socket pair,
 * against memcpy between two buffers in one process as the upper limit.
 *
 * Lesson: threads share memory, so handing data to another thread can cost
 * nothing at all (a pointer). Processes must copy it through the kernel: at
 * least two copies (into the pipe, out of it) plus a system call on each side
 * per message. For small messages the system calls dominate; for large ones
 * the copies do, and bandwidth approaches a fraction of memcpy's.
 *
 * DESIGN
 * The sender is a forked child (a partner, ovh.h) that waits on a control
 * pipe for a message count, then writes that many messages of the kernel's
 * size with one write_full each; count 0 tells it to exit. The driver times
 * from sending the count until it has read every byte, reading whatever has
 * arrived (up to READ_BYTES at a time) as a consumer of a stream does, so the
 * figure is the time per message of a stream and small messages measure the
 * sender's system calls rather than a wake-up per message (the first
 * wake-up, tens of microseconds, is spread over a sample of milliseconds).
 * Pipes keep the system's default capacity (64 KiB on Linux), as a program
 * that does not ask for more gets.
 *
 * The shm-ring kernels send through the fork pool's own channel
 * (par/channel.h, CHANNEL_SHM): the child is the worker end and sends whole
 * messages with channel_send; the driver takes them with channel_try_recv
 * as the fork pool's parent does, message by message: in place in the ring
 * when a message lies there whole and in one piece (no copy out, unlike a
 * pipe's read), else reassembled in the inbox (every 4 MiB message: the
 * ring holds 256 KiB).
 *
 * memcpy copies the same two buffers, both touched beforehand, so it is the
 * cache-hot best case; an empty asm with a memory clobber after each copy
 * keeps the compiler from dropping or merging copies.
 */
#include "bench/overhead/ovh.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "par/channel.h"
#include "bench/util.h"

enum { IPC_MEMCPY, IPC_PIPE, IPC_SOCKETPAIR, IPC_SHM_RING };

#define READ_BYTES (256u << 10)

struct ipc {
	const struct ovh_bench *b;
	unsigned char *src, *dst;
	unsigned char *rbuf;          /* the reader's buffer: READ_BYTES or a message */
	size_t rbuf_len;
	int ctl[2];                   /* driver -> sender: message counts */
	int data[2];                  /* sender writes data[1], driver reads data[0] */
	struct channel *ch;           /* IPC_SHM_RING: the parent's end */
	struct ovh_partner partner;
};

static void sender(void *arg)
{
	struct ipc *s = arg;
	uint64_t n;

	while (read_full(s->ctl[0], &n, sizeof n) == 0 && n > 0)
		for (uint64_t i = 0; i < n; i++)
			if (write_full(s->data[1], s->src, s->b->bytes) != 0)
				return;
}

/* The shm-ring sender: the fork pool's worker end of a shared-memory channel
 * (par/channel.h), one whole message per channel_send, as a worker sends a
 * result. */
static void ring_sender(void *arg)
{
	struct ipc *s = arg;
	struct iovec iov = { s->src, s->b->bytes };
	struct channel *w;
	uint64_t n;

	if (channel_become_worker(s->ch, &w) != 0)
		return;
	while (read_full(s->ctl[0], &n, sizeof n) == 0 && n > 0)
		for (uint64_t i = 0; i < n; i++)
			if (channel_send(w, &iov, 1) != 0)
				goto out;
out:
	channel_free(w);
}

/* The parent's side of the ring: takes iters whole messages as the fork
 * pool's parent does (channel_try_recv, sleeping in poll when nothing has
 * arrived after a short spin). */
static int ring_receive(struct ipc *s, uint64_t iters)
{
	uint64_t got = 0;

	while (got < iters) {
		const void *msg;
		size_t len;
		int r = channel_try_recv(s->ch, &msg, &len);

		if (r == 1) {
			if (len != s->b->bytes)
				return -EPROTO;
			got++;
			continue;
		}
		if (r < 0)
			return r;
		for (int k = 0; k < 2000 && !channel_may_have_input(s->ch); k++)
			;
		if (!channel_may_have_input(s->ch) && channel_arm(s->ch)) {
			struct pollfd pfd[CHANNEL_MAX_POLLFDS];
			unsigned np = channel_pollfds(s->ch, pfd);

			poll(pfd, np, 1000);
			channel_disarm(s->ch, pfd, np);
		}
	}
	return 0;
}

static int ipc_run(void *state, uint64_t iters, struct ovh_sample *out, char *err, size_t errlen);

static void ipc_teardown(void *state)
{
	struct ipc *s = state;
	uint64_t stop = 0;

	if (s->partner.running) {
		write_full(s->ctl[1], &stop, sizeof stop);
		ovh_partner_wait(&s->partner, 5000000000ull);
	}
	for (int i = 0; i < 2; i++) {
		if (s->ctl[i] >= 0)
			close(s->ctl[i]);
		if (s->data[i] >= 0)
			close(s->data[i]);
	}
	channel_free(s->ch);
	free(s->src);
	free(s->dst);
	free(s->rbuf);
	free(s);
}

static int ipc_setup(const struct ovh_bench *b, const struct ovh_ctx *c, void **state, char *err,
		     size_t errlen)
{
	struct ipc *s = xcalloc(1, sizeof *s);
	int rc = 0;

	s->b = b;
	s->ctl[0] = s->ctl[1] = s->data[0] = s->data[1] = -1;
	s->src = xmalloc(b->bytes);
	s->dst = xmalloc(b->bytes);
	memset(s->src, 0x5a, b->bytes);
	memset(s->dst, 0, b->bytes);
	if (b->variant == IPC_MEMCPY)
		goto out;
	s->rbuf_len = b->bytes > READ_BYTES ? b->bytes : READ_BYTES;
	s->rbuf = xcalloc(1, s->rbuf_len);
	if (pipe2(s->ctl, O_CLOEXEC) != 0) {
		rc = ovh_fail(err, errlen, -errno, "pipe: %s", strerror(errno));
		goto out;
	}
	if (b->variant == IPC_SHM_RING) {
		rc = channel_new(&s->ch, CHANNEL_SHM);
		if (rc < 0) {
			rc = ovh_fail(err, errlen, rc, "shm channel: %s", strerror(-rc));
			goto out;
		}
		rc = ovh_partner_start(&s->partner, true, -1, ring_sender, s, err, errlen);
		if (rc == 0)
			channel_parent_ready(s->ch);
	} else if (b->variant == IPC_PIPE ? pipe2(s->data, O_CLOEXEC) != 0
					  : socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s->data) != 0) {
		rc = ovh_fail(err, errlen, -errno, "%s: %s", b->variant == IPC_PIPE ? "pipe" : "socketpair",
			      strerror(errno));
		goto out;
	} else {
		rc = ovh_partner_start(&s->partner, true, -1, sender, s, err, errlen);
	}
	if (rc == 0) {
		/* One message, not timed: the sender is running and its pages are
		 * faulted in before the first timed run. */
		struct ovh_sample warm;
		rc = ipc_run(s, 1, &warm, err, errlen);
	}
out:
	if (rc) {
		ipc_teardown(s);
		return rc;
	}
	*state = s;
	return 0;
}

static int ipc_run(void *state, uint64_t iters, struct ovh_sample *out, char *err, size_t errlen)
{
	struct ipc *s = state;
	size_t len = s->b->bytes;
	uint64_t t0 = now_ns(), left = iters * len;
	int rc;

	if (s->b->variant == IPC_MEMCPY) {
		for (uint64_t i = 0; i < iters; i++) {
			memcpy(s->dst, s->src, len);
			__asm__ __volatile__("" : : "r"(s->dst) : "memory");
		}
		out->value = (double)(now_ns() - t0);
		return 0;
	}
	rc = write_full(s->ctl[1], &iters, sizeof iters);
	if (rc == 0 && s->b->variant == IPC_SHM_RING) {
		rc = ring_receive(s, iters);
		left = 0;
	}
	while (left > 0 && rc == 0) {
		ssize_t n = read(s->data[0], s->rbuf, left < s->rbuf_len ? left : s->rbuf_len);

		if (n > 0)
			left -= (uint64_t)n;
		else if (n == 0)
			rc = -EPIPE;
		else if (errno != EINTR)
			rc = -errno;
	}
	out->value = (double)(now_ns() - t0);
	if (rc)
		return ovh_fail(err, errlen, rc, "the sender is gone: %s", strerror(-rc));
	return 0;
}

#define IPC(nm, var, knd, sz, sum)                                                          \
	{ .name = nm, .group = OVH_GROUP_IPC, .kind = OVH_KIND_##knd, .unit = OVH_UNIT_BYTES_PER_S, \
	  .summary = sum, .bytes = sz, .variant = var, .setup = ipc_setup, .run = ipc_run,  \
	  .teardown = ipc_teardown }

#define IPC_SIZES(base, var, knd, what)                                                     \
	IPC(base "-64b", var, knd, 64, what ", 64 B messages"),                             \
	IPC(base "-4kib", var, knd, 4096, what ", 4 KiB messages"),                         \
	IPC(base "-64kib", var, knd, 65536, what ", 64 KiB messages"),                      \
	IPC(base "-1mib", var, knd, 1u << 20, what ", 1 MiB messages"),                     \
	IPC(base "-4mib", var, knd, 4u << 20, what ", 4 MiB messages")

const struct ovh_bench ovh_ipc_benches[] = {
	IPC_SIZES("memcpy-bw", IPC_MEMCPY, NONE, "memcpy between two buffers in one process"),
	IPC_SIZES("pipe-bw", IPC_PIPE, PROCESS, "child to parent through a pipe"),
	IPC_SIZES("socketpair-bw", IPC_SOCKETPAIR, PROCESS,
		  "child to parent through a UNIX stream socket pair"),
	IPC_SIZES("shm-ring-bw", IPC_SHM_RING, PROCESS,
		  "child to parent through the fork pool's shared-memory ring, whole messages"),
};
const size_t ovh_ipc_benches_count = ARRAY_SIZE(ovh_ipc_benches);
