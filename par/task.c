/* task.c: result buffers for the task ABI (see task.h). */
#include "par/task.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "par/sys.h"

void task_result_release(struct task_result *r)
{
	free(r->heap);
	r->heap = NULL;
	r->len = 0;
}

void *task_result_reserve_slow(struct task_result *r, size_t len)
{
	task_result_release(r);
	r->len = len;
	if (len <= TASK_RESULT_INLINE)
		return r->inl;
	r->heap = xmalloc(len);
	return r->heap;
}

void task_result_set_slow(struct task_result *r, const void *data, size_t len)
{
	void *p = task_result_reserve(r, len);

	if (len)
		memcpy(p, data, len);
}

void task_result_adopt(struct task_result *r, void *heap, size_t len)
{
	task_result_release(r);
	r->heap = heap;
	r->len = len;
}

int task_result_error(struct task_result *r, int err, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof msg)
		n = sizeof msg - 1;
	task_result_set(r, msg, (size_t)n);
	return err;
}

char *task_error_text(const struct task_result *r, int status, char *buf, size_t len)
{
	if (r->len)
		snprintf(buf, len, "%.*s", (int)(r->len > INT_MAX ? INT_MAX : r->len),
			 (const char *)task_result_data(r));
	else
		snprintf(buf, len, "%s", strerror(-status));
	return buf;
}

void task_result_move(struct task_result *dst, struct task_result *src)
{
	if (dst == src)
		return;
	task_result_release(dst);
	*dst = *src;
	src->heap = NULL;
	src->len = 0;
}
