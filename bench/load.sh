#!/usr/bin/env bash
# Load test of the example server (examples/server) in sandbox mode with
# wrk on loopback: requests/s and p99 latency of GET /v1/user and
# GET /v1/email/messages, on SQLite and on PostgreSQL, with 1 and 2
# server instances on one database.
#
# Each run builds the server, starts it with -sandbox (the in-process
# Google and Microsoft fakes) on a fresh database, signs the sandbox user
# in through the HTTP flow an add-in uses (GET /v1/auth/authorizeUser
# followed through the fake's sign-in with a cookie jar, then POST
# /addin/session with the code) and loads the two endpoints with the
# bearer session and the account id it got.
#
# Two instances: both processes serve the same database (same keys, so
# sessions and sealed tokens are shared); wrk can load one URL, so two wrk
# run at once, one per instance, each with half the connections, and the
# table adds their requests/s and keeps the higher p99. The sandbox fakes
# live in the first server process; the second instance is not a sandbox:
# its Office365 connector points at the first instance's Microsoft fake
# (connectors.office365.endpoints), so the account's tokens work on both.
#
# Environment: DURATION (wrk -d, default 15s), CONNS (total connections,
# default 16), THREADS (wrk -t, default 2), PG_ADMIN_URL (a PostgreSQL URL
# of a user that may create databases; default the CI server's; the run
# uses a database "aurinko_load" it drops and creates; "none" skips
# PostgreSQL), LOAD_OUT (raw wrk output, default bench/load-out.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"

DURATION=${DURATION:-15s}
CONNS=${CONNS:-16}
THREADS=${THREADS:-2}
PG_ADMIN_URL=${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
OUT=${LOAD_OUT:-bench/load-out.txt}

log() { printf '== %s\n' "$*" >&2; }

if ! command -v wrk >/dev/null 2>&1; then
  log "installing wrk"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk
fi
for tool in curl jq python3; do
  command -v "$tool" >/dev/null 2>&1 || { echo "load.sh needs $tool" >&2; exit 1; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

log "building examples/server"
go build -o "$work/server" ./examples/server
# One key for every instance: they open each other's sealed tokens.
AURINKO_KEYS="load:$(head -c 32 /dev/urandom | base64 -w0)"
export AURINKO_KEYS

# start NAME STORE: starts an instance on a free loopback port, waits
# until it serves and sets BASE to its URL.
start() {
  local name=$1 store=$2 addr=""
  shift 2
  local mode=(-sandbox)
  [ $# -gt 0 ] && mode=("$@")
  "$work/server" "${mode[@]}" -addr 127.0.0.1:0 -store "$store" >"$work/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/.*msg=serving addr=\([0-9.:]*\).*/\1/p' "$work/$name.log" | head -n 1)
    if [ -n "$addr" ] && curl -fs "http://$addr/readyz" >/dev/null 2>&1; then
      BASE="http://$addr"
      return 0
    fi
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.1 # polling for readiness, bounded to 10 s
  done
  echo "instance $name did not start:" >&2
  cat "$work/$name.log" >&2
  exit 1
}

# stop_all stops every instance.
stop_all() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}

# sign_in BASE: signs the sandbox user in as the add-in does and prints
# "SESSION ACCOUNT_ID".
sign_in() {
  local base=$1 jar="$work/jar" q final code out
  rm -f "$jar"
  q=$(python3 -c 'import sys,urllib.parse as u; print(u.urlencode({"clientId":"sandbox-addin","serviceType":"Office365","accountRole":"primary","responseType":"code","scopes":"Mail.Read","returnUrl":sys.argv[1]+"/addin/callback.html","state":"load"}))' "$base")
  final=$(curl -fsS -L -c "$jar" -b "$jar" -o /dev/null -w '%{url_effective}' "$base/v1/auth/authorizeUser?$q")
  code=$(python3 -c 'import sys,urllib.parse as u; q=u.parse_qs(u.urlparse(sys.argv[1]).query); print(q["code"][0] if q.get("status")==["success"] else "")' "$final")
  [ -n "$code" ] || { echo "sign-in ended at $final" >&2; exit 1; }
  out=$(curl -fsS -X POST -H 'Content-Type: application/json' -d "{\"code\":\"$code\"}" "$base/addin/session")
  echo "$(jq -r .userSession <<<"$out") $(jq -r .accountId <<<"$out")"
}

# check BASE PATH SESSION ACCOUNT: one request must answer 200.
check() {
  local status
  status=$(curl -s -o "$work/check.json" -w '%{http_code}' -H "Authorization: Bearer $3" -H "X-Aurinko-Account-Id: $4" "$1$2")
  [ "$status" = 200 ] || { echo "GET $2 on $1 answered $status: $(head -c 300 "$work/check.json")" >&2; exit 1; }
}

# load LABEL PATH SESSION ACCOUNT BASE...: runs one wrk per base at once
# with CONNS connections in all and prints a table row.
load() {
  local label=$1 path=$2 session=$3 account=$4
  shift 4
  local n=$# conns=$((CONNS / $#)) i=0 files=() wrks=()
  for base in "$@"; do
    i=$((i + 1))
    files+=("$work/wrk-$i.txt")
    wrk -t "$THREADS" -c "$conns" -d "$DURATION" --latency \
      -H "Authorization: Bearer $session" -H "X-Aurinko-Account-Id: $account" "$base$path" >"$work/wrk-$i.txt" &
    wrks+=($!)
  done
  for pid in "${wrks[@]}"; do wait "$pid"; done
  {
    echo "### $label GET $path ($n instance(s), $conns connections each)"
    cat "${files[@]}"
  } >>"$OUT"
  python3 - "$label" "$path" "$n" "${files[@]}" <<'EOF'
import re, sys
label, path, n, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
rps, p99s, bad = 0.0, [], 0
unit = {"us": 1e-3, "ms": 1.0, "s": 1e3}
for f in files:
    text = open(f).read()
    rps += float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
    p99s.append(float(m.group(1)) * unit[m.group(2)])
    e = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    bad += int(e.group(1)) if e else 0
    e = re.search(r"Socket errors:.*", text)
    if e:
        bad += sum(int(x) for x in re.findall(r"\d+", e.group(0)))
print(f"| {label} | GET {path} | {n} | {rps:,.0f} | {max(p99s):.2f} | {bad} |")
EOF
}

: >"$OUT"
echo "== load before: $(uptime)" | tee -a "$OUT"
echo
echo "| store | request | instances | requests/s | p99 ms | errors |"
echo "| --- | --- | --- | --- | --- | --- |"

stores=("sqlite:$work/load.db")
if [ "$PG_ADMIN_URL" != none ] && psql "$PG_ADMIN_URL" -Atqc 'select 1' >/dev/null 2>&1; then
  psql "$PG_ADMIN_URL" -qc 'DROP DATABASE IF EXISTS aurinko_load' >/dev/null
  psql "$PG_ADMIN_URL" -qc 'CREATE DATABASE aurinko_load' >/dev/null
  stores+=("$(python3 -c 'import sys,urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/aurinko_load")))' "$PG_ADMIN_URL")")
