# Shared by the bench scripts (source it): build LoadGen, start the lab backend as its OWN process
# (so LoadGen's numbers are LoadGen's alone), stop it on exit.
#   start_backend OUT_DIR   → sets loadgen=(…) and port; the backend logs to OUT_DIR/backend.log
start_backend() {
  local out=$1
  dotnet build loadgen/LoadGen.Cli -c Release -nologo -v q >/dev/null
  loadgen=(dotnet loadgen/LoadGen.Cli/bin/Release/net10.0/loadgen.dll)
  port=$(( 20000 + RANDOM % 20000 ))
  "${loadgen[@]}" lab backend --grpc-port "$port" --health-port $((port + 1)) >"$out/backend.log" 2>&1 &
  backend=$!
  trap 'kill $backend 2>/dev/null || true' EXIT
  for _ in $(seq 50); do grep -q "lab backend:" "$out/backend.log" && break; sleep 0.2; done
}
