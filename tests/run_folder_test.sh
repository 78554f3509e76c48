#!/usr/bin/env bash
# Run-folder integrity with the genesis binary (issue 10):
#   - data parallel (two local ranks over loopback): ranks given the same output_dir complete,
#     and rank 1 writes only its log; ranks given different folders (one without
#     rank 0's nonce, one with another run's) both stop within seconds, naming the folders and
#     asking for one output_dir on a shared filesystem; a rank 0 that fails a stage stops the
#     rank waiting for it at once, with rank 0's message.
set -uo pipefail
genesis="$TEST_SRCDIR/$TEST_WORKSPACE/tools/genesis"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
host=$(hostname)
# Well below the 300 s rendezvous/collective timeout and the 24 h wait of ranks > 0.
quick=60

free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A tiny corpus: three patients of 4 CT slices each.
data="$tmp/data"
mkdir -p "$data"
/usr/bin/python3 - "$data" <<'PY' || fail "writing the fixture"
import sys, numpy as np
d = sys.argv[1]
rows = ["dataset,patient_id,modality,body_part,file"]
for p in range(3):
    rng = np.random.default_rng(p)
    np.save(f"{d}/p{p}.npy", rng.uniform(-1000, 1000, (4, 32, 32)).astype(np.float32))
    rows.append(f"Tiny,p{p},CT,chest,p{p}.npy")
open(f"{d}/manifest.csv", "w").write("\n".join(rows) + "\n")
PY
# experiment ROOT: a corpus-only experiment over ROOT (output_dir given on the command line).
experiment() {
  cat <<PB
name: "tiny"
stage { corpus {
  dataset { source { type: "csv_manifest" options { [type.googleapis.com/genesis.CsvManifestOptions] { root: "$1" } } } }
  preprocessor { type: "modality_normalize" }
} }
PB
}
experiment "$data" >"$tmp/tiny.textproto"
experiment "$tmp/no_such_folder" >"$tmp/broken.textproto"
dp() {  # dp RANK PORT ARGS...: one rank of a two-rank run (exec: `dp ... &` sets $! to its pid)
  local rank="$1" port="$2"
  shift 2
  RANK=$rank WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=$port exec "$genesis" run "$@"
}

# ---- Data parallel: one shared folder. ----
shared="$tmp/shared"
port=$(free_port)
dp 0 "$port" "$tmp/tiny.textproto" output_dir="$shared" >"$tmp/shared0.txt" 2>&1 &
r0=$!
dp 1 "$port" "$tmp/tiny.textproto" output_dir="$shared" >"$tmp/shared1.txt" 2>&1 &
r1=$!
wait "$r0"; c0=$?
wait "$r1"; c1=$?
[[ $c0 -eq 0 && $c1 -eq 0 ]] \
  || { fail "same folder: ranks exited $c0 / $c1"; cat "$tmp/shared0.txt" "$tmp/shared1.txt"; }
grep -q "all 2 ranks share $shared" "$tmp/shared0.txt" \
  || fail "rank 0 did not confirm the shared folder"
[[ -e "$shared/00_corpus/.done" ]] || fail "same folder: the corpus did not complete"
# Rank 1 leaves nothing but its log.
rank1_files=$(find "$shared" -name "*rank1*" -printf "%f\n" | sort | tr '\n' ' ')
[[ "$rank1_files" == "genesis.rank1.log " ]] || fail "rank 1 wrote: $rank1_files"

# ---- Data parallel: different folders. ----
check_mismatch() {  # check_mismatch DIR0 DIR1 EXPECTED_RANK1_REASON
  local port start c0 c1
  port=$(free_port)
  start=$SECONDS
  dp 0 "$port" "$tmp/tiny.textproto" output_dir="$1" >"$tmp/mismatch0.txt" 2>&1 &
  local p0=$!
  dp 1 "$port" "$tmp/tiny.textproto" output_dir="$2" >"$tmp/mismatch1.txt" 2>&1 &
  local p1=$!
  wait "$p0"; c0=$?
  wait "$p1"; c1=$?
  local took=$((SECONDS - start))
  echo "different folders ($3): both ranks stopped after ${took} s"
  [[ $c0 -eq 1 && $c1 -eq 1 ]] || fail "different folders: ranks exited $c0 / $c1, expected 1 / 1"
  (( took < quick )) || fail "different folders: took $took s to stop"
  local advice="All ranks must be given the same output_dir on a shared filesystem"
  for f in "$tmp/mismatch0.txt" "$tmp/mismatch1.txt"; do
    grep -q "$advice" "$f" || { fail "no advice in $f"; cat "$f"; }
    grep -q "rank 1 (host $host) works in $2, which is not rank 0's run folder $1" "$f" \
      || { fail "$f does not name both folders"; cat "$f"; }
  done
  grep -q "$2/.rank0_nonce $3" "$tmp/mismatch1.txt" \
    || { fail "rank 1's reason is not '$3'"; cat "$tmp/mismatch1.txt"; }
  [[ -e "$1/00_corpus/.done" ]] && fail "different folders: rank 0 ran the corpus anyway"
}
check_mismatch "$tmp/rank0_alone" "$tmp/rank1_alone" "does not exist"
check_mismatch "$tmp/other_run" "$shared" "holds another run's nonce"

# ---- Data parallel: rank 0 fails a stage; rank 1, waiting for it, stops with it. ----
failing="$tmp/failing"
port=$(free_port)
start=$SECONDS
dp 0 "$port" "$tmp/broken.textproto" output_dir="$failing" >"$tmp/failing0.txt" 2>&1 &
r0=$!
dp 1 "$port" "$tmp/broken.textproto" output_dir="$failing" >"$tmp/failing1.txt" 2>&1 &
r1=$!
wait "$r0"; c0=$?
wait "$r1"; c1=$?
took=$((SECONDS - start))
echo "rank 0 failing its corpus: rank 1 stopped after ${took} s"
[[ $c0 -eq 1 && $c1 -eq 1 ]] || fail "failing rank 0: ranks exited $c0 / $c1, expected 1 / 1"
(( took < quick )) || fail "failing rank 0: rank 1 took $took s to stop"
grep -q "another rank failed: rank 0: stage 0 (corpus): .*no_such_folder" "$tmp/failing1.txt" \
  || { fail "rank 1 does not report rank 0's failure"; cat "$tmp/failing0.txt" "$tmp/failing1.txt"
  }

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all run-folder checks passed"
