#!/usr/bin/python3
"""Tiny synthetic fixtures reproducing each public dataset's on-disk layout and file formats.

Usage (system interpreter; needs numpy, nibabel, pydicom, scipy, h5py):

    /usr/bin/python3 tools/testdata/make_fixtures.py OUT_DIR [--only NAME] [--list]

Writes OUT_DIR/<name>/... for every dataset source name (msd, cq500, ct_lymph_nodes, chaos,
deeplesion, mrnet, mura, cardiac_mri, chestxray14, brain_tumor_figshare, oasis, ibsr, luna16,
csv_manifest), plus "broken": a csv_manifest dataset whose manifest lists good files and bad
ones (truncated .nii.gz, corrupt/empty PNG, a DICOM series with a cut-short slice, a text file)
with an "expect" column ("ok"/"skip") for skipped-file tests, and "read_hints": figshare and
cardiac .mat files with a larger decoy array beside the image (tests/read_hints_test.cc). Each fixture mirrors the layout its owners distribute (folder and file names,
metadata CSV/JSON, junk files that real archives carry, e.g. macOS "._" files in MSD) with small
phantoms (a bright sphere in an ellipsoidal body) in realistic intensity ranges:
CT in HU (DICOM: uint16 + RescaleIntercept -1024; NIfTI/MetaImage: int16), MRI uint16/int16,
X-ray 8-bit PNG, DeepLesion 16-bit PNG with HU = value - 32768.

Output is deterministic (fixed seeds and UIDs). DICOM PatientName is always the fake
"FIXTURE^PATIENT" so tests can check it never leaks into Genesis outputs. Nothing written here is
committed: tests generate fixtures at test time (see plugins/dataset/*_test.cc).
"""

import argparse
import json
import os
import shutil
import struct
import sys
import zlib

import numpy as np

FAKE_PATIENT_NAME = "FIXTURE^PATIENT"
UID_PREFIX = "1.2.826.0.1.3680043.8.498."


# ----------------------------------------------------------------------------------------------
# Phantoms
# ----------------------------------------------------------------------------------------------

def phantom(shape, background, body, sphere, seed=0, noise=5.0):
    """(x, y, z[, ...]) float array: background outside an ellipsoid body, a sphere inside."""
    rng = np.random.default_rng(seed)
    nx, ny, nz = shape[:3]
    x, y, z = np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="ij")
    cx, cy, cz = (nx - 1) / 2.0, (ny - 1) / 2.0, (nz - 1) / 2.0
    inside = ((x - cx) / (0.45 * nx)) ** 2 + ((y - cy) / (0.35 * ny)) ** 2 <= 1.0
    r = max(2.0, min(nx, ny) / 6.0)
    dz = (z - cz) * (nx / max(nz, 1)) / 2.0
    ball = (x - cx - nx / 8.0) ** 2 + (y - cy) ** 2 + dz ** 2 <= r * r
    vol = np.full((nx, ny, nz), float(background))
    vol[inside] = body
    vol[ball] = sphere
    vol[inside] += rng.normal(0.0, noise, size=int(inside.sum()))
    return vol


def ct_volume(shape=(32, 32, 8), seed=0):
    """HU: air -1000, soft tissue ~40, a 1000 HU 'bone' sphere; int16."""
    return np.clip(np.round(phantom(shape, -1000, 40, 1000, seed)), -1024, 3071).astype(np.int16)


def mr_volume(shape=(32, 32, 8), seed=0, dtype=np.uint16):
    return np.clip(np.round(phantom(shape, 0, 300, 900, seed, noise=20)), 0, 4095).astype(dtype)


def xray_image(rows=32, cols=32, seed=0):
    img = phantom((cols, rows, 1), 10, 120, 230, seed, noise=8)[:, :, 0].T
    return np.clip(np.round(img), 0, 255).astype(np.uint8)


# ----------------------------------------------------------------------------------------------
# Writers
# ----------------------------------------------------------------------------------------------

def makedirs(path):
    os.makedirs(path, exist_ok=True)
    return path


def write_bytes(path, data):
    makedirs(os.path.dirname(path))
    with open(path, "wb") as f:
        f.write(data)


def write_text(path, text):
    write_bytes(path, text.encode("utf-8"))


def write_png(path, image):
    """Grayscale (H, W) uint8/uint16 or RGB (H, W, 3) uint8 PNG, written with zlib only."""
    image = np.asarray(image)
    if image.ndim == 3:
        color_type, bit_depth = 2, 8
        raw_rows = np.ascontiguousarray(image.astype(np.uint8)).reshape(image.shape[0], -1)
    elif image.dtype == np.uint16:
        color_type, bit_depth = 0, 16
        big_endian = np.ascontiguousarray(image.astype(">u2"))
        raw_rows = big_endian.view(np.uint8).reshape(image.shape[0], -1)
    else:
        color_type, bit_depth = 0, 8
        raw_rows = np.ascontiguousarray(image.astype(np.uint8))
    height, width = image.shape[0], image.shape[1]
    raw = b"".join(b"\x00" + row.tobytes() for row in raw_rows)

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data +
                struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw, 9)) +
           chunk(b"IEND", b""))
    write_bytes(path, png)


