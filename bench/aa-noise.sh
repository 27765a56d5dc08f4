#!/usr/bin/env bash
# The real noise of the p50 and p99 figures, measured on bench/aa.sh's runs without a delay, in the shape the
# calibration simulation uses (tests/LoadGen.Tests/Reports/ComparisonCalibrationTests.cs, Shape):
#   Base      the mean of the hold-phase 5 s intervals over all runs;
#   Noise     the part of the within-run spread that does not carry over to the next interval;
#   Drift     the part that does (AR(1) with φ 0.8, from the lag-1 autocorrelation r1: Drift² = r1·V/φ);
#   RunShift  the spread of whole runs beyond what the within-run spread explains.
#   bench/aa-noise.sh bench/out/aa-*/runs-*-base/*  [more run folders]   # JSON on stdout
set -euo pipefail
python3 - "$@" <<'PY'
import json, sys, statistics as st, math
phi = 0.8
runs = {"p50Ms": [], "p99Ms": []}
for folder in sys.argv[1:]:
    try:
        rows = [json.loads(l) for l in open(f"{folder}/intervals.ndjson") if l.strip()]
    except FileNotFoundError:
        continue
    hold = [r for r in rows if str(r.get("phase", "")).startswith("hold")][1:]  # the first holds the ramp's tail
    for k in runs:
        v = [r[k] for r in hold if r.get(k) is not None]
        if len(v) >= 3:
            runs[k].append(v)
out = {"runs": len(runs["p50Ms"])}
for k, series in runs.items():
    if len(series) < 2:
        continue
    within = st.mean(st.pvariance(v) for v in series)
    r1s = []
    for v in series:
        m = st.mean(v); d = [x - m for x in v]; den = sum(x * x for x in d)
        if den > 0:
            r1s.append(sum(d[i] * d[i + 1] for i in range(len(d) - 1)) / den)
    r1 = max(0.0, min(phi, st.mean(r1s))) if r1s else 0.0
    drift2 = r1 * within / phi
    means = [st.mean(v) for v in series]
    k_mean = st.mean(len(v) for v in series)
    run2 = max(0.0, st.variance(means) - within / k_mean)
    out[k[:-2]] = {"Base": round(st.mean(means), 3), "Noise": round(math.sqrt(max(0.0, within - drift2)), 3),
                   "Drift": round(math.sqrt(drift2), 3), "RunShift": round(math.sqrt(run2), 3), "r1": round(r1, 3),
                   "intervalsPerRun": round(k_mean, 1), "runMeansMs": [round(m, 3) for m in means]}
print(json.dumps(out, indent=1))
PY
