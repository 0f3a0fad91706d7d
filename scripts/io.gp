# io.gp: IO scaling: speedup against workers far beyond the core count for a
# workload that waits (sleep, net), log-log, one line per mode, with the
# ideal line and the core count marked. A waiting task holds no core, so
# workers past the cores keep helping until the modes' own costs (creating,
# waking, handing off) catch up.
#
#   gnuplot -e "in='sleep.tsv'; out='io-sleep'; title='...'; cores=2" scripts/io.gp
#
# in: `tvp export --format tsv` rows of one workload, one size, one pin policy.
load system("dirname '".ARG0."'")."/common.gp"

series = distinct("series")
if (words(series) == 0) { print "io.gp: no rows in ".in; exit status 1 }
maxw = maxof("workers")
maxs = maxof("speedup")
set xlabel "workers (threads or processes)"
set ylabel "speedup over serial (x)"
set logscale xy 2
set xrange [0.9:maxw * 1.1]
# From below the slowest series (fork-spawn may stay under 1x) to above the
# ideal line's end.
mins = minof("speedup")
set yrange [(mins > 0 && mins < 0.5 ? mins / 1.5 : 0.5):(maxw > maxs ? maxw : maxs) * 1.5]
if (cores > 0) {
	set arrow 1 from cores, graph 0 to cores, graph 1 nohead ls 101
	set label 1 sprintf(" %d cores", cores) at cores, graph 0.5 left textcolor rgb "#c0392b"
}
plotcmd = "plot x with lines ls 100 title 'ideal: speedup = workers'"
do for [i=1:words(series)] {
	s = word(series, i)
	k = kindof(s)
	if (k ne "serial") {
		plotcmd = plotcmd.sprintf(", in using (strcol('series') eq '%s' ? column('workers') : NaN):(column('speedup')) with linespoints lw 2 dt %d pt %d ps 1.3 lc rgb '%s' title '%s'", s, dashof(k), ptof(k, s), colour_(s, i), s)
	}
}
eval render