else
  log "PostgreSQL is not reachable at PG_ADMIN_URL: only SQLite is loaded"
fi

for store in "${stores[@]}"; do
  kind=sqlite
  [[ $store == postgres* ]] && kind=postgres
  start "$kind-1" "$store"
  one=$BASE
  read -r session account < <(sign_in "$one")
  check "$one" /v1/user "$session" "$account"
  check "$one" /v1/email/messages "$session" "$account"
  load "$kind" /v1/user "$session" "$account" "$one"
  load "$kind" /v1/email/messages "$session" "$account" "$one"
  # The second instance runs without its own fakes: its Office365
  # connector points at the first instance's Microsoft fake (the sandbox's
  # public test client), so the account's tokens work on both.
  fake=$(sed -n 's/.*microsoft=\(http:\/\/[0-9.:]*\).*/\1/p' "$work/$kind-1.log" | head -n 1)
  [ -n "$fake" ] || { echo "no Microsoft fake URL in the first instance's log" >&2; exit 1; }
  cat >"$work/second.yaml" <<YAML
connectors:
  office365:
    clientId: 5a4d1a0e-0000-4000-8000-5a4db0c5e11a
    clientSecret: sandbox-microsoft-secret
    endpoints:
      loginBaseUrl: $fake
      graphBaseUrl: $fake
YAML
  start "$kind-2" "$store" -config "$work/second.yaml"
  two=$BASE
  check "$two" /v1/user "$session" "$account"
  check "$two" /v1/email/messages "$session" "$account"
  load "$kind" /v1/user "$session" "$account" "$one" "$two"
  load "$kind" /v1/email/messages "$session" "$account" "$one" "$two"
  stop_all
done
if [[ ${#stores[@]} -gt 1 ]]; then
  psql "$PG_ADMIN_URL" -qc 'DROP DATABASE IF EXISTS aurinko_load' >/dev/null
fi

echo
echo "== load after: $(uptime)" | tee -a "$OUT"
echo "raw wrk output: $OUT"
