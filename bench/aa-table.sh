#!/usr/bin/env bash
# The calibration table from bench/aa.sh's figures.ndjson files: per setting (quiet / burner), known answer (none,
# +2ms, +5ms), direction and primary figure — how many comparisons said better, worse, equivalent, cannot tell; the
# false better/worse share for A/A; for known answers, how often the difference was found (worse forward, better
# reversed) and how often the interval held the measured hold difference (candidate's held p50 − baseline's), and
# the mean delta − that difference.
#   bench/aa-table.sh bench/out/aa-*/figures.ndjson > table.json   # the table on stderr, JSON on stdout
set -euo pipefail
python3 - "$@" <<'PY'
import json, sys, collections
rows = [json.loads(l) for f in sys.argv[1:] for l in open(f) if l.strip()]
groups = collections.defaultdict(list)
for r in rows:
    if r["kind"] == "interleaved":
        continue
    groups[(r.get("setting", "quiet"), r["delay"] or "A/A", r["kind"], r["figure"])].append(r)
table = []
for (setting, delay, kind, figure), rs in sorted(groups.items()):
    n = len(rs)
    v = collections.Counter(r["verdict"] for r in rs)
    reverse = kind.endswith("reverse")
    one = {"setting": setting, "known": delay, "direction": "cand→base" if reverse else "base→cand", "figure": figure, "n": n,
           "better": v["better"], "worse": v["worse"], "equivalent": v["equivalent"], "cannotTell": v["inconclusive"]}
    if delay == "A/A":
        one["falseAlarmShare"] = round((v["better"] + v["worse"]) / n, 3)
    elif figure in ("p50", "p99"):
        found = v["better" if reverse else "worse"]
        one["foundShare"] = round(found / n, 3)
        holds = []
        for r in rs:
            # The known answer: what the candidate's backend held beyond the baseline's (a side without a delay held 0).
            c, b = (r.get("candHeld") or {}).get("p50"), (r.get("baseHeld") or {}).get("p50")
            if (c is not None or b is not None) and r["low"] is not None and r["high"] is not None:
                hold = (c or 0) - (b or 0)
                holds.append((r["low"] <= hold <= r["high"], r["delta"] - hold, abs(hold)))
        if holds:
            one["intervalHoldsTheHeldShare"] = round(sum(1 for c, _, _ in holds if c) / len(holds), 3)
            one["meanDeltaMinusHeldMs"] = round(sum(d for _, d, _ in holds) / len(holds), 3)
            one["heldDifferenceMs"] = round(sum(h for _, _, h in holds) / len(holds), 3)
    table.append(one)
cols = ["setting", "known", "direction", "figure", "n", "better", "worse", "equivalent", "cannotTell", "falseAlarmShare", "foundShare", "intervalHoldsTheHeldShare", "meanDeltaMinusHeldMs", "heldDifferenceMs"]
print(" | ".join(cols), file=sys.stderr)
for t in table:
    print(" | ".join(str(t.get(c, "")) for c in cols), file=sys.stderr)
print(json.dumps(table, indent=1))
PY
