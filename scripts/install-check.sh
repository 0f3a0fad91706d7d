#!/bin/sh
# install-check.sh: tvp installed as a user would have it. Runs `make
# install` into a fresh DESTDIR, then, from another directory with its own
# HOME, the installed tvp: --help and help run, a small quick run (results
# under ~/.local/share/tvp/results, since that directory is no tvp tree),
# report, export, plot (gnuplot; skipped without it), the gil lesson (its
# Python script found under the installed datadir), the bash completion, and
# `man -l` on the installed page; then `make uninstall` must leave nothing
# behind.
#
#   sh scripts/install-check.sh [MAKE ARGS...]   e.g. PREFIX=/usr BUILD=build/inst
#
# `make install-check` runs it with PREFIX=/usr in its own build folder.
# Exit status: 0 every step worked, 1 otherwise (the failing step named).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tvp-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
dest=$tmp/dest
fail() { echo "install-check.sh: FAIL: $*" >&2; exit 1; }
step() { echo "install-check.sh: $*"; }

make -s --no-print-directory -C "$here" install DESTDIR="$dest" "$@" >"$tmp/make.log" 2>&1 ||
	{ cat "$tmp/make.log" >&2; fail "make install"; }
bin=$(find "$dest" -path '*/bin/tvp' -type f | head -n 1)
page=$(find "$dest" -name tvp.1 | head -n 1)
[ -x "$bin" ] || fail "no bin/tvp under $dest"
[ -n "$page" ] || fail "no man page under $dest"
for f in share/tvp/workloads/python/tvp_py.py share/tvp/scripts/plot.sh share/tvp/scripts/speedup.gp \
	 share/tvp/docs/schema/tvp.results-1.schema.json share/bash-completion/completions/tvp \
	 share/doc/tvp/LICENSE; do
	find "$dest" -path "*/$f" | grep -q . || fail "$f was not installed"
done
step "installed: $(cd "$dest" && find . -type f | wc -l) files, $bin"

mkdir "$tmp/home" "$tmp/elsewhere"
cd "$tmp/elsewhere"
export HOME="$tmp/home"
unset XDG_DATA_HOME TVP_PYTHON_DIR
"$bin" --help | grep -q "$HOME/.local/share/tvp/results" || fail "--help does not name the results folder"
"$bin" help run | grep -q '^usage: tvp run' || fail "tvp help run"
"$bin" version | grep -q '^tvp ' || fail "tvp version"
"$bin" run --quick --workload count,sleep --mode thread-pool,fork-pool --workers 1,2 --repeat 3 --quiet ||
	fail "tvp run --quick"
res=$HOME/.local/share/tvp/results
[ -r "$res/latest.json" ] || fail "no $res/latest.json after the run"
[ ! -e results ] || fail "the run wrote ./results outside a tvp tree"
step "run: $(readlink "$res/latest.json") in $res"
"$bin" report >"$tmp/report.txt" || fail "tvp report"
grep -q '^count, size ' "$tmp/report.txt" || fail "tvp report: no count table"
"$bin" export -f md >"$tmp/table.md" || fail "tvp export -f md"
if command -v gnuplot >/dev/null 2>&1; then
	"$bin" plot -o "$tmp/charts" >"$tmp/plot.txt" 2>&1 || { cat "$tmp/plot.txt" >&2; fail "tvp plot"; }
	[ -s "$tmp/charts/speedup-count.png" ] || fail "tvp plot drew no speedup-count.png"
	step "plot: $(ls "$tmp/charts" | wc -l) files"
else
	step "plot: skipped (no gnuplot)"
fi
if command -v python3 >/dev/null 2>&1; then
	"$bin" lesson gil --quick >"$tmp/gil.txt" 2>&1 || { cat "$tmp/gil.txt" >&2; fail "tvp lesson gil --quick"; }
	grep -qi 'python' "$tmp/gil.txt" || fail "the gil lesson ran no Python"
	! grep -qiE 'could not run|no such file|skipp' "$tmp/gil.txt" || { cat "$tmp/gil.txt" >&2; fail "the gil lesson did not find Python"; }
	step "lesson gil: ran"
fi
if command -v bash >/dev/null 2>&1; then
	comp=$(find "$dest" -path '*/bash-completion/completions/tvp' | head -n 1)
	got=$(PATH="$(dirname "$bin"):$PATH" bash -c '. "$1"
		t() { COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=(); _tvp; echo "${COMPREPLY[*]}"; }
		t tvp rep; t tvp run --worklo; t tvp run --workload count,sl; t tvp lesson gi; t tvp plot -f sv' sh "$comp")
	[ "$got" = "$(printf 'report\n--workload\ncount,sleep\ngil\nsvg')" ] ||
		fail "bash completion: got '$got'"
	step "bash completion: commands, options, values"
fi
if command -v man >/dev/null 2>&1; then
	MANWIDTH=80 man -l "$page" 2>"$tmp/man.err" | grep -q 'tvp - measure' || fail "man -l $page"
	[ ! -s "$tmp/man.err" ] || { cat "$tmp/man.err" >&2; fail "man -l warns"; }
	step "man -l: renders"
fi

cd "$here"
make -s --no-print-directory uninstall DESTDIR="$dest" "$@" >/dev/null || fail "make uninstall"
left=$(find "$dest" -type f | wc -l)
[ "$left" -eq 0 ] || fail "make uninstall left $left file(s): $(find "$dest" -type f | head -n 3)"
step "uninstall: nothing left; all good"
