#!/usr/bin/env bash
# Runs the peer benchmarks of this module (-count 6, no -race) and prints
# one benchstat table per unit: each row pairs a peer (column "peer") with
# aurinko (column "aurinko", with its ratio to the peer in "vs base").
# Rows named aurinko=... have no peer. ListMessages compares the unified
# email list (Go method) with msgraph-sdk-go and the Gmail client on the
# same fakes. The raw output is kept in
# $BENCH_OUT (default bench/out.txt) for RESULTS.md.
#
# Environment: AURINKO_TEST_POSTGRES_URL enables the PostgreSQL refresh
# storm (skipped without it); BENCH (default ".") selects benchmarks;
# COUNT (default 6).
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/usr/local/go/bin:$HOME/go/bin:$PATH"

if ! command -v benchstat >/dev/null 2>&1; then
  echo "== installing benchstat"
  go install golang.org/x/perf/cmd/benchstat@latest
fi

out=${BENCH_OUT:-out.txt}
echo "== load before: $(uptime)"
go test -run '^$' -bench "${BENCH:-.}" -count "${COUNT:-6}" -timeout 60m . | tee "$out"
echo "== load after: $(uptime)"
if [ -z "${AURINKO_TEST_POSTGRES_URL:-}" ]; then
  echo "== note: AURINKO_TEST_POSTGRES_URL is unset, the PostgreSQL storm was skipped"
fi
echo
benchstat -col '/impl@(peer aurinko)' "$out"
