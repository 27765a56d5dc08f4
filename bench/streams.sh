#!/usr/bin/env bash
# Engine capacity bench: LoadGen holds N bidi streams (1 message per 5 s each) against the lab backend
# running as its OWN process, for a 60 s hold, at N = 1,000 / 5,000 / 10,000 / 20,000.
# Prints streams held, LoadGen's peak RSS and CPU, latency percentiles. Numbers, not pass/fail.
#
#   bench/streams.sh                 # all sizes
#   bench/streams.sh 1000 5000       # chosen sizes
#   HOLD=30s bench/streams.sh 20000  # shorter hold
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 5000 10000 20000)
hold=${HOLD:-60s}
out=bench/out/$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"

. bench/lib.sh
start_backend "$out"

printf '%-8s %-8s %-10s %-9s %-9s %-10s %-10s %-10s %-10s %s\n' streams held rss_mb cpu_s cpu_pct p50_ms p99_ms p99_unc p99_lag ends
for n in "${sizes[@]}"; do
  ramp=$(( n / 1000 )); [ $ramp -ge 5 ] || ramp=5
  RAMP_DOWN=5s load_yaml "bench-$n" "$n" "${ramp}s" "$hold" 5s >"$out/s$n.yaml"
  "${loadgen[@]}" run --scenario "$out/s$n.yaml" --out "$out" --quiet >"$out/s$n.log" 2>&1 || true
  summary=$(ls -d "$out"/*-bench-$n | tail -1)/summary.json
  python3 - "$summary" "$n" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); t = s["topologies"][0]; p = s["loadGen"]
f = lambda v: "-" if v is None else f"{v:.2f}"
ends = ",".join(f"{k}={v}" for k, v in t["outcomes"].items())
print(f'{sys.argv[2]:<8} {t["streams"]["peakActive"]:<8} {p["peakRssMb"]:<10} {p["cpuSeconds"]:<9} {p["avgCpuPercentOfOneCore"]:<9} '
      f'{f(t["latencyMs"]["p50"]):<10} {f(t["latencyMs"]["p99"]):<10} {f(t["latencyUncorrectedMs"]["p99"]):<10} {f(t["sendLagMs"]["p99"]):<10} {ends}')
PY
done
echo "run folders and logs: $out"
