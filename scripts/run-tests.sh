#!/bin/sh
# run-tests.sh: runs each test binary given, shows Check's output, and ends
# with one line adding them up ("tests: N passed, N failed"). Exits 1 when any
# test failed or any binary did not finish normally.
set -u
passed=0 failed=0 broken=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -v '^Running suite' | sed "s|^|$(basename "$t"): |"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
	if [ -z "$line" ]; then
		echo "$(basename "$t"): did not report (exit $rc)"
		broken=$((broken + 1))
		continue
	fi
	n=$(printf '%s' "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
	f=$(printf '%s' "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
	e=$(printf '%s' "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
	bad=$((f + e))
	passed=$((passed + n - bad))
	failed=$((failed + bad))
	[ "$rc" -ne 0 ] && [ "$bad" -eq 0 ] && broken=$((broken + 1))
done
failed=$((failed + broken))
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
