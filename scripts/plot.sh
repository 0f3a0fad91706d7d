#!/bin/sh
# plot.sh: every chart for a results file (and an overhead file), as SVG and
# PNG, through `tvp export` and the gnuplot scripts beside this one. `tvp
# plot` runs it (with TVP set to itself); run by hand:
#
#   sh scripts/plot.sh IN.json [OVERHEAD.json] OUTDIR
#
# TVP_PLOT_FORMATS: "svg png" (default), "png" or "svg".
#
# For each workload in IN (its largest size, pin none): speedup-W, time-W,
# efficiency-W (time only for noop: it measures the cost of a hand-off, and
# a speedup over doing nothing means nothing); io-W for sleep and net; transfer (transfer, every size, at
# the largest worker count up to the cores); pinning-W (count, or the first
# workload measured under several pin policies); overhead (from
# OVERHEAD.json, the operations measured in ns). A chart whose data are not
# in the files is skipped with a one-line note, never drawn empty. Set TVP to
# use another tvp binary (default: build/tvp beside this script's folder).
# Exit status: 0 when every chart that had data was drawn, 1 otherwise, 2 a
# bad command line.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
TVP=${TVP:-$here/../build/tvp}
tab=$(printf '\t')
formats=${TVP_PLOT_FORMATS:-svg png}

case $# in
2) in=$1 ovh="" outdir=$2 ;;
3) in=$1 ovh=$2 outdir=$3 ;;
*) echo "usage: sh scripts/plot.sh IN.json [OVERHEAD.json] OUTDIR" >&2; exit 2 ;;
esac
[ -x "$TVP" ] || { echo "plot.sh: no tvp binary at $TVP (run make first)" >&2; exit 1; }
command -v gnuplot >/dev/null 2>&1 || { echo "plot.sh: gnuplot is not installed (sh scripts/deps.sh installs gnuplot-nox)" >&2; exit 1; }
[ -r "$in" ] || { echo "plot.sh: cannot read '$in' (run make bench, or name a results file)" >&2; exit 1; }
mkdir -p "$outdir"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tvp-plot.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# col NAME FILE: the column called NAME of a TSV table, without its header.
col() {
	awk -F'\t' -v c="$1" 'NR==1{for(i=1;i<=NF;i++)if($i==c)k=i;next}{print $k}' "$2"
}
# select FILE COL=VAL...: the header and the rows matching every COL=VAL,
# sorted by series, workers and size (so each chart line is contiguous).
select_rows() {
	f=$1; shift
	awk -F'\t' -v conds="$*" '
		NR==1 { for (i = 1; i <= NF; i++) h[$i] = i; n = split(conds, c, " "); print; next }
		{ ok = 1; for (j = 1; j <= n; j++) { split(c[j], kv, "="); if ($h[kv[1]] != kv[2]) ok = 0 } if (ok) print }' "$f" |
	{ IFS= read -r header; printf '%s\n' "$header"; sort -t"$tab" -k11,11 -k5,5n -k7,7n; }
}
rows() { echo $(($(wc -l <"$1") - 1)); }
# per_task FILE: the table with the times (median, its interval) divided by
# each row's tasks, and a column per_task set to 1 for time.gp's label.
per_task() {
	awk -F'\t' -v OFS='\t' '
		NR==1 { for (i = 1; i <= NF; i++) h[$i] = i; print $0, "per_task"; next }
		{ n = $h["tasks"] + 0; if (n > 0) { $h["median_ns"] /= n; $h["ci95_lo_ns"] /= n; $h["ci95_hi_ns"] /= n }
		  print $0, 1 }' "$1"
}
# parallel FILE: how many rows are not the serial mode.
parallel() { col kind "$1" | grep -vc '^serial$' || true; }