def write_nifti(path, data, spacing, dtype=None, origin=(0.0, 0.0, 0.0)):
    import nibabel as nib
    affine = np.diag([-spacing[0], -spacing[1], spacing[2], 1.0])
    affine[:3, 3] = origin
    arr = np.asarray(data if dtype is None else data.astype(dtype))
    img = nib.Nifti1Image(arr, affine)
    img.header.set_xyzt_units("mm", "sec")
    img.set_qform(affine, code=1)
    img.set_sform(affine, code=1)
    makedirs(os.path.dirname(path))
    nib.save(img, path)


def write_analyze(path_hdr, data, spacing, dtype):
    """Analyze 7.5 .hdr/.img pair (big-endian when dtype says so, as OASIS ships it)."""
    import nibabel as nib
    arr = np.asarray(data).astype(dtype)
    img = nib.AnalyzeImage(arr, np.diag(list(spacing) + [1.0]))
    img.header.set_zooms(spacing)
    makedirs(os.path.dirname(path_hdr))
    nib.save(img, path_hdr)


def uid(*parts):
    import pydicom.uid
    return pydicom.uid.generate_uid(prefix=UID_PREFIX, entropy_srcs=[str(p) for p in parts])


def write_dicom_series(folder, volume, modality, key, patient_id, spacing=(0.7, 0.7, 2.5),
                       file_name=lambda i: "%06d.dcm" % i, study_description="",
                       series_description="", z0=0.0, z_step_sign=1.0):
    """One DICOM file per z slice of `volume` (x, y, z). CT: values are HU, stored as uint16
    with RescaleSlope 1 / RescaleIntercept -1024. MR: stored as-is (uint16)."""
    from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian
    makedirs(folder)
    sop_class = ("1.2.840.10008.5.1.4.1.1.2" if modality == "CT" else
                 "1.2.840.10008.5.1.4.1.1.4")
    study_uid, series_uid, frame_uid = uid(key, "study"), uid(key, "series"), uid(key, "frame")
    nx, ny, nz = volume.shape
    names = []
    for k in range(nz):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = sop_class
        meta.MediaStorageSOPInstanceUID = uid(key, "sop", k)
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationClassUID = UID_PREFIX + "1"
        name = file_name(k)
        path = os.path.join(folder, name)
        ds = FileDataset(path, {}, file_meta=meta, preamble=b"\x00" * 128)
        ds.is_little_endian = True
        ds.is_implicit_VR = False
        ds.SOPClassUID = sop_class
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID = study_uid
        ds.SeriesInstanceUID = series_uid
        ds.FrameOfReferenceUID = frame_uid
        ds.PatientName = FAKE_PATIENT_NAME
        ds.PatientID = patient_id
        ds.PatientBirthDate = "19000101"
        ds.PatientSex = "O"
        ds.StudyDate = "20000101"
        ds.Modality = modality
        ds.StudyDescription = study_description
        ds.SeriesDescription = series_description
        ds.SeriesNumber = 1
        ds.InstanceNumber = k + 1
        ds.ImagePositionPatient = [-0.5 * nx * spacing[0], -0.5 * ny * spacing[1],
                                   z0 + z_step_sign * k * spacing[2]]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.SliceLocation = z0 + z_step_sign * k * spacing[2]
        ds.PixelSpacing = [spacing[1], spacing[0]]
        ds.SliceThickness = spacing[2]
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = 16
        ds.BitsStored = 12
        ds.HighBit = 11
        ds.PixelRepresentation = 0
        pixels = volume[:, :, k].T  # rows = y, columns = x
        if modality == "CT":
            ds.RescaleIntercept = -1024
            ds.RescaleSlope = 1
            ds.RescaleType = "HU"
            ds.WindowCenter, ds.WindowWidth = 40, 400
            stored = (pixels.astype(np.int32) + 1024).clip(0, 4095).astype(np.uint16)
        else:
            stored = pixels.astype(np.uint16)
        ds.PixelData = stored.tobytes()
        ds.save_as(path, write_like_original=False)
        names.append(name)
    return names


