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
	fill = (unsigned)(WIDTH * p->done / p->total);
	for (unsigned i = 0; i < WIDTH; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[WIDTH] = '\0';
	elapsed = (double)(now_ns() - p->start_ns) / 1e9;
	eta = elapsed / (double)p->done * (double)(p->total - p->done);
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
