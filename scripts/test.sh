#!/usr/bin/env bash
# The test command of README.md: installs what the tests need on a fresh machine, then runs
# rustfmt, clippy, one build of every test binary, the benchmark's smoke run, the whole test
# suite under cargo-nextest and the doc tests, and prints a per-suite time summary.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target
# CI builds from scratch once: incremental compilation only costs time there.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
STEPS=target/test-steps.txt
: >"$STEPS"
summary() { python3 scripts/suite-times.py "$STEPS" target/nextest/default/junit.xml || true; }
trap summary EXIT

# Runs one named step and records its wall time.
step() {
  local name=$1 start
  shift
  start=$(date +%s.%N)
  echo "== $name"
  "$@"
  echo "$name $(awk "BEGIN { print $(date +%s.%N) - $start }")" >>"$STEPS"
}

# cargo-nextest runs each test in its own process (the machine image has it; install if not).
if ! cargo nextest --version >/dev/null 2>&1; then
  step "install cargo-nextest" cargo install cargo-nextest --locked --quiet
fi
# Microsoft's own Python clients (MSAL, the Graph SDK), run unmodified against the emulator.
step "install Python clients" python3 -m pip install --quiet --disable-pip-version-check \
  --root-user-action=ignore -r tests/python/requirements.txt

step "rustfmt" cargo fmt --all -- --check
step "clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
# One build of every target (test binaries and the binaries they run, the benchmark) with the
# test feature set, shared by the steps below; a separate build of the benchmark alone would
# resolve features without the dev-dependencies and rebuild part of the dependency tree.
step "build every target" cargo build --workspace --all-targets --quiet
# Benchmark smoke run (quick sizes; the figures are reported, never asserted).
step "benchmark smoke run" ./target/debug/graphlink-bench --quick --json target/bench-quick.jsonl
step "tests (nextest)" cargo nextest run --workspace --no-fail-fast --cargo-quiet \
  --hide-progress-bar --status-level fail --final-status-level slow
step "doc tests" cargo test --workspace --doc --quiet
