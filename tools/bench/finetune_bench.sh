#!/bin/bash
# Fine-tuning throughput ratios, measured in one run (same threads each):
#   finetune_ratio    = genesis bare classifier steps / the same classifier in PyTorch-Python
#                       (tools/bench/reference_classifier.py, Debian's python3-torch +
#                       torchvision)                                           target >= 1.0
#   end_to_end_ratio  = genesis fine-tuning (task loading, loader, progress, checkpoints,
#                       metrics) / genesis bare steps
# The two measurements alternate ROUNDS times and the best of each is compared, so a busy
# machine disturbs both alike.
#
#   tools/bench/finetune_bench.sh [BACKBONE] [SIZE] [BATCH] [ROUNDS]
#   e.g. tools/bench/finetune_bench.sh unet_vgg16 64 32 3
# Env: THREADS (default 2), ITERATIONS (default 10), E2E_STEPS (default 8), CHANNELS (3),
#      GENESIS (binary, default bazel-bin/tools/genesis).
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKBONE=${1:-unet_vgg16}
SIZE=${2:-64}
BATCH=${3:-32}
ROUNDS=${4:-3}
THREADS=${THREADS:-2}
ITERATIONS=${ITERATIONS:-10}
E2E_STEPS=${E2E_STEPS:-8}
CHANNELS=${CHANNELS:-3}
GENESIS=${GENESIS:-bazel-bin/tools/genesis}
[ -x "$GENESIS" ] || bazel build //tools:genesis

field() { awk -v k="$1:" '$1 == k { print $2 }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
best() { eval "best_$1=\$(max \"\${best_$1:-0}\" \"$2\")"; }
echo "backbone $BACKBONE size $SIZE batch $BATCH channels $CHANNELS, $THREADS threads, $ROUNDS rounds"
for round in $(seq "$ROUNDS"); do
  out=$("$GENESIS" bench finetune --backbone "$BACKBONE" --size "$SIZE" --batch "$BATCH" \
        --threads "$THREADS" --iterations "$ITERATIONS" "channels=$CHANNELS" \
        "e2e_steps=$E2E_STEPS" 2>/dev/null)
  py=$(/usr/bin/python3 tools/bench/reference_classifier.py --backbone "$BACKBONE" \
        --size "$SIZE" --batch "$BATCH" --channels "$CHANNELS" --threads "$THREADS" \
        --iterations "$ITERATIONS")
  echo "round $round: genesis bare $(echo "$out" | field images_per_s_best), end-to-end" \
       "$(echo "$out" | field end_to_end_images_per_s_best), python" \
       "$(echo "$py" | field images_per_s_best) images/s (best steps)"
  best cpp "$(echo "$out" | field images_per_s_best)"
  best e2e "$(echo "$out" | field end_to_end_images_per_s_best)"
  best py "$(echo "$py" | field images_per_s_best)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "genesis_images_per_s: $best_cpp"
echo "python_images_per_s: $best_py"
echo "end_to_end_images_per_s: $best_e2e"
echo "finetune_ratio: $(ratio "$best_cpp" "$best_py")"
echo "end_to_end_ratio: $(ratio "$best_e2e" "$best_cpp")"
