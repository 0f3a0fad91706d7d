#!/bin/sh
# run-tests.sh: runs each test binary given, shows Check's output, and ends
# with one line adding them up ("tests: N passed, N failed, N skipped").
# A binary counts its skipped tests itself (tvp_skip in tests/testutil.c:
# "Skipped: N of M" under Check's report, and exit 77 when all were); a
# binary that exits 77 without a report counts as one skipped test, as
# automake counts it. Exits 1 when any test failed or any binary did not
# finish normally.
set -u
passed=0 failed=0 skipped=0 broken=0
for t in "$@"; do
	name=$(basename "$t")
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^Running suite' | sed "s|^|$name: |"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	if [ -z "$line" ]; then
		if [ "$rc" -eq 77 ]; then
			echo "$name: skipped (exit 77)"
			skipped=$((skipped + 1))
		else
			echo "$name: did not report (exit $rc)"
			broken=$((broken + 1))
		fi
		continue
	fi
	n=$(printf '%s' "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(printf '%s' "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(printf '%s' "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	s=$(printf '%s\n' "$out" | sed -n -E 's/^Skipped: ([0-9]+) of [0-9]+$/\1/p' | tail -n 1)
	s=${s:-0}
	bad=$((f + e))
	passed=$((passed + n - bad - s))
	failed=$((failed + bad))
	skipped=$((skipped + s))
	case $rc in
	0 | 77) ;;
	*) [ "$bad" -eq 0 ] && broken=$((broken + 1)) ;;
	esac
done
failed=$((failed + broken))
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
