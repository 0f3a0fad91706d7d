# common.gp: what every tvp chart shares, loaded by each chart script after
# it has set its variables: reading tvp export's TSV by column name, the list
# of series in a table, the look (fonts, colours: threads solid, processes
# dashed), and render(), which draws the chart once as SVG and once as PNG.
#
# Variables each chart takes on the command line (gnuplot -e "..."):
#   in     a TSV table from `tvp export --format tsv` (header row first)
#   out    the output path without extension: writes out.svg and out.png
#   title  the chart's title (may hold "\n" for a second line)
#   cores  the machine's core count, marked on worker axes (0: not marked)
#   pus    the PUs (hardware threads) the run could use (default: cores)
#   formats  "svg png" (default), "svg" or "png": which files render writes

if (!exists("in") || !exists("out")) {
	print "usage: gnuplot -e \"in='TABLE.tsv'; out='CHART'; title='...'\" ".ARG0
	exit status 2
}
if (!exists("title")) title = ""
if (!exists("cores")) cores = 0
if (!exists("pus")) pus = cores
if (!exists("formats")) formats = "svg png"

set encoding utf8
set datafile separator "\t"
set datafile columnheaders
set termoption noenhanced

# awk over the table, by column name: cols(c1,c2) prints those columns of
# every row, tab-separated.
awkcols(c1, c2) = sprintf("awk -F'\t' 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next}{print $h[\"%s\"] \"\t\" $h[\"%s\"]}' '%s'", c1, c2, in)
# The distinct values of a column, sorted, space-separated ("" if none).
distinct(c) = system(awkcols(c, c)." | cut -f1 | grep -v '^$' | sort -u | tr '\n' ' '")
distinctn(c) = system(awkcols(c, c)." | cut -f1 | grep -v '^$' | sort -u -n | tr '\n' ' '")
# The kind (thread, process, serial) of series s.
kindof(s) = system(awkcols("series", "kind")." | awk -F'\t' '$1==\"".s."\"{print $2; exit}'")
# How many rows have column c equal to v and column d above x (and at most
# y, for countin).
countif(c, v, d, x) = int(system(awkcols(c, d)." | awk -F'\t' '$1==\"".v."\" && $2!=\"\" && $2+0>".sprintf("%.17g", x)."{n++}END{print n+0}'"))
countin(c, v, d, x, y) = int(system(awkcols(c, d)." | awk -F'\t' '$1==\"".v."\" && $2!=\"\" && $2+0>".sprintf("%.17g", x)." && $2+0<=".sprintf("%.17g", y)."{n++}END{print n+0}'"))
# The largest value of column c (0 if none).
maxof(c) = real(system(awkcols(c, c)." | awk -F'\t' '$1!=\"\"&&$1+0>m{m=$1+0}END{print m+0}'"))
minof(c) = real(system(awkcols(c, c)." | awk -F'\t' '$1!=\"\"&&(m==\"\"||$1+0<m){m=$1+0}END{print m+0}'"))
# Position of word w in the list l (1-based), or 0.
wordpos_(w, l, i) = (i > words(l) ? 0 : (word(l, i) eq w ? i : wordpos_(w, l, i + 1)))
wordpos(w, l) = wordpos_(w, l, 1)

# Style: threads solid, processes dashed, serial dotted; one colour per series.
set style line 100 lc rgb "#888888" dt 2 lw 1.5
set style line 101 lc rgb "#c0392b" dt 4 lw 1.5
set grid ytics lc rgb "#dddddd" lw 1 dt 1
set border 3 lw 1.2
set tics nomirror out
# The legend goes under the plot, in columns, never over the data.
set key outside below center horizontal Left reverse noautotitle samplen 2 spacing 1.1 maxrows 4 width -2
set title title font ",18"
# The same mode has the same colour in every chart; others (Python's
# series) take the palette, which holds none of the modes' colours: omp
# drew in thread-spawn's orange when it took the palette by its place.
known = "serial thread-spawn thread-pool executor-thread fork-spawn fork-pool/shm fork-pool/pipe executor-fork/shm executor-fork/pipe fork-pool executor-fork omp mpi"
knowncol = "#333333 #ff7f0e #1f77b4 #17becf #d62728 #9467bd #e377c2 #8c564b #bcbd22 #9467bd #8c564b #2ca02c #000080"
palette = "#7f7f7f #b15928 #1b9e77 #f0027f #66a61e #e6ab02 #a6761d #6a3d9a"
# A start method other than fork ("fork-pool/shm+spawn", tvp run --start)
# keeps its mode's colour and takes its own point: square for spawn,
# triangle for forkserver.
base_(s) = (strstrt(s, "+") > 0 && strstrt(s, "/python") == 0 ? s[1:strstrt(s, "+") - 1] : s)
colour_(s, i) = (wordpos(base_(s), known) > 0 ? word(knowncol, wordpos(base_(s), known)) : word(palette, (i - 1) % words(palette) + 1))
dashof(k) = (k eq "process" ? 2 : (k eq "serial" ? 3 : 1))
pointof(k) = (k eq "process" ? 6 : (k eq "serial" ? 1 : 7))
ptof(k, s) = (strstrt(s, "+spawn") > 0 ? 4 : (strstrt(s, "+forkserver") > 0 ? 8 : pointof(k)))

# render: draws the plot command in the string plotcmd as out.svg and
# out.png, as formats says (pngcairo when this gnuplot has it, else libgd's
# png).
render = "if (strstrt(formats, 'svg') > 0) { \
		set terminal svg size 1100,680 dynamic font 'DejaVu Sans,16' linewidth 1.5 background rgb 'white'; \
		set output out.'.svg'; eval plotcmd; set output \
	}; \
	if (strstrt(formats, 'png') > 0) { \
		if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) { \
			set terminal pngcairo size 1200,742 font 'DejaVu Sans,16' linewidth 2 background rgb 'white' \
		} else { \
			set terminal png size 1200,742 font 'DejaVu Sans,16' \
		}; \
		set output out.'.png'; eval plotcmd; set output \
	}"
