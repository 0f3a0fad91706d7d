/* warnings.h: a list of one-line warnings, gathered as plain strings while a
 * run is summarised and written at the edge (JSON "warnings", stderr). */
#ifndef WARNINGS_H
#define WARNINGS_H

#include <jansson.h>
#include <stddef.h>

struct warnings {
	char **items;      /* malloc'd strings */
	size_t n;
};

/* Appends a formatted warning (one line, at most 511 bytes). */
void warnings_add(struct warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Frees every item; w is empty and reusable afterwards. */
void warnings_release(struct warnings *w);

/* The list as a JSON array of strings. A new reference. */
json_t *warnings_json(const struct warnings *w);

#endif
