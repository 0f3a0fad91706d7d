# speedup.gp: speedup against workers for one workload, one line per mode,
# with the ideal line (speedup = workers), the core count marked, and for
# each mode an Amdahl fit of its serial fraction f, printed in the legend
# only where it means something: fitted on the worker counts up to the PUs
# (past them, time-sharing and not the serial part limits the speedup), and
# shown only when f lies in [0, 1] and the curve passes within 10% of the
# points (FIT_STDFIT, the residuals' RMS, against the largest speedup).
#
#   gnuplot -e "in='count.tsv'; out='speedup-count'; title='...'; cores=2" scripts/speedup.gp
#
# in: `tvp export --format tsv` rows of one workload, one size, one pin policy
# (scripts/plot.sh selects them), sorted by series then workers. The fit uses
# Amdahl's law with the parallelism a cell can really have, p = min(workers,
# tasks): speedup(p) = 1 / (f + (1 - f) / p), only on the points with
# workers up to the cores (past them the workers share cores, and a fit that
# takes them in reads the time-slicing as a serial part: f = 511.9% once).
# f is shown only where the fit is good (bench/amdahl.c's rule, as far as
# gnuplot can: two points or more, 0 <= f <= 1, the curve within 10% of
# the speedups on average).
load system("dirname '".ARG0."'")."/common.gp"

series = distinct("series")
if (words(series) == 0) { print "speedup.gp: no rows in ".in; exit status 1 }
maxw = maxof("workers")
maxs = maxof("speedup")
peff(w, t) = (cores > 0 && w > cores) ? NaN : (w < t ? w : t)
amdahl(p) = 1 / (f + (1 - f) / p)

set fit quiet nolog errorvariables
array F[words(series)]
do for [i=1:words(series)] {
	s = word(series, i)
	F[i] = NaN
	# A fit needs two worker counts from 2 up to the PUs (bench/amdahl.c's
	# rule: one such point cannot test the law), and gnuplot more points
	# than parameters.
	lim = (pus > 0 ? pus : maxw)
	if (kindof(s) ne "serial" && countin("series", s, "workers", 1, lim) >= 2) {
		f = 0.05
		fit amdahl(x) in using (strcol("series") eq s && column("workers") <= lim ? \
			peff(column("workers"), column("tasks")) : NaN):(column("speedup")) via f
		if (f >= 0 && f <= 1 && FIT_STDFIT <= 0.1 * (maxs > 1 ? maxs : 1)) { F[i] = f }
	}
}

set xlabel "workers (threads or processes)"
set ylabel "speedup over serial (x)"
set logscale x 2
set xrange [0.9:maxw * 1.1]
ytop = (maxs > cores ? maxs : cores) * 1.25
set yrange [0:(ytop > 1.5 ? ytop : 1.5)]
if (cores > 0) {
	set arrow 1 from cores, graph 0 to cores, graph 1 nohead ls 101
	set label 1 sprintf(" %d cores", cores) at cores, graph 0.96 left textcolor rgb "#c0392b"
}
plotcmd = "plot x with lines ls 100 title 'ideal: speedup = workers'"
do for [i=1:words(series)] {
	s = word(series, i)
	k = kindof(s)
	if (k ne "serial") {
		t = (F[i] == F[i]) ? sprintf("%s (Amdahl f = %.1f%%)", s, 100 * F[i]) : s
		plotcmd = plotcmd.sprintf(", in using (strcol('series') eq '%s' ? column('workers') : NaN):(column('speedup')) with linespoints lw 2 dt %d pt %d ps 1.3 lc rgb '%s' title '%s'", s, dashof(k), ptof(k, s), colour_(s, i), t)
	}
}
eval render
