/* registry.c: every lesson `tvp lesson` knows, in teaching order (the order
 * `tvp lesson all` runs them). */
#include "demos/lesson.h"

#include <string.h>

extern const struct lesson lesson_process;
extern const struct lesson lesson_start;
extern const struct lesson lesson_daemon;
extern const struct lesson lesson_isolation;
extern const struct lesson lesson_shared_memory;
extern const struct lesson lesson_manager;
extern const struct lesson lesson_queue;
extern const struct lesson lesson_pipe;
extern const struct lesson lesson_sync;
extern const struct lesson lesson_pool;
extern const struct lesson lesson_map;
extern const struct lesson lesson_lifecycle;
extern const struct lesson lesson_executor;
extern const struct lesson lesson_crash;
extern const struct lesson lesson_gil;
extern const struct lesson lesson_choose;

const struct lesson *const lessons[] = {
	&lesson_process,
	&lesson_start,
	&lesson_daemon,
	&lesson_isolation,
	&lesson_shared_memory,
	&lesson_manager,
	&lesson_queue,
	&lesson_pipe,
	&lesson_sync,
	&lesson_pool,
	&lesson_map,
	&lesson_lifecycle,
	&lesson_executor,
	&lesson_crash,
	&lesson_gil,
	&lesson_choose,
};
const unsigned lessons_count = sizeof lessons / sizeof lessons[0];

const struct lesson *lesson_find(const char *name)
{
	for (unsigned i = 0; i < lessons_count; i++)
		if (strcmp(lessons[i]->name, name) == 0)
			return lessons[i];
	return NULL;
}
