/* lesson.h: the classroom lesson interface: one readable C file per concept
 * in demos/, one line each in demos/registry.c, run by `tvp lesson NAME`. */
#ifndef LESSON_H
#define LESSON_H

#include <stdbool.h>
#include <stdio.h>

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

#endif
