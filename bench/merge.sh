#!/usr/bin/env bash
# What `loadgen merge` costs as the shard count grows: one real shard folder (STREAMS streams, 1 msg/s, a HOLD hold,
# 1 s reporting interval: many intervals, as a long soak at 10 s has), copied to N shards of one run (run.json's
# shard index and count rewritten), then merged. Prints wall time, peak RSS and sizes for N = 2, 8, 32.
# Numbers, not pass/fail.
#
#   bench/merge.sh                 # 2, 8, 32 shards of a 2,000-stream, 60 s shard
#   bench/merge.sh 2 8 32 64       # chosen shard counts
#   STREAMS=5000 HOLD=120s bench/merge.sh
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(2 8 32)
streams=${STREAMS:-2000}
hold=${HOLD:-60s}
out=bench/out/merge-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"

. bench/lib.sh
start_backend "$out"
load_yaml bench-merge "$streams" 5s "$hold" 1s "reportingInterval: 1s" | sed '/^reportingInterval: 5s$/d' >"$out/shard.yaml"
"${loadgen[@]}" run --scenario "$out/shard.yaml" --out "$out/one" --quiet --shard 0/1 --run-id bench-merge >"$out/shard.log" 2>&1
shard=$(ls -d "$out"/one/bench-merge-shard-0-of-1)
intervals=$(wc -l <"$shard/intervals.ndjson")
ends=$(wc -l <"$shard/outcomes.ndjson")
echo "one shard: $streams streams, $intervals intervals, $ends stream ends, $(du -sh "$shard" | cut -f1) on disk ($(du -sh "$shard/latency.hlog" | cut -f1) latency.hlog, $(( $(wc -c <"$shard/outcomes.ndjson") / (ends > 0 ? ends : 1) )) bytes per outcome line)"

printf '%-7s %-10s %-10s %-12s %-12s %s\n' shards ends wall_s peak_rss_mb merged_size verdict
for n in "${counts[@]}"; do
  dir="$out/n$n"
  mkdir -p "$dir"
  for i in $(seq 0 $((n - 1))); do
    cp -r "$shard" "$dir/bench-merge-shard-$i-of-$n"
    python3 - "$dir/bench-merge-shard-$i-of-$n/run.json" "$i" "$n" <<'PY'
import json, sys
p, i, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = json.load(open(p)); r["shard"]["index"] = i; r["shard"]["count"] = n
json.dump(r, open(p, "w"))
PY
  done
  python3 - "$n" "$dir" "${loadgen[@]}" merge "$dir" --out "$dir/merged" <<'PY'
import resource, subprocess, sys, time, json, glob, os
n, d, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t = time.monotonic()
p = subprocess.run(cmd, capture_output=True, text=True)
wall = time.monotonic() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
merged = glob.glob(f"{d}/merged/*/summary.json")
if p.returncode != 0 or not merged:
    print(f"{n:<7} merge failed ({p.returncode}): {p.stderr.strip()[-300:]}"); sys.exit(0)
s = json.load(open(merged[0])); t0 = s["topologies"][0]
size = sum(os.path.getsize(f) for f in glob.glob(os.path.dirname(merged[0]) + "/*")) / 1048576
print(f"{n:<7} {t0['streams']['ended']:<10} {wall:<10.2f} {rss:<12.0f} {size:<12.1f} {s['verdict']}")
PY
done
echo "folders: $out"
