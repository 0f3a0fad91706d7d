# pinning.gp: speedup with each placement policy side by side (none: the
# kernel places the workers; compact: packed onto neighbouring cores; scatter:
# spread over packages and caches), one group of bars per mode, at one worker
# count, with the 95% confidence interval of the median as error bars.
#
#   gnuplot -e "in='pin.tsv'; out='pinning-count'; title='...'" scripts/pinning.gp
#
# in: `tvp export --format tsv` rows of one workload, one size, one worker
# count, every pin policy measured.
load system("dirname '".ARG0."'")."/common.gp"

all = distinct("series")
pins = distinct("pin")
if (words(all) == 0) { print "pinning.gp: no rows in ".in; exit status 1 }
series = ""
do for [i=1:words(all)] { if (kindof(word(all, i)) ne "serial") { series = series.word(all, i)." " } }
if (words(series) == 0 || words(pins) < 2) { print "pinning.gp: needs two pin policies and a parallel mode"; exit status 1 }
np = words(pins)
bw = 0.8 / np
xpos(s, p) = wordpos(s, series) + (wordpos(p, pins) - (np + 1) / 2.0) * bw
maxs = maxof("speedup")
set xlabel "mode"
set ylabel "speedup over serial (x)"
set xrange [0.4:words(series) + 0.6]
set yrange [0:maxs * 1.25]
set xtics ()
do for [i=1:words(series)] { set xtics add (word(series, i) i) }
set xtics rotate by -20
set style fill solid 0.8 border lc rgb "#333333"
set errorbars 0.5 lw 1.5
pincolour(p) = (p eq "none" ? "#7f7f7f" : (p eq "compact" ? "#1f77b4" : (p eq "scatter" ? "#ff7f0e" : "#2ca02c")))
# The serial median is speedup * median; its ratio to the CI's ends bounds
# the speedup the same way.
plotcmd = "plot"
do for [j=1:np] {
	p = word(pins, j)
	plotcmd = plotcmd.sprintf("%s in using (strcol('pin') eq '%s' && strcol('kind') ne 'serial' ? xpos(strcol('series'), '%s') : NaN):(column('speedup')):(column('speedup')*column('median_ns')/column('ci95_hi_ns')):(column('speedup')*column('median_ns')/column('ci95_lo_ns')):(bw) with boxerrorbars lc rgb '%s' title 'pin %s'", j > 1 ? "," : "", p, p, pincolour(p), p)
}
eval render
