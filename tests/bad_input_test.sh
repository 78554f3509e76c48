#!/usr/bin/env bash
# `genesis run` / `genesis validate` on hostile inputs (issue 10): each case must end with a
# clear message naming the input, keep every good record beside it, and never crash.
#   - NaN/Inf voxels (NIfTI, .npy, .mat): one policy — the slice is skipped and reported with
#     "N non-finite voxels", an all-non-finite volume is reported, the finite slices are kept.
#   - a dataset that cannot be listed fails the run (exit 1) unless `optional: true` (exit 3);
#     a bad manifest row is skipped alone; a header-only manifest is an error naming it.
#   - a corpus without a normalising preprocessor fails validation naming the fix; a corpus
#     that stores nothing fails saying why.
#   - `genesis validate --data` lists every dataset source and reports those it cannot list.
#   - the same image under several patient ids is reported as leakage (duplicates.csv; "fail").
#   - out-of-range options (the probe's num_blocks / num_swaps / crop_size / num_threads of 2e9,
#     `genesis corrupt size=2000000000`, `genesis bench --batch -3`) fail validation or the
#     command with a message starting with the field, instead of aborting or hanging.
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

# ---- Datasets that cannot be listed fail the run (exit 1) unless optional. ----
good="$tmp/good"
mkdir -p "$good"
cp "$nan/mr_inf.npy" "$good/mr.npy"
printf 'dataset,patient_id,modality,body_part,file\nGood,g1,MR,knee,mr.npy\nGood,g2,PET,knee,mr.npy\n' \
  >"$good/manifest.csv"
{ manifest_dataset "$good"; manifest_dataset "$tmp/no_such_root"; } |
  corpus_experiment gone "$tmp/run_gone" "$normalize" >"$tmp/gone.textproto"
out=$("$genesis" run "$tmp/gone.textproto" 2>&1)
code=$?
[[ $code -eq 1 ]] || fail "missing dataset root exited $code, expected 1: $out"
grep -q "dataset\[1\] (csv_manifest): cannot list the dataset: .*no_such_root" <<<"$out" \
  || fail "missing root message: $out"
{ manifest_dataset "$good"; manifest_dataset "$tmp/no_such_root" "optional: true"; } |
  corpus_experiment gone_ok "$tmp/run_gone_ok" "$normalize" >"$tmp/gone_ok.textproto"
out=$("$genesis" run "$tmp/gone_ok.textproto" 2>&1)
code=$?
[[ $code -eq 3 ]] || fail "optional missing dataset exited $code, expected 3: $out"
# One bad manifest row is skipped and reported; the good row of the same manifest is kept.
grep -q 'manifest.csv:3,"\?modality: ' "$tmp/run_gone_ok/00_corpus/skipped.csv" \
  || fail "bad manifest row not reported: $(cat "$tmp/run_gone_ok/00_corpus/skipped.csv")"
grep -q "^Good,g1,MR,.*,2," "$tmp/run_gone_ok/00_corpus/manifest.csv" \
  || fail "good manifest row lost: $(cat "$tmp/run_gone_ok/00_corpus/manifest.csv")"

# ---- A header-only manifest is an error naming it. ----
empty="$tmp/empty"
mkdir -p "$empty"
echo 'dataset,patient_id,modality,body_part,file' >"$empty/manifest.csv"
manifest_dataset "$empty" | corpus_experiment empty "$tmp/run_empty" "$normalize" >"$tmp/empty.textproto"
out=$("$genesis" run "$tmp/empty.textproto" 2>&1)
code=$?
[[ $code -eq 1 ]] || fail "header-only manifest exited $code, expected 1: $out"
grep -q "$empty/manifest.csv: has a header but no rows" <<<"$out" || fail "header-only message: $out"

# ---- A corpus without a normalising preprocessor fails validation, naming the fix. ----
manifest_dataset "$good" | corpus_experiment raw "$tmp/run_raw" >"$tmp/raw.textproto"
out=$("$genesis" validate "$tmp/raw.textproto" 2>&1) && fail "corpus without preprocessor validated"
grep -q 'add `preprocessor { type: "modality_normalize" }`' <<<"$out" || fail "no-normaliser message: $out"

