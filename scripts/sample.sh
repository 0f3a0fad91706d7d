#!/bin/sh
# sample.sh: regenerates results/sample/, the committed sample run that the
# README shows: one full `make bench` on this machine (scripts/bench.sh --out:
# tvp bench, tvp overhead, the charts, the report), plus a description of the
# machine. Takes what make bench takes (tvp bench's plan is printed first:
# at most 10 minutes); pass --quick for a smoke version (not for committing).
#
#   sh scripts/sample.sh [--quick]
#
# Writes results/sample/{results.json, overhead.json, charts/*.svg and *.png,
# report.txt, machine.txt} in a new folder and swaps it in only when the run
# succeeded.
set -eu
cd "$(dirname "$0")/.."
make -s build/tvp
new=results/sample.new
rm -rf "$new"
sh scripts/bench.sh --out "$new" "$@"
{
	echo "tvp sample run, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "tvp: $(build/tvp --version)"
	echo "git: $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo -dirty)"
	echo "kernel: $(uname -srm)"
	echo "compiler: $(${CC:-cc} --version | head -n 1)"
	echo "gnuplot: $(gnuplot --version 2>/dev/null || echo none)"
	echo
	if command -v lscpu >/dev/null 2>&1; then
		lscpu | grep -E '^(Model name|Architecture|CPU\(s\)|Thread\(s\) per core|Core\(s\) per socket|Socket\(s\)|NUMA node\(s\)|L[123]d? cache|Hypervisor vendor|Virtualization type)' || true
	fi
	echo
	echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
	echo "memory: $(awk '/MemTotal/{printf "%.1f GiB\n", $2/1048576}' /proc/meminfo 2>/dev/null || echo unknown)"
} >"$new/machine.txt"
rm -rf results/sample.old
[ -d results/sample ] && mv results/sample results/sample.old
mv "$new" results/sample
rm -rf results/sample.old
# The report names the file it read, under its temporary folder name.
sed -i "s|results/sample.new/|results/sample/|g" results/sample/report.txt
echo "sample.sh: results/sample/ regenerated"
