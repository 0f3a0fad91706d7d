#!/bin/sh
# demo.sh: a classroom session in about two minutes, for `make demo`: eight
# lessons at full size (process, isolation, shared memory, queue, pool,
# executor, crash, gil), a --quick benchmark, its report and the charts;
# the steps of the 45-minute plan in docs/CLASSROOM.md.
#
#   sh scripts/demo.sh [--pause | --fast]
#
# Each step's output stays on the screen for a few seconds (DEMO_READ_S,
# default 8) before the next begins, so a projector can be read; the
# lessons and the benchmark themselves take about a minute on a quiet
# 2-core machine, more on a busy one. --pause waits for Enter before each
# step instead (a teacher talking over it); --fast does not wait at all.
# Output goes to results/demo/ (results.json, charts/). Set TVP to use
# another tvp binary (default: build/tvp beside this script's folder).
# Exit status: 0, or 1 when a step failed (the others still run).
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
TVP=${TVP:-$root/build/tvp}
out=$root/results/demo
read_s=${DEMO_READ_S:-8}
pause=0
failed=0
started=$(date +%s)

case "${1:-}" in
--pause) pause=1 ;;
--fast) read_s=0 ;;
"") ;;
*) echo "usage: sh scripts/demo.sh [--pause | --fast]" >&2; exit 2 ;;
esac
[ -x "$TVP" ] || { echo "demo.sh: no tvp binary at $TVP (run make first)" >&2; exit 1; }

nsteps=0
step() {
	if [ "$nsteps" -gt 0 ] && [ "$pause" = 0 ] && [ "$read_s" -gt 0 ]; then
		sleep "$read_s"         # time to read the last step's output
	fi
	nsteps=$((nsteps + 1))
	printf '\n### %s\n' "$1"
	if [ "$pause" = 1 ] && [ -t 0 ]; then
		printf '(Enter to go on) '
		read -r _
	fi
}

run() {
	"$@" || { echo "demo.sh: failed: $*" >&2; failed=1; }
}

step "1. A process: start, join, a zombie, terminate"
run "$TVP" lesson process
step "2. Each process has its own memory"
run "$TVP" lesson isolation
step "3. Shared memory, and the updates lost without a lock"
run "$TVP" lesson shared
step "4. Queues between processes, and the join deadlock"
run "$TVP" lesson queue
step "5. Why a pool; apply and apply_async"
run "$TVP" lesson pool
step "6. Futures over processes and over threads"
run "$TVP" lesson executor
step "7. A segfault in a process pool, and in a thread pool"
run "$TVP" lesson crash
step "8. The seeds' experiment: the GIL, and C without one"
run "$TVP" lesson gil

step "9. A quick benchmark: every mode this build has, 1 to 4 workers"
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

step "10. The charts"
if make -C "$root" -n plot >/dev/null 2>&1; then
	run make -C "$root" --no-print-directory plot PLOT_IN="$out/results.json" \
		PLOT_OUT="$out/charts"
	echo "charts: $out/charts/"
else
	echo "(no 'make plot' in this tree: charts skipped)"
fi
echo "demo.sh: $nsteps steps in $(( $(date +%s) - started )) s"
exit $failed
