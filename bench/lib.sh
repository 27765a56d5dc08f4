# Shared by the bench scripts (source it): build LoadGen, start the lab backend as its OWN process
# (so LoadGen's numbers are LoadGen's alone), stop it on exit.
#   start_backend OUT_DIR   → sets loadgen=(…) and port; the backend logs to OUT_DIR/backend.log
start_backend() {
  local out=$1
  dotnet build loadgen/LoadGen.Cli -c Release -nologo -v q >/dev/null
  # LOADGEN_DLL: another build of LoadGen to measure (e.g. a worktree of an older commit, for a before/after).
  loadgen=(dotnet "${LOADGEN_DLL:-loadgen/LoadGen.Cli/bin/Release/net10.0/loadgen.dll}")
  port=$(( 20000 + RANDOM % 20000 ))
  "${loadgen[@]}" lab backend --grpc-port "$port" --health-port $((port + 1)) >"$out/backend.log" 2>&1 &
  backend=$!
  trap 'kill $backend 2>/dev/null || true' EXIT
  for _ in $(seq 50); do grep -q "lab backend:" "$out/backend.log" && break; sleep 0.2; done
}

# A load scenario against the backend start_backend started, on stdout:
#   load_yaml NAME STREAMS RAMP HOLD INTERVAL [MORE-YAML]   (RAMP, HOLD, INTERVAL as durations: 5s, 60s, 100ms;
#   RAMP_DOWN=5s to close over longer than 2 s). INTERVAL may instead be the messages: block's own lines, indented
#   two spaces (e.g. "  schedule: closed"), for what one interval does not say.
load_yaml() {
  cat <<YAML
name: $1
targets:
  - name: backend-h2c
    address: http://127.0.0.1:$port
profile:
  maxOpensPerSecond: 2000
  phases:
    - ramp: $2
      over: $3
    - hold: $4
    - ramp: 0
      over: ${RAMP_DOWN:-2s}
messages:
$(case $5 in *:*) printf '%s' "$5" ;; *) printf '  interval: %s' "$5" ;; esac)
reportingInterval: 5s
${6:-}
YAML
}
