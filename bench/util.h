/* util.h: small helpers every module uses: allocation that aborts, the
 * monotonic clock, full reads and writes that retry on EINTR, and the
 * interrupt flag set by SIGINT/SIGTERM. */
#ifndef UTIL_H
#define UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Allocation: on failure these print the size to stderr and abort(), so the
 * callers never check for NULL. Safe from any thread. */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
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

/* Set by the SIGINT/SIGTERM handler (util_catch_interrupts); read it between
 * measurements and between tasks. The signal number, or 0. */
extern volatile sig_atomic_t tvp_interrupted;

/* Installs handlers for SIGINT and SIGTERM that set tvp_interrupted. A second
 * signal of the same kind restores the default action, so a stuck run can
 * still be killed. Call from main, before any thread exists. */
void util_catch_interrupts(void);

/* In a freshly forked worker: ignore SIGINT (the parent decides when the run
 * stops and reaps its children), and die with the parent if it is killed. */
void util_child_after_fork(void);

/* Formats ns as a short human duration ("812 ns", "3.41 us", "1.20 s"). */
void format_duration(char *buf, size_t len, double ns);

#endif
