#!/bin/bash
# Issue 7's end-to-end proof, through the genesis binary on real file formats:
#
#   1. A LUNA16-layout fixture (subset0..9 .mhd/.raw with anisotropic spacing and oblique
#      direction matrices, candidates near the border, rows of a series without a scan) goes
#      through corpus -> pretraining -> transfer with 5-fold cross-validation for scratch,
#      self_supervised (this run's pretraining) and imagenet (a random-weight torchvision
#      vgg16_bn saved with torch.save at test time), two label fractions -> evaluate.
#   2. A MURA-layout fixture (official CSVs, a missing image, a 16-bit and an RGB image) does the
#      same with ResNet50 encoders on 3 channels (imagenet from a torchvision resnet50 .pth).
#   3. A wrong weight file (resnet50 weights for a VGG16 encoder) fails the run with the coverage
#      report; nothing is trained from it.
#   4. kill -9 inside a fine-tuning sub-run, then `genesis run` again: predictions, exported
#      classifier and metrics are bit-identical to an uninterrupted run.
#
# Checks read the outputs with Python's csv/json (never Genesis code): every sub-run finished,
# wrote predictions for exactly its fold's samples, every candidate is tested exactly once per
# initialisation and fraction over the folds, and the weight coverage reports say what loaded.
set -euo pipefail
GENESIS="$TEST_SRCDIR/$TEST_WORKSPACE/tools/genesis"
LUNA_FIXTURE="$TEST_SRCDIR/$TEST_WORKSPACE/tools/testdata/make_luna16_task_fixture.py"
MURA_FIXTURE="$TEST_SRCDIR/$TEST_WORKSPACE/plugins/task/testdata/make_mura_fixture.py"
PY=/usr/bin/python3
W="$TEST_TMPDIR/integration"
rm -rf "$W"
mkdir -p "$W"
cd "$W"
export OMP_NUM_THREADS=1

fail() { echo "FAIL: $*" >&2; exit 1; }

$PY "$LUNA_FIXTURE" luna luna >/dev/null
$PY "$MURA_FIXTURE" mura >/dev/null
# Random-weight torchvision models, as a user's ImageNet files would be saved (same format).
$PY - <<'EOF'
import torch, torchvision
torch.manual_seed(0)
torch.save(torchvision.models.vgg16_bn().state_dict(), "vgg16_bn.pth")
torch.save(torchvision.models.resnet50().state_dict(), "resnet50.pth")
EOF

# Common fine-tuning settings: tiny on purpose (this proves the plumbing, not accuracy).
finetune='head { type: "gap_dense" options { [type.googleapis.com/genesis.GapDenseOptions] {
    hidden_units: 64 } } }
  optimizer { type: "sgd" learning_rate: 0.01 momentum: 0.9 }
  schedule { type: "plateau" factor: 0.5 patience: 1 }
  batch_size: 8 max_epochs: 2 warmup_epochs: 1 steps_per_epoch: 3'

cat > luna.textproto <<EOF
name: "integration_luna16"
output_dir: "out_luna"
seed: 7
num_threads: 2
stage { corpus {
  dataset { source { type: "mura" options { [type.googleapis.com/genesis.MuraOptions] {
    root: "mura/MURA-v1.1" check_files: false } } } }
  preprocessor { type: "modality_normalize" }
  split { train: 0.6 val: 0.2 test: 0.2 }
} }
stage { pretrain {
  backbone { type: "unet_vgg16" }
  normalization { type: "batch_norm" }
  pretext { type: "genesis" }
  optimizer { type: "adam" learning_rate: 0.001 }
  batch_size: 4 max_epochs: 1 steps_per_epoch: 2 image_size: 32 max_val_slices: 4
} }
stage { transfer {
  task { type: "luna16" options { [type.googleapis.com/genesis.Luna16TaskOptions] {
    root: "luna" size: 16 positive_copies: 2 negative_fraction: 0.5 } } }
  backbone { type: "unet_vgg16" }
  normalization { type: "batch_norm" }
  initializer { type: "scratch" }
  initializer { type: "self_supervised" }
  initializer { type: "imagenet" options { [type.googleapis.com/genesis.ImageNetOptions] {
    weights: "vgg16_bn.pth" } } }
  in_channels: 1 image_size: 32
  $finetune
} }
stage { evaluate { evaluator { type: "auc" } evaluator { type: "luna16_cpm" } reference: "scratch" } }
EOF

