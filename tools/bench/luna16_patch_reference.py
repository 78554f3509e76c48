#!/usr/bin/python3
"""numpy/scipy reference of the luna16 task's patch extraction, for tools/bench/luna16_patch_bench.sh.

    luna16_patch_reference.py FILE.mhd CANDIDATES.txt [SIZE] [ITERATIONS]

What a straightforward Python pipeline does per scan and candidate (the same work as
`genesis bench luna16_patch`): read the MetaImage header and .raw with numpy, world -> voxel
through origin, spacing and the direction matrix (np.linalg.solve), the three native planes
(axial, coronal, sagittal; -1000 HU outside), and one augmented copy of each plane with
scipy.ndimage (rotate, zoom, shift, flips; linear interpolation) from a context patch large
enough for the rotation and zoom, all windowed to [0, 1] ([-1000, 1400] HU). Prints
`ms_read`, `ms_total` and `ms_per_candidate` in CPU milliseconds of the process (best of
ITERATIONS runs, default 3; run with OMP_NUM_THREADS=1 for one core).
"""

import math
import os
import sys
import time

import numpy as np
from scipy import ndimage

DTYPES = {"MET_SHORT": "<i2", "MET_USHORT": "<u2", "MET_FLOAT": "<f4", "MET_UCHAR": "u1"}


def read_mhd(path):
    header = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                key, value = line.split("=", 1)
                header[key.strip()] = value.strip()
    nx, ny, nz = (int(v) for v in header["DimSize"].split())
    spacing = np.array([float(v) for v in header["ElementSpacing"].split()])
    origin = np.array([float(v) for v in header.get("Offset", header.get("Origin")).split()])
    direction = np.array([float(v) for v in header.get("TransformMatrix", "1 0 0 0 1 0 0 0 1")
                          .split()]).reshape(3, 3).T  # Consecutive triples are columns.
    raw = os.path.join(os.path.dirname(path), header["ElementDataFile"])
    volume = np.fromfile(raw, dtype=DTYPES[header["ElementType"]]).reshape(nz, ny, nx)
    return volume.astype(np.float32), spacing, origin, direction


def window(x, lo=-1000.0, hi=1400.0):
    return (np.clip(x, lo, hi) - lo) / (hi - lo)


def plane_context(volume, centre, plane, side):
    """side x side plane through centre (k, j, i), -1000 outside."""
    k, j, i = centre
    h = side // 2
    out = np.full((side, side), -1000.0, dtype=np.float32)
    nz, ny, nx = volume.shape
    if plane == 0:
        fixed, rows, cols, rn, cn = k, j, i, ny, nx
        if not 0 <= k < nz:
            return out
    elif plane == 1:
        fixed, rows, cols, rn, cn = j, k, i, nz, nx
        if not 0 <= j < ny:
            return out
    else:
        fixed, rows, cols, rn, cn = i, k, j, nz, ny
        if not 0 <= i < nx:
            return out
    r0, c0 = rows - h, cols - h
    ra, rb = max(r0, 0), min(r0 + side, rn)
    ca, cb = max(c0, 0), min(c0 + side, cn)
    if ra >= rb or ca >= cb:
        return out
    if plane == 0:
        src = volume[fixed, ra:rb, ca:cb]
    elif plane == 1:
        src = volume[ra:rb, fixed, ca:cb]
    else:
        src = volume[ra:rb, ca:cb, fixed]
    out[ra - r0:rb - r0, ca - c0:cb - c0] = src
    return out


def augment(context, size, rng, pixel_mm):
    angle = rng.uniform(-180, 180)
    zoom = rng.uniform(0.9, 1.1)
    shift = rng.uniform(-1, 1, size=2) / np.asarray(pixel_mm)
    x = ndimage.rotate(context, angle, reshape=False, order=1, cval=-1000.0)
    x = ndimage.zoom(x, zoom, order=1, cval=-1000.0)
    x = ndimage.shift(x, shift, order=1, cval=-1000.0)
    c = x.shape[0] // 2
    x = x[c - size // 2:c - size // 2 + size, c - size // 2:c - size // 2 + size]
    if rng.random() < 0.5:
        x = x[:, ::-1]
    if rng.random() < 0.5:
        x = x[::-1, :]
    return window(x)


def run(mhd, points, size):
    start = time.process_time()
    volume, spacing, origin, direction = read_mhd(mhd)
    read = time.process_time()
    a = direction @ np.diag(spacing)
    side = int(math.ceil(size * math.sqrt(2) / 0.9)) + 4
    rng = np.random.default_rng(0)
    checksum = 0.0
    for world in points:
        idx = np.linalg.solve(a, world - origin)
        i, j, k = (int(np.floor(v + 0.5)) for v in idx)
        for plane in range(3):
            context = plane_context(volume, (k, j, i), plane, side)
            c = side // 2
            native = window(context[c - size // 2:c - size // 2 + size,
                                    c - size // 2:c - size // 2 + size])
            pixel = ((spacing[1], spacing[0]), (spacing[2], spacing[0]),
                     (spacing[2], spacing[1]))[plane]
            augmented = augment(context, size, rng, pixel)
            checksum += float(native[size // 2, size // 2]) + float(augmented[0, 0])
    end = time.process_time()
    return (read - start) * 1e3, (end - start) * 1e3, checksum


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    mhd, candidates = argv[0], argv[1]
    size = int(argv[2]) if len(argv) > 2 else 64
    iterations = int(argv[3]) if len(argv) > 3 else 3
    points = [np.array([float(v) for v in line.split(",")])
              for line in open(candidates) if line.count(",") == 2]
    best_read, best_total = float("inf"), float("inf")
    for _ in range(iterations):
        r, t, checksum = run(mhd, points, size)
        best_read, best_total = min(best_read, r), min(best_total, t)
    print("candidates: %d\nsize: %d\nms_read: %.3f\nms_total: %.3f\nms_per_candidate: %.4f" % (
        len(points), size, best_read, best_total, best_total / len(points)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
