# efficiency.gp: parallel efficiency against workers for one workload, one
# line per mode: speedup / min(workers, tasks), so 1.0 means every worker
# was fully used. Past the core count it must fall (the workers share the
# cores); the core count is marked.
#
#   gnuplot -e "in='count.tsv'; out='efficiency-count'; title='...'; cores=2" scripts/efficiency.gp
#
# in: `tvp export --format tsv` rows of one workload, one size, one pin policy.
load system("dirname '".ARG0."'")."/common.gp"

series = distinct("series")
if (words(series) == 0) { print "efficiency.gp: no rows in ".in; exit status 1 }
maxw = maxof("workers")
maxe = maxof("efficiency")
set xlabel "workers (threads or processes)"
set ylabel "efficiency: speedup / workers"
set logscale x 2
set xrange [0.9:maxw * 1.1]
set yrange [0:(maxe > 1.1 ? maxe * 1.1 : 1.2)]
if (cores > 0) {
	set arrow 1 from cores, graph 0 to cores, graph 1 nohead ls 101
	set label 1 sprintf(" %d cores", cores) at cores, graph 0.96 left textcolor rgb "#c0392b"
}
plotcmd = "plot 1 with lines ls 100 title 'every worker fully used'"
do for [i=1:words(series)] {
	s = word(series, i)
	k = kindof(s)
	if (k ne "serial") {
		plotcmd = plotcmd.sprintf(", in using (strcol('series') eq '%s' ? column('workers') : NaN):(column('efficiency')) with linespoints lw 2 dt %d pt %d ps 1.3 lc rgb '%s' title '%s'", s, dashof(k), ptof(k, s), colour_(s, i), s)
	}
}
eval render
