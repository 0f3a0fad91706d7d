/* pipe.c: the `pipe` lesson: a two-ended pipe between two processes, send
 * and recv until an end message; then two writers on one end, whose large
 * messages interleave and corrupt each other while small ones do not.
 *
 * Lesson: Python's Pipe() returns two connection objects, one per end, each
 * with send() and recv(); on Linux it is a socketpair, so both ends can send.
 * A message is bytes with a length in front, so recv knows where it ends.
 * The seed warns that two processes writing to the same end at once can
 * corrupt the data. The kernel makes one write() to a pipe indivisible only
 * up to PIPE_BUF bytes (4096 on Linux); a longer write goes in pieces, and
 * another writer's pieces can land between them. So a pipe has one writer
 * per end, or small messages, or a lock; a Queue does the locking for you.
 * The seed warns about two readers too: a pipe is one stream of bytes, so
 * each message goes to one reader only, and a message longer than a single
 * read can be split between the two.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "bench/util.h"

/* send and recv: a 4-byte length, then the bytes. */
static int msg_send(int fd, const char *text)
{
	uint32_t len = (uint32_t)strlen(text);
	int rc = write_full(fd, &len, sizeof len);

	return rc ? rc : write_full(fd, text, len);
}

static int msg_recv(int fd, char *buf, size_t size)
{
	uint32_t len;
	int rc = lesson_read(fd, &len, sizeof len, 5000);

	if (rc == 0 && len >= size)
		rc = -EMSGSIZE;
	if (rc == 0 && (rc = lesson_read(fd, buf, len, 5000)) == 0)
		buf[len] = '\0';
	return rc;
}

static int send_recv(const struct lesson_ctx *c)
{
	static const char *const msgs[] = { "hello", "hey", "how are you?", "END" };
	char buf[64], sbuf[64];
	int sv[2], st, n = 0;
	uint64_t t0;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return lesson_fail(c, "socketpair: %s", strerror(errno));
	lesson_do(c, "Pipe(): two connected ends. A child sends messages from "
		  "its end until END; this process receives on the other end, "
		  "then replies on the same end.");
	t0 = now_ns();
	pid = lesson_fork(c);
	if (pid == 0) {
		close(sv[0]);
		for (size_t i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
			msg_send(sv[1], msgs[i]);
		_exit(msg_recv(sv[1], buf, sizeof buf) == 0 && strcmp(buf, "thanks") == 0 ? 0 : 1);
	}
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return lesson_fail(c, "fork: %s", strerror(errno));
	}
	while (msg_recv(sv[0], buf, sizeof buf) == 0 && strcmp(buf, "END") != 0) {
		n++;
		lesson_saw(c, "recv from child %d: '%s' at +%s", (int)pid, buf,
			   lesson_dur((double)(now_ns() - t0)));
	}
	msg_send(sv[0], "thanks");
	lesson_wait(pid, &st, 5000);
	close(sv[0]);
	lesson_claim(c, "pipe: %d messages received before END; the child got our "
		     "reply and ended with %s", n, lesson_status_str(st, sbuf, sizeof sbuf));
	return 0;
}

/* Two writers, each writing `count` messages of `size` bytes of its own
 * letter; this process reads size-byte frames and counts those holding both
 * letters. Returns the count, or -1 on failure. */
static long two_writers(const struct lesson_ctx *c, size_t size, int count)
{
	unsigned char *frame = xmalloc(size);
	pid_t w[2];
	long mixed = 0;
	int fd[2], go[2], st;
	char byte;

	if (pipe(fd) || pipe(go)) {
		free(frame);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		w[i] = lesson_fork(c);
		if (w[i] == 0) {
			close(fd[0]);
			close(go[1]);
			memset(frame, i ? 'B' : 'A', size);
			read(go[0], &byte, 1);  /* both start when go closes */
			for (int k = 0; k < count; k++)
				if (write(fd[1], frame, size) != (ssize_t)size)  /* one write each */
					_exit(1);
			_exit(0);
		}
	}
	close(fd[1]);
	close(go[0]);
	close(go[1]);
	for (int k = 0; k < 2 * count; k++) {
		if (lesson_read(fd[0], frame, size, 5000) != 0) {
			mixed = -1;
			break;
		}
		if (memchr(frame, frame[0] == 'A' ? 'B' : 'A', size))
			mixed++;
	}
	close(fd[0]);
	for (int i = 0; i < 2; i++) {
		if (w[i] < 0)
			mixed = -1;
		else
			lesson_wait(w[i], &st, 5000);
	}
	free(frame);
	return mixed;
}