def savemat_v73(path, struct_name, fields):
    """MATLAB v7.3 MAT-file: HDF5 with a 512-byte MATLAB userblock, one struct of fields.
    `fields` maps name -> (matlab_class, numpy array as MATLAB sees it (rows, cols))."""
    import h5py
    makedirs(os.path.dirname(path))
    def matlab_class(obj, value):
        # A scalar NULLTERM C string, as MATLAB writes it (libmatio ignores h5py's NULLPAD ones).
        tid = h5py.h5t.C_S1.copy()
        tid.set_size(len(value))
        tid.set_strpad(h5py.h5t.STR_NULLTERM)
        attr = h5py.h5a.create(obj.id, b"MATLAB_class", tid, h5py.h5s.create(h5py.h5s.SCALAR))
        attr.write(np.array(value.encode(), dtype="S%d" % len(value)), mtype=tid)

    with h5py.File(path, "w", userblock_size=512) as f:
        group = f.create_group(struct_name)
        matlab_class(group, "struct")
        # Field names as variable-length char arrays (libmatio reads them as vlen of int8).
        vlen = h5py.vlen_dtype(np.int8)
        names = np.empty(len(fields), dtype=object)
        for i, name in enumerate(fields):
            names[i] = np.frombuffer(name.encode(), dtype=np.int8)
        group.attrs.create("MATLAB_fields", names, dtype=vlen)
        for name, (matlab_class_name, value) in fields.items():
            value = np.asarray(value)
            if value.ndim == 1:
                value = value.reshape(1, -1)
            ds = group.create_dataset(name, data=np.ascontiguousarray(value.T))  # column-major
            matlab_class(ds, matlab_class_name)
            if matlab_class_name == "char":
                ds.attrs.create("MATLAB_int_decode", np.int32(2))
            elif matlab_class_name == "logical":
                ds.attrs.create("MATLAB_int_decode", np.int32(1))
    text = (b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2018 "
            b"HDF5 schema 1.00 .")
    header = text.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02" + b"IM"
    header = header.ljust(512, b"\x00")
    with open(path, "r+b") as f:
        f.write(header)


def savemat_v5(path, variables):
    """MATLAB v5 MAT-file via scipy, with a fixed header date so output is reproducible."""
    import scipy.io
    makedirs(os.path.dirname(path))
    scipy.io.savemat(path, variables, format="5")
    text = b"MATLAB 5.0 MAT-file Platform: posix, Created on: Mon Jan  1 00:00:00 2018"
    with open(path, "r+b") as f:
        f.write(text.ljust(116, b" "))


def write_mhd(folder, stem, volume, spacing, origin, element_type="MET_SHORT"):
    """MetaImage .mhd header + .raw voxels (x fastest), as LUNA16 ships it."""
    makedirs(folder)
    nx, ny, nz = volume.shape
    header = "\n".join([
        "ObjectType = Image",
        "NDims = 3",
        "BinaryData = True",
        "BinaryDataByteOrderMSB = False",
        "CompressedData = False",
        "TransformMatrix = 1 0 0 0 1 0 0 0 1",
        "Offset = %s" % " ".join("%.6f" % v for v in origin),
        "CenterOfRotation = 0 0 0",
        "AnatomicalOrientation = RAI",
        "ElementSpacing = %s" % " ".join(repr(float(v)) for v in spacing),
        "DimSize = %d %d %d" % (nx, ny, nz),
        "ElementType = %s" % element_type,
        "ElementDataFile = %s.raw" % stem,
    ]) + "\n"
    write_text(os.path.join(folder, stem + ".mhd"), header)
    write_bytes(os.path.join(folder, stem + ".raw"),
                np.ascontiguousarray(volume.transpose(2, 1, 0)).astype("<i2").tobytes())


def write_csv(path, header, rows):
    import csv
    import io
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if header is not None:
        writer.writerow(header)
    writer.writerows(rows)
    write_text(path, out.getvalue())


# ----------------------------------------------------------------------------------------------
# Datasets
# ----------------------------------------------------------------------------------------------

MSD_TASKS = [
    # folder, name, modalities, prefix, training ids, test ids, labels
    ("Task03_Liver", "Liver", {"0": "CT"}, "liver", [0, 1], [132],
     {"0": "background", "1": "liver", "2": "cancer"}),
    ("Task05_Prostate", "Prostate", {"0": "T2", "1": "ADC"}, "prostate", ["00", "01"], ["03"],
     {"0": "background", "1": "PZ", "2": "TZ"}),
    ("Task07_Pancreas", "Pancreas", {"0": "CT"}, "pancreas", ["001", "004"], ["002"],
     {"0": "background", "1": "pancreas", "2": "cancer"}),
    ("Task08_HepaticVessel", "HepaticVessel", {"0": "CT"}, "hepaticvessel", ["001", "002"],
     ["003"], {"0": "background", "1": "Vessel", "2": "Tumour"}),
    ("Task09_Spleen", "Spleen", {"0": "CT"}, "spleen", [2, 3], [1],
     {"0": "background", "1": "spleen"}),
    ("Task10_Colon", "Colon", {"0": "CT"}, "colon", ["001", "005"], ["002"],
     {"0": "background", "1": "colon cancer primaries"}),
]


