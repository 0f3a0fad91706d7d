#!/bin/sh
# bench.sh: `make bench`, the whole job in one command: every registered
# workload under every mode, workers from 1 to well past the core count,
# pinning none and scatter (when this tvp accepts scatter), then `tvp
# overhead` (when this tvp has it), then the charts (scripts/plot.sh) and
# `tvp report`'s findings on the terminal.
#
#   sh scripts/bench.sh [--quick] [--out DIR] [--plan]
#
# --plan prints what would run and the time estimate, and stops.
#
# It is sized from the machine (tvp topo --json, else nproc) and discovers
# what this build has (the workloads and modes `tvp run` accepts, --pin
# scatter, tvp overhead), so it keeps working as workloads land. The runs:
#   cpu       every workload not below: workers 1, 2, 4 ... 4 x PUs (quick:
#             2 x PUs), pin none and scatter
#   io        sleep and net: workers 1, 2, 4 ... 32 x PUs, at most 256 (quick:
#             8 x PUs), so the speedup far past the cores shows
#   transfer  result sizes 64 B to 4 MiB, channels pipe and shm, workers 1 and
#             the PUs
#   noop      hand-off cost: 20000 tasks (quick: 2000), workers 1 and the PUs
# merged into one results file (scripts/merge-results.py). Full: about 5
# minutes on 2 cores (the plan printed first says how long here); --quick:
# about a minute.
#
# Output: results/bench-HOST-STAMP.json, linked from results/latest.json;
# results/overhead-HOST-STAMP.json (overhead-latest.json); results/charts/;
# the run logs in results/bench-HOST-STAMP.d/. With --out DIR instead:
# DIR/results.json, DIR/overhead.json, DIR/charts/, DIR/report.txt,
# DIR/logs/ (what scripts/sample.sh uses).
set -eu
cd "$(dirname "$0")/.."
TVP=build/tvp

quick=0 out="" plan_only=0
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--plan) plan_only=1 ;;
	--out) [ $# -ge 2 ] || { echo "bench.sh: --out needs a directory" >&2; exit 2; }; out=$2; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown argument '$1'; accepted: --quick, --out DIR, --plan" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$TVP" ] || { echo "bench.sh: no $TVP; run make first" >&2; exit 1; }
command -v python3 >/dev/null 2>&1 || { echo "bench.sh: python3 is needed to merge the runs (sh scripts/deps.sh)" >&2; exit 1; }

# --- the machine -------------------------------------------------------------
topo=$("$TVP" topo --json 2>/dev/null || true)
jnum() { printf '%s\n' "$topo" | sed -n "s/.*\"$1\": *\([0-9][0-9]*\).*/\1/p" | head -n 1; }
pus=$(jnum allowed_pu_count); [ -n "$pus" ] || pus=$(jnum pus)
cores=$(jnum allowed_cores); [ -n "$cores" ] || cores=$(jnum cores)
[ -n "$pus" ] || pus=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
[ -n "$cores" ] || cores=$pus
src=$([ -n "$topo" ] && echo "tvp topo" || echo "nproc")

# powers LIMIT [EXTRA...]: 1 2 4 ... up to LIMIT, plus the extras, sorted.
powers() {
	lim=$1; shift
	{ w=1; while [ "$w" -le "$lim" ]; do echo "$w"; w=$((w * 2)); done; for e in "$@"; do echo "$e"; done; } |
		awk -v l="$lim" '$1<=l' | sort -n -u | paste -s -d, -
}
count_list() { printf '%s' "$1" | tr ',' '\n' | grep -c . || true; }

# --- what this build has -----------------------------------------------------
accepted() { "$TVP" run "$1" '?' 2>&1 | sed -n 's/.*accepted: //p' | tr -d ',' | sed 's/ all$//'; }
workloads=$(accepted --workload)
modes=$(accepted --mode)
[ -n "$workloads" ] && [ -n "$modes" ] || { echo "bench.sh: cannot list the workloads and modes of $TVP" >&2; exit 1; }
nmodes=$(echo $modes | wc -w)                       # serial included
nchan=$(for m in $modes; do case $m in *fork*spawn*) ;; *fork*) echo "$m" ;; esac; done | wc -l)

