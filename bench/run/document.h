/* document.h: the results document of `tvp run` (schema tvp.results/2,
 * docs/schema/tvp.results-2.schema.json),
 * written from the run's options and the cells' summaries. */
#ifndef RUN_DOCUMENT_H
#define RUN_DOCUMENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "bench/adaptive.h"
#include "bench/capacity.h"
#include "bench/run/cells.h"
#include "bench/run/summary.h"
#include "bench/run/run.h"
#include "bench/warnings.h"

#define DOCUMENT_SCHEMA "tvp.results/2"

/* What the document says about the run beside its cells. */
struct document_meta {
	const json_t *host, *build;      /* env_host_json, env_build_json */
	const char *created;             /* ISO 8601 UTC */
	bool interrupted;
	double duration_s;
	uint64_t seed;
	double best_ref;                 /* summary_best_reference */
	const struct warnings *warnings; /* run-level */
	const struct capacity *cap;      /* the probe's final bests; NULL: none */
	enum adaptive_stop stop;         /* why the rounds ended */
};

/* The whole document of a run with settings rc: sums[i] summarises
 * m->cells[i], for every cell of m, in order. A new reference. */
json_t *document_json(const struct run_common *rc, const struct cell_matrix *m,
		      const struct cell_summary *sums, const struct document_meta *meta);

#endif
