#!/usr/bin/env bash
# A/A calibration on the real lab: the same path compared with itself, N times, both ways LoadGen compares.
#   interleaved: one run, two targets that are the same lab topology under two names (a, b), 8 interleaved
#                rounds, paired;
#   compare-runs: two runs of the same scenario, one after the other, compared with `compare-runs`.
# Every headline should be "equivalent" or "cannot tell"; "better"/"worse" is a false alarm (the tests bound
# it at 5% on simulated data). Prints one line per comparison and the counts. Numbers, not pass/fail.
#
#   bench/aa.sh                  # 10 of each, 500 streams, 30 s hold
#   N=4 STREAMS=2000 HOLD=60s bench/aa.sh
#   MODE=interleaved bench/aa.sh # only one of the two (interleaved | compare-runs)
#   DELAY=5ms MODE=compare-runs bench/aa.sh   # known answer: the candidate's replies held 5 ms by the lab backend
#   DELAY=6ms BASE_DELAY=1ms MODE=compare-runs bench/aa.sh   # known answer of +5 ms with the same reply path on both sides
#   BURNER=1 bench/aa.sh         # beside a one-core burner (a busy runner), stopped with the bench
# A held reply leaves on the timer's wake-up, not inline: the round trip grows by about 1.3 ms more than the hold
# (measured: +3.36 ms for a 2.00 ms hold). BASE_DELAY holds the baseline's replies too, so the two sides differ by the
# holds alone and the known answer is the difference of the measured holds.
# compare-runs pairs are compared both ways (base→cand and cand→base): the second is kind "compare-runs-reverse".
# The candidate's measured hold (summary.json labBackend.held.p50Ms) is kept beside each known-answer figure.
# Every comparison's primary figures (delta, interval, verdict, reading) and both sides' send lag p50/p99 go to
# $out/figures.ndjson; bench/results keeps the runs worth keeping.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${N:-10}
streams=${STREAMS:-500}
hold=${HOLD:-30s}
topology=${TOPOLOGY:-direct-tls}
mode=${MODE:-both}
delay=${DELAY:-}
base_delay=${BASE_DELAY:-}
out=bench/out/aa-$(date -u +%Y%m%d-%H%M%S)
mkdir -p "$out"
dotnet build loadgen/LoadGen.Cli -c Release -nologo -v q >"$out/build.log" 2>&1 || { echo "build failed: $out/build.log" >&2; tail -20 "$out/build.log" >&2; exit 1; }
loadgen=(dotnet loadgen/LoadGen.Cli/bin/Release/net10.0/loadgen.dll)

scenario() { # NAME TARGETS-YAML ROUNDS
  cat <<YAML
name: $1
targets:
$2
profile:
  phases:
    - ramp: $streams
      over: 2s
    - hold: $hold
    - ramp: 0
      over: 1s
messages:
  interval: 1s
reportingInterval: 5s
rounds: $3
warmup: 4s
YAML
}
scenario aa-interleaved "  - name: a
    address: lab://$topology
  - name: b
    address: lab://$topology" 8 >"$out/interleaved.yaml"
scenario aa-run "  - name: a
    address: lab://$topology" 1 >"$out/single.yaml"
cp "$out/single.yaml" "$out/candidate.yaml"
if [ -n "$delay" ]; then
  sed -i "s/^  interval: 1s$/  interval: 1s\n  directives:\n    delay: $delay/" "$out/candidate.yaml"
fi
if [ -n "$base_delay" ]; then
  sed -i "s/^  interval: 1s$/  interval: 1s\n  directives:\n    delay: $base_delay/" "$out/single.yaml"
fi

if [ -n "${BURNER:-}" ]; then
  # One core kept busy for as long as the bench runs (bounded: 4 h at most), as another job on a shared runner.
  timeout 4h sh -c 'while :; do :; done' &
  burner=$!
  trap 'kill $burner 2>/dev/null || true' EXIT
fi

