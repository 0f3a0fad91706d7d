/* plot.c: `tvp plot`, the charts of a results file (and an overhead file)
 * as PNG and SVG.
 *
 * The charts are drawn by gnuplot scripts, one per chart kind, and the
 * choice of which tables feed which chart by scripts/plot.sh; both are data
 * files (installed under $(datadir)/tvp/scripts, paths.h). This command
 * reads the command line, picks the defaults (the latest results, the
 * overhead file beside them, a charts folder beside them) and hands over to
 * plot.sh with this binary as the tvp it calls, so an installed tvp draws
 * from any directory. */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/cli.h"
#include "bench/commands.h"
#include "bench/paths.h"
#include "bench/util.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: tvp plot [FILE.json] [-o DIR] [-f png,svg] [--overhead FILE|none]\n\n"
		   "Draws the charts of a results file (tvp run) with gnuplot: for each workload\n"
		   "speedup, time and efficiency against workers (none for noop, where they mean\n"
		   "nothing), IO scaling for sleep and net, the transfer cost by size, placement\n"
		   "policies, and what a thread and a process cost (from an overhead file). A chart\n"
		   "whose data are not in the files is skipped with a one-line note.\n\n"
		   "  FILE              results file (default: latest.json in the results folder,\n"
		   "                    see 'tvp help')\n"
		   "  -o, --out DIR     where the charts go (default: charts/ beside FILE)\n"
		   "  -f, --format LIST png, svg or both (default png,svg)\n"
		   "  --overhead FILE   the overhead file to chart (default: overhead-latest.json\n"
		   "                    beside FILE, when it exists); none: no overhead chart\n"
		   "  -h, --help        this text\n\n"
		   "Needs gnuplot (Debian: gnuplot-nox). Exit status: 0 every chart with data\n"
		   "drawn, 1 a chart failed, 2 a bad command line or no input file.\n");
}

struct plot_options {
	const char *file, *out, *ovh;
	bool png, svg;
};

static int parse_format(struct plot_options *o, const char *text)
{
	char **items;
	size_t n;
	int rc = 0;

	o->png = o->svg = false;
	if (!cli_split_list(text, &items, &n))
		return cli_usage_error("plot: --format '%s' has an empty item; accepted: png, svg", text);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!strcmp(items[i], "png"))
			o->png = true;
		else if (!strcmp(items[i], "svg"))
			o->svg = true;
		else
			rc = cli_usage_error("plot: --format '%s' is not accepted; accepted: png, svg "
					     "(comma-separated)", items[i]);
	}
	cli_free_list(items, n);
	return rc;
}

/* Returns 0 to plot, 1 when done (--help), or 2 after a message. */
static int parse_options(struct plot_options *o, int argc, char **argv)
{
	enum { OPT_OUT = 'o', OPT_FORMAT = 'f', OPT_OVERHEAD = 256 };
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, OPT_OUT },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "overhead", required_argument, NULL, OPT_OVERHEAD },
		{ "help", no_argument, NULL, CLI_OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_parser p = { "plot", "-o/--out DIR, -f/--format png,svg, --overhead FILE|none, -h/--help",
				longopts, usage, false, "o:f:" };
	int c, rc;

	while ((c = cli_next(&p, argc, argv)) > 0) {
		switch (c) {
		case OPT_OUT:
			o->out = optarg;
			break;
		case OPT_FORMAT:
			if ((rc = parse_format(o, optarg)) != 0)
				return rc;
			break;
		case OPT_OVERHEAD:
			o->ovh = optarg;
			break;
		}
	}
	if (c < 0)
		return cli_stop(c);
	for (int i = optind; i < argc; i++) {
		if (o->file)
			return cli_usage_error("plot: one results file only ('%s' and '%s' given)", o->file,
					       argv[i]);
		o->file = argv[i];
	}
	return 0;
}

int cmd_plot(int argc, char **argv)
{
	struct plot_options o = { .png = true, .svg = true };
	char *latest = NULL, *copy, *dir, *out, *ovh, *script, self[PATH_MAX];
	struct stat st;
	ssize_t n;
	int rc;

	if ((rc = parse_options(&o, argc, argv)) != 0)
		return rc == 1 ? 0 : rc;
	if (!o.file && !(o.file = latest = paths_default_input("plot")))
		return 2;
	if (access(o.file, R_OK) != 0)
		return cli_usage_error("plot: cannot read '%s': %s", o.file, strerror(errno));
	copy = xstrdup(o.file);
	dir = dirname(copy);
	out = o.out ? xstrdup(o.out) : xasprintf("%s/charts", dir);
	if (o.ovh && !strcmp(o.ovh, "none"))
		ovh = xstrdup("");
	else
		ovh = o.ovh ? xstrdup(o.ovh) : xasprintf("%s/overhead-latest.json", dir);
	script = paths_data_file("scripts/plot.sh");
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	if (n <= 0 || access(script, R_OK) != 0) {
		fprintf(stderr, "tvp: plot: cannot find the chart scripts (%s); is tvp installed "
				"(make install)?\n", script);
		rc = 1;
		goto out;
	}
	/* The folder here, so that a bad one gets tvp's line, not mkdir's. */
	if ((rc = paths_mkdir_p(out)) != 0 || (rc = stat(out, &st) ? -errno : 0) != 0 ||
	    !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "tvp: plot: cannot write charts into '%s': %s\n", out,
			strerror(rc ? -rc : ENOTDIR));
		rc = 1;
		goto out;
	}
	/* plot.sh calls this binary for its tables and draws what formats says. */
	setenv("TVP", self, 1);
	setenv("TVP_PLOT_FORMATS", o.png && o.svg ? "svg png" : (o.png ? "png" : "svg"), 1);
	fflush(NULL);
	execlp("sh", "sh", script, o.file, ovh, out, (char *)NULL);
	fprintf(stderr, "tvp: plot: cannot run sh %s: %s\n", script, strerror(errno));
	rc = 1;
out:
	free(script);
	free(ovh);
	free(out);
	free(copy);
	free(latest);
	return rc;
}
