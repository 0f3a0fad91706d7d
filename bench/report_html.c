/* report_html.c: `tvp report --html FILE`: the report as one self-contained
 * page for a projector or a colleague: the same sections as the text (report.c
 * writes both through the functions here), every chart inline as SVG, one
 * stylesheet in the page, no script, no link, no file beside it.
 *
 * The charts are `tvp plot -f svg` of the same files, drawn into a private
 * temporary folder by this binary and copied in; each SVG's ids get a prefix
 * of their own (gnuplot names its markers alike in every chart, and one page
 * must not hold an id twice). */
#include "bench/report.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/util.h"

void report_html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* Large type, tables that wrap rather than scroll at 1280 px, charts as wide
 * as the page. */
static const char css[] =
	"body{font:20px/1.45 'DejaVu Sans',Helvetica,Arial,sans-serif;color:#222;background:#fff;"
	"max-width:1200px;margin:0 auto;padding:16px 24px}"
	"h1{font-size:34px;margin:8px 0}h2{font-size:28px;margin:32px 0 8px;border-bottom:2px solid #ddd}"
	"h3{font-size:22px;margin:22px 0 6px}p.meta{margin:2px 0;color:#444}"
	"table{border-collapse:collapse;width:100%;table-layout:auto;margin:6px 0 14px}"
	"th,td{padding:4px 8px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top;"
	"overflow-wrap:anywhere}td.n,th.n{text-align:right;white-space:nowrap}"
	"td:nth-child(2){white-space:nowrap}th{background:#f3f3f3}li{margin:4px 0}"
	"figure{margin:18px 0}figure svg{width:100%;height:auto;display:block}"
	"figcaption{color:#555;font-size:17px}";

void report_html_begin(struct report *R, const char *title)
{
	fprintf(R->out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
			"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>");
	report_html_text(R->out, title);
	fprintf(R->out, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>", css);
	report_html_text(R->out, title);
	fputs("</h1>\n", R->out);
}

void report_html_end(struct report *R)
{
	fputs("</body>\n</html>\n", R->out);
}

void report_html_row(struct report *R, const char *tag, const char *const *cells, size_t n,
		     unsigned numeric)
{
	fputs("<tr>", R->out);
	for (size_t i = 0; i < n; i++) {
		fprintf(R->out, "<%s%s>", tag, numeric & (1u << i) ? " class=\"n\"" : "");
		report_html_text(R->out, cells[i]);
		fprintf(R->out, "</%s>", tag);
	}
	fputs("</tr>\n", R->out);
}

/* Copies the SVG in path into the page with its ids prefixed by "cK-", its
 * XML prolog and namespace declarations left out (the HTML parser puts
 * inline SVG in its namespace). Returns 0 or a negative errno. */
static int embed_svg(FILE *out, const char *path, int k)
{
	static const char *const refs[] = { "id='", "id=\"", "href='#", "href=\"#", "url(#" };
	FILE *f = fopen(path, "r");
	char line[8192];

	if (!f)
		return -errno;
	while (fgets(line, sizeof line, f)) {
		const char *p = line + strspn(line, " \t");
		if (!strncmp(p, "<?xml", 5) || !strncmp(p, "xmlns", 5) || !strncmp(p, "<!DOCTYPE", 9))
			continue;
		for (p = line; *p;) {
			size_t r, len = 0;
			for (r = 0; r < ARRAY_SIZE(refs); r++)
				if (!strncmp(p, refs[r], len = strlen(refs[r])))
					break;
			if (r < ARRAY_SIZE(refs)) {
				fprintf(out, "%.*sc%d-", (int)len, p, k);
				p += len;
			} else {
				fputc(*p++, out);
			}
		}
	}
	fclose(f);
	return 0;
}

static int svg_only(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return n > 4 && !strcmp(e->d_name + n - 4, ".svg");
}

/* Charts in reading order: per workload its speedup, time, efficiency and
 * IO charts together (workloads alphabetically), then the charts of no one
 * workload (transfer, overhead). */
static int chart_rank(const char *name, const char **workload)
{
	static const char *const kinds[] = { "speedup-", "time-", "efficiency-", "io-", "pinning-" };

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++)
		if (!strncmp(name, kinds[k], strlen(kinds[k]))) {
			*workload = name + strlen(kinds[k]);
			return (int)k;
		}
	*workload = "~";   /* after every workload */
	return 0;
}

static int chart_order(const struct dirent **a, const struct dirent **b)
{
	const char *wa, *wb;
	int ra = chart_rank((*a)->d_name, &wa), rb = chart_rank((*b)->d_name, &wb);
	int c = strcmp(wa, wb);

	return c ? c : (ra != rb ? ra - rb : strcmp((*a)->d_name, (*b)->d_name));
}

/* Runs this binary's `tvp plot FILE -o DIR -f svg --overhead OVH`, its
 * output to /dev/null. Returns its exit status, or -1. */
static int plot_into(const char *dir, const char *file, const char *ovh)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	int st;
	pid_t pid;

	if (n <= 0)
		return -1;
	self[n] = '\0';
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		execl(self, "tvp", "plot", file, "-o", dir, "-f", "svg", "--overhead", ovh, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int report_html_charts(struct report *R, const char *file, const char *ovh)
{
	char tmpl[] = "/tmp/tvp-html.XXXXXX", *dir = mkdtemp(tmpl);
	struct dirent **names = NULL;
	int n, st, rc = 0;

	if (!dir)
		return -errno;
	st = plot_into(dir, file, ovh ? ovh : "none");
	n = scandir(dir, &names, svg_only, chart_order);
	fputs("<h2 id=\"charts\">Charts</h2>\n", R->out);
	if (n <= 0)
		fprintf(R->out, "<p>No chart: %s.</p>\n", st == 0 ? "the file has no data to chart"
				 : "tvp plot failed (is gnuplot installed? Debian: gnuplot-nox)");
	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]->d_name);
		fputs("<figure>\n", R->out);
		if (embed_svg(R->out, path, i) != 0)
			rc = -EIO;
		names[i]->d_name[strlen(names[i]->d_name) - 4] = '\0';
		fputs("<figcaption>", R->out);
		report_html_text(R->out, names[i]->d_name);
		fputs("</figcaption>\n</figure>\n", R->out);
		unlink(path);
		free(path);
		free(names[i]);
	}
	free(names);
	/* plot.sh may leave nothing else, but PNGs if asked; remove all. */
	n = scandir(dir, &names, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]->d_name);
		if (names[i]->d_name[0] != '.')
			unlink(path);
		free(path);
		free(names[i]);
	}
	free(names);
	rmdir(dir);
	return rc;
}