def make_msd(out):
    for t, (folder, name, modality, prefix, train, test, labels) in enumerate(MSD_TASKS):
        root = makedirs(os.path.join(out, folder))
        four_d = len(modality) > 1
        training, testing = [], []
        for i, case in enumerate(list(train) + list(test)):
            stem = "%s_%s" % (prefix, case)
            is_train = i < len(train)
            sub = "imagesTr" if is_train else "imagesTs"
            if four_d:  # Prostate: x, y, z, channel (T2, ADC), float32 as MSD ships it.
                t2 = mr_volume((32, 32, 8), seed=100 * t + i).astype(np.float32)
                adc = (mr_volume((32, 32, 8), seed=100 * t + i + 50) * 2.0).astype(np.float32)
                data = np.stack([t2, adc], axis=-1)
                write_nifti(os.path.join(root, sub, stem + ".nii.gz"), data, (0.625, 0.625, 3.6))
            else:
                write_nifti(os.path.join(root, sub, stem + ".nii.gz"),
                            ct_volume((32, 32, 8), seed=100 * t + i), (0.78, 0.78, 2.5))
            if is_train:
                seg = np.zeros((32, 32, 8), np.uint8)
                seg[12:20, 12:20, 2:6] = 1
                write_nifti(os.path.join(root, "labelsTr", stem + ".nii.gz"), seg,
                            (0.78, 0.78, 2.5))
                training.append({"image": "./imagesTr/%s.nii.gz" % stem,
                                 "label": "./labelsTr/%s.nii.gz" % stem})
            else:
                testing.append("./imagesTs/%s.nii.gz" % stem)
        # macOS resource-fork junk that the real MSD tarballs contain.
        write_bytes(os.path.join(root, "imagesTr", "._%s_%s.nii.gz" % (prefix, train[0])),
                    b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        ")
        dataset = {
            "name": name,
            "description": "%s segmentation (fixture)" % name,
            "reference": "Medical Segmentation Decathlon",
            "licence": "CC-BY-SA 4.0",
            "relase": "1.0 04/05/2018",
            "tensorImageSize": "4D" if four_d else "3D",
            "modality": modality,
            "labels": labels,
            "numTraining": len(training),
            "numTest": len(testing),
            "training": training,
            "test": testing,
        }
        write_text(os.path.join(root, "dataset.json"), json.dumps(dataset, indent=4))


def make_cq500(out):
    # Patient 0 extracted in place, patient 1 inside its zip's folder, as users unpack them.
    series = {
        "CQ500CT0 CQ500CT0": ["CT 0.625mm", "CT PLAIN THIN"],
        "CQ500-CT-1/CQ500CT1 CQ500CT1": ["CT Plain"],
    }
    for p, (patient_dir, names) in enumerate(series.items()):
        for s, series_name in enumerate(names):
            folder = os.path.join(out, patient_dir, "Unknown Study", series_name)
            write_dicom_series(folder, ct_volume((32, 32, 4), seed=10 * p + s), "CT",
                               ("cq500", p, s), "CQ500-CT-%d" % p, spacing=(0.45, 0.45, 5.0),
                               file_name=lambda i: "CT%06d.dcm" % i, z0=100.0, z_step_sign=-1.0)
    write_csv(os.path.join(out, "reads.csv"),
              ["name", "Category", "R1:ICH", "R1:IPH", "R2:ICH", "R2:IPH", "R3:ICH", "R3:IPH"],
              [["CQ500-CT-0", "B1", 0, 0, 0, 0, 0, 0], ["CQ500-CT-1", "B1", 1, 1, 1, 0, 1, 1]])


def make_ct_lymph_nodes(out):
    patients = [("ABD_LYMPH_001", "09-14-2014-ABDLYMPH001-abdominallymphnodes-30274",
                 "abdominallymphnodes-26828"),
                ("ABD_LYMPH_002", "09-14-2014-ABDLYMPH002-abdominallymphnodes-39075",
                 "abdominallymphnodes-61503"),
                ("MED_LYMPH_001", "09-14-2014-MEDLYMPH001-mediastinallymphnodes-84228",
                 "mediastinallymphnodes-23591")]
    root = os.path.join(out, "CT Lymph Nodes")
    for p, (pid, study, series) in enumerate(patients):
        write_dicom_series(os.path.join(root, pid, study, series),
                           ct_volume((32, 32, 5), seed=p), "CT", ("lymph", p), pid,
                           spacing=(0.82, 0.82, 1.25), file_name=lambda i: "1-%03d.dcm" % (i + 1))


def make_chaos(out):
    root = os.path.join(out, "CHAOS_Train_Sets", "Train_Sets")
    for p, case in enumerate(["1", "2"]):
        base = os.path.join(root, "CT", case)
        write_dicom_series(os.path.join(base, "DICOM_anon"), ct_volume((32, 32, 4), seed=p), "CT",
                           ("chaos-ct", case), "CHAOS-CT-%s" % case, spacing=(0.7, 0.7, 3.0),
                           file_name=lambda i: "i%04d,0000b.dcm" % i)
        write_png(os.path.join(base, "Ground", "liver_GT_000.png"), np.zeros((32, 32), np.uint8))
    for p, case in enumerate(["1", "3"]):
        base = os.path.join(root, "MR", case)
        for s, sub in enumerate([("T1DUAL", "DICOM_anon", "InPhase"),
                                 ("T1DUAL", "DICOM_anon", "OutPhase"),
                                 ("T2SPIR", "DICOM_anon")]):
            series_no = 4 if sub[0] == "T1DUAL" else 2
            write_dicom_series(os.path.join(base, *sub), mr_volume((32, 32, 3), seed=10 * p + s),
                               "MR", ("chaos-mr", case, s), "CHAOS-MR-%s" % case,
                               spacing=(1.4, 1.4, 8.0),
                               file_name=lambda i, n=series_no, s=s: "IMG-%04d-%05d.dcm" %
                               (n, 2 * i + 1 + (s % 2)))
            write_png(os.path.join(base, sub[0], "Ground", "IMG-%04d-00001.png" % series_no),
                      np.zeros((32, 32), np.uint8))


DEEPLESION_HEADER = ["File_name", "Patient_index", "Study_index", "Series_ID", "Key_slice_index",
                     "Measurement_coordinates", "Bounding_boxes", "Lesion_diameters_Pixel_",
                     "Normalized_lesion_location", "Coarse_lesion_type", "Possibly_noisy",
                     "Slice_range", "Spacing_mm_px_", "Image_size", "DICOM_windows",
                     "Patient_gender", "Patient_age", "Train_Val_Test"]


def make_deeplesion(out):
    series = {"000001_01_01": [103, 104, 105, 106], "000001_02_01": [8, 9, 10],
              "000002_01_01": [50, 51, 52]}
    rows = []
    for s, (folder, slices) in enumerate(series.items()):
        vol = ct_volume((32, 32, len(slices)), seed=s)
        for k, index in enumerate(slices):
            stored = (vol[:, :, k].T.astype(np.int32) + 32768).astype(np.uint16)
            write_png(os.path.join(out, "Images_png", folder, "%03d.png" % index), stored)
        key = slices[len(slices) // 2]
        patient, study, ser = folder.split("_")
        rows.append(["%s_%03d.png" % (folder, key), int(patient), int(study), int(ser), key,
                     "233.1, 95.1, 252.1, 104.8", "226.1, 90.3, 259.5, 109.7",
                     "37.1, 11.3", "0.44, 0.68, 0.45", 3, 0,
                     "%d, %d" % (slices[0], slices[-1]), "0.78, 0.78, 5", "32, 32",
                     "-175, 275", "M" if s < 2 else "F", 51, 1])
    write_csv(os.path.join(out, "DL_info.csv"), DEEPLESION_HEADER, rows)


def make_mrnet(out):
    root = os.path.join(out, "MRNet-v1.0")
    exams = {"train": ["0000", "0001"], "valid": ["1130"]}
    depth = {"axial": 5, "coronal": 4, "sagittal": 6}
    labels = {"0000": (0, 0, 0), "0001": (1, 1, 0), "1130": (1, 0, 1)}
    for split, ids in exams.items():
        for e, exam in enumerate(ids):
            for p, (plane, n) in enumerate(depth.items()):
                vol = mr_volume((24, 24, n + e), seed=100 * e + p, dtype=np.uint16)
                arr = np.clip(vol.transpose(2, 1, 0) // 4, 0, 255).astype(np.uint8)
                path = os.path.join(root, split, plane, exam + ".npy")
                makedirs(os.path.dirname(path))
                np.save(path, arr)
        for k, task in enumerate(["abnormal", "acl", "meniscus"]):
            write_csv(os.path.join(root, "%s-%s.csv" % (split, task)), None,
                      [[exam, labels[exam][k]] for exam in ids])


def make_mura(out):
    root = os.path.join(out, "MURA-v1.1")
    studies = [  # split, type, patient, study, label, images
        ("train", "XR_SHOULDER", "patient00001", "study1_positive", 1, 3),
        ("train", "XR_SHOULDER", "patient00001", "study2_negative", 0, 1),
        ("train", "XR_SHOULDER", "patient00002", "study1_negative", 0, 2),
        ("train", "XR_HUMERUS", "patient00002", "study1_positive", 1, 1),
        ("valid", "XR_SHOULDER", "patient11185", "study1_positive", 1, 2),
    ]
    paths = {"train": [], "valid": []}
    labeled = {"train": [], "valid": []}
    for s, (split, kind, patient, study, label, n) in enumerate(studies):
        rel = "MURA-v1.1/%s/%s/%s/%s/" % (split, kind, patient, study)
        for i in range(1, n + 1):
            img = xray_image(40 + 4 * i, 32, seed=10 * s + i)
            if s == 0 and i == 2:  # Some MURA PNGs are RGB.
                img = np.stack([img] * 3, axis=-1)
            write_png(os.path.join(out, rel, "image%d.png" % i), img)
            paths[split].append([rel + "image%d.png" % i])
        labeled[split].append([rel, label])
    for split in ("train", "valid"):
        write_csv(os.path.join(root, "%s_image_paths.csv" % split), None, paths[split])
        write_csv(os.path.join(root, "%s_labeled_studies.csv" % split), None, labeled[split])


def make_cardiac_mri(out):
    for p in (1, 2, 10):
        vol = mr_volume((32, 32, 3 + (p % 2)), seed=p).transpose(1, 0, 2)  # y, x, z
        frames = np.stack([np.roll(vol, t, axis=0) for t in range(4)], axis=-1)  # y, x, z, t
        savemat_v5(os.path.join(out, "sol_yxzt_pat%d.mat" % p),
                   {"sol_yxzt": frames.astype(np.uint16)})
    savemat_v5(os.path.join(out, "manual_seg_32points_pat1.mat"),
               {"manual_seg_32points": np.zeros((65, 2))})


CXR14_HEADER = ["Image Index", "Finding Labels", "Follow-up #", "Patient ID", "Patient Age",
                "Patient Gender", "View Position", "OriginalImage[Width", "Height]",
                "OriginalImagePixelSpacing[x", "y]", ""]


def make_chestxray14(out):
    rows = [("00000001_000.png", "Cardiomegaly", 0, 1, 58, "M", "PA"),
            ("00000001_001.png", "Cardiomegaly|Emphysema", 1, 1, 58, "M", "PA"),
            ("00000001_002.png", "Cardiomegaly|Effusion", 2, 1, 58, "M", "PA"),
            ("00000002_000.png", "No Finding", 0, 2, 81, "M", "PA"),
            ("00000003_001.png", "Hernia", 1, 3, 74, "F", "AP"),
            ("00000003_000.png", "Hernia", 0, 3, 81, "F", "PA")]
    table = []
    for i, (name, finding, follow, pid, age, sex, view) in enumerate(rows):
        write_png(os.path.join(out, "images", name), xray_image(32, 32, seed=i))
        table.append([name, finding, follow, pid, age, sex, view, 2682, 2749, 0.143, 0.143, ""])
    write_csv(os.path.join(out, "Data_Entry_2017.csv"), CXR14_HEADER, table)
    write_text(os.path.join(out, "train_val_list.txt"),
               "00000001_000.png\n00000001_001.png\n00000001_002.png\n00000002_000.png\n")
    write_text(os.path.join(out, "test_list.txt"), "00000003_000.png\n00000003_001.png\n")


def make_brain_tumor_figshare(out):
    # file number -> (PID, label 1 meningioma / 2 glioma / 3 pituitary)
    files = {1: ("100360", 1), 2: ("100360", 1), 3: ("107494", 2), 4: ("107494", 2),
             10: ("MR040032", 3)}
    for n, (pid, label) in files.items():
        image = np.clip(phantom((32, 32, 1), 0, 400, 1200, n, 20)[:, :, 0].T, 0, 32767)
        mask = np.zeros((32, 32), np.uint8)
        mask[10:16, 12:18] = 1
        border = np.array([[10.0, 12.0, 10.0, 17.0, 15.0, 17.0, 15.0, 12.0]])
        savemat_v73(os.path.join(out, "%d.mat" % n), "cjdata", {
            "label": ("double", np.array([[float(label)]])),
            "PID": ("char", np.array([[ord(c) for c in pid]], dtype=np.uint16)),
            "image": ("int16", image.astype(np.int16)),
            "tumorBorder": ("double", border),
            "tumorMask": ("logical", mask),
        })
    savemat_v5(os.path.join(out, "cvind.mat"), {"cvind": np.array([[1], [2], [3], [1], [2]])})
    write_text(os.path.join(out, "README.txt"),
               "This brain tumor dataset containing 3064 T1-weighted contrast-inhanced images\n"
               "(fixture: 5 files). cjdata.label: 1 meningioma, 2 glioma, 3 pituitary tumor\n")


def make_oasis(out):
    sessions = [("disc1", "OAS1_0001_MR1", 2), ("disc1", "OAS1_0002_MR1", 1),
                ("disc2", "OAS1_0001_MR2", 1)]
    for s, (disc, session, scans) in enumerate(sessions):
        base = os.path.join(out, disc, session)
        for k in range(1, scans + 1):
            write_analyze(os.path.join(base, "RAW", "%s_mpr-%d_anon.hdr" % (session, k)),
                          mr_volume((16, 16, 8), seed=10 * s + k), (1.0, 1.0, 1.25), ">i2")
        write_analyze(os.path.join(base, "PROCESSED", "MPRAGE", "T88_111",
                                   "%s_mpr_n%d_anon_111_t88_gfc.hdr" % (session, scans)),
                      mr_volume((16, 16, 8), seed=10 * s + 9), (1.0, 1.0, 1.0), ">i2")
        write_analyze(os.path.join(base, "PROCESSED", "MPRAGE", "T88_111",
                                   "%s_mpr_n%d_anon_111_t88_masked_gfc.hdr" % (session, scans)),
                      mr_volume((16, 16, 8), seed=10 * s + 8), (1.0, 1.0, 1.0), ">i2")
        fseg = "%s_mpr_n%d_anon_111_t88_masked_gfc_fseg.hdr" % (session, scans)
        write_analyze(os.path.join(base, "FSL_SEG", fseg),
                      np.zeros((16, 16, 8)), (1.0, 1.0, 1.0), "u1")
        write_text(os.path.join(base, session + ".txt"), "SESSION ID: %s\nAGE: 74\n" % session)
    write_csv(os.path.join(out, "oasis_cross-sectional.csv"),
              ["ID", "M/F", "Hand", "Age", "Educ", "SES", "MMSE", "CDR", "eTIV", "nWBV", "ASF",
               "Delay"],
              [["OAS1_0001_MR1", "F", "R", 74, 2, 3, 29, 0, 1344, 0.743, 1.306, "N/A"],
               ["OAS1_0002_MR1", "F", "R", 55, 4, 1, 29, 0, 1147, 0.81, 1.531, "N/A"],
               ["OAS1_0001_MR2", "F", "R", 74, 2, 3, 29, 0, 1344, 0.743, 1.306, 21]])


def make_ibsr(out):
    # IBSR_01: the Analyze distribution; IBSR_02: the NIfTI one (IBSR_V2.0 nifti_stripped style).
    base = os.path.join(out, "IBSR_01")
    write_analyze(os.path.join(base, "images", "analyze", "IBSR_01_ana.hdr"),
                  mr_volume((16, 16, 8), seed=1), (0.9375, 1.5, 0.9375), "<i2")
    write_analyze(os.path.join(base, "segmentation", "analyze", "IBSR_01_seg_ana.hdr"),
                  np.zeros((16, 16, 8)), (0.9375, 1.5, 0.9375), "u1")
    base = os.path.join(out, "IBSR_02")
    write_nifti(os.path.join(base, "IBSR_02_ana.nii.gz"), mr_volume((16, 16, 8), seed=2),
                (0.9375, 1.5, 0.9375), dtype=np.int16)
    write_nifti(os.path.join(base, "IBSR_02_ana_strip.nii.gz"), mr_volume((16, 16, 8), seed=3),
                (0.9375, 1.5, 0.9375), dtype=np.int16)
    write_nifti(os.path.join(base, "IBSR_02_segTRI_ana.nii.gz"), np.zeros((16, 16, 8)),
                (0.9375, 1.5, 0.9375), dtype=np.uint8)
    write_text(os.path.join(out, "README.txt"), "IBSR fixture\n")


LUNA_SERIES = [
    ("0", "1.3.6.1.4.1.14519.5.2.1.6279.6001.105756658031515062000744821260",
     (0.7617189884185791, 0.7617189884185791, 2.5), (-198.100006, -195.0, -335.209991)),
    ("0", "1.3.6.1.4.1.14519.5.2.1.6279.6001.108197895896446896160048741492",
     (0.703125, 0.703125, 1.25), (-166.600006, -171.300003, -340.0)),
    ("1", "1.3.6.1.4.1.14519.5.2.1.6279.6001.100225287222365663678666836860",
     (0.78125, 0.78125, 1.25), (-178.300003, -180.0, -316.899994)),
]


def make_luna16(out):
    ann, cand = [], []
    for s, (subset, series, spacing, origin) in enumerate(LUNA_SERIES):
        vol = ct_volume((32, 32, 8), seed=s)
        vol[:2, :, :] = -3024  # Scanner padding outside the field of view.
        write_mhd(os.path.join(out, "subset" + subset), series, vol, spacing, origin)
        nodule = [origin[i] + idx * spacing[i] for i, idx in enumerate((20.0, 15.5, 3.5))]
        if s != 1:
            ann.append([series] + ["%.8f" % v for v in nodule] + ["%.8f" % (4.0 + s)])
        cand.append([series] + ["%.2f" % v for v in nodule] + [0 if s == 1 else 1])
        cand.append([series] + ["%.2f" % (origin[i] + 5.0 * spacing[i]) for i in range(3)] + [0])
    write_csv(os.path.join(out, "annotations.csv"),
              ["seriesuid", "coordX", "coordY", "coordZ", "diameter_mm"], ann)
    write_csv(os.path.join(out, "candidates_V2", "candidates_V2.csv"),
              ["seriesuid", "coordX", "coordY", "coordZ", "class"], cand)


def make_csv_manifest(out):
    write_nifti(os.path.join(out, "scans", "p1, visit 1.nii.gz"), ct_volume((16, 16, 4), seed=1),
                (1.0, 1.0, 2.0), dtype=np.int16)
    write_nifti(os.path.join(out, "scans", "p1, visit 2.nii.gz"), ct_volume((16, 16, 4), seed=2),
                (1.0, 1.0, 2.0), dtype=np.int16)
    write_png(os.path.join(out, "scans", "hand.png"), xray_image(32, 32, seed=3))
    write_csv(os.path.join(out, "manifest.csv"),
              ["dataset", "patient_id", "modality", "body_part", "file", "label"],
              [["MyCT", "p1", "CT", "abdomen", "scans/p1, visit 1.nii.gz", "1"],
               ["MyCT", "p1", "CT", "abdomen", "scans/p1, visit 2.nii.gz", "1"],
               ["MyXR", "h7", "XR", "hand", "scans/hand.png", "0"]])


def make_broken(out):
    """A csv_manifest dataset seeded with bad files beside good ones, for skipped-file reports:
    every good slice must survive, every bad file must be named with its reason."""
    vol = ct_volume((16, 16, 4), seed=7)
    write_nifti(os.path.join(out, "good", "ct.nii.gz"), vol, (1.0, 1.0, 2.0), dtype=np.int16)
    write_png(os.path.join(out, "good", "xray.png"), xray_image(32, 32, seed=8))
    write_dicom_series(os.path.join(out, "good", "dicom"), ct_volume((16, 16, 3), seed=9), "CT",
                       ("broken", "good"), "BROKEN-1", spacing=(1.0, 1.0, 2.0))
    # Truncated gzip stream (first half of a valid .nii.gz).
    with open(os.path.join(out, "good", "ct.nii.gz"), "rb") as f:
        data = f.read()
    write_bytes(os.path.join(out, "bad", "truncated.nii.gz"), data[: len(data) // 2])
    # Valid PNG signature, garbage after it.
    write_bytes(os.path.join(out, "bad", "corrupt.png"), b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    write_bytes(os.path.join(out, "bad", "empty.png"), b"")
    # A DICOM series with one slice cut short.
    names = write_dicom_series(os.path.join(out, "bad", "dicom"), ct_volume((16, 16, 3), seed=10),
                               "CT", ("broken", "bad"), "BROKEN-2", spacing=(1.0, 1.0, 2.0))
    path = os.path.join(out, "bad", "dicom", names[1])
    with open(path, "rb") as f:
        data = f.read()
    write_bytes(path, data[: len(data) - 200])
    write_text(os.path.join(out, "bad", "notes.txt"), "not an image\n")
    write_csv(os.path.join(out, "manifest.csv"),
              ["dataset", "patient_id", "modality", "body_part", "file", "expect"],
              [["Broken", "good_ct", "CT", "abdomen", "good/ct.nii.gz", "ok"],
               ["Broken", "good_xr", "XR", "chest", "good/xray.png", "ok"],
               ["Broken", "good_dicom", "CT", "abdomen", "good/dicom", "ok"],
               ["Broken", "truncated", "CT", "abdomen", "bad/truncated.nii.gz", "skip"],
               ["Broken", "corrupt", "XR", "chest", "bad/corrupt.png", "skip"],
               ["Broken", "empty", "XR", "chest", "bad/empty.png", "skip"],
               ["Broken", "bad_dicom", "CT", "abdomen", "bad/dicom", "skip"],
               ["Broken", "unsupported", "XR", "chest", "bad/notes.txt", "skip"]])


def make_read_hints(out):
    """Not a dataset layout: brain_tumor_figshare/ and cardiac_mri/ files that hold, beside the
    image, a larger numeric array -- the one the mat reader picks without a variable -- so a
    test storing the right slices proves the source's read hints reached the reader
    (tests/read_hints_test.cc)."""
    image = np.clip(phantom((32, 32, 1), 0, 400, 1200, 1, 20)[:, :, 0].T, 0, 32767)
    mask = np.zeros((32, 32), np.uint8)
    mask[10:16, 12:18] = 1
    savemat_v73(os.path.join(out, "brain_tumor_figshare", "1.mat"), "cjdata", {
        "label": ("double", np.array([[1.0]])),
        "PID": ("char", np.array([[ord(c) for c in "100360"]], dtype=np.uint16)),
        "image": ("int16", image.astype(np.int16)),
        "tumorBorder": ("double", np.array([[10.0, 12.0, 10.0, 17.0, 15.0, 17.0, 15.0, 12.0]])),
        "tumorMask": ("logical", mask),
        "decoy": ("double", np.full((48, 48), 7.0)),
    })
    vol = mr_volume((32, 32, 3), seed=1).transpose(1, 0, 2)  # y, x, z
    frames = np.stack([np.roll(vol, t, axis=0) for t in range(2)], axis=-1)  # y, x, z, t
    savemat_v5(os.path.join(out, "cardiac_mri", "sol_yxzt_pat1.mat"),
               {"sol_yxzt": frames.astype(np.uint16), "decoy": np.full((48, 48, 3, 2), 7.0)})


MAKERS = {
    "msd": make_msd,
    "cq500": make_cq500,
    "ct_lymph_nodes": make_ct_lymph_nodes,
    "chaos": make_chaos,
    "deeplesion": make_deeplesion,
    "mrnet": make_mrnet,
    "mura": make_mura,
    "cardiac_mri": make_cardiac_mri,
    "chestxray14": make_chestxray14,
    "brain_tumor_figshare": make_brain_tumor_figshare,
    "oasis": make_oasis,
    "ibsr": make_ibsr,
    "luna16": make_luna16,
    "csv_manifest": make_csv_manifest,
    "broken": make_broken,  # Not a dataset layout: csv_manifest with bad files (see above).
    "read_hints": make_read_hints,  # Not a dataset layout: decoy arrays beside the image.
}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", nargs="?")
    parser.add_argument("--only", action="append", choices=sorted(MAKERS),
                        help="generate only this dataset (repeatable)")
    parser.add_argument("--list", action="store_true", help="print the dataset names and exit")
    args = parser.parse_args(argv)
    if args.list:
        print("\n".join(sorted(MAKERS)))
        return 0
    if not args.out_dir:
        parser.error("OUT_DIR is required")
    for name in args.only or sorted(MAKERS):
        target = os.path.join(args.out_dir, name)
        if os.path.isdir(target):
            shutil.rmtree(target)
        MAKERS[name](makedirs(target))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
