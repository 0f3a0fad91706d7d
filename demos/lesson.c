/* lesson.c: what every lesson shares: narration wrapped for a projector, and
 * the few process and shared-memory helpers the lessons would otherwise each
 * repeat (see lesson.h). */
#include "demos/lesson.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/python.h"
#include "bench/util.h"

#define COLOR_BOLD   "\033[1m"
#define COLOR_CYAN   "\033[36m"
#define COLOR_GREEN  "\033[1;32m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_RED    "\033[1;31m"
#define COLOR_OFF    "\033[0m"

/* Units a number keeps on its line ("10.17 ms", not "10.17" then "ms"). */
static const char *const units[] = { "ns", "us", "ms", "s", "min", "x", "bytes", "%" };

/* Whether no line may break between word a (alen bytes) and word b: a
 * number and its unit, and either side of an "=" ("= 12" stays whole). */
static bool glued(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t core = blen;

	if ((alen == 1 && *a == '=') || (blen == 1 && *b == '='))
		return true;
	if (alen == 0 || a[alen - 1] < '0' || a[alen - 1] > '9')
		return false;
	while (core > 0 && strchr(",.;:)", b[core - 1]))
		core--;
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (core == strlen(units[i]) && strncmp(b, units[i], core) == 0)
			return true;
	return false;
}

/* How many bytes from p the line may not break inside: one word, or a run
 * of words glued together (with the spaces between them). */
static size_t chunk_len(const char *p)
{
	size_t n = strcspn(p, " \n"), last = 0;

	for (;;) {
		size_t sp = strspn(p + n, " "), m = strcspn(p + n + sp, " \n");

		if (sp == 0 || m == 0 || !glued(p + last, n - last, p + n + sp, m))
			return n;
		last = n + sp;
		n = last + m;
	}
}

/* Prints text word-wrapped to LESSON_COLS: first on the first line, indent on
 * the others; a '\n' in text starts a new line. Spaces between words are
 * kept (so columns line up) except where a line is broken. Words longer than
 * a line are printed whole rather than cut; a number and its unit are kept
 * together (chunk_len). */
static void wrap(const struct lesson_ctx *c, const char *color, const char *first,
		 const char *indent, const char *text)
{
	FILE *f = c->out;
	size_t col = strlen(first);
	bool line_empty = true;
	const char *p = text;

	if (c->color && color)
		fputs(color, f);
	fputs(first, f);
	while (*p) {
		size_t sp = strspn(p, " "), n;

		p += sp;
		if (*p == '\n') {
			fprintf(f, "\n%s", indent);
			col = strlen(indent);
			line_empty = true;
			p++;
			continue;
		}
		if (!*p)
			break;
		n = chunk_len(p);
		if (!line_empty && col + sp + n > LESSON_COLS) {
			fprintf(f, "\n%s", indent);
			col = strlen(indent);
			line_empty = true;
			sp = 0;
		}
		fprintf(f, "%*s", (int)sp, "");
		fwrite(p, 1, n, f);
		col += sp + n;
		line_empty = false;
		p += n;
	}
	if (c->color && color)
		fputs(COLOR_OFF, f);
	fputc('\n', f);
	fflush(f);
}

static void vsay(const struct lesson_ctx *c, const char *color, const char *first,
		 const char *indent, const char *fmt, va_list ap)
{
	char *text;

	if (vasprintf(&text, fmt, ap) < 0)
		abort();
	wrap(c, color, first, indent, text);
	free(text);
}

void lesson_title(const struct lesson_ctx *c, const char *name, const char *fmt, ...)
{
	va_list ap;
	char *head;

	va_start(ap, fmt);
	if (vasprintf(&head, fmt, ap) < 0)
		abort();
	va_end(ap);
	fputc('\n', c->out);
	if (c->color)
		fprintf(c->out, COLOR_BOLD "== %s: %s ==" COLOR_OFF "\n", name, head);
	else
		fprintf(c->out, "== %s: %s ==\n", name, head);
	fflush(c->out);
	free(head);
}

#define NARRATE(color, first, indent)                         \
	do {                                                  \
		va_list ap;                                   \
		va_start(ap, fmt);                            \
		vsay(c, color, first, indent, fmt, ap);       \
		va_end(ap);                                   \
	} while (0)

void lesson_do(const struct lesson_ctx *c, const char *fmt, ...)
{
	NARRATE(COLOR_CYAN, "> ", "  ");
}

void lesson_saw(const struct lesson_ctx *c, const char *fmt, ...)
{
	NARRATE(NULL, "  ", "  ");
}

void lesson_claim(const struct lesson_ctx *c, const char *fmt, ...)
{
	NARRATE(COLOR_GREEN, "* ", "  ");
}

void lesson_why(const struct lesson_ctx *c, const char *fmt, ...)
{
	NARRATE(COLOR_YELLOW, "why: ", "     ");
}

