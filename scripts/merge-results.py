#!/usr/bin/env python3
"""merge-results.py OUT.json IN1.json IN2.json ...: one tvp.results/1 document
from the runs of `make bench` (each group of workloads runs with its own
worker counts and sizes, so each is its own `tvp run`). The cells are
concatenated; a cell already present (same workload, mode, workers, size,
pin, channel, lang: the serial baseline of a workload run twice) is kept from
the first file. config lists are merged; each run's own config, creation time
and duration are kept in "merged_from". The output is written atomically."""
import json, os, sys, tempfile

def key(c):
    return (c["workload"], c["mode"], c["workers"], c["size"], c.get("pin"), c.get("channel"),
            c.get("lang", "c"))

def union(a, b):
    out = list(a)
    for x in b:
        if x not in out:
            out.append(x)
    return out

def main(argv):
    if len(argv) < 3:
        print("usage: merge-results.py OUT.json IN.json...", file=sys.stderr)
        return 2
    out_path, docs = argv[1], []
    for p in argv[2:]:
        with open(p) as f:
            d = json.load(f)
        if d.get("schema") != "tvp.results/1":
            print("merge-results.py: %s: schema %r, expected tvp.results/1" % (p, d.get("schema")),
                  file=sys.stderr)
            return 1
        docs.append((p, d))
    base = json.loads(json.dumps(docs[0][1]))
    seen = {key(c) for c in base["results"]}
    cfg = base["config"]
    base["merged_from"] = []
    for p, d in docs:
        base["merged_from"].append({"file": os.path.basename(p), "created": d["created"],
                                    "duration_s": d.get("duration_s"), "config": d["config"]})
        if d is docs[0][1]:
            continue
        for c in d["results"]:
            if key(c) not in seen:
                seen.add(key(c))
                base["results"].append(c)
        dc = d["config"]
        names = {w["name"] for w in cfg["workloads"]}
        cfg["workloads"] += [w for w in dc["workloads"] if w["name"] not in names]
        cfg["sizes"] += dc["sizes"]
        for k in ("modes", "pin", "channel"):
            cfg[k] = union(cfg[k], dc[k])
        cfg["workers"] = sorted(set(cfg["workers"]) | set(dc["workers"]))
        cfg["quick"] = cfg["quick"] or dc["quick"]
        base["warnings"] = union(base["warnings"], d["warnings"])
        base["interrupted"] = base["interrupted"] or d["interrupted"]
        base["duration_s"] = base.get("duration_s", 0) + d.get("duration_s", 0)
        base["reference"]["best_ns_per_iter"] = min(base["reference"]["best_ns_per_iter"],
                                                    d["reference"]["best_ns_per_iter"])
    cfg.pop("command_line", None)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(out_path)), suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        json.dump(base, f, indent=2)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, out_path)
    return 0

sys.exit(main(sys.argv))
