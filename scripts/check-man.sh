#!/bin/sh
# check-man.sh: the man page keeps step with --help. For every subcommand,
# every option its --help names (--long, and -x short ones) must appear in
# the page's section for that command ("TVP RUN", ...), and every command of
# `tvp --help` in the page; then the page must render without warnings.
#
#   sh scripts/check-man.sh [TVP [PAGE]]   (default build/tvp, docs/tvp.1)
#
# Exit status: 0 in step, 1 otherwise (each missing option named).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
tvp=${1:-$here/../build/tvp}
page=${2:-$here/../docs/tvp.1}
bad=0

# The page as plain text, hyphens unescaped: \- becomes -.
text=$(sed 's/\\-/-/g; s/\\f[BIRP]//g' "$page")
section() {  # section NAME: the page's lines from .SH "NAME" to the next .SH
	printf '%s\n' "$text" | awk -v s=".SH \"$1\"" '$0 == s { on = 1; next } /^\.SH/ { on = 0 } on'
}

commands=$("$tvp" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
for cmd in $commands; do
	printf '%s\n' "$text" | grep -q "^\.B $cmd" || { echo "check-man.sh: command '$cmd' is not in $page"; bad=1; }
	case $cmd in help|version) continue ;; esac
	upper=$(echo "$cmd" | tr a-z A-Z)
	sec=$(section "TVP $upper")
	if [ -z "$sec" ]; then
		echo "check-man.sh: no section \"TVP $upper\" in $page"; bad=1; continue
	fi
	help=$("$tvp" "$cmd" --help)
	opts=$( { printf '%s\n' "$help" | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' || true
		  printf '%s\n' "$help" | grep -oE -- '^ +-[a-zA-Z],' | tr -d ' ,' || true; } | sort -u)
	for o in $opts; do
		case $o in --help|-h) continue ;; esac
		printf '%s\n' "$sec" | grep -qE -- "(^|[^a-z-])$o([^a-z-]|\$)" ||
			{ echo "check-man.sh: tvp $cmd: option '$o' is in --help but not in the page"; bad=1; }
	done
done

if command -v groff >/dev/null 2>&1; then
	warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1 || true)
	[ -z "$warn" ] || { echo "check-man.sh: groff warns: $warn"; bad=1; }
fi
[ "$bad" -eq 0 ] && echo "check-man.sh: $page lists every command and option of --help"
exit "$bad"