work=$(mktemp -d "${TMPDIR:-/tmp}/tvp-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
pins=none
if "$TVP" run --help | grep -q scatter &&
   "$TVP" run --workload "$(echo $workloads | cut -d' ' -f1)" --mode serial --quick --repeat 1 \
	--warmup 0 --quiet --pin none,scatter --output "$work/pin.json" >/dev/null 2>&1; then
	pins=none,scatter
fi
have_overhead=0
"$TVP" --help | grep -q '^  overhead ' && have_overhead=1

if [ "$quick" = 1 ]; then
	repeat=3 qflag=--quick
	w_cpu=$(powers $((2 * pus)) "$pus" $((2 * pus)))
	w_io=$(powers $((8 * pus > 256 ? 256 : 8 * pus)))
	t_sizes=64,64K,1M noop_tasks=2000
else
	repeat=7 qflag=
	w_cpu=$(powers $((4 * pus)) "$pus" $((2 * pus)) $((4 * pus)))
	w_io=$(powers $((32 * pus > 256 ? 256 : 32 * pus)))
	t_sizes=64,4K,256K,4M noop_tasks=20000
fi
w_small=$(powers "$pus" "$pus")
runs_per_cell=$((repeat + 1))

# --- the plan: cells per run and an estimate ---------------------------------
# A measurement costs about 3 ms (reference loop, set-up) plus the serial time
# of its batch divided by the workers that can run at once. The nominal serial
# times below are rough (ms per measurement, at the sizes used); the estimate
# only has to say "seconds", "a minute" or "five minutes".
serial_ms() {  # WORKLOAD -> nominal serial ms of one measurement
	case $1 in
	count) [ "$quick" = 1 ] && echo 20 || echo 80 ;;
	contention) [ "$quick" = 1 ] && echo 5 || echo 100 ;;
	mixed) [ "$quick" = 1 ] && echo 16 || echo 80 ;;
	sleep) [ "$quick" = 1 ] && echo 20 || echo 320 ;;
	net) [ "$quick" = 1 ] && echo 100 || echo 400 ;;
	transfer) echo 5 ;;
	noop) echo 20 ;;
	*) [ "$quick" = 1 ] && echo 20 || echo 100 ;;
	esac
}
cpu_wl="" io_wl="" tr_wl="" noop_wl=""
for w in $workloads; do
	case $w in
	sleep|net) io_wl="$io_wl${io_wl:+,}$w" ;;
	transfer) tr_wl=transfer ;;
	noop) noop_wl=noop ;;
	*) cpu_wl="$cpu_wl${cpu_wl:+,}$w" ;;
	esac
done
# estimate WORKLOADS WORKERS PINS SIZES CHANNELS IO -> "cells seconds"
estimate() {
	awk -v wl="$1" -v ws="$2" -v np="$3" -v ns="$4" -v nc="$5" -v io="$6" -v pus="$pus" \
	    -v m="$nmodes" -v chm="$nchan" -v runs="$runs_per_cell" -v ser="$7" '
	BEGIN {
		nw = split(ws, W, ","); nwl = split(wl, L, ","); split(ser, S, ",")
		per_mode = m - 1 + chm * (nc - 1)      # parallel series per worker count and pin
		cells = 0; ms = 0
		for (l = 1; l <= nwl; l++) {
			cells += ns * (1 + per_mode * nw * np)
			ms += ns * (3 + S[l])
			for (i = 1; i <= nw; i++) {
				par = io ? W[i] : (W[i] < pus ? W[i] : pus)
				ms += ns * per_mode * np * (3 + S[l] / par)
			}
		}
		printf "%d %d\n", cells, ms * runs / 1000 + 1
	}'
}
sers() { for w in $(echo "$1" | tr ',' ' '); do serial_ms "$w"; done | paste -s -d, -; }
plan="" total_cells=0 total_s=0 nsteps=0
add_step() {  # NAME WORKLOADS WORKERS PINS NSIZES NCHANNELS IO
	[ -n "$2" ] || return 0
	set -- "$@" $(estimate "$2" "$3" "$(echo "$4" | tr ',' '\n' | wc -l)" "$5" "$6" "$7" "$(sers "$2")")
	plan="$plan$1|$2|$3|$4|$8|$9
"
	total_cells=$((total_cells + $8)) total_s=$((total_s + $9)) nsteps=$((nsteps + 1))
}
add_step cpu "$cpu_wl" "$w_cpu" "$pins" 1 1 0
add_step io "$io_wl" "$w_io" none 1 1 1
add_step transfer "$tr_wl" "$w_small" none "$(count_list "$t_sizes")" 2 0
add_step noop "$noop_wl" "$w_small" none 1 1 0
ovh_s=0
[ "$have_overhead" = 1 ] && { [ "$quick" = 1 ] && ovh_s=15 || ovh_s=60; }
total_s=$((total_s + ovh_s + 10))

