#!/usr/bin/env bash
# `genesis phantoms` from the command line: same seed -> byte-identical trees (checksums), other
# seed -> other bytes; flag errors name the flag; `genesis inspect` (the project's readers)
# reads a generated oblique .mhd with its direction matrix and a generated PNG.
set -uo pipefail
genesis="$TEST_SRCDIR/$TEST_WORKSPACE/tools/genesis"
tmp="${TEST_TMPDIR:-$(mktemp -d)}"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
small=(--luna_scans 10 --mura_patients 4 --ct_size 64x64x32 --xray_size 128x160)

checksums() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 sha256sum); }

"$genesis" phantoms --out "$tmp/a" --seed 3 "${small[@]}" >"$tmp/a.log" || fail "run a exited $?"
"$genesis" phantoms --out "$tmp/b" --seed 3 "${small[@]}" >/dev/null || fail "run b exited $?"
"$genesis" phantoms --out "$tmp/c" --seed 4 "${small[@]}" >/dev/null || fail "run c exited $?"
grep -q "^luna16: 10 scans" "$tmp/a.log" || fail "no luna16 summary line: $(cat "$tmp/a.log")"
grep -q "^mura: 3 train + 1 valid patients" "$tmp/a.log" || fail "no mura summary line"
[ "$(checksums "$tmp/a" | wc -l)" -gt 40 ] || fail "too few files: $(checksums "$tmp/a" | wc -l)"
diff <(checksums "$tmp/a") <(checksums "$tmp/b") >/dev/null || fail "same seed, different bytes"
common=$(comm -12 <(checksums "$tmp/a" | grep -E '\.(raw|png)$' | cut -d' ' -f1 | sort) \
                  <(checksums "$tmp/c" | grep -E '\.(raw|png)$' | cut -d' ' -f1 | sort) | wc -l)
[ "$common" -eq 0 ] || fail "seeds 3 and 4 share $common voxel/pixel files"
grep -q "seed 3" "$tmp/a/README.txt" || fail "README.txt does not state the seed"

# Flag errors.
out=$("$genesis" phantoms --seed 1 2>&1) && fail "missing --out accepted"
grep -q -- "--out is required" <<<"$out" || fail "missing --out message: $out"
out=$("$genesis" phantoms --out "$tmp/x" --ct_size 64x64 2>&1) && fail "bad --ct_size accepted"
grep -q "ct_size: expected 3 positive integers" <<<"$out" || fail "bad --ct_size message: $out"
out=$("$genesis" phantoms --out "$tmp/x" --luna_scans 3 2>&1) && fail "--luna_scans 3 accepted"
grep -q "luna_scans: must be >= 10" <<<"$out" || fail "--luna_scans 3 message: $out"

# The readers read the files: scan 1 is oblique (every third scan from index 1).
oblique=$(awk -F, 'NR > 1 && $5 == 1 {print $1; exit}' "$tmp/a/truth/luna16_scans.csv")
[ -n "$oblique" ] || fail "no oblique scan in truth/luna16_scans.csv"
mhd=$(ls "$tmp"/a/luna16/subset*/"$oblique".mhd)
out=$("$genesis" inspect "$mhd") || fail "inspect .mhd exited $?"
grep -q '"reader":"metaimage"' <<<"$out" || fail "inspect .mhd: $out"
grep -q '"dims":\[64,64,32\]' <<<"$out" || fail "inspect .mhd dims: $out"
grep -q '"direction":\[\[1,0,0\],\[0,1,0\],\[0,0,1\]\]' <<<"$out" && fail "oblique scan read as identity: $out"
grep -q '"min":-3024\|"min":-2000\|"min":-1[0-9][0-9][0-9]' <<<"$out" || fail "inspect .mhd HU range: $out"
png=$(head -n1 "$tmp/a/mura/MURA-v1.1/train_image_paths.csv")
out=$("$genesis" inspect "$tmp/a/mura/$png") || fail "inspect .png exited $?"
grep -q '"reader":"png".*"bits_stored":8' <<<"$out" || fail "inspect .png: $out"
grep -q '"dims":\[\(96\|128\|160\),160,1\]' <<<"$out" || fail "inspect .png dims: $out"

echo "$failures failure(s)"
[ "$failures" -eq 0 ]
