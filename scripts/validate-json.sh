#!/bin/sh
# validate-json.sh SCHEMA FILE: validates a JSON file against a JSON Schema
# with python3-jsonschema (installed by scripts/deps.sh). Exit 0 valid, 1
# invalid (the reason on stderr), 77 no validator available (a skip).
set -u
[ $# -eq 2 ] || { echo "usage: validate-json.sh SCHEMA FILE" >&2; exit 2; }
for py in python3 /usr/bin/python3; do
	command -v "$py" >/dev/null 2>&1 || continue
	"$py" -c 'import jsonschema' 2>/dev/null || continue
	exec "$py" - "$1" "$2" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(doc), key=lambda e: list(e.path))
for e in errors[:10]:
    print("%s: %s: %s" % (sys.argv[2], "/".join(map(str, e.path)) or "(root)", e.message), file=sys.stderr)
sys.exit(1 if errors else 0)
PY
done
echo "validate-json.sh: no python3 with jsonschema (apt-get install python3-jsonschema)" >&2
exit 77
