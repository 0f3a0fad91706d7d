#!/bin/sh
# check-count.sh: compares tvp's serial count loop with the bare loop in
# scripts/bare-count.c, compiled with the same flags, interleaved five times
# ROUNDS times (default 10). These VMs drift by up to 2x within minutes, so
# single pairs mislead: it prints each pair, then the ratio of the two best
# (fastest) figures and the median of the pairwise ratios.
set -eu
cd "$(dirname "$0")/.."
make -s build/tvp
bin=$(mktemp -d)/bare-count
trap 'rm -rf "$(dirname "$bin")"' EXIT
cc -std=c11 -O2 -g -D_POSIX_C_SOURCE=200809L -o "$bin" scripts/bare-count.c
rounds=${ROUNDS:-10}
i=0
while [ $i -lt "$rounds" ]; do
	i=$((i + 1))
	b=$("$bin" 20000000 4 3)
	t=$(build/tvp run --workload count --mode serial --workers 1 --tasks 4 --size 20M --repeat 3 \
		--warmup 1 --quiet --output - | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][0]["ns_per_iter"])')
	echo "$b $t"
done | python3 -c '
import sys, statistics
pairs = [tuple(map(float, l.split())) for l in sys.stdin if l.strip()]
for b, t in pairs:
    print("bare %.4f  tvp %.4f  tvp/bare %.3f" % (b, t, t / b))
bb, bt = min(p[0] for p in pairs), min(p[1] for p in pairs)
print("best: bare %.4f  tvp %.4f ns/iter  ratio %.3f" % (bb, bt, bt / bb))
print("median of pairwise ratios %.3f" % statistics.median(t / b for b, t in pairs))'
