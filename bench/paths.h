/* paths.h: where tvp finds the data it reads at run time (the Python
 * scripts, the gnuplot scripts, the JSON schemas) and where it writes
 * results by default.
 *
 * Data files are named by their path in the source tree
 * ("workloads/python/count.py", "scripts/speedup.gp"); `make install` puts
 * them under $(datadir)/tvp in the same folders. */
#ifndef PATHS_H
#define PATHS_H

/* The path of data file rel, newly allocated (free it). The first of these
 * that holds rel:
 *   1. the tvp source tree the running binary was built in (found by
 *      walking up from /proc/self/exe: build/tvp in a checkout),
 *   2. ../share/tvp beside the binary's folder (an installed tree moved
 *      elsewhere, or installed with DESTDIR and run from there),
 *   3. the data directory compiled in ($(datadir)/tvp of make install).
 * When none does, the compiled-in path (so a message names where the file
 * should be). Thread-safe. */
char *paths_data_file(const char *rel);

/* The folder where results go by default, newly allocated: "results" when
 * the current directory is a tvp source tree (it has bench/main.c), else
 * $XDG_DATA_HOME/tvp/results, or ~/.local/share/tvp/results when
 * XDG_DATA_HOME is unset or not absolute. */
char *paths_results_dir(void);

/* "<paths_results_dir()>/<stem>latest.json", newly allocated: the file
 * report, compare, export and plot read when given none (stem "" for
 * runs, "overhead-" for tvp overhead). */
char *paths_latest(const char *stem);

/* The input of report, export or plot when given none: "<results>/latest.json"
 * if it can be read (newly allocated); else NULL after printing "tvp: CMD: no
 * input file, and no PATH to read (...)". */
char *paths_default_input(const char *cmd);

/* The two newest results files (not overhead files, not the latest link) in
 * the results folder, by modification time: *older and *newer, newly
 * allocated. Returns 0, or -ENOENT with both NULL when there are fewer than
 * two. */
int paths_newest_two(char **older, char **newer);

/* mkdir -p dir with mode 0777 (umask applies). Returns 0 or a negative
 * errno. */
int paths_mkdir_p(const char *dir);

#endif
