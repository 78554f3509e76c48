#!/usr/bin/env bash
# Issue 10's bad-input corpus: make_bad_inputs.py writes the cases, bad_input_corpus_test.py runs
# the real genesis binary on them and checks each (one line per case).
set -euo pipefail
runfiles="$TEST_SRCDIR/$TEST_WORKSPACE"
exec /usr/bin/python3 "$runfiles/tests/bad_input_corpus_test.py" "$runfiles/tools/genesis" \
  "$runfiles/tests/make_bad_inputs.py" "${TEST_TMPDIR:-$(mktemp -d)}/bad_inputs"
