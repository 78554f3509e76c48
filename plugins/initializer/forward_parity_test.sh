#!/bin/bash
# `genesis forward` against torchvision: random-weight vgg16_bn and resnet50 (eval mode, random
# BN statistics) saved as .pth state_dicts and TorchScript; Genesis' encoder features must
# match torchvision's within 1e-4. Also: the 1-channel "sum" policy equals torchvision on the
# grey image repeated to RGB, and a Genesis re-export of the loaded weights round-trips.
set -euo pipefail
GENESIS="$TEST_SRCDIR/$TEST_WORKSPACE/tools/genesis"
SCRIPT="$TEST_SRCDIR/$TEST_WORKSPACE/plugins/initializer/forward_parity_test.py"
PY=/usr/bin/python3
D="$TEST_TMPDIR/parity"
mkdir -p "$D"
export OMP_NUM_THREADS=1
$PY "$SCRIPT" make "$D"

check() {  # NAME REF ARGS...
  local name=$1 ref=$2
  shift 2
  echo "== $name"
  "$GENESIS" forward "$@" --output "$D/$name.npy" 2> "$D/$name.log" || { cat "$D/$name.log"; exit 1; }
  grep "weights " "$D/$name.log" | head -3
  $PY "$SCRIPT" compare "$D/$name.npy" "$D/$ref" 1e-4
}

check vgg_pth vgg16_bn_ref.npy --backbone vgg16_bn --weights "$D/vgg16_bn.pth" --input "$D/x.npy"
check vgg_legacy vgg16_bn_ref.npy --backbone vgg16_bn --weights "$D/vgg16_bn_legacy.pth" \
  --input "$D/x.npy"
grep -q "(legacy_state_dict): 91 loaded" "$D/vgg_legacy.log"
check vgg_script vgg16_bn_ref.npy --backbone unet_vgg16 --weights "$D/vgg16_bn_script.pt" \
  --add_prefix features. --input "$D/x.npy"
check resnet_pth resnet50_ref.npy --backbone resnet50 --weights "$D/resnet50.pth" --input "$D/x.npy"
check resnet_script resnet50_ref.npy --backbone unet_resnet50 --weights "$D/resnet50_script.pt" \
  --input "$D/x.npy"
check vgg_grey vgg16_bn_grey_ref.npy --backbone vgg16_bn --weights "$D/vgg16_bn.pth" \
  --input "$D/grey.npy"
grep -q "summed RGB kernels \[64, 3, 3, 3\] -> \[64, 1, 3, 3\]" "$D/vgg_grey.log"

# The full model's head is reported as allowed, not silently dropped.
grep -q "allowed: classifier.0.weight" "$D/vgg_pth.log"
grep -q "allowed: fc.weight" "$D/resnet_pth.log"

# A scripted .features without --add_prefix must fail with the coverage report, not load.
if "$GENESIS" forward --backbone vgg16_bn --weights "$D/vgg16_bn_script.pt" --input "$D/x.npy" \
    --output "$D/bad.npy" 2> "$D/bad.log"; then
  echo "unprefixed TorchScript features loaded"; exit 1
fi
grep -q "missing from the file: features.0.weight" "$D/bad.log"
grep -q "not in the model: 0.weight" "$D/bad.log"
test ! -e "$D/bad.npy"
echo PASS
