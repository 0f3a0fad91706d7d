/* run.h: the run loop as an API: one cell matrix built from one or several
 * option sets (specs), measured in interleaved rounds under one budget,
 * written as one results document. `tvp run` is one call with one spec;
 * `tvp bench` plans several (different workloads, workers, sizes) and makes
 * one call. */
#ifndef RUN_RUN_H
#define RUN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/run_options.h"

struct journal;

/* What the specs of one call share: the whole run's settings. A spec's own
 * output, seed, repeat, warmup, quiet, verbose and python fields are not
 * read by run_execute; these are. */
struct run_common {
	const char *command;      /* names the command in messages: "run", "bench" */
	const char *output;       /* NULL: results/<host>-<stamp>.json; "-": stdout */
	uint64_t seed;            /* the shuffling seed, when seed_given */
	bool seed_given;          /* else one is drawn from the clock and the pid */
	unsigned warmup;          /* unrecorded rounds first */
	unsigned min_repeat;      /* recorded rounds every group gets (>= 1) */
	unsigned max_repeat;      /* at most (>= min_repeat); equal: exactly that many */
	double precision;         /* target relative half-width of every speedup's
	                           * CI (0.03 = 3%); 0: none, rounds stop at min */
	uint64_t budget_ns;       /* the whole run's; 0: none */
	bool hard_budget;         /* the budget may cut the minimum (adaptive.h) */
	bool quiet;               /* no table, no progress, no summary */
	bool brief;               /* no table and no summary (the caller prints a
	                           * report instead): progress and warnings only */
	bool verbose;             /* every cell's warnings, one line each */
	bool python;              /* also the Python cells (`--python`) */
	/* The journal (bench/run/resume.h): */
	int argc;                 /* the command line it records (`run ...`); */
	char **argv;              /* NULL: no journal (tvp bench) */
	struct journal *resume;   /* resuming: the journal read back (borrowed) */
	const char *created;      /* resuming: the first run's start; NULL: now */
};

/* The settings `tvp run` gives its one spec: from o's --repeat/--precision/
 * --min-repeat/--max-repeat/--budget/--warmup/--seed/--output/--quiet/
 * --verbose/--python, with command "run". */
void run_common_from_options(struct run_common *c, const struct run_options *o);

/* Runs specs[0 .. n) (n >= 1) as one matrix: every spec's (workload, size)
 * instances become groups, each a serial baseline and the spec's cells;
 * every round measures the wanted groups' cells in one shuffled order. The
 * topology must be loaded (pin_topology_load) and the specs parsed and valid
 * (run_options_parse or built by the caller in the same form). Prints the
 * progress, the table, the warnings and the summary unless quiet, writes one
 * document (tvp.results/N) to c->output, and returns the exit status: 0, 1
 * (a cell failed, or the document could not be written), 2 (a spec does not
 * apply here: a --pin policy, --output), or 128 + the signal when
 * interrupted (what was measured is written, "interrupted": true). */
int run_execute(const struct run_options *specs, size_t n, const struct run_common *c);

#endif
