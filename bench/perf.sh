#!/usr/bin/env bash
# LoadGen against the raw Grpc.Net.Client loops (bench/raw), side by side, alternating, REPS times each, on the lab
# backend run as its own process: what LoadGen's own work costs on top of the library it drives.
#   pingpong    STREAMS streams, each sending its next message when the reply came (LoadGen: schedule: closed), for SECONDS
#   openloop    STREAMS streams × one message every INTERVAL (LoadGen: the same schedule), for SECONDS
#   skew        SKEW_STREAMS streams × 1 msg/s, the backend holding every reply 20 ms, for SKEW_SECONDS: what each side
#               adds to a known 20 ms (latency − 20 ms at p50 and p99, and how late sends left: send lag p99)
#   idle:N      N streams × 1 message every 30 s, held IDLE_SECONDS: resident memory per stream at the end of the hold
# Prints a table (medians, [min–max], LoadGen/raw and LoadGen−raw) and writes bench/results/perf-<date>.json.
# Numbers, not pass/fail. Rates and bytes allocated per message are whole-process (start-up included) for both sides;
# the raw loop's steady-window figures are in the JSON too.
#
#   bench/perf.sh                       # 3 reps of pingpong and openloop: 100 streams, 10 s, open loop at 5 ms (20k msg/s)
#   REPS=5 SECONDS_=20 INTERVAL=1ms bench/perf.sh
#   KINDS="skew idle:10000 idle:30000 idle:50000" REPS=1 bench/perf.sh
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${REPS:-3}
streams=${STREAMS:-100}
secs=${SECONDS_:-10}
interval=${INTERVAL:-5ms}
kinds=${KINDS:-pingpong openloop}
skew_streams=${SKEW_STREAMS:-10000}
skew_secs=${SKEW_SECONDS:-30}
idle_secs=${IDLE_SECONDS:-45}
out=bench/out/perf-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out" bench/results

. bench/lib.sh
start_backend "$out"
dotnet build bench/raw -c Release -nologo -v q >/dev/null
raw=(dotnet bench/raw/bin/Release/net10.0/RawLoops.dll)
interval_ms=$(python3 -c "import sys; v='$interval'; print(float(v[:-2]) if v.endswith('ms') else float(v[:-1])*1000)")

loadgen_yaml() { # NAME STREAMS RAMP HOLD MESSAGES-LINES: lib.sh's scenario, 64-byte payloads, no ramp down
  RAMP_DOWN=0s load_yaml "$1" "$2" "$3" "$4" "$5
  payloadBytes: 64" "closeTimeout: 10s"
}
scenario() { # KIND → the scenario file for it
  local f="$out/$1.yaml"
  if [ ! -f "$f" ]; then
    case $1 in
      pingpong) loadgen_yaml perf-pingpong "$streams" 1s "${secs}s" "  schedule: closed" ;;
      openloop) loadgen_yaml perf-openloop "$streams" 1s "${secs}s" "  interval: $interval" ;;
      skew) loadgen_yaml perf-skew "$skew_streams" "$(( skew_streams / 2000 + 1 ))s" "${skew_secs}s" "  interval: 1s
  directives:
    delay: 20ms" ;;
      idle:*) n=${1#idle:}; loadgen_yaml "perf-idle-$n" "$n" "$(( n / 2000 + 1 ))s" "${idle_secs}s" "  interval: 30s" ;;
    esac >"$f"
  fi
  echo "$f"
}

