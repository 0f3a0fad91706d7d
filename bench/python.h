/* python.h: running the Python reference scripts in workloads/python/ (used
 * by `tvp run --python` and the `gil` lesson). */
#ifndef PYTHON_H
#define PYTHON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Where script name is: $TVP_PYTHON_DIR/name, else the data file
 * workloads/python/name (paths_data_file: the source tree, else the
 * installed $(datadir)/tvp). Malloc'd; the caller frees it. */
char *python_script_path(const char *name);

/* The interpreter: $TVP_PYTHON, else "python3". */
const char *python_interpreter(void);

/* Runs `INTERPRETER SCRIPT ARGS...` (args NULL-terminated), stdout to a
 * pipe, stderr to /dev/null. Returns 0 with *out set to the JSON object it
 * printed (a new reference), -ENOENT when no interpreter could be started,
 * -EINTR when tvp_interrupted was seen (the child is killed and reaped), or
 * another negative errno with why in err. Never leaves a child behind. */
int python_run_json(const char *script, const char *const *args, json_t **out, char *err,
		    size_t errlen);

#endif
