/* export_md.h: `tvp export --format md` for people: compact Markdown tables a
 * README can take, in hyperfine's shape, rather than the flat table of every
 * column (which --samples and --host keep in Markdown too). */
#ifndef EXPORT_MD_H
#define EXPORT_MD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "bench/resdoc.h"

/* Whether an entry passes the caller's filter (export's --where). */
typedef bool (*export_md_keep)(void *ctx, const json_t *entry);

/* A results file: one table per workload, size and pin policy (a heading
 * names them), one row per kept cell: mode, workers, median, 95% CI,
 * speedup over serial, and relative (the cell's median over the fastest
 * one's in the table: 1.00 for the fastest). Times in units (units.h). */
void export_md_results(FILE *f, const struct resdoc *d, export_md_keep keep, void *ctx);

/* An overhead file: one table, one row per kept entry: operation, group,
 * kind, median and 95% CI in the entry's unit (a bandwidth in B/s units). */
void export_md_overhead(FILE *f, const struct resdoc *d, export_md_keep keep, void *ctx);

#endif