figures() { # COMPARISON.JSON KIND I [BASE-RUN CAND-RUN] — one line per primary figure, with both sides' send lag
  python3 - "$1" "$2" "$3" "$delay${base_delay:+ vs $base_delay}" "${4:-}" "${5:-}" "${BURNER:+burner}" >>"$out/figures.ndjson" <<'PY'
import json, sys, os
path, kind, i, delay, base, cand, setting = sys.argv[1:8]
c = json.load(open(path))
def summary(run):
    return json.load(open(os.path.join(run, "summary.json"))) if run else None
def lag(run):
    if not run: return None
    t = summary(run)["topologies"][0]["sendLagMs"]
    return {"p50": t.get("p50"), "p99": t.get("p99")}
def held(run):
    s = summary(run) if run else None
    h = ((s or {}).get("labBackend") or {}).get("held")
    return h and {"p50": h["p50Ms"], "min": h["minMs"], "p99": h["p99Ms"]}
lags = {"baseLag": lag(base), "candLag": lag(cand), "baseHeld": held(base), "candHeld": held(cand), "setting": setting or "quiet"}
for one in c["comparisons"]:
    for f in one["figures"]:
        if f["primary"]:
            print(json.dumps({"kind": kind, "i": int(i), "delay": delay or None, "headline": one["headline"], "figure": f["name"],
                              "delta": f["delta"], "low": f["low"], "high": f["high"], "margin": f["marginValue"],
                              "verdict": f["verdict"], "reading": f["reading"], "sentence": one["sentence"], **lags}))
PY
}

headline() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["verdict"])' "$1"; }
declare -A count=()
for i in $(seq "$n"); do
  [ "$mode" = compare-runs ] && break
  "${loadgen[@]}" run --scenario "$out/interleaved.yaml" --out "$out/interleaved" --quiet >"$out/interleaved-$i.log" 2>&1 || true
  dir=$(ls -d "$out"/interleaved/*-aa-interleaved | tail -1)
  v=$(headline "$dir/comparison.json"); count[interleaved-$v]=$(( ${count[interleaved-$v]:-0} + 1 ))
  figures "$dir/comparison.json" interleaved "$i"
  echo "interleaved $i: $v — $(sed -n 3p "$dir/summary.md" | cut -c1-300)"
done
for i in $(seq "$n"); do
  [ "$mode" = interleaved ] && break
  "${loadgen[@]}" run --scenario "$out/single.yaml" --out "$out/runs-$i-base" --quiet >"$out/run-$i-base.log" 2>&1 || true
  "${loadgen[@]}" run --scenario "$out/candidate.yaml" --out "$out/runs-$i-cand" --quiet >"$out/run-$i-cand.log" 2>&1 || true
  "${loadgen[@]}" compare-runs "$out"/runs-$i-base/* "$out"/runs-$i-cand/* --out "$out/compare-$i" >"$out/compare-$i.log" 2>&1 || true
  v=$(headline "$(ls -d "$out"/compare-$i/* | tail -1)/comparison.json"); count[compare-runs-$v]=$(( ${count[compare-runs-$v]:-0} + 1 ))
  figures "$(ls -d "$out"/compare-$i/* | tail -1)/comparison.json" compare-runs "$i" "$(ls -d "$out"/runs-$i-base/* | tail -1)" "$(ls -d "$out"/runs-$i-cand/* | tail -1)"
  echo "compare-runs $i: $v — $(grep -v '^WARNING' "$out/compare-$i.log" | head -1 | cut -c1-300)"
  # The other way round: the same two runs, the candidate as the baseline (margins are symmetric: verdicts must mirror).
  "${loadgen[@]}" compare-runs "$out"/runs-$i-cand/* "$out"/runs-$i-base/* --out "$out/reverse-$i" >"$out/reverse-$i.log" 2>&1 || true
  v=$(headline "$(ls -d "$out"/reverse-$i/* | tail -1)/comparison.json"); count[reverse-$v]=$(( ${count[reverse-$v]:-0} + 1 ))
  figures "$(ls -d "$out"/reverse-$i/* | tail -1)/comparison.json" compare-runs-reverse "$i" "$(ls -d "$out"/runs-$i-cand/* | tail -1)" "$(ls -d "$out"/runs-$i-base/* | tail -1)"
  echo "  reversed: $v"
done
echo
echo "counts (of $n each${delay:+, candidate delayed $delay}); figures: $out/figures.ndjson"
for k in "${!count[@]}"; do echo "  $k: ${count[$k]}"; done | sort