drawn=0 skipped=0 failed=0
note() { echo "plot.sh: $1: skipped: $2"; skipped=$((skipped + 1)); }
draw() {  # draw SCRIPT NAME TABLE TITLE
	if gnuplot -e "in='$3'; out='$outdir/$2'; title=\"$4\"; cores=$cores; pus=$pus; formats='$formats'" "$here/$1" 2>"$tmp/gp.err" &&
	   drawn_all "$outdir/$2"; then
		grep -v 'difficulty making room' "$tmp/gp.err" >&2 || true
		echo "plot.sh: $outdir/$2.$(echo "$formats" | sed 's/ /, ./g')"
		drawn=$((drawn + 1))
	else
		cat "$tmp/gp.err" >&2
		echo "plot.sh: $2: gnuplot failed ($1)" >&2
		failed=$((failed + 1))
	fi
}
drawn_all() { for f in $formats; do [ -s "$1.$f" ] || return 1; done; }
clean() { printf '%s' "$1" | tr -d '"\\'"'" | tr '\n\t' '  '; }

"$TVP" export "$in" --format tsv --output "$tmp/all.tsv"
"$TVP" export "$in" --format tsv --host --output "$tmp/host.tsv"
cores=$(col cores "$tmp/host.tsv"); cores=${cores:-0}
pus=$(col pus "$tmp/host.tsv"); pus=${pus:-$cores}
machine=$(clean "$(col hostname "$tmp/host.tsv"): $(col cpu_model "$tmp/host.tsv"), $cores cores, $pus PUs")
if [ "$(col quick "$tmp/host.tsv")" = true ]; then machine="$machine (quick run: small sizes)"; fi

for w in $(col workload "$tmp/all.tsv" | sort -u); do
	size=$(select_rows "$tmp/all.tsv" "workload=$w" pin=none | col size /dev/stdin | sort -n | tail -n 1)
	t="$tmp/w-$w.tsv"
	select_rows "$tmp/all.tsv" "workload=$w" pin=none "size=$size" >"$t"
	label=$(col size_label "$t" | head -n 1)
	case $label in ""|-) sz="" ;; *) sz=" (size $label)" ;; esac
	if [ "$(parallel "$t")" -eq 0 ]; then
		note "speedup-$w, time-$w, efficiency-$w" "only the serial mode was run for $w"
		skipped=$((skipped + 2))
	elif [ "$w" = noop ]; then
		# Per task: a bench measures noop's pools, executors and spawn
		# modes with different task counts (tvp report: instances).
		per_task "$t" >"$tmp/noop-per-task.tsv"
		draw time.gp "time-$w" "$tmp/noop-per-task.tsv" "$w: what handing off one task costs, per mode and worker count\\n$machine"
		note "speedup-$w, efficiency-$w" "noop measures the cost of a hand-off; a speedup over doing nothing means nothing"
		skipped=$((skipped + 1))
	else
		draw speedup.gp "speedup-$w" "$t" "$w: speedup against workers$sz\\n$machine"
		draw time.gp "time-$w" "$t" "$w: time per mode and worker count$sz\\n$machine"
		draw efficiency.gp "efficiency-$w" "$t" "$w: parallel efficiency$sz\\n$machine"
	fi
	case $w in
	sleep|net)
		if [ "$(parallel "$t")" -eq 0 ]; then
			note "io-$w" "only the serial mode was run for $w"
		else
			draw io.gp "io-$w" "$t" "$w: IO scaling far past the cores$sz\\n$machine"
		fi ;;
	esac
done
for w in sleep net; do
	col workload "$tmp/all.tsv" | grep -qx "$w" || note "io-$w" "no $w cells in $in"
done

# transfer: every size, at the largest worker count up to the cores.
t="$tmp/transfer-all.tsv"
select_rows "$tmp/all.tsv" workload=transfer pin=none >"$t"
nsizes=$(col size "$t" | sort -u | wc -l)
if [ "$(rows "$t")" -eq 0 ]; then
	note transfer "no transfer cells in $in"
elif [ "$nsizes" -lt 2 ] || [ "$(parallel "$t")" -eq 0 ]; then
	note transfer "needs a parallel mode at two sizes or more (found $nsizes size(s))"
