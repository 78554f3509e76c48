#!/usr/bin/python3
"""Checks that a Genesis output file copies no patient-identifying DICOM tag.

Usage: /usr/bin/python3 check_no_phi.py OUTPUT_FILE_OR_DIR DICOM_FILE_OR_DIR...

Reads the identifying tags of every DICOM input with pydicom and fails (exit 1) if any of
their values (or any name component of at least 3 characters) occurs in OUTPUT_FILE, or in
any file under OUTPUT_DIR (a whole run folder: logs, CSVs, JSON, reports, stores,
checkpoints -- every file, read as bytes). Only tag keywords and output file names are
printed, never the values. Exit 3 if the inputs hold no such tag at all (the check would
prove nothing).
"""
import os
import sys

import pydicom

TAGS = ["PatientName", "PatientID", "PatientBirthDate", "OtherPatientIDs", "PatientAddress",
        "ReferringPhysicianName", "PerformingPhysicianName", "OperatorsName",
        "AccessionNumber", "InstitutionName", "InstitutionAddress"]


def dicom_files(path):
    if os.path.isdir(path):
        for name in sorted(os.listdir(path)):
            yield os.path.join(path, name)
    else:
        yield path


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    outputs = {}  # name -> text
    if os.path.isdir(sys.argv[1]):
        for root, _, files in os.walk(sys.argv[1]):
            for name in sorted(files):
                path = os.path.join(root, name)
                with open(path, "rb") as fp:
                    outputs[os.path.relpath(path, sys.argv[1])] = fp.read().decode(
                        "latin-1")
    else:
        with open(sys.argv[1], encoding="utf-8", errors="replace") as fp:
            outputs[os.path.basename(sys.argv[1])] = fp.read()
    # In binary files (stores, checkpoints: bytes with NULs) a 3-letter name part matches by
    # chance (~6 times per 100 MB); there only values and parts of 8+ characters count (the
    # text files -- logs, CSV, JSON, reports -- are checked for every part).
    binary = {name for name, text in outputs.items() if "\0" in text[:8192]}
    checked = 0
    for arg in sys.argv[2:]:
        for path in dicom_files(arg):
            try:
                ds = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            except Exception:  # noqa: BLE001 - not DICOM, nothing to check
                continue
            for tag in TAGS:
                value = str(ds.get(tag, "") or "").strip()
                if not value:
                    continue
                parts = {value} | {p for p in value.replace("^", " ").split() if len(p) >= 3}
                # "----", "^^": placeholders, not identities.
                parts = {p for p in parts if sum(c.isalnum() for c in p) >= 3}
                for part in parts:
                    checked += 1
                    for name, output in outputs.items():
                        if name in binary and len(part) < 8:
                            continue
                        if part in output:
                            print("identifying tag %s of %s appears in %s"
                                  % (tag, os.path.basename(path), name))
                            sys.exit(1)
    print("checked %d identifying values in %d output file(s): none found"
          % (checked, len(outputs)))
    sys.exit(0 if checked else 3)


if __name__ == "__main__":
    main()
