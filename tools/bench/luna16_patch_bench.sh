#!/usr/bin/env bash
# LUNA16 patch extraction speed, as a ratio measured in one run (issue 7, item 12): the luna16
# task's path in C++ (`genesis bench luna16_patch`: ITK read + world->voxel + 3 native planes
# + one augmented copy per plane, windowed) against tools/bench/luna16_patch_reference.py
# (numpy read + np.linalg.solve + numpy slicing + scipy.ndimage rotate/zoom/shift/flip), both
# on one core, on a synthetic LUNA16-sized scan (512 x 512 x SLICES int16, 0.7/0.7/2.5 mm,
# oblique direction) with CANDIDATES random candidates (default 850: candidates_V2.csv has
# 754,975 candidates for 888 scans). Times are CPU milliseconds of each process (one thread),
# so the ratio holds on a shared, loaded machine.
#
#   tools/bench/luna16_patch_bench.sh
#   SLICES=250 CANDIDATES=400 SIZE=64 tools/bench/luna16_patch_bench.sh
#
# Target: ratio >= 5.
set -euo pipefail

cd "$(dirname "$0")/../.."
SLICES="${SLICES:-200}"
CANDIDATES="${CANDIDATES:-850}"
SIZE="${SIZE:-64}"
PYTHON="${PYTHON:-/usr/bin/python3}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

bazel build //tools:genesis >&2
GENESIS="$(bazel info bazel-bin 2>/dev/null)/tools/genesis"

"$PYTHON" - "$WORK" "$SLICES" "$CANDIDATES" <<'PY'
import sys
import numpy as np
sys.path.insert(0, "tools/testdata")
from make_luna16_task_fixture import rotation, world_of, write_mhd
out, slices, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(0)
spacing, origin = (0.7, 0.7, 2.5), (-180.0, -175.5, -320.0)
direction = rotation((0.2, 0.1, 1.0), 8.0)
volume = rng.integers(-1100, 1500, size=(slices, 512, 512)).astype(np.int16)
write_mhd(out + "/scan.mhd", volume, spacing, origin, direction)
with open(out + "/candidates.txt", "w") as f:
    for _ in range(count):
        index = rng.uniform((5, 5, 1), (507, 507, slices - 2))
        f.write(",".join(repr(float(v)) for v in world_of(index, spacing, origin, direction)) + "\n")
PY

export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
ours="$("$GENESIS" bench luna16_patch "$WORK/scan.mhd" "$WORK/candidates.txt" --size "$SIZE" --threads 1)"
ref="$("$PYTHON" tools/bench/luna16_patch_reference.py "$WORK/scan.mhd" "$WORK/candidates.txt" "$SIZE")"
value() { awk -v k="$1:" '$1 == k {print $2}'; }
ours_total="$(value ms_total <<<"$ours")"; ref_total="$(value ms_total <<<"$ref")"
ours_read="$(value ms_read <<<"$ours")"; ref_read="$(value ms_read <<<"$ref")"
ours_cand="$(awk -v t="$ours_total" -v r="$ours_read" -v n="$CANDIDATES" 'BEGIN {printf "%.4f", (t - r) / n}')"
ref_cand="$(awk -v t="$ref_total" -v r="$ref_read" -v n="$CANDIDATES" 'BEGIN {printf "%.4f", (t - r) / n}')"
ratio="$(awk -v r="$ref_total" -v o="$ours_total" 'BEGIN {printf "%.1f", r / o}')"
printf "%-34s %12s %12s %8s\n" "512x512x${SLICES}, ${CANDIDATES} candidates, ${SIZE}^2" genesis reference ratio
printf "%-34s %12s %12s %8s\n" "read scan (ms)" "$ours_read" "$ref_read" \
  "$(awk -v r="$ref_read" -v o="$ours_read" 'BEGIN {printf "%.1fx", r / o}')"
printf "%-34s %12s %12s %8s\n" "per candidate, 3+3 planes (ms)" "$ours_cand" "$ref_cand" \
  "$(awk -v r="$ref_cand" -v o="$ours_cand" 'BEGIN {printf "%.1fx", r / o}')"
printf "%-34s %12s %12s %8s\n" "total: read + all candidates (ms)" "$ours_total" "$ref_total" "${ratio}x"
awk -v x="$ratio" 'BEGIN {exit !(x >= 5)}' || { echo "ratio ${ratio} < 5" >&2; exit 1; }
