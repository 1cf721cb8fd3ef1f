#!/usr/bin/env bash
# The test command of README.md: installs what the tests need on a fresh machine, then runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p target

# Microsoft's own Python clients (MSAL, the Graph SDK), run unmodified against the emulator.
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r tests/python/requirements.txt

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings

# One build of every target with the test feature set, shared by the two steps below (building
# the benchmark alone first would compile part of the dependency tree twice).
cargo build --workspace --all-targets --quiet

# Benchmark smoke run (quick sizes; the figures are reported, never asserted).
./target/debug/graphlink-bench --quick --json target/bench-quick.jsonl

cargo test --workspace --no-fail-fast 2>&1 | tee target/test-output.txt
