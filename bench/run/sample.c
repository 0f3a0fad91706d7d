/* sample.c: the list of a cell's samples (sample.h). */
#include "bench/run/sample.h"

#include <stdlib.h>
#include <string.h>

#include "bench/util.h"
#include "par/pin.h"

void samples_push(struct samples *list, struct sample *s)
{
	if (list->n == list->cap) {
		list->cap = list->cap ? 2 * list->cap : 8;
		list->items = xrealloc(list->items, list->cap * sizeof *list->items);
	}
	list->items[list->n++] = *s;
	memset(s, 0, sizeof *s);
}

void sample_release(struct sample *s)
{
	free(s->workers);
	free(s->probe_before);
	free(s->probe_after);
	s->workers = NULL;
	s->n_workers = 0;
	s->probe_before = s->probe_after = NULL;
	s->probe_pus = 0;
}

void samples_release(struct samples *list)
{
	for (size_t i = 0; i < list->n; i++)
		sample_release(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof *list);
}

size_t sample_unpinned(const struct sample *s)
{
	size_t n = 0;

	for (unsigned i = 0; i < s->n_workers; i++)
		n += s->workers[i].pinned == 0;
	return n;
}

size_t sample_ran_outside(const struct sample *s)
{
	size_t n = 0;

	for (unsigned i = 0; i < s->n_workers; i++)
		n += pin_ran_outside(&s->workers[i]);
	return n;
}
