/* progress.c: the progress bar of long runs (see progress.h). The estimate
 * assumes the remaining steps take as long as the average step so far; cells
 * are shuffled, so the average soon mixes every kind of step. */
#include "bench/progress.h"

#include <stdio.h>
#include <unistd.h>

#include "bench/util.h"

void progress_start(struct progress *p, uint64_t total, bool enabled)
{
	p->on = enabled && isatty(STDERR_FILENO);
	p->total = total ? total : 1;
	p->done = 0;
	p->start_ns = now_ns();
	p->has_eta = false;
}

void progress_eta(struct progress *p, uint64_t eta_ns)
{
	p->has_eta = true;
	p->eta_ns = eta_ns;
	p->eta_at_ns = now_ns();
}

void progress_step(struct progress *p, const char *label)
{
	enum { WIDTH = 24 };
	char bar[WIDTH + 1];
	unsigned fill;
	double elapsed, eta;

	if (!p->on)
		return;
	if (p->done < p->total)
		p->done++;
	elapsed = (double)(now_ns() - p->start_ns) / 1e9;
	eta = elapsed / (double)p->done * (double)(p->total - p->done);
	if (p->has_eta) {   /* done and total in ms of time */
		uint64_t since = now_ns() - p->eta_at_ns;

		eta = since < p->eta_ns ? (double)(p->eta_ns - since) / 1e9 : 0;
		p->total = (uint64_t)(1000 * (elapsed + eta)) + 1;
		p->done = (uint64_t)(1000 * elapsed);
	}
	fill = (unsigned)(WIDTH * p->done / p->total);
	for (unsigned i = 0; i < WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[WIDTH] = '\0';
	fprintf(stderr, "\r\033[K[%s] %3u%% ETA %u:%02u  %.40s", bar,
		(unsigned)(100 * p->done / p->total), (unsigned)eta / 60, (unsigned)eta % 60,
		label ? label : "");
	fflush(stderr);
}

void progress_end(struct progress *p)
{
	if (p->on)
		fprintf(stderr, "\r\033[K");
}
