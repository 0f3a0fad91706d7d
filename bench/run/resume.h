/* resume.h: the run loop's journal: every finished measurement of `tvp run`
 * is written to a journal beside the output (bench/run/journal.h) as it is
 * taken, and `tvp run --resume JOURNAL` finishes a run that died before its
 * document was written: the same command line, seed and plan, the journaled
 * measurements replayed, the rest measured now, the same document written;
 * the journal is removed once a document is committed. */
#ifndef RUN_RESUME_H
#define RUN_RESUME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench/run/cells.h"
#include "bench/run/journal.h"
#include "bench/run/run.h"

struct capacity;

/* The run loop's side of the journal. Zero it, then set real_t0. */
struct run_journal {
	struct journal *j;        /* NULL: not journaling */
	bool owned;               /* j was created here (else the resumer's) */
	bool replaying;           /* resuming, and no step has missed the journal yet */
	bool *used;               /* [journal_entries] replayed already */
	size_t cursor;            /* where the next entry is looked for first */
	uint64_t real_t0;         /* now_ns() when the run started */
	uint64_t journal_ns;      /* the journal's time: the latest replayed end */
	uint64_t skew_ns;         /* the journal's time when replay ended, less
	                           * the real time then */
	bool warned;              /* a failed append was reported */
};

/* What the journal's header records of a run: its settings c, its plan m
 * (cells built, instances set up), the probe (NULL when none), the seed,
 * when it started, and its output (results_path, written in place or not:
 * results.h). */
struct resume_run {
	const struct run_common *c;
	const struct cell_matrix *m;
	const struct capacity *cap;
	uint64_t seed;
	const char *created;
	const char *output;
	bool in_place;
};

/* Starts journaling run: a run with c->resume checks that the plan is the
 * journal's and replays it; a run with c->argv creates the journal beside
 * its output (c->argv NULL, as for tvp bench: none). Returns 0 (a journal
 * that cannot be created is a warning: the run goes on without), -EEXIST
 * when an interrupted run's journal is where this run's would go, or
 * -EINVAL when the plan is not the journal's; err says why (exit 2). */
int resume_begin(struct run_journal *jr, const struct resume_run *run, char *err, size_t errlen);

/* The run's clock: ns since it started, counting the interrupted run's
 * time; while replaying, the journal's time. */
uint64_t resume_elapsed_ns(struct run_journal *jr);

/* Replays the step (cell c, round, record) from the journal, with measure()'s
 * contract (measure.h): 0 with *out filled, or -1 with why in err (and *out
 * holding what the failed measurement recorded). The probes' readings are
 * folded into cap's bests, as measuring would have. Returns -ENOENT when the
 * journal does not have the step (measure it, then resume_record); replay
 * is then over. */
int resume_replay(struct run_journal *jr, const struct cell_matrix *m, const struct cell *c,
		  unsigned round, bool record, struct capacity *cap, struct sample *out, char *err,
		  size_t errlen);

/* Journals a measured step that ran from t0 to t1 (resume_elapsed_ns):
 * measure()'s rc (0 or -1; -EINTR is not journaled), its sample and err. A
 * failed append is reported once; the run goes on. */
void resume_record(struct run_journal *jr, const struct cell_matrix *m, const struct cell *c,
		   unsigned round, bool record, uint64_t t0, uint64_t t1, int rc, const struct sample *s,
		   const char *err);

/* The same for a Python cell (bench/run/python_cells.h's hooks): replay
 * fills c from the journal and returns true, or returns false. */
bool resume_python_replay(struct run_journal *jr, const struct cell_matrix *m, struct cell *c);
void resume_python_record(struct run_journal *jr, const struct cell_matrix *m, const struct cell *c);

/* Ends journaling: committed (the document was written) removes the
 * journal; else it is kept, and its path and the command to resume are
 * printed. */
void resume_end(struct run_journal *jr, bool committed);

/* Whether argv (of `tvp run`) asks for --resume. */
bool resume_asked(int argc, char **argv);

/* `tvp run --resume JOURNAL [--output FILE]`: reads the journal, refuses
 * one of another tvp or format (exit 2), runs its command line again in its
 * directory with its seed, sizes and output (or FILE: the first output may
 * be what failed), and returns the exit status (run_execute's). */
int resume_main(int argc, char **argv);

#endif
