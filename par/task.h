/* task.h: what a task is, in every pool, executor and mode: a function and
 * argument bytes go in, a status and result bytes come out.
 *
 * DESIGN
 * One ABI for threads and processes, so that the same task runs unchanged in
 * a thread pool, a forked worker or the serial loop, and so that the cost of
 * crossing a process boundary is the cost of copying these bytes and nothing
 * hidden. A function pointer is valid in a forked worker because the worker
 * is a fork of this program without exec: the same code at the same address.
 * An argument may point into memory the worker inherited at fork time (a
 * workload's state made before the pool started), never into memory made
 * afterwards.
 *
 * A result of up to TASK_RESULT_INLINE bytes lives inside the struct, so the
 * common small results (a count, an index) cost no allocation. Larger ones
 * live on the heap and are owned by the struct. A failed task returns a
 * negative errno and leaves a human-readable message in its result bytes
 * (the C counterpart of an exception carried back from a worker).
 */
#ifndef TASK_H
#define TASK_H

#include <stddef.h>
#include <stdint.h>

#define TASK_RESULT_INLINE 24

struct task_result {
	size_t len;                          /* bytes of result (or message) */
	unsigned char *heap;                 /* NULL: the bytes are in inl[] */
	unsigned char inl[TASK_RESULT_INLINE];
};

/* A task. Reads arg_len bytes at arg, writes its result into out (which is
 * empty on entry), returns 0, or a negative errno after task_result_error()
 * has put a message in out. Must be callable from any thread and in a forked
 * child. */
typedef int (*task_fn)(const void *arg, size_t arg_len, struct task_result *out);

/* An empty result. */
#define TASK_RESULT_INIT { 0, NULL, { 0 } }

/* The result's bytes (never NULL). */
static inline const void *task_result_data(const struct task_result *r)
{
	return r->heap ? (const void *)r->heap : (const void *)r->inl;
}

/* The out-of-line cases of task_result_reserve and task_result_set: r
 * holds heap bytes, or len is over TASK_RESULT_INLINE. */
void *task_result_reserve_slow(struct task_result *r, size_t len);
void task_result_set_slow(struct task_result *r, const void *data, size_t len);

/* Makes room for len bytes, sets r->len = len and returns where to write
 * them. Frees what r held before. Inline for the common small result: in a
 * map of a million empty tasks, a call to free(NULL) and one to memcpy were
 * a third of each task's cost. */
static inline void *task_result_reserve(struct task_result *r, size_t len)
{
	if (r->heap || len > TASK_RESULT_INLINE)
		return task_result_reserve_slow(r, len);
	r->len = len;
	return r->inl;
}

/* Copies len bytes into r. */
static inline void task_result_set(struct task_result *r, const void *data, size_t len)
{
	if (r->heap || len > TASK_RESULT_INLINE) {
		task_result_set_slow(r, data, len);
		return;
	}
	r->len = len;
	__builtin_memcpy(r->inl, data, len);
}

/* Takes ownership of a malloc'd buffer of len bytes: no copy (how a thread
 * hands a large result back through shared memory). */
void task_result_adopt(struct task_result *r, void *heap, size_t len);

/* Puts a formatted message into r and returns err (a negative errno), so a
 * task can say `return task_result_error(out, -EIO, "short read: %zu", n);`. */
int task_result_error(struct task_result *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The text of a failed task for a message: its result's message when it
 * left one (task_result_error messages already say what went wrong, so no
 * errno text is added: a dead worker's -ECHILD would read "No child
 * processes"), else strerror(-status). Written into buf; returns buf. */
char *task_error_text(const struct task_result *r, int status, char *buf, size_t len);

/* Moves src into dst (dst's old bytes are freed; src is left empty). */
void task_result_move(struct task_result *dst, struct task_result *src);

/* Frees what r holds and leaves it empty. */
void task_result_release(struct task_result *r);

/* What one worker (a pool thread, a forked worker, a spawned thread or
 * process) did during one batch of tasks. Fixed size, so a forked worker can
 * send it back as bytes. */
struct worker_stats {
	int32_t pid;            /* process id the worker ran in */
	int32_t tid;            /* its thread id (gettid) */
	uint64_t tasks;         /* tasks it ran */
	uint64_t busy_ns;       /* time inside task functions */
	/* Placement (par/pin.h): -1 not asked for, 0 binding failed, 1 bound. */
	int32_t pinned;
	int32_t bind_errno;     /* when pinned is 0: why (a positive errno) */
	char bound[96];         /* cpuset it was bound to, hwloc list ("1", "0-3") */
	char ran_on[96];        /* CPUs it was seen running on, same syntax */
};

#endif
