/* run_options.h: the command line of `tvp run`, parsed and validated. */
#ifndef RUN_OPTIONS_H
#define RUN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/modes/mode.h"
#include "par/channel_kind.h"
#include "par/start_method.h"
#include "workloads/workload.h"

#define RUN_MAX_WORKERS 4096u

/* One selected workload with its sizes and option values. */
struct run_workload {
	const struct workload *wl;
	uint64_t *sizes;          /* 0: auto, calibrated by the run loop */
	size_t n_sizes;
	const char **opt_values;  /* parallel to wl->options; NULL entries: default */
};

struct run_options {
	struct run_workload *workloads;
	size_t n_workloads;
	const struct mode **modes;
	size_t n_modes;
	unsigned *workers;        /* sorted, no duplicates */
	size_t n_workers;
	char **pins;              /* --pin policies, as given */
	size_t n_pins;
	bool pin_strict;
	enum channel_kind *channels; /* --channel, for the modes that take one */
	size_t n_channels;
	enum pool_start *starts;  /* --start, for the modes that take one (MODE_START) */
	size_t n_starts;
	uint64_t tasks;           /* 0: the workload's default */
	unsigned repeat, warmup;  /* repeat: --repeat N, 0 when not given */
	unsigned min_repeat, max_repeat; /* --min-repeat, --max-repeat (--repeat N: both N) */
	double precision;         /* --precision, a fraction (0.03 = 3%); 0: off */
	uint64_t budget_ns;       /* --budget; 0: none */
	bool verbose;             /* --verbose */
	const char *output;       /* NULL: results/<host>-<stamp>.json; "-": stdout */
	bool quick, quiet, python;
	uint64_t seed;
	bool seed_given;
	/* Texts as given, for the JSON's config. */
	const char *workers_text, *size_text, *mode_text, *workload_text;
	/* The mpi mode: --mpi-hosts (NULL: this machine), --mpi-transport. */
	const char *mpi_hosts;
	enum mode_mpi_transport mpi_transport;
	/* Given on the command line (not defaults): an option no selected
	 * mode reads is an error (run_mode_opts_check). */
	bool channel_given, start_given, mpi_given;
};

/* Parses argv (argv[0] is "run"); pus is what --workers auto counts from
 * (the PUs this process may use: env_pus() once the topology is loaded).
 * Reads nothing from the machine. Returns 0 with o filled; 1 when --help was
 * printed to stdout; -EINVAL with a one-line message in err (no "tvp: "
 * prefix) that says what was wrong and what is accepted. o must be freed
 * with run_options_release whatever the result. */
int run_options_parse(struct run_options *o, unsigned pus, int argc, char **argv, char *err,
		      size_t errlen);
void run_options_release(struct run_options *o);

/* Parses a worker list ("1,2,4", "1-8", "auto" = powers of two up to twice
 * pus). Returns true with a sorted, duplicate-free malloc'd array. */
bool run_parse_workers(const char *text, unsigned pus, unsigned **out, size_t *n, char *err,
		       size_t errlen);

/* Prints `tvp run --help`. */
void run_options_usage(FILE *f);

#endif
