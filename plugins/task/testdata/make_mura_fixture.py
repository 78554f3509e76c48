#!/usr/bin/python3
"""Writes a tiny MURA-v1.1 tree for the "mura" task's tests: OUT_DIR/MURA-v1.1.

Reuses tools/testdata/make_fixtures.py's writers. Layout and contents (rows x cols, 8-bit unless
noted; every other image is a noisy phantom with a bright disc, so augmentation changes it):
  train  XR_SHOULDER patient00001 study1_positive (3 images, image2 RGB), study2_negative (1)
         XR_SHOULDER patient00002 study1_negative (2);  XR_HUMERUS patient00002 study1_positive
         XR_SHOULDER patient00003..patient00014, one study each, positive for odd numbers:
           patient00003/study1_positive/image1.png = 20 x 40 constant 200 (padding test)
           patient00004/study1_negative/image2.png listed in the CSV but not written (missing)
           patient00005/study1_positive/image1.png = 16-bit 40 x 40 constant 32768
         XR_ELBOW patient00015 study1_negative (1)
  valid  XR_SHOULDER patient11185 study1_positive (2), patient11186 study1_negative (2),
         patient11187 study1_positive (1) + study2_negative (1);  XR_WRIST patient11188 (1)
Both labeled_studies CSVs agree with the folder names.
"""
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "tools", "testdata"))
import make_fixtures as mf  # noqa: E402


def studies():
    rows = [  # split, type, patient, study, number of images
        ("train", "XR_SHOULDER", "patient00001", "study1_positive", 3),
        ("train", "XR_SHOULDER", "patient00001", "study2_negative", 1),
        ("train", "XR_SHOULDER", "patient00002", "study1_negative", 2),
        ("train", "XR_HUMERUS", "patient00002", "study1_positive", 1),
    ]
    for p in range(3, 15):
        label = "positive" if p % 2 else "negative"
        rows.append(("train", "XR_SHOULDER", "patient%05d" % p, "study1_" + label, 1 + p % 2 + (p == 4)))
    rows += [
        ("train", "XR_ELBOW", "patient00015", "study1_negative", 1),
        ("valid", "XR_SHOULDER", "patient11185", "study1_positive", 2),
        ("valid", "XR_SHOULDER", "patient11186", "study1_negative", 2),
        ("valid", "XR_SHOULDER", "patient11187", "study1_positive", 1),
        ("valid", "XR_SHOULDER", "patient11187", "study2_negative", 1),
        ("valid", "XR_WRIST", "patient11188", "study1_positive", 1),
    ]
    return rows


def image_for(patient, study, i, seed):
    if patient == "patient00003" and i == 1:
        return np.full((20, 40), 200, np.uint8)
    if patient == "patient00005" and i == 1:
        return np.full((40, 40), 32768, np.uint16)
    img = mf.xray_image(36 + 4 * (seed % 5), 32 + 4 * (seed % 3), seed=seed)
    if patient == "patient00001" and study == "study1_positive" and i == 2:
        img = np.stack([img] * 3, axis=-1)  # Some MURA PNGs are RGB.
    return img


def main(out):
    root = os.path.join(out, "MURA-v1.1")
    paths = {"train": [], "valid": []}
    labeled = {"train": [], "valid": []}
    for s, (split, kind, patient, study, n) in enumerate(studies()):
        rel = "MURA-v1.1/%s/%s/%s/%s/" % (split, kind, patient, study)
        for i in range(1, n + 1):
            paths[split].append([rel + "image%d.png" % i])
            if patient == "patient00004" and i == 2:
                continue  # Listed but missing on disk.
            mf.write_png(os.path.join(out, rel, "image%d.png" % i),
                         image_for(patient, study, i, 10 * s + i))
        labeled[split].append([rel, 1 if study.endswith("_positive") else 0])
    for split in ("train", "valid"):
        mf.write_csv(os.path.join(root, "%s_image_paths.csv" % split), None, paths[split])
        mf.write_csv(os.path.join(root, "%s_labeled_studies.csv" % split), None, labeled[split])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
