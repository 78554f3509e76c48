#!/usr/bin/env bash
# End-to-end checks of the genesis CLI: plugins listing, validate errors with file:line,
# experiments/ validate cleanly, --help.
set -uo pipefail
genesis="$TEST_SRCDIR/$TEST_WORKSPACE/tools/genesis"
experiments="$TEST_SRCDIR/$TEST_WORKSPACE/experiments"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# genesis plugins lists every kind.
out=$("$genesis" plugins 2>&1) || fail "genesis plugins exited $?"
for kind in backbone dataset_source evaluator head image_reader initializer normalization \
            preprocessor pretext_task reporter sampler stage; do
  grep -q "^$kind (" <<<"$out" || fail "genesis plugins does not list kind '$kind'"
done
grep -q "  batch_norm - " <<<"$out" || fail "genesis plugins does not list batch_norm"
"$genesis" plugins no_such_kind >/dev/null 2>&1 && fail "unknown kind should fail"

# Unknown plugin name: non-zero exit, file:line:col, known names.
cat >"$tmp/unknown.textproto" <<'PB'
name: "bad"
stage {
  pretrain {
    normalization { type: "layer_norm" }
  }
}
PB
out=$("$genesis" validate "$tmp/unknown.textproto" 2>&1) && fail "unknown plugin accepted"
grep -q "unknown.textproto:4:21: stage\[0\].pretrain.normalization (layer_norm): no normalization named 'layer_norm'" <<<"$out" \
  || fail "unknown plugin message: $out"
grep -q "\[batch_norm, group_norm, instance_norm, none\]" <<<"$out" || fail "known names missing: $out"

# Wrong options type.
cat >"$tmp/wrong_type.textproto" <<'PB'
name: "bad"
stage {
  pretrain {
    normalization {
      type: "batch_norm"
      options { [type.googleapis.com/genesis.GroupNormOptions] { num_groups: 4 } }
    }
  }
}
PB
out=$("$genesis" validate "$tmp/wrong_type.textproto" 2>&1) && fail "wrong options type accepted"
grep -q "wrong_type.textproto:6:7: .*must be \[type.googleapis.com/genesis.BatchNormOptions\]" <<<"$out" \
  || fail "wrong type message: $out"

# Syntax error with a line number.
printf 'name: "bad"\nstage {\n  pretrain { batch_size: "x" }\n' >"$tmp/syntax.textproto"
out=$("$genesis" validate "$tmp/syntax.textproto" 2>&1) && fail "syntax error accepted"
grep -q "syntax.textproto:3:" <<<"$out" || fail "syntax error message: $out"

# Several files: one bad file makes the whole call fail, good ones still say OK.
shopt -s nullglob
good=("$experiments"/*.textproto)
if [ ${#good[@]} -gt 0 ]; then
  out=$("$genesis" validate "${good[@]}" 2>&1) || fail "experiments/ do not validate: $out"
  out=$("$genesis" validate "${good[0]}" "$tmp/syntax.textproto" 2>&1) && fail "mixed call passed"
  grep -q ": OK" <<<"$out" || fail "good file not reported OK in mixed call: $out"
fi

# --help describes the commands.
out=$("$genesis" --help 2>&1)
grep -q "genesis COMMAND" <<<"$out" || fail "--help lacks usage: $out"
grep -q "validate" <<<"$out" || fail "--help lacks the validate command"

# Unknown command.
"$genesis" frobnicate >/dev/null 2>&1 && fail "unknown command accepted"

if [ "$failures" -ne 0 ]; then
  echo "$failures check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
