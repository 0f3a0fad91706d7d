#!/bin/sh
# demo.sh: a classroom session in about two minutes, for `make demo`: five
# lessons (isolation, shared memory, the join deadlock, a crash, the GIL), a
# --quick benchmark, its findings, and the charts.
#
#   sh scripts/demo.sh [--pause]
#
# The lessons run at full size (about 20 s in all, gil the longest), the
# benchmark with --quick. --pause waits for Enter between steps (for a
# teacher talking over it).
# Output goes to results/demo/ (results.json, charts/). Set TVP to use
# another tvp binary (default: build/tvp beside this script's folder).
# Exit status: 0, or 1 when a step failed (the others still run).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
TVP=${TVP:-$root/build/tvp}
out=$root/results/demo
pause=0
failed=0

case "${1:-}" in
--pause) pause=1 ;;
"") ;;
*) echo "usage: sh scripts/demo.sh [--pause]" >&2; exit 2 ;;
esac
[ -x "$TVP" ] || { echo "demo.sh: no tvp binary at $TVP (run make first)" >&2; exit 1; }

step() {
	printf '\n### %s\n' "$1"
	if [ "$pause" = 1 ] && [ -t 0 ]; then
		printf '(Enter to go on) '
		read -r _
	fi
}

run() {
	"$@" || { echo "demo.sh: failed: $*" >&2; failed=1; }
}

step "1. Each process has its own memory"
run "$TVP" lesson isolation
step "2. Shared memory, and the updates lost without a lock"
run "$TVP" lesson shared
step "3. Queues between processes, and the join deadlock"
run "$TVP" lesson queue
step "4. A segfault in a process pool, and in a thread pool"
run "$TVP" lesson crash
step "5. The seeds' experiment: the GIL, and C without one"
run "$TVP" lesson gil

step "6. A quick benchmark: every mode this build has, 1 to 4 workers"
mkdir -p "$out"
# count, plus the IO and data-moving workloads when this build has them.
wl=count
for w in sleep transfer; do
	"$TVP" run --help 2>/dev/null | grep -q "^ *$w " && wl="$wl,$w"
done
run "$TVP" run --quick --workload "$wl" --workers 1,2,4 --repeat 5 --output "$out/results.json"
if "$TVP" report --help >/dev/null 2>&1; then
	run "$TVP" report "$out/results.json"
fi

step "7. The charts"
if make -C "$root" -n plot >/dev/null 2>&1; then
	run make -C "$root" --no-print-directory plot PLOT_IN="$out/results.json" \
		PLOT_OUT="$out/charts"
	echo "charts: $out/charts/"
else
	echo "(no 'make plot' in this tree: charts skipped)"
fi
exit $failed
