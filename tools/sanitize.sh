#!/usr/bin/env bash
# Runs Genesis' fast tests under AddressSanitizer (+ LeakSanitizer) and UndefinedBehaviorSanitizer
# (.bazelrc: --config=asan, --config=ubsan). Prints a final "N passed, N failed" line over all
# configs; exits non-zero on any failure.
#
#   tools/sanitize.sh                 # asan, then ubsan, over the fast tests
#   tools/sanitize.sh asan            # one config (CI runs this after tools/test.sh)
#   tools/sanitize.sh --all asan      # every cc_test, LibTorch ones too (~1,500 actions)
#   tools/sanitize.sh asan -- --test_output=all    # extra arguments for `bazel test`
#
# Fast tests = every cc_test that does not link LibTorch, found by a query rather than kept by
# hand, so a new test joins (or leaves) the list by its dependencies alone. Rebuilding the
# LibTorch translation units under a sanitizer costs ~20 min on 2 cores; the rest a few minutes.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source tools/test_lib.sh

readonly kFastQuery='kind(cc_test, //...) except rdeps(//..., @torch//:torch)'
query="$kFastQuery"
configs=()
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --all) query='kind(cc_test, //...)' ;;
    asan | ubsan) configs+=("$1") ;;
    --) shift; extra=("$@"); break ;;
    *) echo "sanitize: unknown argument '$1' (asan, ubsan, --all, -- BAZEL_ARGS)" >&2; exit 2 ;;
  esac
  shift
done
[ ${#configs[@]} -gt 0 ] || configs=(asan ubsan)

if ! genesis_fetch_test_data; then
  echo "0 passed, 1 failed"
  exit 1
fi
if ! mapfile -t tests < <(bazel query "$query" 2>/dev/null) || [ ${#tests[@]} -eq 0 ]; then
  echo "sanitize: bazel query '$query' failed or found no tests" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
echo "sanitize: ${#tests[@]} tests under ${configs[*]}" >&2

total_passed=0
total_failed=0
for config in "${configs[@]}"; do
  echo "=== --config=$config ===" >&2
  summary="$(genesis_bazel_test --config="$config" "${extra[@]}" -- "${tests[@]}" |
             tee /dev/stderr | tail -n 1)"
  read -r p _ f _ <<<"$summary"
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
done
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
