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
# Env: ITERATIONS (timed steps per measurement, default 10), E2E_STEPS (trainer steps per end-to-end measurement, default 8),
#      GENESIS (binary, default bazel-bin/tools/genesis), PRETEXT (default genesis),
#      THREADS (default 2; 1 is far less sensitive to other processes on a busy machine:
#      OpenMP regions with 2 threads stall whenever another process holds a core).
set -euo pipefail
cd "$(dirname "$0")/../.."
BACKBONE=${1:-unet_vgg16}
SIZE=${2:-64}
BATCH=${3:-16}
WIDTH=${4:-1.0}
ROUNDS=${5:-3}
ITERATIONS=${ITERATIONS:-10}
E2E_STEPS=${E2E_STEPS:-8}
PRETEXT=${PRETEXT:-genesis}
THREADS=${THREADS:-2}
GENESIS=${GENESIS:-bazel-bin/tools/genesis}
[ -x "$GENESIS" ] || bazel build //tools:genesis

field() { awk -v k="$1:" '$1 == k { print $2 }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }

echo "backbone $BACKBONE size $SIZE batch $BATCH width $WIDTH, $THREADS threads, $ROUNDS rounds"
# Per measurement: batch / median step time and batch / fastest step. On a machine shared with
# other jobs the fastest step is the closest to the uncontended speed (timeit's rule); the
# median-based ratios are printed too.
best() {  # best_<name> = max(best_<name>, value)
  eval "best_$1=\$(max \"\${best_$1:-0}\" \"$2\")"
}
for round in $(seq "$ROUNDS"); do
  out=$("$GENESIS" bench train --backbone "$BACKBONE" --size "$SIZE" --batch "$BATCH" \
        --threads "$THREADS" --iterations "$ITERATIONS" "width=$WIDTH" "e2e_steps=$E2E_STEPS" \
        "pretext=$PRETEXT" 2>/dev/null)
  py=$(/usr/bin/python3 tools/reference_unet.py --backbone "$BACKBONE" --size "$SIZE" \
        --batch "$BATCH" --width "$WIDTH" --threads "$THREADS" --iterations "$ITERATIONS")
  echo "round $round: genesis bare $(echo "$out" | field images_per_s) (best step" \
       "$(echo "$out" | field images_per_s_best)), end-to-end" \
       "$(echo "$out" | field end_to_end_images_per_s) (best step" \
       "$(echo "$out" | field end_to_end_images_per_s_best)), python" \
       "$(echo "$py" | field images_per_s) (best step $(echo "$py" | field images_per_s_best))" \
       "images/s"
  best cpp "$(echo "$out" | field images_per_s)"
  best cpp_step "$(echo "$out" | field images_per_s_best)"
  best e2e "$(echo "$out" | field end_to_end_images_per_s)"
  best e2e_step "$(echo "$out" | field end_to_end_images_per_s_best)"
  best py "$(echo "$py" | field images_per_s)"
  best py_step "$(echo "$py" | field images_per_s_best)"
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo "genesis_images_per_s: $best_cpp_step (median-based $best_cpp)"
echo "python_images_per_s: $best_py_step (median-based $best_py)"
echo "end_to_end_images_per_s: $best_e2e_step (median-based $best_e2e)"
echo "train_ratio: $(ratio "$best_cpp_step" "$best_py_step") (median-based $(ratio "$best_cpp" "$best_py"))"
echo "end_to_end_ratio: $(ratio "$best_e2e_step" "$best_cpp_step") (median-based $(ratio "$best_e2e" "$best_cpp"))"
