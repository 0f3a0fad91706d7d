#!/bin/sh
# bench.sh: `make bench`, in four steps: `tvp bench` (the default suite,
# planned from this machine within a budget, measured in one run, one
# results file), `tvp overhead`, the charts (scripts/plot.sh), and `tvp
# report`'s findings on the terminal.
#
#   sh scripts/bench.sh [--quick] [--budget DURATION] [--out DIR] [--plan]
#
# --plan prints tvp bench's plan and its estimate, and stops. The plan is
# printed first in any case ('tvp bench --help' says what it measures).
#
# Output: results/bench-HOST-STAMP.json, linked from results/latest.json;
# results/overhead-HOST-STAMP.json (overhead-latest.json); results/charts/.
# With --out DIR instead: DIR/results.json, DIR/overhead.json, DIR/charts/,
# DIR/report.txt (what scripts/sample.sh uses).
set -eu
cd "$(dirname "$0")/.."
TVP=build/tvp

quick="" out="" plan=0 budget=""
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=--quick ;;
	--plan) plan=1 ;;
	--out) [ $# -ge 2 ] || { echo "bench.sh: --out needs a directory" >&2; exit 2; }; out=$2; shift ;;
	--budget) [ $# -ge 2 ] || { echo "bench.sh: --budget needs a duration" >&2; exit 2; }; budget=$2; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "bench.sh: unknown argument '$1'; accepted: --quick, --budget DURATION, --out DIR, --plan" >&2; exit 2 ;;
	esac
	shift
done
[ -x "$TVP" ] || { echo "bench.sh: no $TVP; run make first" >&2; exit 1; }
t_start=$(date +%s)
if [ "$plan" = 1 ]; then
	exec "$TVP" bench $quick ${budget:+--budget "$budget"} --plan
fi

# 1. The suite: one run, one file. Exit 1 means some cells failed (the
# others are written); an interrupt stops here, with what was measured.
set +e
if [ -n "$out" ]; then
	"$TVP" bench $quick ${budget:+--budget "$budget"} --out "$out"
else
	"$TVP" bench $quick ${budget:+--budget "$budget"}
fi
rc=$?
set -e
[ "$rc" -gt 128 ] && { echo "bench.sh: interrupted; what was measured is written" >&2; exit "$rc"; }
[ "$rc" -le 1 ] || exit "$rc"
[ "$rc" -eq 0 ] || echo "bench.sh: some cells failed (see above and the report); going on"
if [ -n "$out" ]; then
	final="$out/results.json" ovh="$out/overhead.json" charts="$out/charts" report="$out/report.txt"
else
	final="results/$(readlink results/latest.json)" ovh=results/overhead-latest.json
	charts=results/charts report=$(mktemp "${TMPDIR:-/tmp}/tvp-report.XXXXXX")
	trap 'rm -f "$report"' EXIT
fi

# 2. What a thread and a process cost here.
echo
echo "overhead: tvp overhead $quick"
set +e
if [ -n "$out" ]; then
	"$TVP" overhead $quick --quiet --output "$ovh"
else
	"$TVP" overhead $quick --quiet
fi
[ $? -eq 0 ] || echo "bench.sh: tvp overhead failed; the report goes without it" >&2
set -e

# 3. The charts, 4. the findings (the tables are in the report: tvp report FILE).
echo
sh scripts/plot.sh "$final" "$ovh" "$charts" | grep -E 'skipped|drawn in|failed' || true
echo
if [ -r "$ovh" ]; then
	"$TVP" report "$final" --overhead "$ovh" >"$report"
else
	"$TVP" report "$final" --overhead none >"$report"
fi
awk 'NR <= 3 { print; next } /^warnings$/ { on = 1; print "" } on' "$report"
echo
echo "make bench: done in $(($(date +%s) - t_start)) s; full report: $TVP report $final"
