# time.gp: the time of one measurement per mode at each worker count, as
# bars (the median) with the 95% confidence interval of the median as error
# bars: where the bars' intervals overlap, the data do not tell the modes
# apart.
#
#   gnuplot -e "in='count.tsv'; out='time-count'; title='...'" scripts/time.gp
#
# in: `tvp export --format tsv` rows of one workload, one size, one pin policy.
load system("dirname '".ARG0."'")."/common.gp"

series = distinct("series")
wlist = distinctn("workers")
if (words(series) == 0) { print "time.gp: no rows in ".in; exit status 1 }
# A unit that keeps the numbers readable.
top = maxof("ci95_hi_ns")
scale = (top >= 1e10 ? 1e9 : (top >= 1e7 ? 1e6 : (top >= 1e4 ? 1e3 : 1)))
unit = (scale == 1e9 ? "s" : (scale == 1e6 ? "ms" : (scale == 1e3 ? "µs" : "ns")))
ns = words(series)
bw = 0.8 / ns
xpos(w, s) = wordpos(sprintf("%d", w), wlist) + (wordpos(s, series) - (ns + 1) / 2.0) * bw

# Medians that span more than a decade and a half (sleep at 1 and 64
# workers, noop's spawn modes against its pools) get a log axis, or the
# small ones would all look alike.
low = minof("median_ns")
logy = (low > 0 && top / low > 30)
set xlabel "workers (threads or processes)"
# A table from plot.sh's per_task (noop) holds the time of one task: it has
# a per_task column (looked up in the header, not read as a value).
pertask = int(system("head -n 1 '".in."' | tr '\t' '\n' | grep -cx per_task")) > 0
what = pertask ? "time per task" : "time of one measurement"
if (logy) {
	# In seconds with SI prefixes on the ticks ("10 ms", "100 µs"), as the
	# overhead chart: one unit cannot label decades apart.
	scale = 1e9
	set micro
	set format y "%.0s %cs"
	set ylabel sprintf("%s, median (log scale)", what)
} else {
	set ylabel sprintf("%s, median (%s)", what, unit)
}
set xrange [0.4:words(wlist) + 0.6]
if (logy) {
	set logscale y 10
	set yrange [low / scale / 2:top / scale * 2]
} else {
	set yrange [0:*]
}
set xtics ()
do for [i=1:words(wlist)] { set xtics add (word(wlist, i) i) }
set style fill solid 0.75 border lc rgb "#333333"
set boxwidth bw absolute
set errorbars 0.5 lw 1.5
plotcmd = "plot"
do for [i=1:ns] {
	s = word(series, i)
	plotcmd = plotcmd.sprintf("%s in using (strcol('series') eq '%s' ? xpos(column('workers'), '%s') : NaN):(column('median_ns')/scale):(column('ci95_lo_ns')/scale):(column('ci95_hi_ns')/scale):(bw) with boxerrorbars lc rgb '%s' fs solid %s title '%s'", i > 1 ? "," : "", s, s, colour_(s, i), kindof(s) eq "process" ? "0.45" : "0.85", s)
}
eval render