cat > mura.textproto <<EOF
name: "integration_mura"
output_dir: "out_mura"
seed: 7
num_threads: 2
stage { corpus {
  dataset { source { type: "luna16" options { [type.googleapis.com/genesis.Luna16Options] {
    root: "luna" } } }
    sampler { type: "even_budget" options { [type.googleapis.com/genesis.EvenBudgetOptions] {
      slices_per_patient: 3 } } } }
  preprocessor { type: "modality_normalize" }
  split { train: 0.6 val: 0.2 test: 0.2 }
} }
stage { pretrain {
  backbone { type: "unet_resnet50" }
  normalization { type: "batch_norm" }
  pretext { type: "genesis" }
  optimizer { type: "adam" learning_rate: 0.001 }
  batch_size: 4 max_epochs: 1 steps_per_epoch: 2 image_size: 32 in_channels: 3
  max_val_slices: 4
} }
stage { transfer {
  task { type: "mura" options { [type.googleapis.com/genesis.MuraTaskOptions] {
    root: "mura/MURA-v1.1" image_size: 64 val_fraction: 0.3 } } }
  backbone { type: "unet_resnet50" }
  normalization { type: "batch_norm" }
  initializer { type: "scratch" }
  initializer { type: "self_supervised" }
  initializer { type: "imagenet" options { [type.googleapis.com/genesis.ImageNetOptions] {
    weights: "resnet50.pth" } } }
  # 64, not 32: ResNet50's layer4 is 1x1 at 32 and a last batch of one image cannot be
  # batch-normalised in training.
  in_channels: 3 image_size: 64
  label_fractions: 0.5 label_fractions: 1
  $finetune
} }
stage { evaluate { evaluator { type: "auc" } reference: "scratch" } }
EOF

run() {  # NAME FILE [overrides...]: exit 0 or 3 (skipped single inputs) is success
  local name=$1
  shift
  echo "== genesis run $*"
  local rc=0
  "$GENESIS" run "$@" > "$name.log" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
    tail -30 "$name.log"
    fail "$name: genesis run exited $rc"
  fi
}

run luna luna.textproto
run mura mura.textproto

$PY - <<'EOF'
import csv, json, os

def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))

def check_run(out, inits, folds, fractions, coverage, check_fold):
    """Every sub-run finished and wrote its files; returns {(init, fraction): test rows}."""
    stage = os.path.join(out, "02_transfer")
    subruns = rows(os.path.join(stage, "subruns.csv"))
    want = {(i, k, f) for i in inits for k in folds for f in fractions}
    got = {(r["initializer"], int(r["fold"]), float(r["label_fraction"])) for r in subruns}
    assert got == want, f"{out}: sub-runs {sorted(got)} != {sorted(want)}"
    not_done = [r["subrun"] for r in subruns if r["status"] != "done"]
    assert not not_done, f"{out}: unfinished sub-runs {not_done}"
    tested = {}
    for r in subruns:
        d = os.path.join(stage, "subruns", r["subrun"])
        files = ["predictions_val.csv", "predictions_test.csv", "metrics.csv", "subrun.json",
                 "classifier_state_dict.pt", "train_groups.txt"]
        if r["initializer"] != "scratch":  # A file was loaded: its coverage report.
            files.append("weight_coverage.json")
        for name in files:
            p = os.path.join(d, name)
            assert os.path.isfile(p) and os.path.getsize(p) > 0, f"{p}: missing or empty"
        info = json.load(open(os.path.join(d, "subrun.json")))
        assert info["initializer"] == r["initializer"] and info["fold"] == int(r["fold"]), d
        test = rows(os.path.join(d, "predictions_test.csv"))
        val = rows(os.path.join(d, "predictions_val.csv"))
        assert len(test) == info["n_test"] > 0 and len(val) == info["n_val"] > 0, (d, info)
        for p in test + val:
            assert 0.0 <= float(p["score"]) <= 1.0 and p["label"] in ("0", "1"), (d, p)
        # Training, validation and test groups (scans / patients) never overlap.
        train_groups = set(open(os.path.join(d, "train_groups.txt")).read().split())
        test_groups = {p["group"] for p in test}
        val_groups = {p["group"] for p in val}
        assert train_groups and not (test_groups & val_groups), d
        assert not (test_groups & train_groups) and not (val_groups & train_groups), d
        check_fold(int(r["fold"]), test, val)
        ids = [p["id"] for p in test]
        assert len(ids) == len(set(ids)), f"{d}: a test sample scored twice"
        tested.setdefault((r["initializer"], float(r["label_fraction"])), []).extend(test)
        if r["initializer"] != "scratch":
            coverage(r["initializer"], json.load(open(os.path.join(d, "weight_coverage.json"))),
                     d)
    assert os.path.getsize(os.path.join(out, "03_evaluate", "evaluation.json")) > 0
    return tested

