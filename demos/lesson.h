/* lesson.h: the classroom lesson interface: one readable C file per concept
 * in demos/, one line each in demos/registry.c, run by `tvp lesson NAME`. */
#ifndef LESSON_H
#define LESSON_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

struct lesson_ctx {
	FILE *out;      /* where the narration goes (stdout) */
	bool quick;     /* small sizes: the test suite and `make demo` */
	bool color;     /* stdout is a terminal and NO_COLOR is unset */
};

struct lesson {
	const char *name;
	const char *summary;    /* one line, for `tvp lesson` */
	const char *seed;       /* which seed tutorial it comes from */
	/* Runs the lesson. Returns 0, or 1 when something the lesson relies on
	 * failed (it says what). Leaves no process, file or segment behind. */
	int (*run)(const struct lesson_ctx *ctx);
};

extern const struct lesson *const lessons[];
extern const unsigned lessons_count;

const struct lesson *lesson_find(const char *name);

/* ---- Helpers every lesson uses (demos/lesson.c). ----
 *
 * Narration. Each prints one paragraph to ctx->out, word-wrapped to
 * LESSON_COLS columns (a projector shows about that many), coloured only when
 * ctx->color is set. Call them in the lesson's own process only: a forked
 * child reports to its parent (a pipe, shared memory) and the parent
 * narrates, so the output never interleaves unless that is the lesson. */
#define LESSON_COLS 72

__attribute__((format(printf, 3, 4)))
void lesson_title(const struct lesson_ctx *c, const char *name, const char *fmt, ...);
/* What the lesson is about to do ("> ..."). */
__attribute__((format(printf, 2, 3)))
void lesson_do(const struct lesson_ctx *c, const char *fmt, ...);
/* What happened: pids, values, times ("  ..."). */
__attribute__((format(printf, 2, 3)))
void lesson_saw(const struct lesson_ctx *c, const char *fmt, ...);
/* The lesson's key finding, on a line of its own that stays the same from
 * run to run apart from the figures (the tests look for these). */
__attribute__((format(printf, 2, 3)))
void lesson_claim(const struct lesson_ctx *c, const char *fmt, ...);
/* Why it happened ("why: ..."). */
__attribute__((format(printf, 2, 3)))
void lesson_why(const struct lesson_ctx *c, const char *fmt, ...);
/* Something the lesson relies on failed ("failed: ..."); returns 1, so a
 * lesson can end with `return lesson_fail(c, "fork: %s", strerror(errno));`. */
__attribute__((format(printf, 2, 3)))
int lesson_fail(const struct lesson_ctx *c, const char *fmt, ...);

/* Processes. lesson_fork flushes every stdio stream (so a child inherits no
 * buffered text to print twice) and forks; it returns what fork() returns.
 * The child must end with _exit(), never return. */
pid_t lesson_fork(const struct lesson_ctx *c);
/* waitpid that retries on EINTR and gives up after timeout_ms (-1: never).
 * Returns the pid, 0 on timeout, or -1 with errno. */
pid_t lesson_wait(pid_t pid, int *status, int timeout_ms);
/* Reads exactly len bytes from fd within timeout_ms. Returns 0, -ETIMEDOUT,
 * -EPIPE at end of file, or another negative errno. */
int lesson_read(int fd, void *buf, size_t len, int timeout_ms);
/* Kills pid with SIGKILL and reaps it (for error paths); ignores pid <= 0. */
void lesson_kill(pid_t pid);
/* Writes "exit code 7" or "killed by signal 9 (Killed)" into buf. */
const char *lesson_status_str(int status, char *buf, size_t len);
/* The state letter of /proc/PID/stat ('R', 'S', 'Z', ...), or 0 if there is
 * no such process. */
char lesson_proc_state(pid_t pid);

/* Runs `PYTHON -c code` (PYTHON: $TVP_PYTHON, else python3) in a process
 * group of its own, its stdout captured into out (NUL-terminated, cut to
 * outlen - 1 bytes), its stderr dropped. After timeout_ms the whole group
 * is killed. Returns 0 when it exited with 0, -ENOENT when no interpreter
 * could be started, -ETIMEDOUT, or -EIO when it failed. Leaves no child. */
int lesson_python(const struct lesson_ctx *c, const char *code, int timeout_ms, char *out,
		  size_t outlen);

/* Memory every process forked afterwards shares (MAP_SHARED|MAP_ANONYMOUS,
 * zeroed); aborts if the system has none to give. Free with lesson_unshare. */
void *lesson_shared(size_t size);
void lesson_unshare(void *p, size_t size);
/* Initialises a mutex and a condition variable that work across processes
 * when they live in lesson_shared memory (the condvar waits on
 * CLOCK_MONOTONIC). Return 0 or a pthread error number. */
int lesson_pshared_mutex(pthread_mutex_t *m);
int lesson_pshared_cond(pthread_cond_t *cv);
/* An absolute CLOCK_MONOTONIC time ms milliseconds from now, for
 * pthread_cond_timedwait and sem_clockwait. */
struct timespec lesson_deadline(int ms);

/* Two things timed twice each, alternately: returns the better of a's runs
 * over the better of b's, and sets *noise to the larger spread of the two
 * pairs. A ratio that is not well beyond *noise says nothing. */
double lesson_ratio(const uint64_t a_ns[2], const uint64_t b_ns[2], double *noise);

/* Formats ns as a short duration ("3.41 ms") into a static buffer of the
 * calling thread; up to four results may be used in one printf. */
const char *lesson_dur(double ns);

#endif
