# overhead.gp: what a thread and a process cost, from `tvp overhead`: one bar
# per operation (creation, hand-off, wake-up...), grouped, threads blue beside
# processes red, the median on a log scale with its 95% confidence interval.
# A factor of ten is the same height anywhere on the scale.
#
#   gnuplot -e "in='overhead.tsv'; out='overhead'; title='...'" scripts/overhead.gp
#
# in: `tvp export --format tsv` rows of an overhead file whose unit is ns, in
# the order to draw them (scripts/plot.sh picks thread/process pairs).
load system("dirname '".ARG0."'")."/common.gp"

n = int(system(awkcols("name", "name")." | wc -l"))
if (n == 0) { print "overhead.gp: no rows in ".in; exit status 1 }
top = maxof("ci95_hi")
low = minof("median")
# In seconds with SI prefixes on the ticks ("10 ms", "100 µs"), not "10M ns".
set ylabel "cost of one operation, median (log scale)"
set logscale y 10
set yrange [(low > 0 ? low / 3 : 1) / 1e9:top * 4 / 1e9]
set micro
set format y "%.0s %cs"
set xrange [-0.6:n - 0.4]
set xtics rotate by -35 left font ",13"
set xtics scale 0
set style fill solid 0.8 border lc rgb "#333333"
set boxwidth 0.7
set errorbars 0.4 lw 1.5
set bmargin 10
kindcolour(k) = (k eq "thread" ? 0x1f77b4 : (k eq "process" ? 0xd62728 : 0x7f7f7f))
plotcmd = "plot in using 0:(column('median')/1e9):(column('ci95_lo')/1e9):(column('ci95_hi')/1e9):(0.7):(kindcolour(strcol('kind'))):xtic(strcol('name')) with boxerrorbars lc rgb variable notitle"
# The legend names only the kinds drawn.
nthread = int(system(awkcols("kind", "kind")." | cut -f1 | grep -cx thread"))
nprocess = int(system(awkcols("kind", "kind")." | cut -f1 | grep -cx process"))
nother = n - nthread - nprocess
if (nthread > 0) { plotcmd = plotcmd.", NaN with boxes lc rgb '#1f77b4' title 'thread'" }
if (nprocess > 0) { plotcmd = plotcmd.", NaN with boxes lc rgb '#d62728' title 'process'" }
if (nother > 0) { plotcmd = plotcmd.", NaN with boxes lc rgb '#7f7f7f' title 'other'" }
eval render
