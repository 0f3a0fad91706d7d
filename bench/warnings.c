/* warnings.c: a list of one-line warnings (warnings.h). */
#include "bench/warnings.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "bench/util.h"

void warnings_add(struct warnings *w, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	w->items = xrealloc(w->items, (w->n + 1) * sizeof *w->items);
	w->items[w->n++] = xstrdup(buf);
}

void warnings_release(struct warnings *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->items[i]);
	free(w->items);
	w->items = NULL;
	w->n = 0;
}

json_t *warnings_json(const struct warnings *w)
{
	json_t *a = json_array();

	for (size_t i = 0; i < w->n; i++)
		json_array_append_new(a, json_string(w->items[i]));
	return a;
}