int lesson_fail(const struct lesson_ctx *c, const char *fmt, ...)
{
	NARRATE(COLOR_RED, "failed: ", "        ");
	return 1;
}

pid_t lesson_fork(const struct lesson_ctx *c)
{
	fflush(c->out);
	fflush(NULL);
	return fork();
}

pid_t lesson_wait(pid_t pid, int *status, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)(timeout_ms < 0 ? 0 : timeout_ms) * 1000000u;

	for (;;) {
		pid_t r = waitpid(pid, status, timeout_ms < 0 ? 0 : WNOHANG);
		if (r < 0 && errno == EINTR)
			continue;
		if (r != 0)
			return r;
		if (now_ns() >= deadline)
			return 0;
		sleep_ns(1000000);
	}
}

int lesson_read(int fd, void *buf, size_t len, int timeout_ms)
{
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	char *p = buf;

	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t now = now_ns();
		ssize_t n;

		if (now >= deadline)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)((deadline - now) / 1000000u) + 1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!pfd.revents)
			continue;
		n = read(fd, p, len);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void lesson_kill(pid_t pid)
{
	int st;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	lesson_wait(pid, &st, -1);
}

const char *lesson_status_str(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status 0x%x", status);
	return buf;
}

char lesson_proc_state(pid_t pid)
{
	char path[64], line[512], *rp;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(line, 1, sizeof line - 1, f);
	fclose(f);
	line[n] = '\0';
	/* "pid (comm) S ...": comm may hold spaces and ')', so take the last. */
	rp = strrchr(line, ')');
	return rp && rp[1] == ' ' ? rp[2] : 0;
}

static int left_ms(uint64_t deadline)
{
	uint64_t now = now_ns();

	return now >= deadline ? 0 : (int)((deadline - now) / 1000000u);
}

int lesson_python(const struct lesson_ctx *c, const char *code, int timeout_ms, char *out,
		  size_t outlen)
{
	const char *py = python_interpreter();
	uint64_t deadline = now_ns() + (uint64_t)timeout_ms * 1000000u;
	size_t len = 0;
	int fd[2], st, rc;
	pid_t pid;

	out[0] = '\0';
	if (pipe(fd))
		return -errno;
	pid = lesson_fork(c);
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR);

		setpgid(0, 0);          /* so a timeout can kill its workers too */
		dup2(fd[1], STDOUT_FILENO);
		dup2(nul, STDIN_FILENO);
		dup2(nul, STDERR_FILENO);
		close(fd[0]);
		execlp(py, py, "-c", code, (char *)NULL);
		_exit(127);
	}
	close(fd[1]);
	if (pid < 0) {
		close(fd[0]);
		return -errno;
	}
	setpgid(pid, pid);              /* whichever of the two runs first */
	do
		rc = lesson_read(fd[0], out + len, 1, left_ms(deadline));
	while (rc == 0 && ++len + 1 < outlen);
	out[len] = '\0';
	close(fd[0]);
	if (lesson_wait(pid, &st, left_ms(deadline)) != pid) {
		kill(-pid, SIGKILL);
		lesson_wait(pid, &st, -1);
		return -ETIMEDOUT;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return -ENOENT;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

void *lesson_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "tvp: mmap of %zu shared bytes: %s\n", size, strerror(errno));
		abort();
	}
	return p;
}

void lesson_unshare(void *p, size_t size)
{
	if (p)
		munmap(p, size);
}

int lesson_pshared_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int rc;

	pthread_mutexattr_init(&a);
	rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (rc == 0)
		rc = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return rc;
}

int lesson_pshared_cond(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	int rc;

	pthread_condattr_init(&a);
	rc = pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (rc == 0)
		rc = pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	if (rc == 0)
		rc = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return rc;
}

struct timespec lesson_deadline(int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

/* The larger of a and b over the smaller (both > 0): how far two runs of
 * the same measurement were apart; 1 when they agree. */
static double spread(double a, double b)
{
	return a > b ? a / b : b / a;
}

double lesson_ratio(const uint64_t a_ns[2], const uint64_t b_ns[2], double *noise)
{
	double sa = spread((double)a_ns[0], (double)a_ns[1]);
	double sb = spread((double)b_ns[0], (double)b_ns[1]);

	*noise = sa > sb ? sa : sb;
	return (double)(a_ns[0] < a_ns[1] ? a_ns[0] : a_ns[1]) /
	       (double)(b_ns[0] < b_ns[1] ? b_ns[0] : b_ns[1]);
}

const char *lesson_dur(double ns)
{
	static _Thread_local char bufs[4][32];
	static _Thread_local unsigned next;
	char *b = bufs[next++ % 4];

	format_duration(b, sizeof bufs[0], ns);
	return b;
}
