#!/usr/bin/env bash
# Drift calibration on the real lab (docs/history.md): does the drift test call a flat run flat, and find a known ramp?
#   flat:  N runs of one lab topology with a steady backend; every figure's trend should be "stable" or "cannot
#          tell" — "rising"/"falling" on a path figure is a false trend (the goal: at most 5%);
#   ramp:  R runs whose backend delay grows RISE per minute (messages.directives.delayRisePerMinute): p50 should be
#          "rising" with RISE × 60 per hour inside its interval.
# Prints one line per run and the counts, and writes them to bench/results/drift-<stamp>.json. Numbers, not pass/fail.
#
#   bench/drift.sh                              # 20 flat (90 s holds) + 3 ramped (3 min holds, 2 ms/min), 500 streams
#   FLAT=4 RAMP=1 HOLD=60s bench/drift.sh
#   TOPOLOGY=gateway STREAMS=2000 bench/drift.sh
set -euo pipefail
cd "$(dirname "$0")/.."
flat=${FLAT:-20}
ramp=${RAMP:-3}
streams=${STREAMS:-500}
hold=${HOLD:-90s}
ramp_hold=${RAMP_HOLD:-3m}
rise=${RISE:-2ms}
topology=${TOPOLOGY:-direct-tls}
stamp=$(date -u +%Y%m%d-%H%M%S)
out=bench/out/drift-$stamp
mkdir -p "$out" bench/results
dotnet build loadgen/LoadGen.Cli -c Release -nologo -v q >/dev/null
loadgen=(dotnet loadgen/LoadGen.Cli/bin/Release/net10.0/loadgen.dll)

scenario() { # NAME HOLD DIRECTIVES-YAML
  cat <<YAML
name: $1
targets:
  - name: t
    address: lab://$topology
profile:
  phases:
    - ramp: $streams
      over: 2s
    - hold: $2
    - ramp: 0
      over: 1s
messages:
  interval: 1s
$3
reportingInterval: 5s
warmup: 4s
YAML
}
scenario drift-flat "$hold" "" >"$out/flat.yaml"
scenario drift-ramp "$ramp_hold" "  directives:
    delay: 1ms
    delayRisePerMinute: $rise" >"$out/ramp.yaml"

load() { awk '{print $1}' /proc/loadavg; }
run() { # KIND I
  local dir="$out/$1"
  local before; before=$(load)
  "${loadgen[@]}" run --scenario "$out/$1.yaml" --out "$dir" --quiet >"$out/$1-$2.log" 2>&1 || true
  local folder; folder=$(ls -d "$dir"/*-drift-"$1"* | tail -1)
  python3 - "$folder/summary.json" "$1" "$2" "$before" "$rise" >>"$out/lines.jsonl" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = s["topologies"][0]
rise_ms = float(sys.argv[5].rstrip("ms"))
row = {"kind": sys.argv[2], "i": int(sys.argv[3]), "load1": float(sys.argv[4]), "run": s["runId"],
       "sendLagP99": t["sendLagMs"]["p99"], "drift": {d["figure"]: {k: d[k] for k in ("trend", "slopePerHour", "low", "high", "points")} for d in t.get("drift", [])}}
if sys.argv[2] == "ramp":
    p50 = row["drift"].get("p50", {})
    row["expectedPerHour"] = rise_ms * 60
    row["found"] = p50.get("trend") == "rising" and p50.get("low") is not None and p50["low"] <= rise_ms * 60 <= p50["high"]
print(json.dumps(row))
PY
  tail -1 "$out/lines.jsonl" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
d = r["drift"]
f = lambda k: "%s %s/h [%s, %s]" % (d[k]["trend"], d[k]["slopePerHour"], d[k]["low"], d[k]["high"]) if k in d else "-"
print("%s %d (load %.2f): p50 %s; p99 %s; send-lag-p99 %s%s" % (r["kind"], r["i"], r["load1"], f("p50"), f("p99"), f("send-lag-p99"),
      "; expected %.0f ms/h: %s" % (r["expectedPerHour"], "found" if r["found"] else "NOT found") if r["kind"] == "ramp" else ""))'
}
for i in $(seq "$flat"); do run flat "$i"; done
for i in $(seq "$ramp"); do run ramp "$i"; done

python3 - "$out/lines.jsonl" "bench/results/drift-$stamp.json" "$streams" "$hold" "$ramp_hold" "$rise" "$topology" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
flat = [r for r in rows if r["kind"] == "flat"]
ramp = [r for r in rows if r["kind"] == "ramp"]
figures = sorted({f for r in rows for f in r["drift"]})
summary = {"settings": {"streams": int(sys.argv[3]), "hold": sys.argv[4], "rampHold": sys.argv[5], "rise": sys.argv[6], "topology": sys.argv[7]},
           "flatRuns": len(flat),
           "falseTrend": {f: sum(1 for r in flat if r["drift"].get(f, {}).get("trend") in ("rising", "falling")) for f in figures},
           "stable": {f: sum(1 for r in flat if r["drift"].get(f, {}).get("trend") == "stable") for f in figures},
           # What a test on "the interval excludes zero" alone would have called a trend (the margin rule is what refuses it).
           "intervalExcludesZero": {f: sum(1 for r in flat if r["drift"].get(f, {}).get("low") is not None
                                           and (r["drift"][f]["low"] > 0 or r["drift"][f]["high"] < 0)) for f in figures},
           "rampRuns": len(ramp), "rampFound": sum(1 for r in ramp if r["found"]), "rows": rows}
json.dump(summary, open(sys.argv[2], "w"), indent=2)
print("flat runs: %d; false rising/falling by figure: %s; stable: %s; interval excluding zero: %s" % (len(flat), summary["falseTrend"], summary["stable"], summary["intervalExcludesZero"]))
print("ramped runs: %d; p50 rising with the injected slope inside its interval: %d" % (len(ramp), summary["rampFound"]))
print("written: " + sys.argv[2])
PY
