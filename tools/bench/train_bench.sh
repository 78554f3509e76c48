#!/bin/bash
# Pretraining throughput ratios, measured in one run with 2 threads each:
#   train_ratio       = genesis bare U-Net steps / the same U-Net in PyTorch-Python
#                       (tools/reference_unet.py on Debian's python3-torch)   target >= 1.0
#   end_to_end_ratio  = genesis trainer (data path + pretext + progress + checkpoints) /
#                       genesis bare steps                                     target >= 0.9
# The two implementations run alternately ROUNDS times and the best of each is compared, so a
# busy machine (other builds) disturbs both alike.
#
#   tools/bench/train_bench.sh [BACKBONE] [SIZE] [BATCH] [WIDTH] [ROUNDS]
#   e.g. tools/bench/train_bench.sh unet_vgg16 64 16 1.0 3
# Env: ITERATIONS (timed steps per measurement, default 5), E2E_STEPS (default 20),
#      GENESIS (binary, default bazel-bin/tools/genesis), PRETEXT (default genesis).
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKBONE=${1:-unet_vgg16}
SIZE=${2:-64}
BATCH=${3:-16}
WIDTH=${4:-1.0}
ROUNDS=${5:-3}
ITERATIONS=${ITERATIONS:-5}
E2E_STEPS=${E2E_STEPS:-20}
PRETEXT=${PRETEXT:-genesis}
GENESIS=${GENESIS:-bazel-bin/tools/genesis}
[ -x "$GENESIS" ] || bazel build //tools:genesis

field() { awk -v k="$1:" '$1 == k { print $2 }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

echo "backbone $BACKBONE size $SIZE batch $BATCH width $WIDTH, 2 threads, $ROUNDS rounds"
best_cpp=0
best_py=0
for round in $(seq "$ROUNDS"); do
  cpp=$("$GENESIS" bench train --backbone "$BACKBONE" --size "$SIZE" --batch "$BATCH" \
        --threads 2 --iterations "$ITERATIONS" "width=$WIDTH" e2e_steps=0 2>/dev/null |
        field images_per_s)
  py=$(/usr/bin/python3 tools/reference_unet.py --backbone "$BACKBONE" --size "$SIZE" \
        --batch "$BATCH" --width "$WIDTH" --threads 2 --iterations "$ITERATIONS" |
        field images_per_s)
  echo "round $round: genesis $cpp images/s, python $py images/s"
  best_cpp=$(max "$best_cpp" "$cpp")
  best_py=$(max "$best_py" "$py")
done
echo "genesis_images_per_s: $best_cpp"
echo "python_images_per_s: $best_py"
echo "train_ratio: $(awk -v a="$best_cpp" -v b="$best_py" 'BEGIN { printf "%.3f", a / b }')"

out=$("$GENESIS" bench train --backbone "$BACKBONE" --size "$SIZE" --batch "$BATCH" --threads 2 \
      --iterations "$ITERATIONS" "width=$WIDTH" "e2e_steps=$E2E_STEPS" "pretext=$PRETEXT" \
      2>/dev/null)
echo "bare_images_per_s: $(echo "$out" | field images_per_s)"
echo "end_to_end_images_per_s: $(echo "$out" | field end_to_end_images_per_s)"
echo "end_to_end_ratio: $(echo "$out" | field end_to_end_ratio)"
