#!/usr/bin/env bash
# `genesis run` / `genesis validate` on hostile inputs (issue 10): each case must end with a
# clear message naming the input, keep every good record beside it, and never crash.
#   - NaN/Inf voxels (NIfTI, .npy, .mat): one policy — the slice is skipped and reported with
#     "N non-finite voxels", an all-non-finite volume is reported, the finite slices are kept.
set -uo pipefail
runfiles="$TEST_SRCDIR/$TEST_WORKSPACE"
genesis="$runfiles/tools/genesis"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# corpus_experiment NAME OUT_DIR [EXTRA CORPUS LINES...] < dataset lines: a one-stage experiment.
corpus_experiment() {
  local name="$1" out="$2"
  shift 2
  echo "name: \"$name\""
  echo "output_dir: \"$out\""
  echo 'stage { corpus {'
  cat
  for line in "$@"; do echo "  $line"; done
  echo '} }'
}
manifest_dataset() {  # manifest_dataset ROOT [EXTRA OPTIONS]
  echo "  dataset { source { type: \"csv_manifest\" options { [type.googleapis.com/genesis.CsvManifestOptions] { root: \"$1\" } } } ${2:-} }"
}
normalize='preprocessor { type: "modality_normalize" }'

# ---- NaN / Inf voxels: the same policy for NIfTI, .npy and .mat. ----
nan="$tmp/nan"
mkdir -p "$nan"
/usr/bin/python3 - "$nan" <<'PY' || fail "writing the NaN fixtures"
import sys, numpy as np, nibabel as nib, scipy.io
d = sys.argv[1]
ct = np.full((16, 16, 4), -500.0, np.float32)  # NIfTI (x, y, z)
ct[3, 4, 1] = np.nan
ct[5, 5, 2] = np.inf
nib.save(nib.Nifti1Image(ct, np.eye(4)), f"{d}/ct_nan.nii.gz")
nib.save(nib.Nifti1Image(np.full((16, 16, 3), np.nan, np.float32), np.eye(4)), f"{d}/all_nan.nii.gz")
mr = np.ones((3, 16, 16), np.float32)  # .npy (z, y, x)
mr[0, 2, 2] = -np.inf
mr[0, 2, 3] = np.nan
np.save(f"{d}/mr_inf.npy", mr)
xr = np.full((16, 16, 3), 100.0)  # .mat (y, x, z)
xr[1, 1, 2] = np.inf
scipy.io.savemat(f"{d}/xr_inf.mat", {"img": xr})
open(f"{d}/manifest.csv", "w").write(
    "dataset,patient_id,modality,body_part,file\n"
    "Nan,p1,CT,chest,ct_nan.nii.gz\n"
    "Nan,p2,CT,chest,all_nan.nii.gz\n"
    "Nan,p3,MR,knee,mr_inf.npy\n"
    "Nan,p4,XR,hand,xr_inf.mat\n")
PY
manifest_dataset "$nan" | corpus_experiment nan "$tmp/run_nan" "$normalize" >"$tmp/nan.textproto"
"$genesis" run "$tmp/nan.textproto" >"$tmp/nan.txt" 2>&1
code=$?
[[ $code -eq 3 ]] || { fail "NaN corpus exited $code, expected 3"; cat "$tmp/nan.txt"; }
/usr/bin/python3 - "$tmp/run_nan/00_corpus" <<'PY' || fail "NaN policy (see above)"
import csv, sys
d = sys.argv[1]
skipped = list(csv.DictReader(open(f"{d}/skipped.csv")))
stored = {r["file"].rsplit("/", 1)[-1]: int(r["selected_slices"])
          for r in csv.DictReader(open(f"{d}/manifest.csv"))}
def reasons(name):
    return [r["reason"] for r in skipped if r["file"].endswith(name)]
ok = True
def expect(cond, what):
    global ok
    if not cond:
        print("FAIL:", what, "\n  skipped:", skipped, "\n  stored:", stored)
        ok = False
expect(sorted(reasons("ct_nan.nii.gz")) == ["volume 0 slice 1: 1 non-finite voxels (NaN/Inf); slice skipped",
                                          "volume 0 slice 2: 1 non-finite voxels (NaN/Inf); slice skipped"],
       "NIfTI NaN and Inf slices reported")
expect(stored.get("ct_nan.nii.gz") == 2, "NIfTI finite slices kept")
expect(any("every voxel (768) is non-finite" in r for r in reasons("all_nan.nii.gz")),
       "all-NaN NIfTI reported")
expect("all_nan.nii.gz" not in stored, "all-NaN NIfTI not stored")
expect(reasons("mr_inf.npy") == ["volume 0 slice 0: 2 non-finite voxels (NaN/Inf); slice skipped"],
       ".npy Inf+NaN slice reported")
expect(stored.get("mr_inf.npy") == 2, ".npy finite slices kept")
expect(reasons("xr_inf.mat") == ["volume 0 slice 2: 1 non-finite voxels (NaN/Inf); slice skipped"],
       ".mat Inf slice reported")
expect(stored.get("xr_inf.mat") == 2, ".mat finite slices kept")
sys.exit(0 if ok else 1)
PY

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS"
