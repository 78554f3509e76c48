#!/usr/bin/env bash
# `genesis run` with a corpus stage over the fixtures of every dataset source
# (tools/testdata/make_fixtures.py), plus a csv_manifest folder seeded with broken files.
# Checks: exit code 3 (completed, inputs skipped), manifest / split / summary CSV+PNG / store
# written, every dataset present in the store, every broken file listed in skipped.csv, every
# good slice kept, no DICOM PatientName copied into any output.
set -uo pipefail
runfiles="$TEST_SRCDIR/$TEST_WORKSPACE"
genesis="$runfiles/tools/genesis"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
fx="$tmp/fixtures"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

/usr/bin/python3 "$runfiles/tools/testdata/make_fixtures.py" "$fx" >/dev/null \
  || { echo "FAIL: make_fixtures.py"; exit 1; }

# Broken files next to good ones, listed by a csv_manifest.
bad="$tmp/broken"
mkdir -p "$bad"
cp "$fx/csv_manifest/scans/hand.png" "$bad/good, hand.png"
cp "$fx/csv_manifest/scans/p1, visit 1.nii.gz" "$bad/good_ct.nii.gz"
head -c 200 "$fx/csv_manifest/scans/p1, visit 1.nii.gz" >"$bad/truncated.nii.gz"
echo "not an image" >"$bad/notes.txt"
printf '\x89PNG\r\n\x1a\ngarbage' >"$bad/corrupt.png"
cat >"$bad/manifest.csv" <<'CSV'
dataset,patient_id,modality,body_part,file,label
Broken,b1,XR,hand,"good, hand.png",0
Broken,b1,XR,hand,corrupt.png,0
Broken,b2,CT,abdomen,good_ct.nii.gz,1
Broken,b2,CT,abdomen,truncated.nii.gz,1
Broken,b3,CT,abdomen,notes.txt,1
CSV

src() {  # src TYPE OPTIONS_MESSAGE ROOT [SAMPLER_BUDGET]
  local sampler=""
  if [[ -n "${4:-}" ]]; then
    sampler="sampler { type: \"even_budget\" options { [type.googleapis.com/genesis.EvenBudgetOptions] { slices_per_patient: $4 } } }"
  fi
  echo "    dataset { source { type: \"$1\" options { [type.googleapis.com/genesis.$2] { root: \"$3\" } } } $sampler }"
}
{
  echo 'name: "corpus_fixtures"'
  echo "output_dir: \"$tmp/run\""
  echo 'seed: 7'
  echo 'num_threads: 2'
  echo 'stage {'
  echo '  corpus {'
  for task in Task03_Liver Task05_Prostate Task07_Pancreas Task08_HepaticVessel Task09_Spleen Task10_Colon; do
    src msd MsdOptions "$fx/msd/$task" 4
  done
  src cq500 Cq500Options "$fx/cq500" 4
  src ct_lymph_nodes CtLymphNodesOptions "$fx/ct_lymph_nodes/CT Lymph Nodes"
  src chaos ChaosOptions "$fx/chaos/CHAOS_Train_Sets"
  src deeplesion DeepLesionOptions "$fx/deeplesion"
  src mrnet MrnetOptions "$fx/mrnet/MRNet-v1.0" 5
  src mura MuraOptions "$fx/mura/MURA-v1.1"
  src cardiac_mri CardiacMriOptions "$fx/cardiac_mri" 6
  src chestxray14 ChestXray14Options "$fx/chestxray14" 2
  src brain_tumor_figshare BrainTumorFigshareOptions "$fx/brain_tumor_figshare"
  src oasis OasisOptions "$fx/oasis" 4
  src ibsr IbsrOptions "$fx/ibsr" 4
  src luna16 Luna16Options "$fx/luna16" 4
  src csv_manifest CsvManifestOptions "$fx/csv_manifest"
  src csv_manifest CsvManifestOptions "$bad"
  echo '    preprocessor { type: "modality_normalize" }'
  echo '    preprocessor { type: "random_crop_resize" options { [type.googleapis.com/genesis.RandomCropResizeOptions] { crop_size: 32 output_size: 16 } } }'
  echo '    store { slices_per_shard: 64 }'
  echo '  }'
  echo '}'
} >"$tmp/corpus.textproto"

"$genesis" run "$tmp/corpus.textproto" >"$tmp/out.txt" 2>&1
code=$?
[[ $code -eq 3 ]] || { fail "genesis run exited $code, expected 3 (skipped inputs)"; cat "$tmp/out.txt"; }

stage="$tmp/run/00_corpus"
for f in manifest.csv split.csv skipped.csv store/index.csv store/store_info.txt \
         summary/slices_per_modality.csv summary/slices_per_body_part.csv \
         summary/slices_per_dataset.csv summary/patients_per_dataset.csv \
         summary/slices_per_split.csv summary/slices_per_modality.png \
         summary/slices_per_dataset.png summary/patients_per_dataset.png \
         summary/slices_per_patient.png summary/slices_per_body_part.png; do
  [[ -s "$stage/$f" ]] || fail "missing output $f"
