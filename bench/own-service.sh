#!/usr/bin/env bash
# What the data-driven workload (a .proto compiled at start, messages encoded from a template,
# replies matched by a field read from their bytes) costs against the built-in lab driver: the same
# load (STREAMS streams × RATE msg/s for HOLD) on the lab service, built-in, then data-driven with
# by-field matching, then ping-pong. Prints CPU, peak RSS, latency side by side. Numbers, not pass/fail.
#
#   bench/own-service.sh                          # 2,000 streams × 10 msg/s, 60 s
#   STREAMS=5000 RATE=1 HOLD=120s bench/own-service.sh
set -euo pipefail
cd "$(dirname "$0")/.."
streams=${STREAMS:-2000}
rate=${RATE:-10}
hold=${HOLD:-60s}
out=bench/out/own-service-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
. bench/lib.sh
start_backend "$out"
interval_ms=$(( 1000 / rate ))
proto=$(pwd)/protos/lab.proto

scenario() { load_yaml "$1" "$streams" 5s "$hold" "${interval_ms}ms" "$2" >"$out/$1.yaml"; }

scenario builtin ""
scenario by-field "service:
  proto: $proto
  method: loadgen.lab.v1.LabService/Chat
  message: 'seq: \${seq} payload: \"\${random:64}\"'
  match: by-field
  field: seq"
scenario ping-pong "service:
  proto: $proto
  method: loadgen.lab.v1.LabService/Chat
  message: 'seq: \${seq} payload: \"\${random:64}\"'"

for mode in builtin by-field ping-pong; do
  "${loadgen[@]}" run --scenario "$out/$mode.yaml" --out "$out/$mode" --quiet >"$out/$mode.log" 2>&1 || true
done

python3 - "$out" <<'PY'
import glob, json, sys
out = sys.argv[1]
print(f"{'workload':<10} {'msgs':>12} {'cpu_s':>8} {'cpu_%':>6} {'rss_mb':>7} {'p50_ms':>8} {'p99_ms':>8} {'p99.9_ms':>9} {'matched':>10}")
for mode in ("builtin", "by-field", "ping-pong"):
    s = json.load(open(glob.glob(f"{out}/{mode}/*/summary.json")[0])); t = s["topologies"][0]; p = s["loadGen"]
    print(f"{mode:<10} {t['messages']['received']:>12,} {p['cpuSeconds']:>8} {p['avgCpuPercentOfOneCore']:>6} {p['peakRssMb']:>7} "
          f"{t['latencyMs']['p50']:>8} {t['latencyMs']['p99']:>8} {t['latencyMs']['p999']:>9} {t['latencyMs']['count']:>10,}")
PY
echo "logs and run folders: $out"
