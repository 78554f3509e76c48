#!/usr/bin/env bash
# Kill-anywhere (issue 10): `genesis run` of a corpus + pretraining experiment is killed with
# SIGKILL at random points -- inside the corpus build, inside pretraining, and anywhere -- and
# started again on the same folder each time; the finished folder must hold the same bytes as an
# uninterrupted run's: the slice store, its manifest and summaries, the checkpoints, the encoder
# export, the sample grids and the metrics (wall-clock columns aside). No temporary file of an
# interrupted write may be left behind. (Fine-tuning is killed the same way in
# //tests:transfer_integration_test; the pretraining stage's own gtest kills it once, in-process.)
#
# The kill points are random: KILL_SEED=<n> replays a run's points (the seed is printed first).
set -uo pipefail
genesis="$TEST_SRCDIR/$TEST_WORKSPACE/tools/genesis"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
cd "$tmp" || exit 1
rm -rf data straight killed ./*.log
export OMP_NUM_THREADS=1
seed="${KILL_SEED:-$(( $(date +%s) % 32768 ))}"
RANDOM=$seed
echo "kill points drawn with KILL_SEED=$seed"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
die() { echo "FAIL: $*"; echo "0 passed, 1 failed"; exit 1; }

# 48 CT patients of 24 slices (128x128) as .npy volumes listed by a csv_manifest: enough work for
# the corpus build to take a few seconds, so random kills land inside it.
mkdir -p data
/usr/bin/python3 - data <<'PY' || die "writing the fixture"
import sys, numpy as np
d = sys.argv[1]
rows = ["dataset,patient_id,modality,body_part,file"]
yy, xx = np.mgrid[0:128, 0:128]
for p in range(48):
    rng = np.random.default_rng(p)
    vol = np.full((24, 128, 128), -1000.0, np.float32)
    for z in range(24):
        r = 30 + 10 * np.sin(z / 4 + p)
        body = (yy - 64) ** 2 + (xx - 64) ** 2 < r * r * 2
        vol[z][body] = 40 + 30 * rng.standard_normal(body.sum())
    np.save(f"{d}/p{p:02d}.npy", vol)
    rows.append(f"Kill,p{p:02d},CT,chest,p{p:02d}.npy")
open(f"{d}/manifest.csv", "w").write("\n".join(rows) + "\n")
PY
cat >kill.textproto <<PB
name: "kill"
seed: 5
num_threads: 1
stage { corpus {
  dataset { source { type: "csv_manifest" options { [type.googleapis.com/genesis.CsvManifestOptions] {
    root: "$tmp/data" } } } }
  preprocessor { type: "modality_normalize" }
  split { train: 0.7 val: 0.15 test: 0.15 }
} }
stage { pretrain {
  backbone { type: "unet_vgg16" options { [type.googleapis.com/genesis.UNetVgg16Options] {
    width_multiplier: 0.125 } } }
  normalization { type: "batch_norm" }
  pretext { type: "genesis" }
  loss: "mse"
  optimizer { type: "adam" learning_rate: 0.001 }
  schedule { type: "plateau" factor: 0.5 patience: 1 }
  batch_size: 8 max_epochs: 3 steps_per_epoch: 8 image_size: 32
  checkpoint_every_steps: 1 sample_every_steps: 4
} }
PB

# same_checkpoint.py A B: exit 0 when two training checkpoints hold the same values.
cat >same_checkpoint.py <<'PY'
import sys
import torch

def values(path):
    m = torch.jit.load(path)
    out = {}
    for name, t in list(m.model.named_parameters()) + list(m.model.named_buffers()):
        out["model." + name] = t
    opt = m.optimizer
    groups = opt.param_groups
    for g in range(int(getattr(groups, "param_groups/size"))):
        group = getattr(groups, f"param_groups/{g}")
        for i in range(int(getattr(group, "params/size"))):
            key = getattr(group, f"params/{i}")
            if not hasattr(opt.state, key):
                continue
            state = getattr(opt.state, key)
            for attr in ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq", "momentum_buffer"):
                if hasattr(state, attr):
                    out[f"optimizer.{g}.{i}.{attr}"] = getattr(state, attr)
    for attr in ("epoch", "step_in_epoch", "global_step", "best", "has_best",
                 "epochs_since_best", "last_val", "finished", "early_stopped", "train_loss_sum",
                 "train_loss_count", "train_images", "schedule_lr", "schedule_best",
                 "schedule_bad_epochs", "extra"):  # (config: bytes TorchScript cannot decode)
        if hasattr(m, attr):
            out[attr] = getattr(m, attr)
    # metrics_csv: all but the wall-clock columns (the last two).
    out["metrics_csv"] = [",".join(line.split(",")[:-2]) for line in m.metrics_csv.splitlines()]
    return out

a, b = values(sys.argv[1]), values(sys.argv[2])
bad = sorted(set(a) ^ set(b))
for k in sorted(set(a) & set(b)):
    x, y = a[k], b[k]
    same = torch.equal(x, y) if isinstance(x, torch.Tensor) else x == y
    if not same:
        bad.append(k)
if len(a) < 20:
    bad.append(f"only {len(a)} values found in {sys.argv[1]}")
if bad:
    print(f"{sys.argv[1]} vs {sys.argv[2]}: differ in {bad[:10]}")
    sys.exit(1)
PY

# ---- Uninterrupted, timing when the corpus stage ends. ----
start_ms=$(date +%s%3N)
"$genesis" run kill.textproto output_dir='"straight"' >straight.log 2>&1 &
pid=$!
corpus_ms=""
while kill -0 "$pid" 2>/dev/null; do
  if [ -z "$corpus_ms" ] && [ -e straight/00_corpus/.done ]; then
    corpus_ms=$(( $(date +%s%3N) - start_ms ))
  fi
  sleep 0.02
done
wait "$pid"
code=$?
total_ms=$(( $(date +%s%3N) - start_ms ))
[ "$code" -eq 0 ] || { tail -20 straight.log; die "the uninterrupted run exited $code"; }
[ -n "$corpus_ms" ] || die "never saw straight/00_corpus/.done while the run went on"
echo "uninterrupted: corpus done after ${corpus_ms} ms, whole run ${total_ms} ms"
[ -e straight/01_pretrain/encoder_state_dict.pt ] || die "the uninterrupted run has no encoder export"

# rand_ms LOW HIGH: a random integer in [LOW, HIGH].
rand_ms() { echo $(( $1 + (RANDOM * 32768 + RANDOM) % ($2 - $1 + 1) )); }

# ---- Killed runs on one folder. Each `attempt` starts `genesis run`, waits for its condition,
# then sleeps a random time and kills; it records where the kill landed. ----
kills=()
attempt() {  # attempt PHASE DELAY_MS [WAIT_FOR_FILE]
  local phase="$1" delay="$2" wait_for="${3:-}" n=${#kills[@]}
  "$genesis" run kill.textproto output_dir='"killed"' >"killed_$n.log" 2>&1 &
  local pid=$!
  if [ -n "$wait_for" ]; then
    while [ ! -e "$wait_for" ] && kill -0 "$pid" 2>/dev/null; do sleep 0.01; done
  fi
  sleep "$(printf '%d.%03d' $((delay / 1000)) $((delay % 1000)))"
  local where
  if [ ! -e killed/00_corpus/.done ]; then where="corpus"
  elif [ ! -e killed/01_pretrain/.done ]; then where="pretrain"
  else where="after"; fi
  if kill -9 "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    kills+=("$phase:${delay}ms:$where")
    echo "kill $n ($phase, +${delay} ms): landed in $where"
  else
    wait "$pid"
    local rc=$?
    echo "kill $n ($phase, +${delay} ms): the run had already ended (exit $rc)"
    kills+=("$phase:${delay}ms:ended")
    [ "$rc" -eq 0 ] || { tail -20 "killed_$n.log"; fail "a resumed run exited $rc (killed_$n.log)"; }
  fi
}
# Two kills inside the corpus build (from the process start: the corpus stage runs first).
attempt corpus "$(rand_ms 150 "$corpus_ms")"
[ -e killed/00_corpus/.done ] || attempt corpus "$(rand_ms 150 "$corpus_ms")"
# Two kills inside pretraining: a random time after its stage folder appears.
pretrain_ms=$(( total_ms - corpus_ms ))
[ "$pretrain_ms" -gt 400 ] || pretrain_ms=400
attempt pretrain "$(rand_ms 50 $(( pretrain_ms * 2 / 3 )))" killed/01_pretrain
attempt pretrain "$(rand_ms 50 $(( pretrain_ms * 2 / 3 )))" killed/01_pretrain
# Two anywhere in a run.
attempt anywhere "$(rand_ms 50 "$total_ms")"
attempt anywhere "$(rand_ms 50 "$total_ms")"
# Then to the end.
"$genesis" run kill.textproto output_dir='"killed"' >final.log 2>&1
code=$?
[ "$code" -eq 0 ] || { tail -20 final.log; die "the final run exited $code"; }
grep -q ":corpus$" <<<"$(printf '%s\n' "${kills[@]}")" || fail "no kill landed in the corpus build (${kills[*]})"
grep -q ":pretrain$" <<<"$(printf '%s\n' "${kills[@]}")" || fail "no kill landed in pretraining (${kills[*]})"

# ---- Same bytes. Compared: every file of the uninterrupted folder except logs, lock files,
# stage markers and the per-run records that hold times, pids or host names by design. ----
compared=0
while IFS= read -r f; do
  case "$f" in
    *.log | */.lock* | .lock* | */.done | */.started | */events.out.tfevents.* | run.json | \
    */timing.json | */progress.json) continue ;;
  esac
  if [ ! -e "killed/$f" ]; then
    fail "killed/$f is missing"
    continue
  fi
  compared=$((compared + 1))
  case "$f" in
    */checkpoint_*.pt)
      # LibTorch's optimizer archive keys its state by tensor addresses and numbers its code
      # objects per process, so the bytes of two equal checkpoints differ: compare what they
      # hold (every tensor and value by name, the optimizer state by parameter position).
      /usr/bin/python3 "$tmp/same_checkpoint.py" "straight/$f" "killed/$f" ||
        fail "$f holds other values after kill -9 + resume" ;;
    stages.csv)  # The last column is the stage's wall-clock seconds.
      cmp -s <(cut -d, -f1-3 "straight/$f") <(cut -d, -f1-3 "killed/$f") ||
        fail "$f differs after kill -9 + resume" ;;
    experiment.resolved.textproto)  # Differs only in output_dir, by construction.
      cmp -s <(grep -v '^output_dir:' "straight/$f") <(grep -v '^output_dir:' "killed/$f") ||
        fail "$f differs after kill -9 + resume" ;;
    */metrics.csv)
      # Wall-clock columns (seconds, the time stamp) are the last two.
      awk -F, -v OFS=, '{NF -= 2; print}' "straight/$f" >a.csv
      awk -F, -v OFS=, '{NF -= 2; print}' "killed/$f" >b.csv
      cmp -s a.csv b.csv || fail "$f differs after kill -9 + resume" ;;
    *)
      cmp -s "straight/$f" "killed/$f" || fail "$f differs after kill -9 + resume" ;;
  esac
