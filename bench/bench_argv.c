/* bench_argv.c: a `tvp bench` group as the `tvp run` command line that
 * measures it (bench_argv.h). */
#include "bench/bench_argv.h"

#include <stdio.h>
#include <string.h>

/* Appends "a,b,c" of n items made by item(i) to buf at *used. */
static char *join(char *buf, size_t buflen, size_t *used, size_t n,
		  void (*item)(const struct bench_group *, size_t, char *, size_t),
		  const struct bench_group *g)
{
	char *start = buf + *used;

	for (size_t i = 0; i < n && *used < buflen; i++) {
		char one[32];

		item(g, i, one, sizeof one);
		*used += (size_t)snprintf(buf + *used, buflen - *used, "%s%s", i ? "," : "", one);
	}
	if (*used < buflen)
		(*used)++;   /* past the terminating NUL */
	else
		*used = buflen;
	return start;
}

static void mode_item(const struct bench_group *g, size_t i, char *out, size_t len)
{
	snprintf(out, len, "%s", g->modes[i]->name);
}

static void worker_item(const struct bench_group *g, size_t i, char *out, size_t len)
{
	snprintf(out, len, "%u", g->workers[i]);
}

/* v in decimal, with unit appended ("ns" for durations, "" for counts). */
static char *number(char *buf, size_t buflen, size_t *used, uint64_t v, const char *unit)
{
	char *start = buf + *used;
	int n = snprintf(start, *used < buflen ? buflen - *used : 0, "%llu%s",
			 (unsigned long long)v, unit);

	*used += n >= 0 ? (size_t)n + 1 : 0;
	if (*used > buflen)
		*used = buflen;
	return start;
}

const char *bench_group_channels(const struct bench_group *g)
{
	for (size_t i = 0; i < g->n_modes; i++)
		if (g->modes[i]->flags & MODE_CHANNEL)
			return g->both_channels ? "pipe,shm" : "shm";
	return NULL;
}

int bench_group_argv(const struct bench_plan *p, const struct bench_group *g, char **argv,
		     char *buf, size_t buflen)
{
	size_t used = 0;
	int n = 0;

	argv[n++] = "run";
	argv[n++] = "--workload";
	argv[n++] = (char *)g->wl->name;
	argv[n++] = "--mode";
	argv[n++] = join(buf, buflen, &used, g->n_modes, mode_item, g);
	argv[n++] = "--workers";
	argv[n++] = join(buf, buflen, &used, g->n_workers, worker_item, g);
	argv[n++] = "--pin";
	argv[n++] = g->scatter ? "none,scatter" : "none";
	if (bench_group_channels(g)) {
		argv[n++] = "--channel";
		argv[n++] = (char *)bench_group_channels(g);
	}
	argv[n++] = "--size";
	argv[n++] = number(buf, buflen, &used, g->size, strcmp(g->wl->size_unit, "ns") ? "" : "ns");
	argv[n++] = "--tasks";
	argv[n++] = number(buf, buflen, &used, g->tasks, "");
	argv[n] = NULL;
	return n;
}
