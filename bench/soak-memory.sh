#!/usr/bin/env bash
# Memory soak: does LoadGen's own memory stay flat over a long run?
# LoadGen holds STREAMS bidi streams (1 message per INTERVAL each, 1s unless set) against the lab backend running as
# its OWN process, for HOLD; its RSS is sampled every 10 s from /proc. Prints RSS at minute 2 and at
# the end of the hold, and the growth between them (the goal: at most 5%). Numbers, not pass/fail.
#
#   bench/soak-memory.sh                        # 5,000 streams, 20 min hold
#   STREAMS=2000 HOLD=5m bench/soak-memory.sh   # a shorter look
#   STREAMS=50000 HOLD=10m INTERVAL=30s bench/soak-memory.sh   # many idle streams (the ramp takes streams/1000 s)
set -euo pipefail
cd "$(dirname "$0")/.."
streams=${STREAMS:-5000}
hold=${HOLD:-20m}
interval=${INTERVAL:-1s}
ramp_s=$(( streams / 1000 > 10 ? streams / 1000 : 10 ))
out=bench/out/soak-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"

. bench/lib.sh
start_backend "$out"

cat >"$out/soak.yaml" <<YAML
name: soak-memory
targets:
  - name: backend-h2c
    address: http://127.0.0.1:$port
profile:
  maxOpensPerSecond: 1000
  phases:
    - ramp: $streams
      over: ${ramp_s}s
    - hold: $hold
    - ramp: 0
      over: 5s
messages:
  interval: $interval
  payloadBytes: 64
reportingInterval: 5s
YAML

"${loadgen[@]}" run --scenario "$out/soak.yaml" --out "$out" >"$out/run.log" 2>&1 &
run=$!
echo "elapsed_s,rss_mb" >"$out/rss.csv"
start=$(date +%s)
while kill -0 $run 2>/dev/null; do
  rss=$(awk '/VmRSS/ {print $2}' /proc/$run/status 2>/dev/null || true)
  [ -n "$rss" ] && echo "$(( $(date +%s) - start )),$(( rss / 1024 ))" >>"$out/rss.csv"
  sleep 10
done
wait $run || true

python3 - "$out" "$hold" "$ramp_s" <<'PY'
import csv, glob, json, re, sys
out, hold, ramp_s = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = re.fullmatch(r"(\d+)(s|m|h)", hold)
hold_s = int(m[1]) * {"s": 1, "m": 60, "h": 3600}[m[2]]
rows = [(int(r["elapsed_s"]), int(r["rss_mb"])) for r in csv.DictReader(open(f"{out}/rss.csv"))]
def at(t):
    return min(rows, key=lambda r: abs(r[0] - t))
first = min(120, ramp_s + hold_s)   # minute 2, or the end of a hold shorter than that
minute2 = at(first)
end = at(ramp_s + hold_s)      # the end of the hold (ramp + hold), before the ramp-down
growth = 100.0 * (end[1] - minute2[1]) / minute2[1]
s = json.load(open(glob.glob(f"{out}/*-soak-memory/summary.json")[0]))
t = s["topologies"][0]; p = s["loadGen"]
print(f"streams {t['streams']['peakActive']}, hold {hold}, messages {t['messages']['received']:,} answered")
print(f"RSS at {minute2[0]} s: {minute2[1]} MB; at {end[0]} s (end of hold): {end[1]} MB; growth {growth:+.1f}% (goal <= 5%)")
print(f"RSS min/max over the hold: {min(r[1] for r in rows if first <= r[0] <= ramp_s + hold_s)} / {max(r[1] for r in rows if first <= r[0] <= ramp_s + hold_s)} MB")
iv = [json.loads(l) for l in open(glob.glob(f"{out}/*-soak-memory/intervals.ndjson")[0])]
t0 = min(r["start"] for r in iv)
from datetime import datetime
def secs(r): return (datetime.fromisoformat(r["end"]) - datetime.fromisoformat(t0)).total_seconds()
hold_iv = [r for r in iv if r["phase"].startswith("hold") and r.get("loadGenHeapMb") is not None]
h2 = min(hold_iv, key=lambda r: abs(secs(r) - first)); he = hold_iv[-1]
print(f"managed memory alive at the last full GC, at {secs(h2):.0f} s: {h2['loadGenHeapMb']} MB; at {secs(he):.0f} s: {he['loadGenHeapMb']} MB; "
      f"growth {100.0 * (he['loadGenHeapMb'] - h2['loadGenHeapMb']) / h2['loadGenHeapMb']:+.1f}%; max over the hold {max(r['loadGenHeapMb'] for r in hold_iv)} MB")
print(f"peak RSS {p['peakRssMb']} MB, CPU {p['cpuSeconds']} s ({p['avgCpuPercentOfOneCore']}% of one core)")
print(f"latency p50 {t['latencyMs']['p50']} ms, p99 {t['latencyMs']['p99']} ms; ends: {t['outcomes']}")
PY
echo "samples: $out/rss.csv; run folder and log: $out"