def coverage_check(loaded, imagenet_allowed, weights, pretrain_file):
    def check(init, cov, d):
        c = cov["counts"]
        assert cov["ok"] and c["missing"] == c["unexpected"] == c["mismatched"] == 0, (d, c)
        assert c["loaded"] == loaded, (d, c)  # Every encoder tensor came from the file.
        if init == "imagenet":
            assert cov["source"] == weights and c["allowed"] == imagenet_allowed, (d, cov)
        else:
            assert init == "self_supervised" and cov["source"].endswith(pretrain_file), (d, cov)
    return check

# --- LUNA16: fold k tests subsets 2k and 2k+1 (every positive there, a seeded share of the
# negatives), never a series of another subset; every candidate row is reported under its own
# coordinates; each (initialisation, fraction) tests the same candidates, each exactly once.
cands = rows("luna/candidates_V2/candidates_V2.csv")
subset_of = {}
for root, _, files in os.walk("luna"):
    for f in files:
        if f.endswith(".mhd"):
            subset_of[f[:-4]] = int(os.path.basename(root)[len("subset"):])

def luna_fold(k, test, val):
    for p in test:
        assert subset_of[p["seriesuid"]] in (2 * k, 2 * k + 1), (k, p)
        row = cands[int(p["id"][len("cand_"):])]
        assert (row["seriesuid"], row["class"]) == (p["seriesuid"], p["label"]), (p, row)
        assert abs(float(row["coordX"]) - float(p["coordX"])) < 1e-4, (p, row)
    for p in val:
        assert subset_of[p["seriesuid"]] not in (2 * k, 2 * k + 1), (k, p)

tested = check_run("out_luna", ["scratch", "self_supervised", "imagenet"], range(5), [1.0],
                   coverage_check(91, 6, "vgg16_bn.pth", "01_pretrain/encoder_state_dict.pt"),
                   luna_fold)
positives = {i for i, c in enumerate(cands) if c["class"] == "1" and c["seriesuid"] in subset_of}
reference = None
for key, test in tested.items():
    ids = sorted(p["id"] for p in test)
    assert len(ids) == len(set(ids)), f"LUNA16 {key}: a candidate tested in two folds"
    pos = {int(p["id"][len("cand_"):]) for p in test if p["label"] == "1"}
    assert pos == positives, f"LUNA16 {key}: positives tested {sorted(pos)} != {sorted(positives)}"
    assert reference is None or ids == reference, f"LUNA16 {key}: other test candidates"
    reference = ids
sub = rows("out_luna/02_transfer/subruns/imagenet_fold2_seed7_frac1/submission_test.csv")
assert sub and list(sub[0])[:5] == ["seriesuid", "coordX", "coordY", "coordZ", "probability"]
print(f"LUNA16: 15 sub-runs, {len(reference)} candidates tested per initialisation "
      f"({len(positives)} positives)")

# --- MURA: the official valid shoulder images are the test set of the one fold; validation
# patients come from train; per-study means are written.
valid = [l.strip() for l in open("mura/MURA-v1.1/valid_image_paths.csv") if "XR_SHOULDER" in l]
def mura_fold(k, test, val):
    assert sorted("MURA-v1.1/" + p["id"] for p in test) == sorted(valid), test
    assert all(p["id"].startswith("train/XR_SHOULDER/") for p in val), val

tested = check_run("out_mura", ["scratch", "self_supervised", "imagenet"], [0], [0.5, 1.0],
                   coverage_check(318, 2, "resnet50.pth", "01_pretrain/encoder_state_dict.pt"),
                   mura_fold)
for r in rows("out_mura/02_transfer/subruns.csv"):
    d = os.path.join("out_mura/02_transfer/subruns", r["subrun"])
    images = rows(os.path.join(d, "predictions_test.csv"))
    studies = rows(os.path.join(d, "predictions_test_study.csv"))
    assert len(studies) == 4, studies  # patient11185, 11186, 11187 (two studies)
    for s in studies:
        scores = [float(p["score"]) for p in images if p["study"] == s["study"]]
        assert scores and abs(sum(scores) / len(scores) - float(s["score"])) < 1e-6, (d, s)