else
	wk=$(awk -F'\t' -v c="$cores" 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next}
		$h["kind"]!="serial"{w=$h["workers"]+0; if ((c==0||w<=c) && w>best) best=w; if (min==""||w<min) min=w}
		END{print (best ? best : min)}' "$t")
	select_rows "$t" "workers=$wk" >"$tmp/transfer.tsv"
	draw transfer.gp transfer "$tmp/transfer.tsv" "transfer: cost of returning a result, by size ($wk workers)\\n$machine"
fi

# pinning: the first workload (count first) measured under two pin policies.
pw=""
for w in count $(col workload "$tmp/all.tsv" | sort -u); do
	n=$(select_rows "$tmp/all.tsv" "workload=$w" | col pin /dev/stdin | sort -u | wc -l)
	if [ "$n" -ge 2 ]; then pw=$w; break; fi
done
if [ -z "$pw" ]; then
	note pinning "no workload was measured under two pin policies (tvp run --pin none,scatter)"
else
	t="$tmp/pin-all.tsv"
	size=$(select_rows "$tmp/all.tsv" "workload=$pw" | col size /dev/stdin | sort -n | tail -n 1)
	select_rows "$tmp/all.tsv" "workload=$pw" "size=$size" >"$t"
	wk=$(awk -F'\t' -v c="$cores" 'NR==1{for(i=1;i<=NF;i++)h[$i]=i;next}
		$h["pin"]!="none"{w=$h["workers"]+0; if ((c==0||w<=c) && w>best) best=w; if (min==""||w<min) min=w}
		END{print (best ? best : min)}' "$t")
	select_rows "$t" "workers=$wk" >"$tmp/pin.tsv"
	draw pinning.gp "pinning-$pw" "$tmp/pin.tsv" "$pw: speedup by placement policy at $wk workers\\n$machine"
fi

# overhead: operations measured in ns, grouped.
if [ -z "$ovh" ] || [ ! -r "$ovh" ]; then
	note overhead "no overhead file${ovh:+ at $ovh} (tvp overhead writes one)"
else
	"$TVP" export "$ovh" --format tsv --where unit=ns --output "$tmp/ovh-all.tsv"
	# The chart compares like with like, thread beside process (and a
	# process pool by start method), in this order (names a run did not
	# measure are left out); the full table is `tvp export` of the
	# overhead file.
	pairs="thread-create-join fork-exit-wait pool-start-thread pool-start-process-shm
		start-pool-thread start-pool-fork start-pool-forkserver start-pool-spawn
		start-posix-spawn-true-2 start-spawn-worker-2
		handoff-apply-thread-pool handoff-apply-fork-pool-shm
		start-handoff-thread start-handoff-fork start-handoff-forkserver start-handoff-spawn
		handoff-submit-executor-thread handoff-submit-executor-fork-shm
		batch-noop-thread-pool batch-noop-fork-pool-shm
		pipe-roundtrip-thread-diffcpu pipe-roundtrip-process-diffcpu
		futex-roundtrip-thread-diffcpu futex-roundtrip-process-diffcpu
		spin-roundtrip-thread-diffcpu spin-roundtrip-process-diffcpu"
	awk -F'\t' -v want="$pairs" 'BEGIN { n = split(want, W, /[ \t\n]+/); for (i = 1; i <= n; i++) if (W[i] != "") pos[W[i]] = i }
		NR == 1 { for (i = 1; i <= NF; i++) h[$i] = i; print; next }
		($h["name"] in pos) { row[pos[$h["name"]]] = $0 }
		END { for (i = 1; i <= n; i++) if (i in row) print row[i] }' "$tmp/ovh-all.tsv" >"$tmp/ovh.tsv"
	[ "$(rows "$tmp/ovh.tsv")" -gt 0 ] || cp "$tmp/ovh-all.tsv" "$tmp/ovh.tsv"
	if [ "$(rows "$tmp/ovh.tsv")" -eq 0 ]; then
		note overhead "no operation measured in ns in $ovh"
	else
		draw overhead.gp overhead "$tmp/ovh.tsv" "what a thread and a process cost\\n$machine"
	fi
fi

echo "plot.sh: $drawn chart(s) drawn in $outdir, $skipped skipped, $failed failed"
[ "$failed" -eq 0 ]
