/* fileio.c: the `fileio` workload: each task writes --size bytes to its own
 * file, fsyncs it, reads it back, checks it and removes it.
 *
 * Lesson: write() only copies into the kernel's page cache and returns;
 * fsync() is where a program waits for the disk. While one worker waits in
 * fsync its core is free, so several workers overlap their waits, the way
 * sleep's workers do, until the device itself is the limit (one disk queue,
 * one journal commit at a time). The read-back here is served from the page
 * cache the write just filled: it checks the bytes, the waiting is fsync's.
 *
 * DESIGN
 * setup makes one private directory (mkdtemp, mode 0700) under --dir, or
 * $TMPDIR, or /tmp; tasks write only inside it, one file per task index, so
 * concurrent tasks never share a file. A task removes its file on success and
 * on every error. teardown removes whatever is left and the directory; the
 * run loop calls it after errors and after Ctrl-C too, so a worker killed
 * mid-write leaves nothing behind once the run ends.
 *
 * The bytes are a pattern fixed by the task index, written in chunks of at
 * most FILEIO_CHUNK bytes (so a 1 GiB file needs 1 MiB of memory). A 64-bit
 * checksum is taken of what was written and of what was read back; the task
 * fails if they differ, and verify() recomputes it from the index after the
 * timed region. Errors name the path and the errno text (a full disk is
 * "write /tmp/tvp-fileio-Ab12Cd/f3: No space left on device").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/util.h"
#include "workloads/workload.h"

#define FILEIO_MIN 1ull
#define FILEIO_MAX (1ull << 30)      /* 1 GiB a task */
#define FILEIO_CHUNK (1u << 20)      /* bytes per write() and read() */

struct fileio_state {
	char dir[PATH_MAX];          /* the private directory setup made */
};

/* What a task returns: enough for verify() to recompute and compare. */
struct fileio_result {
	uint64_t index;
	uint64_t bytes;
	uint64_t checksum;
};

static bool fileio_parse_size(const char *text, uint64_t *size, char *err, size_t errlen)
{
	return parse_bytes(text, FILEIO_MIN, FILEIO_MAX, size, err, errlen);
}

static uint64_t fileio_default_size(bool quick)
{
	return quick ? 65536ull : 1048576ull;   /* 64 KiB, 1 MiB */
}

static inline uint64_t pattern_word(uint64_t index, uint64_t k)
{
	return (index + 1) * 0xD6E8FEB86659FD93ull ^ (k + 1) * 0x9E3779B97F4A7C15ull;
}

/* Fills buf (len bytes, a multiple of 8 except at the file's end) with the
 * pattern of task index from byte offset off (a multiple of 8). */
static void pattern_fill(unsigned char *buf, size_t len, uint64_t index, uint64_t off)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = pattern_word(index, (off + i) / 8);
		memcpy(buf + i, &w, len - i < 8 ? len - i : 8);
	}
}

/* Folds len bytes into the running checksum h, 8 bytes at a time (a short
 * last word is padded with zeroes). */
static uint64_t checksum_add(uint64_t h, const unsigned char *buf, size_t len)
{
	for (size_t i = 0; i < len; i += 8) {
		uint64_t w = 0;
		memcpy(&w, buf + i, len - i < 8 ? len - i : 8);
		h = (h ^ w) * 0x100000001B3ull;
		h ^= h >> 29;
	}
	return h;
}

#define CHECKSUM_INIT 0xCBF29CE484222325ull