# Label fractions are nested: the half's training patients are among the full set's.
for init in ("scratch", "self_supervised", "imagenet"):
    half = set(open(f"out_mura/02_transfer/subruns/{init}_fold0_seed7_frac0.5/train_groups.txt").read().split())
    full = set(open(f"out_mura/02_transfer/subruns/{init}_fold0_seed7_frac1/train_groups.txt").read().split())
    assert half and half < full, (init, half, full)
print("MURA: 6 sub-runs, per-image and per-study predictions")
EOF

# --- 3. A wrong weight file fails with the coverage report; nothing is trained from it.
rc=0
"$GENESIS" run luna.textproto 'name="wrong_weights"' 'output_dir="out_wrong"' \
  'stage[2].transfer.initializer[2].options.weights="resnet50.pth"' \
  'stage[2].transfer.fold=[0]' > wrong.log 2>&1 || rc=$?
[ "$rc" -eq 1 ] || { tail -20 wrong.log; fail "wrong weight file: exit $rc, want 1"; }
grep -q "resnet50.pth (state_dict) does not match the model: 0 tensors match" wrong.log ||
  { tail -5 wrong.log; fail "wrong weight file: no coverage message"; }
grep -q "missing from the file: features.0.weight" wrong.log || fail "missing names not listed"
report=out_wrong/02_transfer/subruns/imagenet_fold0_seed7_frac1/weight_coverage.json
grep -q '"ok": false' "$report" || fail "$report: not written or not failed"
test ! -e out_wrong/02_transfer/subruns/imagenet_fold0_seed7_frac1/checkpoint_last.pt ||
  fail "trained from a wrong weight file"
echo "wrong weight file refused with its coverage report"

# --- 4. kill -9 inside a fine-tuning sub-run; the resumed run equals an uninterrupted one.
cat > kill.textproto <<EOF
name: "kill"
seed: 3
num_threads: 1
stage { transfer {
  task { type: "luna16" options { [type.googleapis.com/genesis.Luna16TaskOptions] {
    root: "luna" size: 16 positive_copies: 2 negative_fraction: 0.5 } } }
  backbone { type: "unet_vgg16" options { [type.googleapis.com/genesis.UNetVgg16Options] {
    width_multiplier: 0.25 } } }
  normalization { type: "batch_norm" }
  initializer { type: "scratch" }
  head { type: "gap_dense" options { [type.googleapis.com/genesis.GapDenseOptions] {
    hidden_units: 32 } } }
  optimizer { type: "sgd" learning_rate: 0.01 momentum: 0.9 }
  schedule { type: "plateau" factor: 0.5 patience: 1 }
  batch_size: 8 max_epochs: 3 warmup_epochs: 1 steps_per_epoch: 12 image_size: 32
  in_channels: 1 fold: 0 fold: 1 checkpoint_every_steps: 1 tensorboard: false
} }
EOF
run straight kill.textproto 'output_dir="out_straight"'
sub=00_transfer/subruns
"$GENESIS" run kill.textproto 'output_dir="out_killed"' > killed1.log 2>&1 &
pid=$!
# Kill once the second sub-run has checkpointed a few steps into its second epoch.
metrics="out_killed/$sub/scratch_fold1_seed3_frac1/metrics.csv"
for _ in $(seq 1 600); do
  if [ -f "$metrics" ] && [ "$(wc -l < "$metrics")" -ge 2 ] &&
     grep -q "epoch 2/3 step [3-9]" killed1.log; then
    break
  fi
  kill -0 "$pid" 2>/dev/null || fail "the run ended before it could be killed"
  sleep 0.2
done
kill -9 "$pid"
wait "$pid" 2>/dev/null || true
test ! -e "out_killed/$sub/scratch_fold1_seed3_frac1/.done" || fail "killed after the sub-run ended"
run killed kill.textproto 'output_dir="out_killed"'
grep -q "resum" killed.log || { tail -20 killed.log; fail "the second run did not resume"; }
for k in 0 1; do
  d="$sub/scratch_fold${k}_seed3_frac1"
  for f in predictions_test.csv predictions_val.csv classifier_state_dict.pt submission_test.csv; do
    cmp "out_straight/$d/$f" "out_killed/$d/$f" || fail "$d/$f differs after kill -9 + resume"
  done
  # metrics.csv: everything but wall-clock columns.
  awk -F, -v OFS=, '{NF -= 2; print}' "out_straight/$d/metrics.csv" > a.csv
  awk -F, -v OFS=, '{NF -= 2; print}' "out_killed/$d/metrics.csv" > b.csv
  cmp a.csv b.csv || fail "$d/metrics.csv differs after kill -9 + resume"
done
echo "kill -9 during fine-tuning: resumed bit-identically"
echo PASS
