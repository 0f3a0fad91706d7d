/* isolation.c: the `isolation` lesson: a global array changed in a child
 * process is unchanged in the parent; the same change made in a thread is
 * seen at once.
 *
 * Lesson: after fork() the child has its own copy of every byte of the
 * parent's memory, at the same addresses. The kernel copies a page only when
 * one side writes to it (copy-on-write), so fork is cheap, but from then on
 * the two never see each other's writes: the seed's global list, filled in
 * a child, is still empty in the parent. A thread is another flow of control
 * inside the same process: it writes the very bytes the main thread reads.
 * That is why threads share data for free (and must lock it), and processes
 * must send it (and pay to copy it).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "demos/lesson.h"
#include "bench/util.h"

#define N 4

static int squares[N];          /* the global both sides look at: all 0 */

struct view {
	uintptr_t addr;             /* where the child saw the array */
	int values[N];
};

static void fill_squares(void)
{
	for (int i = 0; i < N; i++)
		squares[i] = (i + 1) * (i + 1);
}

static void *thread_main(void *arg)
{
	fill_squares();
	return NULL;
}

static const char *show(const int *a, char *buf, size_t len)
{
	snprintf(buf, len, "[%d, %d, %d, %d]", a[0], a[1], a[2], a[3]);
	return buf;
}

static bool all_zero(void)
{
	for (int i = 0; i < N; i++)
		if (squares[i] != 0)
			return false;
	return true;
}

static int run(const struct lesson_ctx *c)
{
	char b1[64], b2[64];
	struct view v;
	pthread_t t;
	int fd[2], st, rc;
	pid_t pid;

	lesson_title(c, "isolation", "each process has its own memory");
	memset(squares, 0, sizeof squares);
	lesson_do(c, "The global array squares is %s at %p. A child process "
		  "fills it with squares and sends back what it sees.",
		  show(squares, b1, sizeof b1), (void *)squares);
	if (pipe(fd))
		return lesson_fail(c, "pipe: %s", strerror(errno));
	pid = lesson_fork(c);
	if (pid < 0)
		return lesson_fail(c, "fork: %s", strerror(errno));
	if (pid == 0) {
		close(fd[0]);
		fill_squares();
		v.addr = (uintptr_t)squares;
		memcpy(v.values, squares, sizeof squares);
		write_full(fd[1], &v, sizeof v);
		_exit(0);
	}
	close(fd[1]);
	rc = lesson_read(fd[0], &v, sizeof v, 5000);
	close(fd[0]);
	lesson_wait(pid, &st, -1);
	if (rc != 0)
		return lesson_fail(c, "no report from child %d: %s", (int)pid, strerror(-rc));
	lesson_saw(c, "in child %d: squares at %p is %s", (int)pid, (void *)v.addr,
		   show(v.values, b1, sizeof b1));
	lesson_saw(c, "in parent %d: squares at %p is %s", (int)getpid(), (void *)squares,
		   show(squares, b2, sizeof b2));
	lesson_claim(c, "parent's array after the child: %s",
		     all_zero() ? "unchanged" : "CHANGED");
	lesson_why(c, "same address, different memory: the child wrote to its "
		   "own copy of the page (copy-on-write), which died with it.");

	lesson_do(c, "Now the same function runs in a thread of this process.");
	if ((rc = pthread_create(&t, NULL, thread_main, NULL)) != 0)
		return lesson_fail(c, "pthread_create: %s", strerror(rc));
	pthread_join(t, NULL);
	lesson_saw(c, "in parent %d after the thread: %s", (int)getpid(),
		   show(squares, b1, sizeof b1));
	lesson_claim(c, "parent's array after the thread: %s",
		     all_zero() ? "unchanged" : "changed");
	lesson_why(c, "a thread shares its process's memory: nothing is copied, "
		   "so nothing needs sending back, and two threads writing the "
		   "same data need a lock (see the shared and sync lessons).");
	memset(squares, 0, sizeof squares);  /* `lesson all` may run us again */
	return 0;
}

const struct lesson lesson_isolation = {
	.name = "isolation",
	.summary = "a global changed in a child is unchanged in the parent",
	.seed = "003_f363eeb7d278b528.txt, 001_47380365a1348ba6.txt",
	.run = run,
};