# ---- A corpus that stores nothing fails, saying why. ----
allnan="$tmp/allnan"
mkdir -p "$allnan"
cp "$nan/all_nan.nii.gz" "$allnan/"
printf 'dataset,patient_id,modality,body_part,file\nNan,p1,CT,chest,all_nan.nii.gz\n' >"$allnan/manifest.csv"
manifest_dataset "$allnan" | corpus_experiment nothing "$tmp/run_nothing" "$normalize" >"$tmp/nothing.textproto"
out=$("$genesis" run "$tmp/nothing.textproto" 2>&1)
code=$?
[[ $code -eq 1 ]] || fail "empty corpus exited $code, expected 1: $out"
grep -q "corpus: no slice was stored (1 inputs skipped, the first: .*all_nan.nii.gz: volume 0: every voxel" <<<"$out" \
  || fail "empty corpus message: $out"

# ---- genesis validate --data lists every dataset source (no pixels) and reports failures. ----
"$genesis" validate "$tmp/gone.textproto" >/dev/null 2>&1 || fail "plain validate touches data"
start=$SECONDS
out=$("$genesis" validate --data "$tmp/gone.textproto" 2>&1)
code=$?
[[ $code -eq 1 ]] || fail "validate --data with a missing root exited $code, expected 1: $out"
grep -q "gone.textproto: stage\[0\].corpus.dataset\[1\] (csv_manifest): cannot list: .*no_such_root" <<<"$out" \
  || fail "validate --data message: $out"
grep -q "stage\[0\].corpus.dataset\[0\] (csv_manifest): 1 patients, 1 files" <<<"$out" \
  || fail "validate --data listing: $out"
grep -q "would skip .*manifest.csv:3: modality" <<<"$out" || fail "validate --data skipped row: $out"
(( SECONDS - start < 30 )) || fail "validate --data took $((SECONDS - start)) s"
out=$("$genesis" validate --data "$tmp/gone_ok.textproto" 2>&1)
code=$?
[[ $code -eq 0 ]] || fail "validate --data with an optional missing root exited $code: $out"
grep -q "optional: a run goes on without it" <<<"$out" || fail "validate --data optional: $out"

# ---- The same image under four patient ids: duplicate content is reported as leakage. ----
dup="$tmp/dup"
mkdir -p "$dup"
/usr/bin/python3 - "$dup" <<'PY' || fail "writing the duplicate fixtures"
import sys, numpy as np
d = sys.argv[1]
rng = np.random.default_rng(3)
np.save(f"{d}/knee.npy", rng.integers(0, 255, (2, 16, 16)).astype(np.uint8))
np.save(f"{d}/other.npy", rng.integers(0, 255, (2, 16, 16)).astype(np.uint8))
np.save(f"{d}/blank.npy", np.zeros((2, 16, 16), np.uint8))
rows = [f"Dup,p{i},MR,knee,knee.npy" for i in range(4)]
rows += ["Dup,q1,MR,knee,other.npy", "Dup,b1,MR,knee,blank.npy", "Dup,b2,MR,knee,blank.npy"]
open(f"{d}/manifest.csv", "w").write("dataset,patient_id,modality,body_part,file\n" + "\n".join(rows) + "\n")
PY
manifest_dataset "$dup" | corpus_experiment dup "$tmp/run_dup" "$normalize" >"$tmp/dup.textproto"
out=$("$genesis" run "$tmp/dup.textproto" 2>&1)
code=$?
[[ $code -eq 0 ]] || fail "duplicates (warn) exited $code, expected 0: $out"
grep -q "2 group(s) of identical slices (8 slices) span more than one patient" <<<"$out" \
  || fail "duplicate warning: $out"
csv="$tmp/run_dup/00_corpus/duplicates.csv"
[[ $(grep -c ',Dup,p[0-3],' "$csv") -eq 8 ]] || fail "duplicates.csv: $(cat "$csv")"
grep -q ',q1,\|,b1,\|,b2,' "$csv" && fail "distinct or blank slices listed as duplicates: $(cat "$csv")"
manifest_dataset "$dup" | corpus_experiment dup_fail "$tmp/run_dup_fail" "$normalize" 'duplicates: "fail"' \
  >"$tmp/dup_fail.textproto"
