#!/bin/sh
# bench.sh: what `make bench` runs: the default suite, sized from this
# machine's topology, written to results/ (results/latest.json points at it).
# `make bench QUICK=1` passes --quick: the one-minute version.
set -eu
cd "$(dirname "$0")/.."
build/tvp run --workload count --mode all --workers auto "$@"
