#!/usr/bin/env bash
# Runs every benchmark and reliability check and prints the figures, side by side:
#   bash bench/run.sh
# Installs what it needs (wrk from Debian, Prism from npm), builds the release binaries, runs a
# long fuzz pass over the mock's inputs, then the runner (bench/src).
# Results: target/bench/results.json and target/bench/results.md.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
if ! command -v prism >/dev/null; then
    npm install --global --no-audit --no-fund --loglevel=error "@stoplight/prism-cli@5"
fi

# podman for the container image's row (the same settings as CI: .ci/containers.conf).
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc >/dev/null
fi
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/.ci/containers.conf}"

cargo build --release --quiet -p novita-mock -p novita-proxy -p bench --bins
echo "=== fuzz: ${FUZZ_CASES:=20000} cases per input"
PROPTEST_CASES="$FUZZ_CASES" cargo test --release --quiet -p novita-mock --test it fuzz::
# The parsers' own fuzz tests print "fuzz <name>: N cases, no crash" each.
PROPTEST_CASES="$FUZZ_CASES" cargo test --release --quiet -p novita-mock --lib fuzz_ -- --nocapture
echo "=== benchmarks"
target/release/bench
