#!/bin/bash
# Pretraining throughput ratios, measured in one run with 2 threads each:
#   train_ratio       = genesis bare U-Net steps / the same U-Net in PyTorch-Python
#                       (tools/reference_unet.py on Debian's python3-torch)   target >= 1.0
#   end_to_end_ratio  = genesis trainer (data path + pretext + progress + checkpoints) /
#                       genesis bare steps                                     target >= 0.9
# The measurements run alternately ROUNDS times and the best of each is compared, so a busy
# machine (other builds) disturbs all alike.
#
#   tools/bench/train_bench.sh [BACKBONE] [SIZE] [BATCH] [WIDTH] [ROUNDS]
#   e.g. tools/bench/train_bench.sh unet_vgg16 64 16 1.0 3
# Env: ITERATIONS (timed steps per measurement, default 5), E2E_STEPS (trainer steps per end-to-end measurement, default 8),
#      GENESIS (binary, default bazel-bin/tools/genesis), PRETEXT (default genesis).
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKBONE=${1:-unet_vgg16}
SIZE=${2:-64}
BATCH=${3:-16}
WIDTH=${4:-1.0}
ROUNDS=${5:-3}
ITERATIONS=${ITERATIONS:-5}
E2E_STEPS=${E2E_STEPS:-8}
PRETEXT=${PRETEXT:-genesis}
GENESIS=${GENESIS:-bazel-bin/tools/genesis}
[ -x "$GENESIS" ] || bazel build //tools:genesis

field() { awk -v k="$1:" '$1 == k { print $2 }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

echo "backbone $BACKBONE size $SIZE batch $BATCH width $WIDTH, 2 threads, $ROUNDS rounds"
best_cpp=0
best_py=0
best_e2e=0
for round in $(seq "$ROUNDS"); do
  out=$("$GENESIS" bench train --backbone "$BACKBONE" --size "$SIZE" --batch "$BATCH" \
        --threads 2 --iterations "$ITERATIONS" "width=$WIDTH" "e2e_steps=$E2E_STEPS" \
        "pretext=$PRETEXT" 2>/dev/null)
  cpp=$(echo "$out" | field images_per_s)
  e2e=$(echo "$out" | field end_to_end_images_per_s)
  py=$(/usr/bin/python3 tools/reference_unet.py --backbone "$BACKBONE" --size "$SIZE" \
        --batch "$BATCH" --width "$WIDTH" --threads 2 --iterations "$ITERATIONS" |
        field images_per_s)
  echo "round $round: genesis bare $cpp images/s, genesis end-to-end $e2e images/s, python $py images/s"
  best_cpp=$(max "$best_cpp" "$cpp")
  best_e2e=$(max "$best_e2e" "$e2e")
  best_py=$(max "$best_py" "$py")
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "genesis_images_per_s: $best_cpp"
echo "python_images_per_s: $best_py"
echo "end_to_end_images_per_s: $best_e2e"
echo "train_ratio: $(ratio "$best_cpp" "$best_py")"
echo "end_to_end_ratio: $(ratio "$best_e2e" "$best_cpp")"
