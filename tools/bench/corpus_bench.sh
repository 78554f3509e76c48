#!/usr/bin/env bash
# Corpus throughput in one run:
#   1. `genesis bench corpus`: slices/s building a slice store (HU window + crop 448 + resize
#      224 + uint16 store, synthetic 512^2 CT slices) and streaming it through OrderedLoader
#      (core/ordered_loader.h, the loader training uses);
#   2. end to end: `genesis run` of a corpus stage over NIfTI CT volumes written here with
#      nibabel (csv_manifest source, nifti reader, both passes, modality_normalize,
#      random_crop_resize, store, manifest, summary), as slices/s of the whole stage.
#
#   tools/bench/corpus_bench.sh                     # 1000 synthetic slices, 8 volumes of 64
#   SLICES=3000 VOLUMES=16 DEPTH=64 THREADS=2 tools/bench/corpus_bench.sh
set -euo pipefail

cd "$(dirname "$0")/../.."
SLICES="${SLICES:-1000}"
VOLUMES="${VOLUMES:-8}"
DEPTH="${DEPTH:-64}"
THREADS="${THREADS:-2}"
PYTHON="${PYTHON:-/usr/bin/python3}"

bazel build //tools:genesis >&2
GENESIS="$(bazel info bazel-bin 2>/dev/null)/tools/genesis"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== genesis bench corpus ($SLICES slices, $THREADS threads)"
"$GENESIS" bench corpus --iterations "$SLICES" --threads "$THREADS" | tee "$tmp/bench.txt"

echo "== end to end: genesis run corpus over $VOLUMES NIfTI CT volumes of 512x512x$DEPTH"
"$PYTHON" - "$tmp/data" "$VOLUMES" "$DEPTH" <<'PY'
import os, sys
import numpy as np, nibabel as nib
out, n, depth = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
rows = ["dataset,patient_id,modality,body_part,file"]
for i in range(n):
    vol = rng.integers(-1024, 2000, size=(512, 512, depth), dtype=np.int16)
    nib.save(nib.Nifti1Image(vol, np.diag([0.7, 0.7, 2.5, 1.0])), f"{out}/ct_{i}.nii.gz")
    rows.append(f"BenchCT,p{i},CT,chest,ct_{i}.nii.gz")
open(f"{out}/manifest.csv", "w").write("\n".join(rows) + "\n")
PY
cat >"$tmp/corpus.textproto" <<PB
name: "corpus_bench"
output_dir: "$tmp/run"
num_threads: $THREADS
stage { corpus {
  dataset { source { type: "csv_manifest" options {
    [type.googleapis.com/genesis.CsvManifestOptions] { root: "$tmp/data" } } } }
  preprocessor { type: "modality_normalize" }
  preprocessor { type: "random_crop_resize" }
} }
PB
start=$(date +%s.%N)
"$GENESIS" run "$tmp/corpus.textproto" >"$tmp/run.log" 2>&1 || { cat "$tmp/run.log"; exit 1; }
end=$(date +%s.%N)
slices=$(($(wc -l <"$tmp/run/00_corpus/store/index.csv") - 1))
stage_s=$(awk -F, '$2 == "corpus" {print $4}' "$tmp/run/stages.csv" | tail -1)
awk -v n="$slices" -v s="$stage_s" -v w="$start" -v e="$end" 'BEGIN {
  printf "e2e_slices: %d\ne2e_stage_seconds: %.2f\ne2e_slices_per_s: %.1f\ne2e_wall_seconds: %.2f\n",
         n, s, n / s, e - w }'
build=$(awk '/^build_slices_per_s:/ {print $2}' "$tmp/bench.txt")
stream=$(awk '/^stream_slices_per_s:/ {print $2}' "$tmp/bench.txt")
awk -v b="$build" -v s="$stream" 'BEGIN { printf "stream_to_build_ratio: %.1f\n", s / b }'
