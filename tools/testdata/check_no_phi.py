#!/usr/bin/python3
"""Checks that a Genesis output file copies no patient-identifying DICOM tag.

Usage: /usr/bin/python3 check_no_phi.py OUTPUT_FILE DICOM_FILE_OR_DIR...

Reads the identifying tags of every DICOM input with pydicom and fails (exit 1) if any of
their values (or any name component of at least 3 characters) occurs in OUTPUT_FILE. Only
tag keywords are printed, never the values. Exit 3 if the inputs hold no such tag at all
(the check would prove nothing).
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
    with open(sys.argv[1], encoding="utf-8", errors="replace") as fp:
        output = fp.read()
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
                for part in parts:
                    checked += 1
                    if part in output:
                        print("identifying tag %s of %s appears in the output"
                              % (tag, os.path.basename(path)))
                        sys.exit(1)
    print("checked %d identifying values: none in the output" % checked)
    sys.exit(0 if checked else 3)


if __name__ == "__main__":
    main()
