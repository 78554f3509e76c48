#!/usr/bin/env bash
# Pretext pipeline speed, as ratios measured in one run: `genesis bench pretext` (the C++
# "genesis" composite, official defaults, one core) against the numpy Models Genesis pipeline
# tools/bench/pretext_reference.py (written for this bench from DESIGN.md's constants; system
# python), at 64^2 and 224^2.
#
#   tools/bench/pretext_bench.sh                 # sizes 64 224
#   SIZES="64 128 224" REF_SLICES=200 tools/bench/pretext_bench.sh
#
# Target (issue 4): ratio >= 20 at both sizes.
set -euo pipefail

cd "$(dirname "$0")/../.."
SIZES="${SIZES:-64 224}"
REF_SLICES="${REF_SLICES:-100}"   # Reference slices per size (~20-40 ms each).
PYTHON="${PYTHON:-/usr/bin/python3}"
REFERENCE="${REFERENCE:-tools/bench/pretext_reference.py}"

bazel build //tools:genesis >&2
GENESIS="$(bazel info bazel-bin 2>/dev/null)/tools/genesis"

status=0
printf "%-6s %14s %18s %8s\n" size "genesis_ms" "reference_ms" ratio
for size in $SIZES; do
  ours="$("$GENESIS" bench pretext --size "$size" | awk '/^ms_per_slice:/ {print $2}')"
  ref="$("$PYTHON" "$REFERENCE" "$size" "$REF_SLICES" | sed -E 's/.*: ([0-9.]+) ms\/slice.*/\1/')"
  ratio="$(awk -v r="$ref" -v o="$ours" 'BEGIN {printf "%.1f", r / o}')"
  printf "%-6s %14s %18s %8s\n" "$size" "$ours" "$ref" "${ratio}x"
  awk -v x="$ratio" 'BEGIN {exit !(x >= 20)}' || { echo "size $size: ratio ${ratio} < 20" >&2; status=1; }
done
exit $status
