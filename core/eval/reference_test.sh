#!/usr/bin/env bash
# Runs reference_test.py (sklearn / numpy references) against the genesis binary ($1).
set -euo pipefail
here="$TEST_SRCDIR/$TEST_WORKSPACE/core/eval"
exec /usr/bin/python3 "$here/reference_test.py" "$1"
