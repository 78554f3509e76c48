#!/usr/bin/env bash
# Builds every libFuzzer target of tools/fuzz/ and fuzzes each for SECONDS, one at a time.
#
#   tools/fuzz/run_all.sh [SECONDS_PER_TARGET] [TARGET...]     # default 600 s, every target
#   tools/fuzz/run_all.sh 120 npy_fuzzer csv_fuzzer
#
# Build: `bazel build --config=fuzz` (.bazelrc: Debian's clang-14 as a second toolchain,
# -fsanitize=fuzzer,address,undefined; needs the Debian packages clang-14 and
# libclang-rt-14-dev). Seeds: tools/fuzz/make_seeds.py. Work folder (kept between runs, so
# each run continues from the corpus the last one reached): $GENESIS_FUZZ_DIR, default
# ~/.cache/genesis/fuzz, holding corpus/<target>/, artifacts/<target>/ (crash-*, leak-*,
# timeout-* inputs) and logs/<target>.log.
#
# Prints one line per target (seconds, executions, corpus size, verdict) and exits non-zero
# when any target found a crash, a leak or a timeout, or did not build. A found input belongs in
# tools/fuzz/regressions/<target>/ once the bug is fixed (README.md).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

seconds="${1:-600}"
[ $# -gt 0 ] && shift
if ! [[ "$seconds" =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "run_all: SECONDS_PER_TARGET must be a positive integer, got '$seconds'" >&2
  exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(bazel query 'attr(tags, "\bfuzzer\b", //tools/fuzz:*)' 2>/dev/null |
                         sed 's|^//tools/fuzz:||')
fi
if [ ${#targets[@]} -eq 0 ]; then
  echo "run_all: found no fuzz targets (bazel query failed?)" >&2
  exit 1
fi
work="${GENESIS_FUZZ_DIR:-$HOME/.cache/genesis/fuzz}"
mkdir -p "$work"/{corpus,artifacts,logs}

labels=("${targets[@]/#///tools/fuzz:}")
if ! bazel build --config=fuzz "${labels[@]}"; then
  echo "run_all: building the fuzz targets failed (clang-14 and libclang-rt-14-dev installed?)" >&2
  exit 1
fi
bin="$(bazel info --config=fuzz bazel-bin 2>/dev/null)/tools/fuzz"
rm -rf "$work/seeds"
if ! /usr/bin/python3 tools/fuzz/make_seeds.py "$work/seeds" >&2; then
  echo "run_all: tools/fuzz/make_seeds.py failed" >&2
  exit 1
fi

failed=0
summary=()
for target in "${targets[@]}"; do
  corpus="$work/corpus/$target"
  artifacts="$work/artifacts/$target"
  log="$work/logs/$target.log"
  mkdir -p "$corpus" "$artifacts"
  echo "=== $target: ${seconds} s (log: $log)" >&2
  start=$(date +%s)
  # -timeout: one input running longer than this is a finding (a hang or quadratic blow-up);
  # -rss_limit_mb: so is one needing more memory. New inputs go to the first folder, $corpus.
  "$bin/$target" -max_total_time="$seconds" -timeout=25 -rss_limit_mb=2560 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$corpus" "$work/seeds/$target" \
    >"$log" 2>&1
  rc=$?
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  size=$(find "$corpus" -type f | wc -l)
  if [ "$rc" -eq 0 ]; then
    verdict="ok"
  else
    failed=1
    found=$(grep -oE "(crash|leak|timeout|oom|slow-unit)-[0-9a-f]+" "$log" | tail -n 1)
    reason=$(grep -m1 -E "ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error|genesis fuzz property" "$log")
    verdict="FOUND ${found:-a failure (exit $rc)}: ${reason:-see $log}"
  fi
  line="$target: ${elapsed} s, ${execs:-?} execs, corpus $size, $verdict"
  echo "$line" >&2
  summary+=("$line")
done
echo "--- fuzzing summary (${seconds} s per target; work folder $work)"
printf '%s\n' "${summary[@]}"
exit "$failed"
