/* sys.h: the few system helpers the runtime and everything above it share:
 * allocation that aborts, the monotonic clock, full reads and writes that
 * retry on EINTR, a spin-wait hint, and a forked worker's signal set-up.
 *
 * Part of the runtime library (par/): nothing here knows about the driver,
 * prints anything but an out-of-memory line, or writes JSON. */
#ifndef PAR_SYS_H
#define PAR_SYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: on failure these print the size to stderr and abort(), so the
 * callers never check for NULL (the one message the runtime ever prints: it
 * cannot return). Safe from any thread. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
/* n zeroed bytes at a multiple of align (a power of two, at least
 * sizeof(void *)); free with free(). */
void *xaligned_zalloc(size_t align, size_t n);
/* Returns a malloc'd formatted string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CLOCK_MONOTONIC in nanoseconds. Async-signal-safe, callable after fork. */
uint64_t now_ns(void);

/* Sleeps for ns nanoseconds, resuming after signals. */
void sleep_ns(uint64_t ns);

/* Writes or reads exactly len bytes, retrying on EINTR and short transfers.
 * Return 0, or a negative errno (-EPIPE at end of file for read_full).
 * Safe after fork(). */
int write_full(int fd, const void *buf, size_t len);
int read_full(int fd, void *buf, size_t len);

/* A hint to the CPU inside a spin-wait loop (x86 `pause`, ARM `yield`): it
 * lets a sibling hyperthread run and saves power while we poll a flag. */
static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield");
#endif
}

/* In a freshly forked worker: ignore SIGINT (the parent decides when the run
 * stops and reaps its children), take SIGTERM's default action, and die with
 * the parent if it is killed: sys_child_setup(true) when the thread that
 * forked it was the parent's main thread, else (false) nothing of the
 * kind. The kernel's parent-death signal (PR_SET_PDEATHSIG) fires when the
 * forking THREAD ends, not the process: armed in the child of a thread
 * that returns while its process goes on (a pool started from a thread,
 * spawn and forkserver allow it), it killed a pool's workers under it.
 * Such a child learns of its parent's death as CPython's pool workers do,
 * from its channel or socket hanging up: at once when idle, after its task
 * when busy. */
void sys_child_after_fork(void);
void sys_child_setup(bool death_signal);

/* Whether the calling thread is the process's main thread (the one main()
 * ran on; recorded by a constructor). In a forked child, whether the
 * thread that forked it was: the child's one thread is a copy of it. */
bool sys_on_main_thread(void);

/* The PUs this process may run on (its affinity mask), at least 1. */
unsigned sys_usable_pus(void);

/* Formats ns as a short human duration ("812 ns", "3.41 us", "1.20 s"). */
void format_duration(char *buf, size_t len, double ns);

#endif
