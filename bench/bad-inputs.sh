#!/usr/bin/env bash
# Bad inputs as a new user makes them (issue "No silent failures"): each one's exit code and the first line
# LoadGen says about it, as a Markdown table on stdout. Loopback only; each run is a few seconds, ≤ 20 streams.
#   bench/bad-inputs.sh            (builds LoadGen first; ~2 minutes)
# Exit codes: 0 ok · 1 a gate failed · 2 bad input · 3 the target never answered · 4 LoadGen itself failed · 130 interrupted.
set -uo pipefail
cd "$(dirname "$0")/.."
dotnet build loadgen/LoadGen.Cli -c Release -nologo -v q >/dev/null
lg=(dotnet loadgen/LoadGen.Cli/bin/Release/net10.0/loadgen.dll)
tmp=$(mktemp -d /tmp/bad-inputs.XXXXXX)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"; kill ${http11:-} 2>/dev/null || true' EXIT

# A scenario against the in-process lab backend; $1 = extra YAML under messages:, $2 = extra top-level YAML.
lab() {
  cat <<YAML
name: bad
targets:
  - name: backend
    address: ${ADDRESS:-lab://backend-h2c}
${TARGET_EXTRA:-}
profile:
  phases:
    - ramp: 5
      over: 500ms
    - hold: 2s
messages:
  interval: 200ms
${1:-}
${2:-}
YAML
}

row() { # row "what" command...
  local what=$1; shift
  local out
  out=$("$@" 2>&1 </dev/null)
  local code=$?
  local say
  say=$(printf '%s\n' "$out" | grep -m1 -E '^error' || printf '%s\n' "$out" | grep -m1 -E '^(WARNING|threshold FAIL)' || printf '%s\n' "$out" | grep -m1 -E '^verdict' || printf '%s\n' "$out" | head -1)
  say=${say//|/\\|}
  printf '| %s | %s | %s |\n' "$what" "$code" "${say:0:220}"
}

echo "| bad input | exit | what LoadGen says (first line) |"
echo "|---|---|---|"
lab > "$tmp/ok.yaml"
mkdir -p "$tmp/ro" && chmod a-w "$tmp/ro"
# (root ignores a read-only mode; /sys refuses new folders to everyone)
row "run --out on a read-only folder" "${lg[@]}" run --scenario "$tmp/ok.yaml" --out "$([ "$(id -u)" = 0 ] && echo /sys/loadgen-x || echo "$tmp/ro/x")" --quiet
touch "$tmp/a-file"
row "run --out naming a file" "${lg[@]}" run --scenario "$tmp/ok.yaml" --out "$tmp/a-file" --quiet
row "run --out /proc/x" "${lg[@]}" run --scenario "$tmp/ok.yaml" --out /proc/x --quiet
"${lg[@]}" run --scenario "$tmp/ok.yaml" --out "$tmp/runs" --quiet >/dev/null 2>&1
good=$(ls -d "$tmp"/runs/*/ | head -1)
for f in latency.hlog run.json summary.json outcomes.ndjson; do
  cp -r "$good" "$tmp/damaged-$f"
  case $f in
    summary.json) head -c 200 "$good/$f" > "$tmp/damaged-$f/$f" ;;
    outcomes.ndjson) sed -i '1a {"time": broken' "$tmp/damaged-$f/$f" ;;
    latency.hlog) sed -i '/^Tag=/{n;s/^Tag=\([^,]*\),.*/Tag=\1,0.5,1.0,2.0,not-base64!/}' "$tmp/damaged-$f/$f" ;;
    *) printf 'garbage\x00\x01 not this file\n' > "$tmp/damaged-$f/$f" ;;
  esac
  row "report on a damaged $f" "${lg[@]}" report "$tmp/damaged-$f"
done
TARGET_EXTRA="    maxSendMessageSize: 1KiB" lab "  payloadBytes: 100000" > "$tmp/big.yaml"
row "payloadBytes 100000, maxSendMessageSize 1KiB" "${lg[@]}" run --scenario "$tmp/big.yaml" --out "$tmp/runs" --quiet
lab "  first:
    stopReplying: true" > "$tmp/silent.yaml"
row "a server that never answers (stopReplying)" "${lg[@]}" run --scenario "$tmp/silent.yaml" --out "$tmp/runs" --quiet
row "a non-ASCII header value (-H)" "${lg[@]}" run --scenario "$tmp/ok.yaml" --out "$tmp/runs" --quiet -H "x-name: Grüße"
TARGET_EXTRA="    maxReceiveMessageSize: 1KiB" lab "  directives:
    replySize: 100000" > "$tmp/bigreply.yaml"
row "a reply over the receive limit" "${lg[@]}" run --scenario "$tmp/bigreply.yaml" --out "$tmp/runs" --quiet
port=$(( 20000 + RANDOM % 10000 ))
python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1 &
http11=$!
sleep 1
ADDRESS="http://127.0.0.1:$port" lab > "$tmp/http11.yaml"
row "an HTTP/1.1-only port" "${lg[@]}" run --scenario "$tmp/http11.yaml" --out "$tmp/runs" --quiet
ADDRESS="https://127.0.0.1:$port" lab > "$tmp/tls-to-plain.yaml"
row "https:// to a plaintext port" "${lg[@]}" run --scenario "$tmp/tls-to-plain.yaml" --out "$tmp/runs" --quiet
row "-H 'authorization: Bearer …' (curl's form)" "${lg[@]}" run --scenario "$tmp/ok.yaml" --out "$tmp/runs" --quiet -H "authorization: Bearer s3cr3t-TOKEN-planted"
ADDRESS="http://admin:s3cr3t-PW@127.0.0.1:$port" lab > "$tmp/userinfo.yaml"
row "a password in a target URL" "${lg[@]}" validate --scenario "$tmp/userinfo.yaml"
row "a password in --otlp-endpoint" "${lg[@]}" run --scenario "$tmp/ok.yaml" --out "$tmp/runs" --quiet --otlp-endpoint "http://u:s3cr3t-OTLP@127.0.0.1:4317"
TARGET_EXTRA="    metadata:
      x-goog-iap-jwt-assertion: eyJ-planted-literal" lab > "$tmp/literal.yaml"
"${lg[@]}" run --scenario "$tmp/literal.yaml" --out "$tmp/literal-runs" --quiet >/dev/null 2>&1
printf '| %s | %s | %s |\n' "a literal token under x-goog-iap-jwt-assertion" "-" "files of the run folder carrying it: $(grep -rl 'eyJ-planted-literal' "$tmp/literal-runs" | wc -l)"
cat > "$tmp/zero.yaml" <<'YAML'
name: zero
targets:
  - name: backend
    address: lab://backend-h2c
profile:
  phases:
    - ramp: 5
      over: 0s
YAML
row "a zero-length profile" "${lg[@]}" validate --scenario "$tmp/zero.yaml"
: > "$tmp/empty-ca.pem"
ADDRESS="https://127.0.0.1:$port" TARGET_EXTRA="    caFile: $tmp/empty-ca.pem" lab > "$tmp/emptyca.yaml"
row "a caFile with no certificate" "${lg[@]}" validate --scenario "$tmp/emptyca.yaml"
{ lab; echo "---"; echo "name: second"; } > "$tmp/two-docs.yaml"
row "a second YAML document" "${lg[@]}" validate --scenario "$tmp/two-docs.yaml"
row "a directory as --scenario" "${lg[@]}" validate --scenario "$tmp"
ADDRESS="http://127.0.0.1:$port" lab "" "lab:
  esp:
    clientBodyTimeout: 7s" > "$tmp/lab-unused.yaml"
row "lab: settings with only non-lab targets" "${lg[@]}" validate --scenario "$tmp/lab-unused.yaml"
lab "  interval: 100 msec" "retries: 3
connections:
  openTimeout: soon" | grep -v '^  interval: 200ms' > "$tmp/many.yaml"
row "validate with three errors" "${lg[@]}" validate --scenario "$tmp/many.yaml"
ADDRESS="http://127.0.0.1:$port" lab > "$tmp/no-service.yaml"
row "a non-lab target without service:" "${lg[@]}" validate --scenario "$tmp/no-service.yaml"
