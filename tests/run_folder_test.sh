#!/usr/bin/env bash
# Run-folder integrity with the genesis binary (issue 10):
#   - the lock: a second `genesis run` on a folder in use fails at once (exit 1) naming the
#     holder's pid, host and start time; identities (rank, shard) do not conflict with each
#     other; after kill -9 of the holder, its stale lock file blocks nobody;
#   - data parallel (two local ranks over loopback): ranks given the same output_dir complete,
#     and rank 1 writes only its log and its lock; ranks given different folders (one without
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

# wait_for_holder LOCK_FILE PID: until the lock file names PID (at most 30 s).
wait_for_holder() {
  for _ in $(seq 300); do
    grep -q "^pid: $2\$" "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
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

# ---- The lock. ----
# Rank 0 of a two-rank run whose rank 1 never comes holds .lock while it waits for rank 1.
locked="$tmp/locked"
dp 0 "$(free_port)" "$tmp/tiny.textproto" output_dir="$locked" >"$tmp/holder.txt" 2>&1 &
holder=$!
wait_for_holder "$locked/.lock" "$holder" || fail "the first run did not record itself in $locked/.lock"
start=$SECONDS
out=$("$genesis" run "$tmp/tiny.textproto" output_dir="$locked" 2>&1)
code=$?
[[ $code -eq 1 ]] || fail "second run on a locked folder exited $code, expected 1: $out"
(( SECONDS - start < 10 )) || fail "second run took $((SECONDS - start)) s to refuse"
grep -q "$locked is in use by another \`genesis run\` (pid $holder on host $host, started 20" <<<"$out" \
  || fail "refusal does not name the holder: $out"
grep -q "rank 0 of 2, shard 0 of 1" <<<"$out" || fail "refusal does not say what the holder is: $out"
[[ -e "$locked/00_corpus/.done" ]] && fail "the refused run touched the folder"
# Other identities share the folder: shard 1 of a sharded run gets past the lock (and then
# waits for shard 0's corpus, so it is stopped after a few seconds).
out=$(timeout 5 "$genesis" run "$tmp/tiny.textproto" output_dir="$locked" --shard 1/2 2>&1)
grep -q "is in use" <<<"$out" && fail "shard 1 was refused by rank 0's lock: $out"
grep -q "waiting for rank/shard 0 to finish stage 0 (corpus)" <<<"$out" \
  || fail "shard 1 did not get past the lock: $out"
# kill -9 leaves the lock file behind; it blocks nobody.
kill -9 "$holder"
wait "$holder" 2>/dev/null
[[ -e "$locked/.lock" ]] || fail "expected the killed run's lock file to stay behind"
out=$("$genesis" run "$tmp/tiny.textproto" output_dir="$locked" 2>&1)
code=$?
[[ $code -eq 0 ]] || fail "run after kill -9 of the holder exited $code: $out"
[[ -e "$locked/00_corpus/.done" ]] || fail "run after kill -9 did not complete the corpus"
# Two processes of the same identity conflict for ranks > 0 too.
port=$(free_port)
dp 1 "$port" "$tmp/tiny.textproto" output_dir="$locked" >"$tmp/rank1_holder.txt" 2>&1 &
holder=$!
wait_for_holder "$locked/.lock.rank1" "$holder" || fail "rank 1 did not record itself in .lock.rank1"
out=$(dp 1 "$port" "$tmp/tiny.textproto" output_dir="$locked" 2>&1)
grep -q "in use by another \`genesis run\` (pid $holder on host $host, .*rank 1 of 2" <<<"$out" \
  || fail "second rank 1 not refused naming the holder: $out"
kill -9 "$holder"
wait "$holder" 2>/dev/null

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
# Rank 1 leaves nothing but its log and its lock.
rank1_files=$(find "$shared" -name "*rank1*" -printf "%f\n" | sort | tr '\n' ' ')
[[ "$rank1_files" == ".lock.rank1 genesis.rank1.log " ]] || fail "rank 1 wrote: $rank1_files"

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
