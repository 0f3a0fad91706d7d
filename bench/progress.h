/* progress.h: a one-line progress bar with ETA on stderr, shown only when
 * stderr is a terminal. */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

struct progress {
	bool on;
	uint64_t total, done;
	uint64_t start_ns;
	bool has_eta;              /* progress_eta was called: it rules */
	uint64_t eta_ns, eta_at_ns;
};

/* Starts a bar of total steps; enabled is false for --quiet. */
void progress_start(struct progress *p, uint64_t total, bool enabled);
/* One more step done; label says what runs next. */
void progress_step(struct progress *p, const char *label);
/* From now on the bar shows the time spent against spent + eta_ns (the
 * time left as the caller estimates it, e.g. adaptive_eta_ns), counting
 * down from this call, instead of counting steps. */
void progress_eta(struct progress *p, uint64_t eta_ns);
/* Clears the line. */
void progress_end(struct progress *p);

#endif