run_loadgen() { # KIND REP
  local dir="$out/lg-${1/:/-}-$2"
  "${loadgen[@]}" run --scenario "$(scenario "$1")" --out "$dir" --quiet >"$dir.log" 2>&1 || true
  python3 - "$dir"/*/summary.json "$1" <<'PY'
import json, sys, os
s = json.load(open(sys.argv[1])); t = s["topologies"][0]; p = s["loadGen"]
got = t["messages"]["received"]
# Resident memory at the end of the hold (the last hold interval's loadGenRssMb): the raw loop's rssMb is taken then too.
held = [r for r in map(json.loads, open(os.path.join(os.path.dirname(sys.argv[1]), "intervals.ndjson"))) if str(r.get("phase", "")).startswith("hold")]
steady = held[-1].get("loadGenRssMb") if held else None
print(json.dumps({"side": "loadgen", "kind": sys.argv[2], "msgsPerCpuS": round(got / max(0.001, p["cpuSeconds"])),
  "msgsPerS": round(got / max(0.001, t["durationS"])), "p50Ms": t["latencyMs"]["p50"], "p99Ms": t["latencyMs"]["p99"],
  "sendLagP99Ms": (t.get("sendLagMs") or {}).get("p99"), "peakRssMb": p["peakRssMb"], "cpuS": p["cpuSeconds"],
  "bytesPerMsg": round(p["allocatedMb"] * 1048576 / got) if p.get("allocatedMb") is not None and got else None,
  "streams": t["streams"]["peakActive"], "steadyRssMb": steady, "gcPauseShare": p.get("gcPauseShare")}))
PY
}
run_raw() { # KIND REP
  local args
  case $1 in
    pingpong) args=(pingpong "http://127.0.0.1:$port" "$streams" "$secs") ;;
    openloop) args=(openloop "http://127.0.0.1:$port" "$streams" "$interval_ms" "$secs") ;;
    skew) args=(openloop "http://127.0.0.1:$port" "$skew_streams" 1000 "$skew_secs" 20) ;;
    idle:*) args=(idle "http://127.0.0.1:$port" "${1#idle:}" "$idle_secs") ;;
  esac
  "${raw[@]}" "${args[@]}" 2>"$out/raw-${1/:/-}-$2.err" | python3 -c "
import json, sys
r = json.loads(sys.stdin.read()); kind = sys.argv[1]
print(json.dumps({'side': 'raw', 'kind': kind, 'msgsPerCpuS': round(r['totalReceived'] / max(0.001, r['totalCpuS'])), 'msgsPerS': r['msgsPerS'],
  'p50Ms': r['p50Ms'], 'p99Ms': r['p99Ms'], 'sendLagP99Ms': r.get('sendLagP99Ms'), 'peakRssMb': r['peakRssMb'], 'cpuS': r['totalCpuS'],
  'bytesPerMsg': round(r['totalAllocMb'] * 1048576 / r['totalReceived']) if r['totalReceived'] else None, 'streams': r['opened'], 'steadyRssMb': r['rssMb'], 'gcPauseShare': r.get('gcPauseShare'), 'steady': r}))" "$1"
}

: >"$out/results.ndjson"
for rep in $(seq "$reps"); do
  for kind in $kinds; do
    run_raw "$kind" "$rep" >>"$out/results.ndjson"
    run_loadgen "$kind" "$rep" >>"$out/results.ndjson"
  done
  echo "rep $rep/$reps done" >&2
done

python3 - "$out/results.ndjson" "bench/results/perf-$(date -u +%Y%m%d-%H%M%S).json" "$streams" "$secs" "$interval" <<'PY'
import json, sys, statistics, os, subprocess
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
for r in rows:
    if r.get("gcPauseShare") is not None:
        r["gcPausePct"] = round(r["gcPauseShare"] * 100, 2)  # share of wall time the GC paused the process, %
    if r["kind"].startswith("idle:") and r.get("streams"):
        r["rssKbPerStream"] = round(r["steadyRssMb"] * 1024 / r["streams"], 2) if r.get("steadyRssMb") else None
    if r["kind"] == "skew":
        r["p50Minus20Ms"] = round(r["p50Ms"] - 20, 3); r["p99Minus20Ms"] = round(r["p99Ms"] - 20, 3)
def agg(side, kind, key):
    v = [r[key] for r in rows if r["side"] == side and r["kind"] == kind and r.get(key) is not None]
    return (statistics.median(v), min(v), max(v)) if v else None
out = {"cores": os.cpu_count(), "dotnet": subprocess.run(["dotnet", "--version"], capture_output=True, text=True).stdout.strip(),
       "streams": int(sys.argv[3]), "seconds": int(sys.argv[4]), "openLoopInterval": sys.argv[5], "rows": rows, "medians": {}}
keys = {"pingpong": ("msgsPerS", "msgsPerCpuS", "p50Ms", "p99Ms", "peakRssMb", "bytesPerMsg"),
        "openloop": ("msgsPerS", "msgsPerCpuS", "p50Ms", "p99Ms", "sendLagP99Ms", "peakRssMb", "bytesPerMsg", "gcPausePct"),
        "skew": ("p50Minus20Ms", "p99Minus20Ms", "sendLagP99Ms", "msgsPerCpuS", "peakRssMb", "bytesPerMsg", "gcPausePct")}
print(f"{'figure':<34} {'raw':>24} {'loadgen':>24} {'loadgen/raw':>12} {'loadgen−raw':>12}")
for kind in dict.fromkeys(r["kind"] for r in rows):
    for key in keys.get(kind, ("streams", "steadyRssMb", "peakRssMb", "rssKbPerStream", "msgsPerCpuS", "gcPausePct")):
        a, b = agg("raw", kind, key), agg("loadgen", kind, key)
        if not a or not b:
            continue
        out["medians"][f"{kind}.{key}"] = {"raw": a, "loadgen": b, "ratio": round(b[0] / a[0], 2) if a[0] else None, "diff": round(b[0] - a[0], 3)}
        f = lambda t: f"{t[0]:,.2f} [{t[1]:,.1f}–{t[2]:,.1f}]"
        print(f"{kind + ' ' + key:<34} {f(a):>24} {f(b):>24} {b[0] / a[0] if a[0] else float('nan'):>12.2f} {b[0] - a[0]:>12.2f}")
# Marginal memory per added idle stream (resident at the end of the hold), between the smallest and the largest idle
# population measured. Peak RSS is in the table too: the raw loop opens every stream at once, LoadGen ramps.
idle = sorted({int(r["kind"][5:]) for r in rows if r["kind"].startswith("idle:")})
if len(idle) >= 2:
    lo, hi = idle[0], idle[-1]
    for side in ("raw", "loadgen"):
        a, b = agg(side, f"idle:{lo}", "steadyRssMb"), agg(side, f"idle:{hi}", "steadyRssMb")
        if a and b:
            kb = (b[0] - a[0]) * 1024 / (hi - lo)
            out["medians"][f"idle.marginalKbPerStream.{side}"] = round(kb, 2)
            print(f"{'idle marginal KB/stream ' + side:<34} {kb:>24.2f}   ({lo:,} → {hi:,} streams)")
json.dump(out, open(sys.argv[2], "w"), indent=1)
print(f"written: {sys.argv[2]}")
PY
echo "runs: $out"
