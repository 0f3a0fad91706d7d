# transfer.gp: what moving a task's result costs against the result's size,
# log-log: the median time per task for each mode, threads (solid; the result
# stays in shared memory) against processes (dashed; it is copied through a
# pipe or a shared-memory ring). Where the dashed lines leave the solid ones
# is where crossing the process boundary starts to cost.
#
#   gnuplot -e "in='transfer.tsv'; out='transfer'; title='...'" scripts/transfer.gp
#
# in: `tvp export --format tsv` rows of the transfer workload at one worker
# count and one pin policy, several sizes.
load system("dirname '".ARG0."'")."/common.gp"

series = distinct("series")
if (words(series) == 0) { print "transfer.gp: no rows in ".in; exit status 1 }
# In seconds with SI prefixes on the ticks ("10 ms", "100 µs"), as the time
# and overhead charts on a log axis: the sizes span decades of time.
scale = 1e9
set micro
set format y "%.0s %cs"
set xlabel "result size per task (log scale)"
set logscale xy
# A tick at each measured size, named in binary units ("4 KiB").
bytes(x) = (x >= 1048576 ? sprintf("%g MiB", x / 1048576) : (x >= 1024 ? sprintf("%g KiB", x / 1024) : sprintf("%g B", x)))
sizes = distinctn("size")
set xtics ()
do for [i=1:words(sizes)] { set xtics add (bytes(real(word(sizes, i))) real(word(sizes, i))) }
set xrange [real(word(sizes, 1)) / 2:real(word(sizes, words(sizes))) * 2]
set ylabel "time per task, median (log scale)"
set errorbars 0 lw 1.5
plotcmd = "plot"
n = 0
do for [i=1:words(series)] {
	s = word(series, i)
	k = kindof(s)
	if (k ne "serial") {
		plotcmd = plotcmd.sprintf("%s in using (strcol('series') eq '%s' ? column('size') : NaN):(column('median_ns')/column('tasks')/scale):(column('ci95_lo_ns')/column('tasks')/scale):(column('ci95_hi_ns')/column('tasks')/scale) with yerrorlines lw 2 dt %d pt %d ps 1.3 lc rgb '%s' title '%s (%s)'", n > 0 ? "," : "", s, dashof(k), ptof(k, s), colour_(s, i), s, k)
		n = n + 1
	}
}
if (n == 0) { print "transfer.gp: only the serial mode in ".in; exit status 1 }
eval render
