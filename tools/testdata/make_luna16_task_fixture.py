#!/usr/bin/python3
"""Fixtures and an independent numpy reference for the "luna16" task and `genesis patch`.

Usage (system interpreter, numpy only):

    make_luna16_task_fixture.py volume OUT_DIR
        An int16 CT-like volume with anisotropic spacing (0.7, 0.8, 2.5 mm) and an OBLIQUE,
        non-symmetric direction matrix as OUT_DIR/oblique.mhd + .raw (and the same image with
        inline voxels as oblique_local.mha), and OUT_DIR/cases.tsv:
        one line per candidate "name<TAB>X,Y,Z<TAB>size" (world mm, several near or beyond the
        border), with OUT_DIR/<name>.npy the expected (3, size, size) float32 HU planes.
    make_luna16_task_fixture.py compare EXPECTED.npy ACTUAL.npy
        Exit 0 when both are float32 arrays of the same shape and equal element by element;
        else print where they differ and exit 1.
    make_luna16_task_fixture.py luna OUT_DIR [--bad ROWKIND]
        A LUNA16 layout: subset0..9 with 1-2 small scans each (some oblique, anisotropic),
        candidates_V2/candidates_V2.csv (both classes, candidates near the border, two rows of
        a series that has no .mhd), annotations.csv, annotations_excluded.csv, and
        OUT_DIR/reference/<row>.npy: the three native planes (HU) of every candidate, size 16.
        --bad coord|class|fields appends one malformed row (for error tests).

The reference never calls Genesis code: world -> index solves D * diag(spacing) * idx =
world - origin with numpy (D's columns = consecutive triples of TransformMatrix), the centre is
floor(idx + 0.5), and planes are numpy slices of V[z, y, x] padded with -1000 HU.
"""

import os
import sys

import numpy as np


def rotation(axis, degrees):
    axis = np.asarray(axis, float)
    axis /= np.linalg.norm(axis)
    a = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * (k @ k)


def write_mhd(path, volume_zyx, spacing, origin, direction):
    """MetaImage header by hand: TransformMatrix lists D's columns (one image axis each)."""
    nz, ny, nx = volume_zyx.shape
    stem = os.path.splitext(os.path.basename(path))[0]
    header = "\n".join([
        "ObjectType = Image",
        "NDims = 3",
        "BinaryData = True",
        "BinaryDataByteOrderMSB = False",
        "CompressedData = False",
        "TransformMatrix = " + " ".join(repr(float(v)) for v in direction.T.reshape(-1)),
        "Offset = " + " ".join(repr(float(v)) for v in origin),
        "CenterOfRotation = 0 0 0",
        "AnatomicalOrientation = RAI",
        "ElementSpacing = " + " ".join(repr(float(v)) for v in spacing),
        "DimSize = %d %d %d" % (nx, ny, nz),
        "ElementType = MET_SHORT",
        "ElementDataFile = %s.raw" % stem,
    ]) + "\n"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(header)
    with open(os.path.join(os.path.dirname(path), stem + ".raw"), "wb") as f:
        f.write(np.ascontiguousarray(volume_zyx).astype("<i2").tobytes())


def world_of(index_xyz, spacing, origin, direction):
    return np.asarray(origin) + direction @ (np.asarray(spacing) * np.asarray(index_xyz, float))


def reference_planes(volume_zyx, world, spacing, origin, direction, size):
    """Independent world -> index (np.linalg.solve) and numpy slicing, -1000 outside."""
    a = direction @ np.diag(spacing)
    idx = np.linalg.solve(a, np.asarray(world, float) - np.asarray(origin, float))
    i, j, k = (int(np.floor(v + 0.5)) for v in idx)
    h = size // 2
    pad = size + max(0, abs(i), abs(j), abs(k))  # Generous: any centre within reach.
    p = np.pad(volume_zyx.astype(np.float32), pad, constant_values=-1000.0)
    i, j, k = i + pad, j + pad, k + pad
    axial = p[k, j - h:j - h + size, i - h:i - h + size]
    coronal = p[k - h:k - h + size, j, i - h:i - h + size]
    sagittal = p[k - h:k - h + size, j - h:j - h + size, i]
    return np.stack([axial, coronal, sagittal]).astype(np.float32), idx


def make_volume(out):
    rng = np.random.default_rng(7)
    nx, ny, nz = 40, 36, 14
    spacing = (0.7, 0.8, 2.5)
    origin = (-100.5, 20.25, -300.0)
    direction = rotation((1.0, 2.0, 3.0), 23.0)  # Oblique and not symmetric.
    assert np.abs(direction - direction.T).max() > 0.1
    volume = rng.integers(-1100, 1500, size=(nz, ny, nx)).astype(np.int16)
    write_mhd(os.path.join(out, "oblique.mhd"), volume, spacing, origin, direction)
    # The same image with its voxels inline (ElementDataFile = LOCAL): ITK's generic path,
    # against which the reader's direct .raw path is compared.
    with open(os.path.join(out, "oblique.mhd")) as f:
        header = f.read().replace("ElementDataFile = oblique.raw", "ElementDataFile = LOCAL")
    with open(os.path.join(out, "oblique_local.mha"), "wb") as f:
        f.write(header.encode() + np.ascontiguousarray(volume).astype("<i2").tobytes())
    cases = [
        ("centre", (20.2, 17.8, 7.3), 16),
        ("centre64", (20.2, 17.8, 7.3), 64),
        ("corner_low", (0.3, 1.2, 0.2), 16),
        ("corner_high", (39.4, 35.3, 13.3), 16),
        ("edge_x", (-2.3, 10.1, 5.8), 16),
        ("beyond_z", (12.1, 12.2, 15.7), 16),
        ("odd_size", (10.6, 30.7, 2.9), 15),
    ]
    lines = []
    for name, index, size in cases:
        world = world_of(index, spacing, origin, direction)
        planes, idx = reference_planes(volume, world, spacing, origin, direction, size)
        assert np.allclose(idx, index, atol=1e-9), (idx, index)
        np.save(os.path.join(out, name + ".npy"), planes)
        lines.append("%s\t%s\t%d" % (name, ",".join(repr(float(v)) for v in world), size))
    with open(os.path.join(out, "cases.tsv"), "w") as f:
        f.write("\n".join(lines) + "\n")


