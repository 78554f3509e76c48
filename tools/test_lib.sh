# Sourced by tools/test.sh and tools/sanitize.sh (not run on its own): the one place that
# fetches the real test scans and turns Bazel's test summary into "N passed, N failed", so the
# plain and the sanitizer runs count tests the same way and .ci/run can add their lines up.

# Exports GENESIS_TEST_DATA (tools/fetch_test_data.sh prints the cache folder last); on failure
# prints the reason and returns 1.
genesis_fetch_test_data() {
  local dir
  if ! dir="$(bash tools/fetch_test_data.sh | tail -n 1)" || [ ! -d "$dir" ]; then
    echo "test: could not fetch the real test scans (tools/fetch_test_data.sh failed)" >&2
    return 1
  fi
  export GENESIS_TEST_DATA="$dir"
}

# Runs `bazel test "$@"` showing its output, then prints "N passed, N failed" as its last line.
# Returns 0 only when Bazel succeeded and no test failed.
genesis_bazel_test() {
  local log rc passed failed
  log="$(mktemp)"
  bazel test "$@" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  passed=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
  failed=$(grep -cE '^//[^ ]+ +(\(cached\) )?(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)' "$log")
  rm -f "$log"
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1  # The build itself failed before any test ran.
  fi
  echo "$passed passed, $failed failed"
  [ "$rc" -eq 0 ] && [ "$failed" -eq 0 ]
}