fmt_s() { if [ "$1" -ge 90 ]; then echo "$((($1 + 30) / 60)) min"; else echo "$1 s"; fi; }
echo "make bench${qflag:+ (quick)}: $(hostname), $cores cores, $pus PUs (from $src)"
echo "  workloads: $(echo $workloads); modes: $(echo $modes); pin: $pins"
printf '%s' "$plan" | while IFS='|' read -r name wl ws pn cells secs; do
	printf '  %-9s %-32s workers %-22s %5d cells  ~%s\n' "$name" "$wl" "$ws" "$cells" "$(fmt_s "$secs")"
done
[ "$have_overhead" = 1 ] && printf '  %-9s %-32s %-30s %11s  ~%s\n' overhead "tvp overhead" "" "" "$(fmt_s "$ovh_s")"
[ "$have_overhead" = 1 ] || echo "  overhead  skipped: this tvp has no 'overhead' command yet"
echo "  $total_cells cells x $runs_per_cell runs each (1 warm-up + $repeat measured): about $(fmt_s "$total_s") in all (an estimate)"
[ "$plan_only" = 1 ] && exit 0
echo

# --- the runs ------------------------------------------------------------------
stamp=$(date -u +%Y%m%dT%H%M%SZ)
host=$(hostname | tr '/ ' '__')
if [ -n "$out" ]; then
	mkdir -p "$out/logs"
	final="$out/results.json" ovh_out="$out/overhead.json" charts="$out/charts" logs="$out/logs"
else
	mkdir -p results
	final="results/bench-$host-$stamp.json" ovh_out="" charts=results/charts
	logs="results/bench-$host-$stamp.d"
	mkdir -p "$logs"
fi
t_start=$(date +%s)