out=$("$genesis" run "$tmp/dup_fail.textproto" 2>&1)
code=$?
[[ $code -eq 1 ]] || fail "duplicates (fail) exited $code, expected 1: $out"
grep -q 'possible leakage between splits; e.g. Dup/p0 (' <<<"$out" || fail "duplicate failure: $out"

# ---- Options that validate must also survive the run: out-of-range values fail validation
# naming the field (probe cases of issue 10). ----
pretrain_with() {  # pretrain_with PRETEXT_SPEC
  echo 'name: "bounds"'
  echo 'stage { pretrain {'
  echo '  backbone { type: "unet_vgg16" }'
  echo "  $1"
  echo '} }'
}
while IFS='|' read -r spec expect; do
  [[ -z "$spec" ]] && continue
  pretrain_with "$spec" >"$tmp/bounds.textproto"
  out=$(timeout 60 "$genesis" validate "$tmp/bounds.textproto" 2>&1)
  code=$?
  [[ $code -eq 1 ]] || fail "validate exited $code for '$spec', expected 1: $out"
  grep -qF "$expect" <<<"$out" || fail "validate message for '$spec': $out"
done <<'CASES'
pretext { type: "local_shuffle" options { [type.googleapis.com/genesis.LocalShuffleOptions] { num_blocks: 2000000000 } } }|num_blocks: must be <= 1000000, got 2000000000
pretext { type: "context_restoration" options { [type.googleapis.com/genesis.ContextRestorationOptions] { num_swaps: 2000000000 } } }|num_swaps: must be <= 10000, got 2000000000
pretext { type: "in_painting" options { [type.googleapis.com/genesis.InPaintingOptions] { max_boxes: 2000000000 } } }|max_boxes: must be <= 1000, got 2000000000
pretext { type: "out_painting" options { [type.googleapis.com/genesis.OutPaintingOptions] { max_windows: 2000000000 } } }|max_windows: must be <= 1000, got 2000000000
pretext { type: "flip" options { [type.googleapis.com/genesis.FlipOptions] { max_flips: 2000000000 } } }|max_flips: must be <= 64, got 2000000000
pretext { type: "nonlinear" options { [type.googleapis.com/genesis.NonlinearOptions] { lut_size: 2000000000 } } }|lut_size: must be <= 1048576, got 2000000000
CASES
for extra in 'num_threads: 2000000000' 'preprocessor { type: "random_crop_resize" options { [type.googleapis.com/genesis.RandomCropResizeOptions] { crop_size: 2000000000 } } }'; do
  manifest_dataset "$good" | corpus_experiment bounds "$tmp/run_bounds" "$normalize" "$extra" \
    >"$tmp/bounds_corpus.textproto"
  out=$(timeout 60 "$genesis" validate "$tmp/bounds_corpus.textproto" 2>&1)
  code=$?
  [[ $code -eq 1 ]] || fail "validate exited $code for '$extra', expected 1: $out"
  grep -q "num_threads: must be in \[0, 1024\]\|crop_size: must be in \[0, 16384\]" <<<"$out" \
    || fail "validate message for '$extra': $out"
done
out=$(timeout 60 "$genesis" corrupt size=2000000000 out="$tmp/c" 2>&1)
code=$?
[[ $code -eq 2 ]] || fail "genesis corrupt size=2000000000 exited $code, expected 2 (usage): $out"
grep -q "size: must be in \[8, 8192\], got 2000000000" <<<"$out" || fail "corrupt size message: $out"
out=$(timeout 60 "$genesis" bench train --batch -3 2>&1)
code=$?
[[ $code -eq 1 ]] || fail "genesis bench train --batch -3 exited $code, expected 1: $out"
grep -q -- "--batch: must be in \[1, 4096\], got -3" <<<"$out" || fail "bench batch message: $out"

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "PASS"