def compare(expected_path, actual_path):
    expected = np.load(expected_path)
    actual = np.load(actual_path)
    if actual.dtype != np.float32 or actual.shape != expected.shape:
        print("dtype/shape: expected float32 %s, got %s %s" % (expected.shape, actual.dtype,
                                                               actual.shape))
        return 1
    if not np.array_equal(expected, actual):
        where = np.argwhere(expected != actual)
        print("%d of %d values differ; first at %s: expected %r, got %r" % (
            len(where), expected.size, tuple(where[0]), expected[tuple(where[0])],
            actual[tuple(where[0])]))
        return 1
    return 0


# (subset, number of scans) -- 15 scans over the ten subsets.
LUNA_SCANS = [(s, 2 if s in (0, 3, 5, 6, 9) else 1) for s in range(10)]


def make_luna(out, bad=None):
    import csv
    rng = np.random.default_rng(11)
    rows, annotations, excluded, scans = [], [], [], []
    for subset, count in LUNA_SCANS:
        for n in range(count):
            uid = "1.3.6.1.4.1.14519.5.2.1.6279.6001.%d%02d%d" % (9000 + subset, n, subset * 7)
            nx, ny, nz = 24 + 2 * n, 22, 10 + subset % 3
            spacing = (0.6 + 0.05 * subset, 0.7 + 0.03 * n, 1.25 + 0.5 * (subset % 3))
            origin = (-150.0 + subset, -160.0 - 2 * n, -300.5 + subset * 3)
            direction = np.eye(3) if (subset + n) % 3 else rotation((1.0, -2.0, 0.5), 17.0 + subset)
            volume = rng.integers(-1100, 1500, size=(nz, ny, nx)).astype(np.int16)
            path = os.path.join(out, "subset%d" % subset, uid + ".mhd")
            write_mhd(path, volume, spacing, origin, direction)
            scans.append((uid, volume, spacing, origin, direction))
            # Two positives, eight negatives; some near or across the border.
            for c in range(10):
                label = 1 if c < 2 else 0
                index = (rng.uniform(1, nx - 2), rng.uniform(1, ny - 2), rng.uniform(0.6, nz - 1.6))
                if c == 2:
                    index = (0.2, ny - 1.2, 0.3)
                if c == 3:
                    index = (nx + 1.3, 3.2, nz - 0.7)
                world = world_of(index, spacing, origin, direction)
                rows.append([uid] + ["%.6f" % v for v in world] + [str(label)])
                if label:
                    annotations.append([uid] + ["%.6f" % v for v in world] +
                                       ["%.2f" % rng.uniform(3, 12)])
            excluded.append([uid] + ["%.6f" % v for v in world_of((5, 5, 2), spacing, origin,
                                                                   direction)] + ["-1"])
    missing_uid = "1.3.6.1.4.1.14519.5.2.1.6279.6001.999999999"
    rows.insert(5, [missing_uid, "1.0", "2.0", "3.0", "0"])
    rows.insert(17, [missing_uid, "4.0", "5.0", "6.0", "1"])
    if bad == "coord":
        rows.insert(8, [scans[0][0], "12.5", "oops", "3.0", "0"])
    elif bad == "class":
        rows.insert(8, [scans[0][0], "12.5", "1.0", "3.0", "2"])
    elif bad == "fields":
        rows.insert(8, [scans[0][0], "12.5", "1.0"])

    def write(path, header, body):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(body)

    write(os.path.join(out, "candidates_V2", "candidates_V2.csv"),
          ["seriesuid", "coordX", "coordY", "coordZ", "class"], rows)
    write(os.path.join(out, "annotations.csv"),
          ["seriesuid", "coordX", "coordY", "coordZ", "diameter_mm"], annotations)
    write(os.path.join(out, "annotations_excluded.csv"),
          ["seriesuid", "coordX", "coordY", "coordZ", "diameter_mm"], excluded)
    by_uid = {s[0]: s for s in scans}
    os.makedirs(os.path.join(out, "reference"), exist_ok=True)
    for r, row in enumerate(rows):
        if row[0] not in by_uid or len(row) != 5:
            continue
        try:
            world = [float(v) for v in row[1:4]]
        except ValueError:
            continue
        uid, volume, spacing, origin, direction = by_uid[row[0]]
        planes, _ = reference_planes(volume, world, spacing, origin, direction, 16)
        np.save(os.path.join(out, "reference", "%d.npy" % r), planes)


def main(argv):
    if len(argv) >= 2 and argv[0] == "volume":
        make_volume(argv[1])
        return 0
    if len(argv) == 3 and argv[0] == "compare":
        return compare(argv[1], argv[2])
    if len(argv) >= 2 and argv[0] == "luna":
        bad = argv[3] if len(argv) >= 4 and argv[2] == "--bad" else None
        make_luna(argv[1], bad)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