static int corruption(const struct lesson_ctx *c)
{
	int count = c->quick ? 50 : 200;
	size_t small = 512, big = 100000;
	long bad;

	lesson_do(c, "Two processes write to the same end of one pipe, %d "
		  "messages each, all A's or all B's. We read them back and count "
		  "messages that hold both letters. PIPE_BUF here: %d bytes.",
		  count, PIPE_BUF);
	if ((bad = two_writers(c, small, count)) < 0)
		return lesson_fail(c, "two writers of %zu bytes: %s", small, strerror(errno));
	lesson_claim(c, "messages of %zu bytes: %ld of %d corrupted", small, bad, 2 * count);
	if ((bad = two_writers(c, big, count)) < 0)
		return lesson_fail(c, "two writers of %zu bytes: %s", big, strerror(errno));
	lesson_claim(c, "messages of %zu bytes: %ld of %d corrupted", big, bad, 2 * count);
	lesson_why(c, "a write of up to PIPE_BUF bytes goes into the pipe in one "
		   "piece. A longer one is copied as room appears, and the other "
		   "writer's bytes get in between: the reader sees halves of two "
		   "messages glued together.");
	return 0;
}

/* What each of two readers of one pipe end took. */
struct readers {
	long got[2];                 /* whole messages of one letter */
	long torn[2];                /* messages mixing letters, or cut off */
};

static void reader_main(int fd, size_t size, struct readers *out, int me)
{
	unsigned char *frame = xmalloc(size);
	int rc;

	/* A frame cut off by the end of the stream is neither got nor torn. */
	while ((rc = lesson_read(fd, frame, size, 5000)) == 0) {
		if (memchr(frame, frame[0] == 'A' ? 'B' : 'A', size) ||
		    frame[size - 1] != frame[0])
			out->torn[me]++;
		else
			out->got[me]++;
	}
	_exit(rc == -EPIPE ? 0 : 1);   /* end of file: the writer is done */
}

/* This process writes count messages of size bytes (A's and B's in turn)
 * to one pipe; two reader processes read size-byte frames from its one
 * read end. Returns 0, or -1 on failure. */
static int two_readers(const struct lesson_ctx *c, size_t size, int count, struct readers *r)
{
	unsigned char *msg = xmalloc(size);
	pid_t rd[2] = { 0, 0 };
	int fd[2], st, rc = 0;

	memset(r, 0, sizeof *r);
	if (pipe(fd)) {
		free(msg);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		rd[i] = lesson_fork(c);
		if (rd[i] == 0) {
			close(fd[1]);
			reader_main(fd[0], size, r, i);
		}
		rc |= rd[i] < 0 ? -1 : 0;
	}
	close(fd[0]);
	for (int k = 0; k < count && rc == 0; k++) {
		memset(msg, k % 2 ? 'B' : 'A', size);
		rc = write_full(fd[1], msg, size) ? -1 : 0;
	}
	close(fd[1]);
	for (int i = 0; i < 2; i++)
		if (rd[i] > 0)
			lesson_wait(rd[i], &st, -1);
	free(msg);
	return rc;
}

static int readers(const struct lesson_ctx *c)
{
	int count = c->quick ? 100 : 400;
	size_t sizes[2] = { 512, 100000 };
	struct readers *r = lesson_shared(sizeof *r);

	lesson_do(c, "Two processes read from the same end of one pipe; this "
		  "process writes %d messages into it, A's and B's in turn.", count);
	for (int i = 0; i < 2; i++) {
		long lost;

		if (two_readers(c, sizes[i], count, r) != 0) {
			lesson_unshare(r, sizeof *r);
			return lesson_fail(c, "two readers: %s", strerror(errno));
		}
		lost = count - r->got[0] - r->got[1] - r->torn[0] - r->torn[1];
		lesson_claim(c, "two readers, %zu-byte messages: %ld and %ld whole, "
			     "%ld torn, %ld cut off", sizes[i], r->got[0], r->got[1],
			     r->torn[0] + r->torn[1], lost);
	}
	lesson_unshare(r, sizeof *r);
	lesson_why(c, "a pipe is one stream: each byte goes to whichever "
		   "reader asks first, never to both. Small messages arrive "
		   "whole, to one reader or the other as they happen to ask; a "
		   "message longer than one read gets split between them. Python's Connection "
		   "reads a length, then the body: two readers can each take part "
		   "of a message and lose the framing for good (with 100 kB "
		   "messages both readers got stuck).");
	return 0;
}

static int run(const struct lesson_ctx *c)
{
	lesson_title(c, "pipe", "send, recv, two writers, two readers");
	if (send_recv(c) || corruption(c) || readers(c))
		return 1;
	return 0;
}

const struct lesson lesson_pipe = {
	.name = "pipe",
	.summary = "send/recv over a pipe; two writers or readers on one end",
	.seed = "003_f363eeb7d278b528.txt",
	.run = run,
};