done < <(cd straight && find . -type f | sed 's|^\./||' | sort)
echo "compared $compared files"
[ "$compared" -ge 10 ] || fail "only $compared files compared"
for must in 00_corpus/store/index.csv 01_pretrain/checkpoint_last.pt \
            01_pretrain/encoder_state_dict.pt 01_pretrain/metrics.csv; do
  [ -e "straight/$must" ] || fail "the uninterrupted run has no $must (layout changed?)"
done
# Nothing half-written left behind, and no file the uninterrupted run does not have.
leftovers=$(cd killed && find . -type f \( -name '*.tmp*' -o -name '*.partial*' \) | sort)
[ -z "$leftovers" ] || fail "temporary files left behind: $leftovers"
extra=$(comm -13 <(cd straight && find . -type f ! -name '*.log' ! -name '.lock*' \
                     ! -name 'events.out.tfevents.*' | sort) \
                 <(cd killed && find . -type f ! -name '*.log' ! -name '.lock*' \
                     ! -name 'events.out.tfevents.*' | sort))
[ -z "$extra" ] || fail "files only in the killed run's folder: $extra"

if [ "$failures" -eq 0 ]; then
  echo "kills: ${kills[*]}"
  echo "1 passed, 0 failed"
else
  echo "kills: ${kills[*]} (KILL_SEED=$seed)"
  echo "0 passed, 1 failed"
  exit 1
fi
