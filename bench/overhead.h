/* overhead.h: the parts of `tvp overhead` share this (bench/overhead.c reads
 * the command line and writes the document, overhead_run.c calibrates and
 * samples the kernels, overhead_json.c turns the samples into JSON and the
 * table). The kernels themselves are bench/overhead/ (ovh.h). Nothing here
 * is used outside those files. */
#ifndef OVERHEAD_H
#define OVERHEAD_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/overhead/ovh.h"
#include "bench/progress.h"

#define OVERHEAD_MAX_CPUS 1024

/* One selected kernel and its samples. */
struct overhead_entry {
	const struct ovh_bench *b;
	struct ovh_ctx ctx;
	uint64_t iters;               /* operations per sample */
	uint64_t ops;                 /* OVH_BATCH: the batch's size */
	double *v;                    /* [repeat]: ns per operation, or the quantity */
	double *extra[OVH_MAX_EXTRA]; /* [repeat] */
	size_t n;
	bool failed;
	char error[512];
};

struct overhead {
	/* options */
	char **only;                  /* --only as given (NULL: all), for the JSON */
	size_t n_only;
	unsigned only_groups;         /* bit g: group g selected (by name or "all") */
	const struct ovh_bench **only_named;   /* [n_only]: kernels named in --only */
	size_t n_named;
	bool pins[3];                 /* by enum ovh_pin */
	unsigned repeat;
	unsigned workers;
	const char *output;
	bool quick, quiet;
	/* the run */
	uint64_t target_ns;
	int cpus[OVERHEAD_MAX_CPUS];
	unsigned n_cpus;
	struct overhead_entry *entries;
	size_t n_entries;
	json_t *skipped, *warnings;
	size_t n_skipped_diff;        /* of skipped: pinned to two CPUs where one is allowed */
	struct progress progress;
	uint64_t seed;
	bool failed;                  /* some kernel failed */
};

/* Makes o->entries: every kernel the options select, with its context
 * (workers, CPUs) and room for o->repeat samples. A kernel that needs two
 * CPUs where only one is allowed goes to o->skipped instead. */
void overhead_run_build(struct overhead *o);

/* Calibrates every entry, then runs o->repeat rounds (rounds_run: a fresh
 * shuffled order each). A kernel that fails is marked in its entry (and
 * o->failed set) and the others go on. Returns 0, or -EINTR when
 * tvp_interrupted was seen. */
int overhead_run_all(struct overhead *o);

/* Frees o->entries. */
void overhead_run_free(struct overhead *o);

/* One entry of the document's results[] (schema tvp.overhead/1). */
json_t *overhead_json_entry(const struct overhead *o, const struct overhead_entry *e);

/* The document's "config": the options and what they resolved to. */
json_t *overhead_json_config(const struct overhead *o);

/* The human table of results (o->entries' JSON, in order) into f. */
void overhead_json_print_table(FILE *f, const struct overhead *o, json_t *results);

#endif
