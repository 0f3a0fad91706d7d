/* run_mode_opts.c: --channel, --start, the mpi options, and the start
 * method check of `tvp run` (run_mode_opts.h). */
#include "bench/run_mode_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/util.h"
#include "par/channel.h"

/* A list of names, each parsed by parse into element i of a new array of
 * enums of elem bytes; name(k) for k < count lists what is accepted.
 * Returns the array with its length in *n, or NULL with err set. */
static void *parse_names(const char *text, const char *what, int (*parse)(const char *, void *),
			 const char *(*name)(unsigned), unsigned count, size_t elem, size_t *n,
			 char *err, size_t errlen)
{
	char **items, list[96] = "";
	unsigned char *out;
	size_t ni;

	if (!cli_split_list(text, &items, &ni)) {
		snprintf(err, errlen, "--%s '%s' has an empty item; give a comma-separated list", what,
			 text);
		return NULL;
	}
	for (unsigned k = 0; k < count; k++)
		snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
			 name(k));
	out = xcalloc(ni, elem);
	for (size_t i = 0; i < ni && out; i++)
		if (parse(items[i], out + i * elem) != 0) {
			snprintf(err, errlen, "--%s: unknown value '%s'; accepted: %s", what, items[i],
				 list);
			free(out);
			out = NULL;
		}
	cli_free_list(items, ni);
	*n = out ? ni : 0;
	return out;
}

static int channel_parse(const char *text, void *out)
{
	return channel_kind_parse(text, out);
}

static const char *channel_name(unsigned k)
{
	static const enum channel_kind kinds[] = { CHANNEL_PIPE, CHANNEL_SHM };

	return channel_kind_name(kinds[k]);
}

static int start_parse(const char *text, void *out)
{
	return pool_start_parse(text, out);
}

static const char *start_name(unsigned k)
{
	return pool_start_name((enum pool_start)k);
}

bool run_mode_opts_channels(struct run_options *o, const char *text, char *err, size_t errlen)
{
	size_t n;
	enum channel_kind *v = parse_names(text, "channel", channel_parse, channel_name, 2,
					   sizeof *v, &n, err, errlen);

	if (!v)
		return false;
	free(o->channels);
	o->channels = v;
	o->n_channels = n;
	o->channel_given = true;
	return true;
}

bool run_mode_opts_starts(struct run_options *o, const char *text, char *err, size_t errlen)
{
	size_t n;
	enum pool_start *v = parse_names(text, "start", start_parse, start_name, POOL_START_COUNT,
					 sizeof *v, &n, err, errlen);

	if (!v)
		return false;
	free(o->starts);
	o->starts = v;
	o->n_starts = n;
	o->start_given = true;
	return true;
}

bool run_mode_opts_mpi(struct run_options *o, bool hosts, const char *arg, char *err,
		       size_t errlen)
{
	o->mpi_given = true;
	if (hosts) {
		if (access(arg, R_OK) != 0) {
			snprintf(err, errlen, "--mpi-hosts '%s' is not a readable file; accepted: an Open MPI hostfile", arg);
			return false;
		}
		o->mpi_hosts = arg;
	} else if (strcmp(arg, "sm") == 0 || strcmp(arg, "tcp") == 0) {
		o->mpi_transport = arg[0] == 's' ? MODE_MPI_SM : MODE_MPI_TCP;
	} else {
		snprintf(err, errlen, "--mpi-transport '%s' is not accepted; accepted: sm, tcp", arg);
		return false;
	}
	return true;
}

void run_mode_opts_defaults(struct run_options *o)
{
	if (!o->channels) {
		o->channels = xcalloc(1, sizeof *o->channels);
		o->channels[0] = CHANNEL_SHM;
		o->n_channels = 1;
	}
	if (!o->starts) {
		o->starts = xcalloc(1, sizeof *o->starts);
		o->starts[0] = POOL_START_FORK;
		o->n_starts = 1;
	}
}

/* Asks workload rw, at its first size, about start under mode. */
static bool check_one(const struct run_workload *rw, const struct mode *mode,
		      enum pool_start start, bool quick, char *err, size_t errlen)
{
	struct workload_inst wi = { .wl = rw->wl, .size = rw->sizes[0], .quick = quick,
				    .opt_values = rw->opt_values };
	const char *why = rw->wl->refuse_start(&wi, start);

	if (!why)
		return true;
	snprintf(err, errlen, "workload %s cannot run under %s (start %s): %s", rw->wl->name,
		 mode->name, pool_start_name(start), why);
	return false;
}

/* Whether mode m reads an option meant for the modes with one of flags,
 * or for the mode called name. */
static bool reads(const struct mode *m, unsigned flags, const char *name)
{
	return (m->flags & flags) || (name && !strcmp(m->name, name));
}

static bool selected(const struct run_options *o, unsigned flags, const char *name)
{
	for (size_t k = 0; k < o->n_modes; k++)
		if (reads(o->modes[k], flags, name))
			return true;
	return false;
}

/* An option given for modes none of which is selected: "--channel is read
 * by fork-pool and executor-fork only, ...". As a workload's option whose
 * workload is not selected (run_checks.c), it would be ignored without a
 * word: the user meant a cell that will not exist. */
static bool unread(const char *opt, unsigned flags, const char *name, char *err, size_t errlen)
{
	size_t used = (size_t)snprintf(err, errlen, "%s is read by ", opt);
	size_t named = 0;

	for (size_t k = 0; k < modes_count && used < errlen; k++) {
		if (!reads(modes[k], flags, name))
			continue;
		used += (size_t)snprintf(err + used, errlen - used, "%s%s", named ? ", " : "",
					 modes[k]->name);
		named++;
	}
	if (used < errlen)
		snprintf(err + used, errlen - used, " only, and no such mode is selected; "
			 "accepted: add one to --mode, or leave %s out", opt);
	return false;
}

bool run_mode_opts_check(const struct run_options *o, char *err, size_t errlen)
{
	if (o->channel_given && !selected(o, MODE_CHANNEL, NULL))
		return unread("--channel", MODE_CHANNEL, NULL, err, errlen);
	/* --python's cells take --start too (bench/run/python_cells.c). */
	if (o->start_given && !o->python && !selected(o, MODE_START, NULL))
		return unread("--start", MODE_START, NULL, err, errlen);
	if (o->mpi_given && !selected(o, 0, "mpi"))
		return unread(o->mpi_hosts ? "--mpi-hosts" : "--mpi-transport", 0, "mpi", err,
			      errlen);
	for (size_t w = 0; w < o->n_workloads; w++) {
		const struct run_workload *rw = &o->workloads[w];

		if (!rw->wl->refuse_start)
			continue;
		for (size_t k = 0; k < o->n_modes; k++) {
			const struct mode *mode = o->modes[k];
			bool own = mode->flags & MODE_OWN_PROGRAM;

			/* Threads are never refused; a program of its own (mpi)
			 * is started afresh, like spawn, and has no cell for a
			 * workload with local state (bench/run/cells.c). */
			if (!(mode->flags & MODE_FORKS) || (own && rw->wl->local_state))
				continue;
			if (!(mode->flags & MODE_START)) {
				if (!check_one(rw, mode, own ? POOL_START_SPAWN : POOL_START_FORK,
					       o->quick, err, errlen))
					return false;
				continue;
			}
			for (size_t s = 0; s < o->n_starts; s++)
				if (!check_one(rw, mode, o->starts[s], o->quick, err, errlen))
					return false;
		}
	}
	return true;
}