static int fileio_setup(struct workload_inst *wi, char *err, size_t errlen)
{
	const char *base = workload_opt(wi, "dir");
	struct fileio_state *st;
	int n, rc;

	if (!base || !*base)
		base = getenv("TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	st = xcalloc(1, sizeof *st);
	n = snprintf(st->dir, sizeof st->dir, "%s/tvp-fileio-XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof st->dir) {
		snprintf(err, errlen, "directory name too long: %s", base);
		rc = -ENAMETOOLONG;
		goto out_free;
	}
	if (!mkdtemp(st->dir)) {
		rc = -errno;
		snprintf(err, errlen, "cannot make a private directory in %s: %s", base,
			 strerror(errno));
		goto out_free;
	}
	wi->state = st;
	return 0;

out_free:
	free(st);
	return rc;
}

/* Writes the file, fsyncs it, reads it back; on success *sum is the checksum
 * of both. On failure returns a negative errno with the message in out. */
static int write_and_read(int fd, const char *path, uint64_t index, uint64_t size,
			  unsigned char *buf, size_t chunk, uint64_t *sum, struct task_result *out)
{
	uint64_t wsum = CHECKSUM_INIT, rsum = CHECKSUM_INIT, off;
	int rc;

	for (off = 0; off < size; off += chunk) {
		size_t len = size - off < chunk ? (size_t)(size - off) : chunk;

		pattern_fill(buf, len, index, off);
		wsum = checksum_add(wsum, buf, len);
		rc = write_full(fd, buf, len);
		if (rc)
			return task_result_error(out, rc, "write %s: %s (at byte %" PRIu64 " of %" PRIu64 ")",
						 path, strerror(-rc), off, size);
	}
	if (fsync(fd) != 0)
		return task_result_error(out, -errno, "fsync %s: %s", path, strerror(errno));
	if (lseek(fd, 0, SEEK_SET) != 0)
		return task_result_error(out, -errno, "lseek %s: %s", path, strerror(errno));
	for (off = 0; off < size; off += chunk) {
		size_t len = size - off < chunk ? (size_t)(size - off) : chunk;

		rc = read_full(fd, buf, len);
		if (rc == -EPIPE)
			return task_result_error(out, -EIO, "read %s: file ends at byte %" PRIu64
						 ", %" PRIu64 " were written", path, off, size);
		if (rc)
			return task_result_error(out, rc, "read %s: %s", path, strerror(-rc));
		rsum = checksum_add(rsum, buf, len);
	}
	if (rsum != wsum)
		return task_result_error(out, -EIO, "%s: read back different bytes than were written "
					 "(checksum %016" PRIx64 ", wrote %016" PRIx64 ")",
					 path, rsum, wsum);
	*sum = wsum;
	return 0;
}

static int fileio_task(const struct workload_inst *wi, uint64_t index, struct task_result *out)
{
	const struct fileio_state *st = wi->state;
	size_t chunk = wi->size < FILEIO_CHUNK ? (size_t)wi->size : FILEIO_CHUNK;
	struct fileio_result res = { index, wi->size, 0 };
	char path[PATH_MAX + 32];
	unsigned char *buf;
	int fd, rc;

	snprintf(path, sizeof path, "%s/f%" PRIu64, st->dir, index);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return task_result_error(out, -errno, "open %s: %s", path, strerror(errno));
	buf = xmalloc(chunk);
	rc = write_and_read(fd, path, index, wi->size, buf, chunk, &res.checksum, out);
	free(buf);
	close(fd);
	/* Removed on success and on failure alike: a failed task leaves
	 * nothing behind either. */
	if (unlink(path) != 0 && rc == 0)
		rc = task_result_error(out, -errno, "unlink %s: %s", path, strerror(errno));
	if (rc)
		return rc;
	task_result_set(out, &res, sizeof res);
	return 0;
}

/* The checksum task index's file should have: the pattern, folded as the
 * task folds it (chunk by chunk, which is the same as all at once because
 * chunks are multiples of 8 bytes). */
static uint64_t expected_checksum(uint64_t index, uint64_t size)
{
	unsigned char buf[4096];
	uint64_t h = CHECKSUM_INIT;

	for (uint64_t off = 0; off < size; off += sizeof buf) {
		size_t len = size - off < sizeof buf ? (size_t)(size - off) : sizeof buf;
		pattern_fill(buf, len, index, off);
		h = checksum_add(h, buf, len);
	}
	return h;
}

static bool fileio_verify(const struct workload_inst *wi, uint64_t index,
			  const struct task_result *r, char *err, size_t errlen)
{
	struct fileio_result res;
	uint64_t want;

	if (r->len != sizeof res) {
		snprintf(err, errlen, "task %" PRIu64 " returned %zu bytes, expected %zu", index,
			 r->len, sizeof res);
		return false;
	}
	memcpy(&res, task_result_data(r), sizeof res);
	if (res.index != index || res.bytes != wi->size) {
		snprintf(err, errlen, "task %" PRIu64 " reported task %" PRIu64 " with %" PRIu64
			 " bytes, expected %" PRIu64, index, res.index, res.bytes, wi->size);
		return false;
	}
	want = expected_checksum(index, wi->size);
	if (res.checksum != want) {
		snprintf(err, errlen, "task %" PRIu64 ": checksum %016" PRIx64 ", expected %016" PRIx64,
			 index, res.checksum, want);
		return false;
	}
	return true;
}

/* Removes every file in the private directory, then the directory. */
static void fileio_teardown(struct workload_inst *wi)
{
	struct fileio_state *st = wi->state;
	DIR *d;
	struct dirent *e;

	if (!st)
		return;
	d = opendir(st->dir);
	if (d) {
		while ((e = readdir(d)))
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(dirfd(d), e->d_name, 0);
		closedir(d);
	}
	if (rmdir(st->dir) != 0 && errno != ENOENT)
		fprintf(stderr, "tvp: fileio: could not remove %s: %s\n", st->dir, strerror(errno));
	free(st);
	wi->state = NULL;
}

/* MB (10^6 bytes) per second of wall time, counting each byte once: it was
 * written, fsynced and read back. */
static double fileio_rate(const struct workload_inst *wi, uint64_t tasks, double wall_ns)
{
	if (wall_ns <= 0)
		return 0;
	return (double)tasks * (double)wi->size / 1e6 / (wall_ns / 1e9);
}

static const struct workload_option fileio_options[] = {
	{ "dir", "DIR", "", "where the private directory is made (default: $TMPDIR, else /tmp)",
	  NULL, NULL },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

const struct workload workload_fileio = {
	.name = "fileio",
	.summary = "disk IO: each task writes SIZE bytes to its own file, fsyncs, reads back, checks",
	.size_unit = "bytes",
	.size_help = "a byte size such as 1M (a number with K/M/G for KiB/MiB/GiB), from 1 byte to 1G",
	.parse_size = fileio_parse_size,
	.default_size = fileio_default_size,
	.setup = fileio_setup,
	.task = fileio_task,
	.verify = fileio_verify,
	.teardown = fileio_teardown,
	.rate_key = "mb_per_s",
	.rate_label = "MB/s",
	.rate = fileio_rate,
	.options = fileio_options,
};