# bar START EST: one line redrawn while the last background job runs.
progress() {
	pid=$1 t0=$2 est=$3 label=$4
	while kill -0 "$pid" 2>/dev/null; do
		if [ -t 1 ]; then
			el=$(($(date +%s) - t0)) all=$(($(date +%s) - t_start))
			left=$((total_s - all)); [ "$left" -lt 0 ] && left=0
			awk -v e="$el" -v s="$est" -v l="$label" -v left="$left" 'BEGIN {
				f = s > 0 ? e / s : 0; if (f > 1) f = 1; n = int(f * 30)
				bar = ""; for (i = 0; i < 30; i++) bar = bar (i < n ? "#" : "-")
				printf "\r  %-9s [%s] %4ds of ~%ds   whole job: ~%ds left  ", l, bar, e, s, left }'
		fi
		sleep 1
	done
	[ -t 1 ] && printf '\r%100s\r' '' || true
}
parts=""
step=0
run_step() {  # NAME WORKLOADS WORKERS PINS SECS EXTRA...
	name=$1 wl=$2 ws=$3 pn=$4 secs=$5; shift 5
	step=$((step + 1))
	t0=$(date +%s)
	echo "[$step/$nsteps] $name: $wl"
	set +e
	"$TVP" run --workload "$wl" --mode all --workers "$ws" --pin "$pn" --repeat "$repeat" \
		--warmup 1 $qflag --quiet --output "$work/$name.json" "$@" >"$logs/$name.log" 2>&1 &
	pid=$!
	progress "$pid" "$t0" "$secs" "$name"
	wait "$pid"
	rc=$?
	set -e
	if [ "$rc" -ne 0 ] && [ ! -s "$work/$name.json" ]; then
		echo "bench.sh: $name: tvp run failed (exit $rc); see $logs/$name.log:" >&2
		tail -n 5 "$logs/$name.log" >&2
		exit 1
	fi
	[ "$rc" -eq 130 ] && { echo "bench.sh: interrupted; the partial results are in $work" >&2; exit 130; }
	[ "$rc" -ne 0 ] && echo "  (tvp run exit $rc: some cells failed; see $logs/$name.log and the report)"
	[ -n "$out" ] || cp "$work/$name.json" "$logs/$name.json"
	parts="$parts $work/$name.json"
	echo "  done in $(fmt_s $(($(date +%s) - t0))) (estimated ~$(fmt_s "$secs"))"
}
# Full runs: sizes for the known workloads so that one measurement takes tens
# of milliseconds (count and sleep would otherwise calibrate a task to 0.2 s;
# contention's default of 1M increments per task takes seconds under a
# process-shared lock). Quick runs use each workload's quick size.
sizes_for() {
	[ "$quick" = 1 ] && return 0
	for w in $(echo "$1" | tr ',' ' '); do
		case $w in
		count) echo count=20M ;;
		sleep) echo sleep=5ms ;;
		contention) echo contention=100K ;;
		mixed) echo mixed=10ms ;;
		esac
	done | paste -s -d, -
}
printf '%s' "$plan" >"$work/plan"
while IFS='|' read -r name wl ws pn cells secs; do
	sz=$(sizes_for "$wl")
	case $name in
	cpu|io) run_step "$name" "$wl" "$ws" "$pn" "$secs" ${sz:+--size "$sz"} ;;
	transfer) run_step transfer "$wl" "$ws" "$pn" "$secs" --size "$t_sizes" --channel pipe,shm ;;
	noop) run_step noop "$wl" "$ws" "$pn" "$secs" --tasks "$noop_tasks" ;;
	esac
done <"$work/plan"
# shellcheck disable=SC2086
python3 scripts/merge-results.py "$final" $parts
if [ -z "$out" ]; then
	ln -sfn "$(basename "$final")" results/.latest.tmp && mv -f results/.latest.tmp results/latest.json
fi
echo "results: $final"

if [ "$have_overhead" = 1 ]; then
	step=$((step + 1))
	echo "[$step] overhead: tvp overhead"
	set +e
	if [ -n "$ovh_out" ]; then
		"$TVP" overhead $qflag --output "$ovh_out" >"$logs/overhead.log" 2>&1
	else
		"$TVP" overhead $qflag >"$logs/overhead.log" 2>&1
		ovh_out=results/overhead-latest.json
	fi
	rc=$?
	set -e
	[ "$rc" -eq 0 ] || echo "bench.sh: tvp overhead failed (exit $rc); see $logs/overhead.log" >&2
else
	ovh_out=${ovh_out:-results/overhead-latest.json}
fi

echo
sh scripts/plot.sh "$final" "$ovh_out" "$charts" | grep -E 'skipped|drawn in|failed' || true
echo
if [ -r "$ovh_out" ]; then
	"$TVP" report "$final" --overhead "$ovh_out" >"$work/report.txt"
else
	"$TVP" report "$final" --overhead none >"$work/report.txt"
fi
[ -n "$out" ] && cp "$work/report.txt" "$out/report.txt"
# On the terminal: the machine, the warnings and the findings (the tables are
# in the report: tvp report FILE).
awk 'NR <= 3 { print; next } /^warnings$/ { on = 1; print "" } on' "$work/report.txt"
echo
echo "make bench: done in $(fmt_s $(($(date +%s) - t_start))); full report: $TVP report $final"
