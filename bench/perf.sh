#!/usr/bin/env bash
# LoadGen against the raw Grpc.Net.Client loops (bench/raw), side by side, alternating, REPS times each, on the lab
# backend run as its own process: what LoadGen's own work costs on top of the library it drives.
#   ping-pong   STREAMS streams, each sending its next message when the reply came (LoadGen: schedule: closed), for SECONDS
#   open loop   STREAMS streams × one message every INTERVAL (LoadGen: the same schedule), for SECONDS
# Prints a table (medians, [min–max]) and writes bench/results/perf-<date>.json. Numbers, not pass/fail.
# Rates are whole-process (messages answered / process CPU seconds) for both sides, start-up included; the raw
# loop's steady-window figures are in the JSON too.
#
#   bench/perf.sh                       # 3 reps, 100 streams, 10 s, open loop at 5 ms (20k msg/s)
#   REPS=5 SECONDS_=20 INTERVAL=1ms bench/perf.sh
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-3}
streams=${STREAMS:-100}
secs=${SECONDS_:-10}
interval=${INTERVAL:-5ms}
out=bench/out/perf-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out" bench/results

. bench/lib.sh
start_backend "$out"
dotnet build bench/raw -c Release -nologo -v q >/dev/null
raw=(dotnet bench/raw/bin/Release/net10.0/RawLoops.dll)
interval_ms=$(python3 -c "import sys; v='$interval'; print(float(v[:-2]) if v.endswith('ms') else float(v[:-1])*1000)")

loadgen_yaml() { # NAME SCHEDULE-LINES
  cat <<YAML
name: $1
targets:
  - name: backend-h2c
    address: http://127.0.0.1:$port
profile:
  maxOpensPerSecond: 2000
  phases:
    - ramp: $streams
      over: 1s
    - hold: ${secs}s
    - ramp: 0
      over: 0s
messages:
$2
  payloadBytes: 64
reportingInterval: 5s
closeTimeout: 5s
YAML
}
loadgen_yaml perf-pingpong "  schedule: closed" >"$out/pingpong.yaml"
loadgen_yaml perf-openloop "  interval: $interval" >"$out/openloop.yaml"

run_loadgen() { # KIND
  local dir="$out/lg-$1-$2"
  "${loadgen[@]}" run --scenario "$out/$1.yaml" --out "$dir" --quiet >"$dir.log" 2>&1 || true
  python3 - "$dir"/*/summary.json "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); t = s["topologies"][0]; p = s["loadGen"]
got = t["messages"]["received"]
print(json.dumps({"side": "loadgen", "kind": sys.argv[2], "msgsPerCpuS": round(got / max(0.001, p["cpuSeconds"])),
  "msgsPerS": round(got / max(0.001, t["durationS"])), "p50Ms": t["latencyMs"]["p50"], "p99Ms": t["latencyMs"]["p99"],
  "sendLagP99Ms": (t.get("sendLagMs") or {}).get("p99"), "peakRssMb": p["peakRssMb"], "cpuS": p["cpuSeconds"]}))
PY
}
run_raw() { # KIND
  local args=(pingpong "http://127.0.0.1:$port" "$streams" "$secs")
  [ "$1" = openloop ] && args=(openloop "http://127.0.0.1:$port" "$streams" "$interval_ms" "$secs")
  "${raw[@]}" "${args[@]}" 2>"$out/raw-$1-$2.err" | python3 -c "
import json, sys
r = json.loads(sys.stdin.read()); kind = sys.argv[1]
print(json.dumps({'side': 'raw', 'kind': kind, 'msgsPerCpuS': round(r['totalReceived'] / max(0.001, r['totalCpuS'])), 'msgsPerS': r['msgsPerS'],
  'p50Ms': r['p50Ms'], 'p99Ms': r['p99Ms'], 'peakRssMb': r['rssMb'], 'cpuS': r['totalCpuS'], 'steady': r}))" "$1"
}

: >"$out/results.ndjson"
for rep in $(seq "$reps"); do
  for kind in pingpong openloop; do
    run_raw "$kind" "$rep" >>"$out/results.ndjson"
    run_loadgen "$kind" "$rep" >>"$out/results.ndjson"
  done
  echo "rep $rep/$reps done" >&2
done

python3 - "$out/results.ndjson" "bench/results/perf-$(date -u +%Y%m%d-%H%M%S).json" "$streams" "$secs" "$interval" <<'PY'
import json, sys, statistics, os, platform, subprocess
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
def agg(side, kind, key):
    v = [r[key] for r in rows if r["side"] == side and r["kind"] == kind and r.get(key) is not None]
    return (statistics.median(v), min(v), max(v)) if v else None
out = {"cores": os.cpu_count(), "dotnet": subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip(),
       "streams": int(sys.argv[3]), "seconds": int(sys.argv[4]), "openLoopInterval": sys.argv[5], "rows": rows, "medians": {}}
print(f"{'figure':<34} {'raw':>22} {'loadgen':>22} {'loadgen/raw':>12}")
for kind in ("pingpong", "openloop"):
    for key in ("msgsPerS", "msgsPerCpuS", "p50Ms", "p99Ms", "peakRssMb"):
        a, b = agg("raw", kind, key), agg("loadgen", kind, key)
        if not a or not b:
            continue
        out["medians"][f"{kind}.{key}"] = {"raw": a, "loadgen": b, "ratio": round(b[0] / a[0], 2) if a[0] else None}
        f = lambda t: f"{t[0]:,.1f} [{t[1]:,.1f}–{t[2]:,.1f}]"
        print(f"{kind + ' ' + key:<34} {f(a):>22} {f(b):>22} {b[0] / a[0] if a[0] else float('nan'):>12.2f}")
json.dump(out, open(sys.argv[2], "w"), indent=1)
print(f"written: {sys.argv[2]}")
PY
echo "runs: $out"
