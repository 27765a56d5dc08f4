#!/usr/bin/env bash
# What OTLP export costs the engine: the same workload (STREAMS streams × RATE msg/s for HOLD) run
# without export and with export every interval to a local OTLP/HTTP sink (a few lines of Python that
# accept every POST). Prints CPU, peak RSS, latency and send-lag percentiles side by side.
# Numbers, not pass/fail.
#
#   bench/otlp-overhead.sh                          # 2,000 streams × 10 msg/s, 60 s
#   STREAMS=5000 RATE=1 HOLD=120s bench/otlp-overhead.sh
set -euo pipefail
cd "$(dirname "$0")/.."
streams=${STREAMS:-2000}
rate=${RATE:-10}
hold=${HOLD:-60s}
out=bench/out/otlp-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
. bench/lib.sh
start_backend "$out"

sink_port=$(( port + 2 ))
python3 - "$sink_port" >"$out/sink.log" 2>&1 <<'PY' &
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    count = 0
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Sink.count += 1
        self.send_response(200); self.send_header("Content-Type", "application/x-protobuf"); self.send_header("Content-Length", "0"); self.end_headers()
        print(f"export {Sink.count}", flush=True)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Sink).serve_forever()
PY
sink=$!
trap 'kill $backend $sink 2>/dev/null || true' EXIT

interval_ms=$(( 1000 / rate ))
load_yaml otlp-overhead "$streams" 5s "$hold" "${interval_ms}ms" >"$out/load.yaml"

"${loadgen[@]}" run --scenario "$out/load.yaml" --out "$out/off" --quiet >"$out/off.log" 2>&1 || true
"${loadgen[@]}" run --scenario "$out/load.yaml" --out "$out/on" --quiet \
  --otlp-endpoint "http://127.0.0.1:$sink_port/v1/metrics" --otlp-protocol http/protobuf >"$out/on.log" 2>&1 || true

python3 - "$out" <<'PY'
import glob, json, sys
out = sys.argv[1]
print(f"{'export':<8} {'msgs':>12} {'cpu_s':>8} {'cpu_%':>6} {'rss_mb':>7} {'p50_ms':>8} {'p99_ms':>8} {'p99.9_ms':>9} {'lag_p99':>8}")
for mode in ("off", "on"):
    s = json.load(open(glob.glob(f"{out}/{mode}/*/summary.json")[0])); t = s["topologies"][0]; p = s["loadGen"]
    print(f"{mode:<8} {t['messages']['received']:>12,} {p['cpuSeconds']:>8} {p['avgCpuPercentOfOneCore']:>6} {p['peakRssMb']:>7} "
          f"{t['latencyMs']['p50']:>8} {t['latencyMs']['p99']:>8} {t['latencyMs']['p999']:>9} {t['sendLagMs']['p99']:>8}")
PY
echo "exports received by the sink: $(grep -c export "$out/sink.log" || true); logs and run folders: $out"
