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

/* The most a script may print on stdout: far more than the one JSON object
 * of a reference script (a few hundred bytes plus 20 per repetition). */
#define PYTHON_OUTPUT_MAX (1u << 20)

/* Runs `INTERPRETER SCRIPT ARGS...` (args NULL-terminated, at most 29) in a
 * process group of its own, SIGINT ignored, killed if this process dies,
 * stdin from /dev/null, stdout and stderr to pipes. Returns 0 with *out set to the JSON object it printed (a new
 * reference) when it exited 0; -ENOENT when no interpreter could be
 * started; -EINTR when tvp_interrupted was seen; -EMSGSIZE when it printed
 * more than PYTHON_OUTPUT_MAX bytes; -EIO when it exited otherwise (err
 * ends with the "error" of its JSON or the last line of its stderr); or
 * another negative errno; err says why in each case but -EINTR. On
 * -EINTR and -EMSGSIZE, and when it exits while processes it started still
 * hold its stdout or stderr, its whole process group is killed. Never
 * leaves a child behind. */
int python_run_json(const char *script, const char *const *args, json_t **out, char *err,
		    size_t errlen);

#endif
