#!/bin/sh
# deps.sh: install the Debian packages tvp needs to build, test and chart.
#
# Checks each package with dpkg-query and installs only what is missing.
# As root it runs apt-get itself; otherwise it prints the exact command and
# fails, so `make test` and `make bench` stop with an instruction, not a
# compiler error.  Set TVP_DEPS_SKIP=1 to skip the check (a machine that
# provides the libraries some other way).
set -eu

PACKAGES="pkg-config libhwloc-dev hwloc-nox libjansson-dev check libsubunit-dev gnuplot-nox python3 python3-jsonschema"
# The omp and mpi modes (issue 18): Open MPI's mpirun and mpicc flags.
# OpenMP needs nothing more: libgomp comes with gcc.
PACKAGES="$PACKAGES libopenmpi-dev openmpi-bin"

[ "${TVP_DEPS_SKIP:-0}" = 1 ] && exit 0

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "deps.sh: missing packages:$missing, and no apt-get on this machine; install them by hand" >&2
	exit 1
fi

cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages:$missing" >&2
	echo "deps.sh: run as root:  apt-get update && $cmd" >&2
	exit 1
fi

echo "deps.sh: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
# shellcheck disable=SC2086
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >"$log" 2>&1; then
	cat "$log" >&2
	rm -f "$log"
	echo "deps.sh: apt-get failed; the command was: apt-get update && $cmd" >&2
	exit 1
fi
rm -f "$log"
echo "deps.sh: installed$missing" >&2