done

# Every dataset of every source reached the store.
for ds in MSD-Liver MSD-Prostate MSD-Pancreas MSD-HepaticVessel MSD-Spleen MSD-Colon; do
  grep -q "^$ds," "$stage/summary/slices_per_dataset.csv" || fail "dataset $ds missing from summary"
done
datasets=$(tail -n +2 "$stage/summary/slices_per_dataset.csv" | wc -l)
[[ $datasets -ge 21 ]] || fail "expected >= 21 datasets in the summary, got $datasets"
for m in CT MR XR; do
  grep -q "^$m," "$stage/summary/slices_per_modality.csv" || fail "modality $m missing"
done

# Skipped: exactly the three broken files, each with a reason; the good ones are stored.
skipped=$(tail -n +2 "$stage/skipped.csv")
for f in corrupt.png truncated.nii.gz notes.txt; do
  grep -q "$bad/$f" <<<"$skipped" || fail "$f not in skipped.csv"
done
n_skipped=$(grep -c "^\"\?$bad/" <<<"$skipped")
[[ $n_skipped -eq 3 ]] || fail "expected 3 skipped broken files, got $n_skipped: $skipped"
grep -q "Broken,b1" "$stage/store/index.csv" || fail "good PNG of b1 not stored"
ct_slices=$(grep -c "Broken,b2" "$stage/store/index.csv")
good_ct_depth=$(grep "good_ct.nii.gz" "$stage/manifest.csv" | awk -F, '{print $8}')
[[ -n "$good_ct_depth" && $ct_slices -eq $good_ct_depth ]] \
  || fail "good CT of b2: stored $ct_slices slices, volume has $good_ct_depth"
grep -q "skipped" "$tmp/out.txt" || fail "genesis run output does not mention skipped inputs"

# The manifest reads back: `genesis manifest` totals match the store.
stored=$(($(wc -l <"$stage/store/index.csv") - 1))
total=$("$genesis" manifest "$stage/manifest.csv" | tail -1)
grep -q "\"stored_slices\":$stored}" <<<"$total" || fail "genesis manifest total '$total' != $stored stored slices"

# Split: every patient in exactly one split.
dups=$(tail -n +2 "$stage/split.csv" | awk -F, '{print $1","$2}' | sort | uniq -d | wc -l)
[[ $dups -eq 0 ]] || fail "patients listed twice in split.csv"

# No patient name from the DICOM fixtures in any output.
if grep -rqa "FIXTURE^PATIENT\|FIXTURE PATIENT" "$stage"; then fail "patient name copied into outputs"; fi

# A DICOM series with one truncated slice file: the file is skipped and named, the series'
# other slices are kept (make_fixtures.py --only broken: bad/dicom has 3 slices, #1 cut short).
/usr/bin/python3 "$runfiles/tools/testdata/make_fixtures.py" "$tmp/fx_broken" --only broken >/dev/null \
  || fail "make_fixtures.py --only broken"
cat >"$tmp/broken.textproto" <<PB
name: "broken"
output_dir: "$tmp/run_broken"
stage { corpus {
  dataset { source { type: "csv_manifest" options {
    [type.googleapis.com/genesis.CsvManifestOptions] { root: "$tmp/fx_broken/broken" } } } }
  preprocessor { type: "modality_normalize" }
} }
PB
"$genesis" run "$tmp/broken.textproto" >"$tmp/out_broken.txt" 2>&1
code=$?
[[ $code -eq 3 ]] || { fail "broken fixture: genesis run exited $code, expected 3"; cat "$tmp/out_broken.txt"; }
bstage="$tmp/run_broken/00_corpus"
grep -q "bad/dicom/000001.dcm" "$bstage/skipped.csv" || fail "truncated series slice not in skipped.csv"
kept=$(grep -c "Broken,bad_dicom" "$bstage/store/index.csv")
[[ $kept -eq 2 ]] || fail "bad_dicom: expected the 2 good slices of the series kept, got $kept"
good=$(grep -c "Broken,good_dicom" "$bstage/store/index.csv")
[[ $good -eq 3 ]] || fail "good_dicom: expected 3 slices, got $good"
for f in bad/truncated.nii.gz bad/corrupt.png bad/empty.png bad/notes.txt; do
  grep -q "$f" "$bstage/skipped.csv" || fail "$f not in skipped.csv"
done

if [[ $failures -gt 0 ]]; then
  echo "$failures failure(s)"
  exit 1
fi
echo "corpus over all fixtures: OK ($(tail -n +2 "$stage/store/index.csv" | wc -l) slices)"
