/* transfer.c: the `transfer` workload: each task produces --size bytes (a
 * pattern fixed by its index) that must reach the parent.
 *
 * Lesson: threads share one address space, so a thread's result reaches the
 * caller as a pointer: the buffer is handed over, never copied (here through
 * task_result_adopt). A process has its own memory; its result must be copied
 * out through a pipe or shared memory by the fork pool's channel: the seeds'
 * "processes must serialise to communicate". For 64 bytes the copy is lost
 * in the noise; for megabytes it costs more than producing the bytes did.
 * Sweeping --size 64,4K,256K,4M shows where the copy overtakes the compute.
 *
 * DESIGN
 * The pattern is one multiply-add per 8-byte word, so producing it is cheap
 * and the measurement is dominated by moving the bytes, not making them.
 * verify() recomputes the pattern after the timed region and compares every
 * byte, so a torn or truncated copy is an error, not a fast result.
 *
 * Every task mallocs a fresh buffer, as a real producer would, so large
 * sizes also measure first-touch page faults (the kernel zeroes each new
 * page), and how often malloc can reuse memory freed by the previous
 * measurement, which differs between the main thread's heap and other
 * threads' arenas. A fork pool's parent pays such faults again for the copy
 * it receives. These are part of the cost of moving data, not noise to hide.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/util.h"
#include "workloads/workload.h"

#define TRANSFER_MIN 1ull
#define TRANSFER_MAX (1ull << 30)   /* 1 GiB a task */

static bool transfer_parse_size(const char *text, uint64_t *size, char *err, size_t errlen)
{
	return parse_bytes(text, TRANSFER_MIN, TRANSFER_MAX, size, err, errlen);
}

static uint64_t transfer_default_size(bool quick)
{
	return quick ? 4096ull : 262144ull;   /* 4 KiB, 256 KiB */
}

/* Word k of task index's result. */
static inline uint64_t pattern_word(uint64_t index, uint64_t k)
{
	return (index + 1) * 0x9E3779B97F4A7C15ull + k * 0xBF58476D1CE4E5B9ull;
}

/* Fills buf with the first len bytes of task index's pattern. */
static void pattern_fill(unsigned char *buf, size_t len, uint64_t index)
{
	size_t k, words = len / 8;

	for (k = 0; k < words; k++) {
		uint64_t w = pattern_word(index, k);
		memcpy(buf + 8 * k, &w, 8);
	}
	if (len % 8) {
		uint64_t w = pattern_word(index, k);
		memcpy(buf + 8 * k, &w, len % 8);
	}
}

/* The offset of the first byte of buf that differs from the pattern, or len. */
static size_t pattern_mismatch(const unsigned char *buf, size_t len, uint64_t index)
{
	size_t k, words = len / 8;

	for (k = 0; k < words; k++) {
		uint64_t w = pattern_word(index, k);
		if (memcmp(buf + 8 * k, &w, 8) != 0)
			break;
	}
	for (size_t i = 8 * k; i < len; i++) {
		uint64_t w = pattern_word(index, i / 8);
		if (buf[i] != ((const unsigned char *)&w)[i % 8])
			return i;
	}
	return len;
}

static int transfer_task(const struct workload_inst *wi, uint64_t index, struct task_result *out)
{
	size_t len = (size_t)wi->size;
	unsigned char *buf;

	/* A small result fits inside the task_result itself; a large one is
	 * malloc'd here and handed over, so for threads nothing is copied. */
	if (len <= TASK_RESULT_INLINE) {
		pattern_fill(task_result_reserve(out, len), len, index);
		return 0;
	}
	/* Sized by --size: under a memory limit this may fail, and the task
	 * fails with it (the cell fails; the run goes on). */
	if (!(buf = malloc(len)))
		return task_result_error(out, -ENOMEM, "cannot allocate %zu bytes for the result", len);
	pattern_fill(buf, len, index);
	task_result_adopt(out, buf, len);
	return 0;
}

static bool transfer_verify(const struct workload_inst *wi, uint64_t index,
			    const struct task_result *r, char *err, size_t errlen)
{
	size_t at;

	if (r->len != wi->size) {
		snprintf(err, errlen, "task %" PRIu64 " returned %zu bytes, expected %" PRIu64,
			 index, r->len, wi->size);
		return false;
	}
	at = pattern_mismatch(task_result_data(r), r->len, index);
	if (at != r->len) {
		snprintf(err, errlen, "task %" PRIu64 ": byte %zu of %zu differs from the pattern",
			 index, at, r->len);
		return false;
	}
	return true;
}

/* MB (10^6 bytes) of results delivered to the parent per second of wall time. */
static double transfer_rate(const struct workload_inst *wi, uint64_t tasks, double wall_ns)
{
	if (wall_ns <= 0)
		return 0;
	return (double)tasks * (double)wi->size / 1e6 / (wall_ns / 1e9);
}

const struct workload workload_transfer = {
	.name = "transfer",
	.summary = "data movement: each task returns SIZE bytes of a pattern the parent checks",
	.size_unit = "bytes",
	.size_help = "a byte size such as 4K (a number with K/M/G for KiB/MiB/GiB), from 1 byte to 1G",
	.kind = WORKLOAD_TRANSFER,
	.parse_size = transfer_parse_size,
	.default_size = transfer_default_size,
	.task = transfer_task,
	.verify = transfer_verify,
	.rate_key = "mb_per_s",
	.rate_label = "MB/s",
	.rate = transfer_rate,
	.python_size_divisor = 1,
};
