#!/usr/bin/python3
"""Writes the bad-input corpus of issue 10: hostile inputs of every kind Genesis takes, each a
named case with what `genesis` must say about it.

Usage: /usr/bin/python3 make_bad_inputs.py OUT_DIR

OUT_DIR gets the files and OUT_DIR/cases.json, read by bad_input_corpus_test.py. Cases are
grouped into invocations so that one `genesis` process checks many of them:

  {"groups": [{"name": ..., "argv": [...], "exit": 0|1|3, "corpus_dir": optional,
               "cases": [{"name": ..., "input": ..., "expect": regex, "where": ...}],
               "good": [{"file": ..., "slices": N}], "good_output": [text, ...],
               "not_created": path}]}

  where = "skipped": a row of <corpus_dir>/skipped.csv whose file column ends with `input` and
                     whose reason matches `expect` (`count` rows when given, else >= 1);
          "output":  stdout + stderr contains `input` and a line matching `expect`.
  good  = manifest.csv rows (file ends with `file`) that must hold `slices` selected slices:
          the good records beside the bad ones, none silently dropped; every skipped.csv row
          must belong to a case (no good input skipped).
  good_output = texts the output must hold (`genesis inspect` still prints the good files).
  not_created = a folder that must not exist afterwards (refused before any work).

Groups: mixed_corpus (every reader format: a good file beside truncated / corrupt-header /
zero-sized / huge-dimension / NaN-Inf / missing-companion / wrong-content files, plus bad
manifest rows), inspect (the same files), configs (unknown plugins, wrong-type and out-of-range
options, `name` escaping the output root, syntax errors), override_* (bad `path=value`),
dataset_listing (an empty folder for every dataset source, broken manifests), run_* (empty and
optional datasets, wrong field counts), duplicate_* (the same image under two patients, one
patient id from two dataset specs).

Good base files come from tools/testdata/make_reader_fixtures.py (the files the reader tests
check voxel by voxel), plus a 3-slice CT DICOM series written here; every bad file is one of
them damaged in one way (truncated, corrupt header, wrong or zero dimensions, NaN/Inf voxels,
missing companion file, wrong content for the extension). Nothing here is a real scan.
"""
import gzip
import json
import os
import re
import shutil
import struct
import sys
import zlib

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools",
                                "testdata"))
import make_reader_fixtures as fixtures  # noqa: E402

HEADER = "dataset,patient_id,modality,body_part,file\n"
NORMALIZE = 'preprocessor { type: "modality_normalize" }'


def manifest_dataset(root, extra=""):
    return ('  dataset { source { type: "csv_manifest" options { '
            '[type.googleapis.com/genesis.CsvManifestOptions] { root: "%s" } } } %s }\n'
            % (root, extra))


def corpus_experiment(path, name, out, datasets, extra=(NORMALIZE,), head=""):
    with open(path, "w") as fp:
        fp.write('name: "%s"\n%soutput_dir: "%s"\nstage { corpus {\n' % (name, head, out))
        fp.write("".join(datasets))
        for line in extra:
            fp.write("  %s\n" % line)
        fp.write("} }\n")
    return path


def write(path, data, mode="wb"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, mode) as fp:
        fp.write(data)


def read(path):
    with open(path, "rb") as fp:
        return fp.read()


def truncate(src, dst, keep):
    data = read(src)
    write(dst, data[:keep if keep >= 0 else len(data) + keep])


def patch(src, dst, offset, new_bytes):
    data = bytearray(read(src))
    data[offset:offset + len(new_bytes)] = new_bytes
    write(dst, bytes(data))


def write_ct_series(folder, slices=3, size=16, corrupt=None):
    """A CT series, one file per slice, HU = 10 * (x + y) - 500 + 100 z (pydicom)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    os.makedirs(folder, exist_ok=True)
    study, series = generate_uid(), generate_uid()
    y, x = np.mgrid[0:size, 0:size]
    for z in range(slices):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.Modality = "CT"
        ds.PatientName = "Synthetic^BadInput"
        ds.PatientID = "BADINPUT0001"
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.PixelSpacing = [0.7, 0.7]
        ds.SliceThickness = 2.0
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.ImagePositionPatient = [0, 0, 2.0 * z]
        ds.InstanceNumber = z + 1
        ds.PixelData = (10 * (x + y) + 524 + 100 * z).astype("<i2").tobytes()
        ds.is_little_endian, ds.is_implicit_VR = True, False
        path = os.path.join(folder, "slice%03d.dcm" % z)
        ds.save_as(path, write_like_original=False)
    return folder


class Mixed:
    """One corpus run over a csv_manifest that lists good files beside bad ones."""

    def __init__(self, root):
        self.root = root
        self.rows = []
        self.cases = []
        self.good = []
        self.bad_files = []  # (case, path): whole files `genesis inspect` must refuse too.

    def add_file(self, rel, modality="CT", patient=None, body="chest"):
        patient = patient or rel.replace("/", "_").replace(".", "_")
        self.rows.append("Bad,%s,%s,%s,%s" % (patient, modality, body, rel))
        return os.path.join(self.root, rel)

    def good_file(self, rel, slices, **kw):
        self.add_file(rel, **kw)
        self.good.append({"file": rel, "slices": slices})

    def bad_file(self, name, rel, expect, count=None, **kw):
        self.add_file(rel, **kw)
        self.case(name, rel, expect, count)
        self.bad_files.append((name, rel))

    def case(self, name, input_, expect, count=None):
        c = {"name": name, "input": input_, "expect": expect, "where": "skipped"}
        if count is not None:
            c["count"] = count
        self.cases.append(c)


def make_mixed(out):
    """Every reader format: one good file and several bad ones, plus bad manifest rows."""
    root = os.path.join(out, "mixed")
    base = os.path.join(out, "base")
    os.makedirs(base, exist_ok=True)
    for writer in (fixtures.write_npy, fixtures.write_png_files, fixtures.write_jpeg_files,
                   fixtures.write_mat_v5, fixtures.write_mat_v73, fixtures.write_analyze,
                   fixtures.write_nifti, fixtures.write_monochrome1_dicom, fixtures.write_nrrd,
                   fixtures.write_metaimage):
        writer(base)
    m = Mixed(root)

    def good_copy(src_rel, rel, slices, **kw):
        os.makedirs(os.path.dirname(os.path.join(root, rel)), exist_ok=True)
        shutil.copy(os.path.join(base, src_rel), os.path.join(root, rel))
        m.good_file(rel, slices, **kw)

    b = lambda rel: os.path.join(base, rel)  # noqa: E731
    r = lambda rel: os.path.join(root, rel)  # noqa: E731

    # ---- NIfTI (.nii, .nii.gz): 5 x 4 x 3 int16. ----
    import nibabel as nib
    good_copy("nifti/scaled.nii.gz", "nifti/good.nii.gz", 3)
    raw_nii = r("nifti/good_raw.nii")
    nib.save(nib.load(b("nifti/scaled.nii.gz")), raw_nii)
    m.good_file("nifti/good_raw.nii", 3)
    nii = read(raw_nii)
    write(r("nifti/truncated.nii"), nii[:352 + 40 * 2])  # Header + 2 of 3 slices' worth cut.
    m.bad_file("nifti_truncated_data", "nifti/truncated.nii", r"(?i)truncat|short|expected|bytes")
    write(r("nifti/truncated_header.nii"), nii[:200])
    m.bad_file("nifti_truncated_header", "nifti/truncated_header.nii",
               r"^nifti: .*: not a readable NIfTI file \(header not recognised\)$")
    gz = read(b("nifti/scaled.nii.gz"))
    write(r("nifti/truncated.nii.gz"), gz[:len(gz) // 2])
    m.bad_file("nifti_gz_truncated", "nifti/truncated.nii.gz",
               r"not a readable NIfTI file \(header not recognised\)$")
    bad = bytearray(nii)
    bad[0:4] = struct.pack("<i", 999)  # sizeof_hdr
    bad[344:348] = b"xx1\0"  # magic
    write(r("nifti/corrupt_header.nii"), bytes(bad))
    m.bad_file("nifti_corrupt_header", "nifti/corrupt_header.nii",
               r"^nifti: .*: not a readable NIfTI file \(header not recognised\)$")
    bad = bytearray(nii)
    bad[42:44] = struct.pack("<h", 0)  # dim[1] = 0
    write(r("nifti/zero_dim.nii"), bytes(bad))
    m.bad_file("nifti_zero_dim", "nifti/zero_dim.nii",
               r"^nifti: .*zero_dim.nii: .*(not recognized|dimension|0)")
    bad = bytearray(nii)
    bad[42:48] = struct.pack("<hhh", 30000, 30000, 30000)  # dims far beyond the data
    write(r("nifti/huge_dims.nii"), bytes(bad))
    m.bad_file("nifti_huge_dims", "nifti/huge_dims.nii",
               r"header promises more than \d+ voxels; corrupt header\?$")
    write(r("nifti/empty.nii"), b"")
    m.bad_file("nifti_empty_file", "nifti/empty.nii", r"file is empty$")
    vol = np.full((8, 8, 4), -500.0, np.float32)  # (x, y, z)
    vol[2, 3, 1] = np.nan
    vol[4, 4, 3] = np.inf
    nib.save(nib.Nifti1Image(vol, np.eye(4)), r("nifti/nan_inf.nii.gz"))
    m.add_file("nifti/nan_inf.nii.gz")
    m.good.append({"file": "nifti/nan_inf.nii.gz", "slices": 2})
    m.case("nifti_nan_slice", "nifti/nan_inf.nii.gz",
           r"^volume 0 slice [13]: 1 non-finite voxels \(NaN/Inf\); slice skipped$", 2)
    nib.save(nib.Nifti1Image(np.full((8, 8, 2), -np.inf, np.float32), np.eye(4)),
             r("nifti/all_inf.nii.gz"))
    m.bad_file("nifti_all_inf", "nifti/all_inf.nii.gz",
               r"every voxel \(128\) is non-finite", 1)

    # ---- Analyze 7.5 (.hdr + .img). ----
    os.makedirs(r("analyze"), exist_ok=True)
    for ext in ("hdr", "img"):
        shutil.copy(b("analyze/vol." + ext), r("analyze/good." + ext))
    m.good_file("analyze/good.hdr", 3, modality="MR", body="head")
    shutil.copy(b("analyze/vol.hdr"), r("analyze/no_img.hdr"))
    m.bad_file("analyze_missing_img", "analyze/no_img.hdr",
               r"no_img.img: no such file$", modality="MR", body="head")
    shutil.copy(b("analyze/vol.hdr"), r("analyze/short.hdr"))
    truncate(b("analyze/vol.img"), r("analyze/short.img"), 50)
    m.bad_file("analyze_truncated_img", "analyze/short.hdr",
               r"short.img: truncated: expected 120 bytes \(header \+ voxels\), found 50$",
               modality="MR", body="head")
    write(r("analyze/garbage.hdr"), bytes(range(256)) * 2)
    shutil.copy(b("analyze/vol.img"), r("analyze/garbage.img"))
    m.bad_file("analyze_corrupt_header", "analyze/garbage.hdr",
               r"not a readable Analyze 7.5 file \(header not recognised\)$",
               modality="MR", body="head")

    # ---- MetaImage (.mhd + .raw, .mha). ----
    os.makedirs(r("mha"), exist_ok=True)
    mhd = read(b("mha/vol.mhd")).decode()
    shutil.copy(b("mha/vol.raw"), r("mha/vol.raw"))
    write(r("mha/good.mhd"), mhd, "w")
    m.good_file("mha/good.mhd", 3)
    write(r("mha/missing_raw.mhd"), mhd.replace("vol.raw", "nowhere.raw"), "w")
    m.bad_file("metaimage_missing_raw", "mha/missing_raw.mhd", r"nowhere.raw: no such file$")
    truncate(b("mha/vol.raw"), r("mha/short.raw"), 30)
    write(r("mha/truncated_raw.mhd"), mhd.replace("vol.raw", "short.raw"), "w")
    m.bad_file("metaimage_truncated_raw", "mha/truncated_raw.mhd",
               r"short.raw: truncated: expected 120 bytes of pixel data, found 30$")
    write(r("mha/zero_dim.mhd"), mhd.replace("DimSize = 5 4 3", "DimSize = 5 0 3"), "w")
    m.bad_file("metaimage_zero_dim", "mha/zero_dim.mhd", r"dimension 1 is 0$")
    write(r("mha/bad_type.mhd"), mhd.replace("MET_SHORT", "MET_WIBBLE"), "w")
    m.bad_file("metaimage_unknown_element_type", "mha/bad_type.mhd", r"(?i)unknown component type")
    write(r("mha/garbage.mha"), b"\x00\x01garbage, not a MetaImage header\n" * 4)
    m.bad_file("metaimage_garbage_mha", "mha/garbage.mha",
               r"not a readable MetaImage file \(header not recognised\)$")

    # ---- NRRD. ----
    os.makedirs(r("nrrd"), exist_ok=True)
    nrrd = read(b("nrrd/vol.nrrd"))
    shutil.copy(b("nrrd/vol.nrrd"), r("nrrd/good.nrrd"))
    m.good_file("nrrd/good.nrrd", 3)
    write(r("nrrd/truncated.nrrd"), nrrd[:-40])
    m.bad_file("nrrd_truncated", "nrrd/truncated.nrrd",
               r"truncated: expected 120 bytes of pixel data after byte \d+, found 80$")
    write(r("nrrd/bad_type.nrrd"), nrrd.replace(b"type: short", b"type: quaternion"))
    m.bad_file("nrrd_unknown_type", "nrrd/bad_type.nrrd",
               r"(?s)cannot read as NRRD: .*couldn't parse type \"quaternion\"")
    write(r("nrrd/zero_size.nrrd"), nrrd.replace(b"sizes: 5 4 3", b"sizes: 5 0 3"))
    m.bad_file("nrrd_zero_size", "nrrd/zero_size.nrrd",
               r"(?s)cannot read as NRRD: .*axis 1 size is zero")
    head, data = nrrd.split(b"\n\n", 1)
    write(r("nrrd/gzip_truncated.nrrd"), head.replace(b"encoding: raw", b"encoding: gzip") +
          b"\n\n" + gzip.compress(data)[:30])
    m.bad_file("nrrd_gzip_data_truncated", "nrrd/gzip_truncated.nrrd",
               r"truncated or corrupt gzip data: 120 bytes expected")
    write(r("nrrd/detached.nhdr"), read(b("nrrd/detached.nhdr")).replace(b"detached.raw.gz",
                                                                         b"gone.raw.gz"))
    m.bad_file("nrrd_detached_data_file_missing", "nrrd/detached.nhdr",
               r"(?s)cannot read as NRRD: .*couldn't open \".*/gone.raw.gz\"")

    # ---- PNG (8-bit grey 5 x 4). ----
    os.makedirs(r("png"), exist_ok=True)
    png = read(b("png/gray8.png"))
    shutil.copy(b("png/gray8.png"), r("png/good.png"))
    m.good_file("png/good.png", 1, modality="XR", body="hand")
    write(r("png/truncated.png"), png[:len(png) - 20])
    m.bad_file("png_truncated", "png/truncated.png",
               r"^png: .*truncated.png: ", modality="XR", body="hand")
    patch(b("png/gray8.png"), r("png/bad_crc.png"), 29, b"\xde\xad\xbe\xef")  # IHDR CRC
    m.bad_file("png_corrupt_header_crc", "png/bad_crc.png",
               r"^png: .*bad_crc.png: ", modality="XR", body="hand")
    ihdr = struct.pack(">IIBBBBB", 0, 4, 8, 0, 0, 0, 0)
    write(r("png/zero_width.png"), b"\x89PNG\r\n\x1a\n" + fixtures.png_chunk(b"IHDR", ihdr) +
          fixtures.png_chunk(b"IDAT", zlib.compress(b"\0" * 4)) + fixtures.png_chunk(b"IEND", b""))
    m.bad_file("png_zero_width", "png/zero_width.png",
               r"^png: .*zero_width.png: ", modality="XR", body="hand")
    write(r("png/text.png"), "this is not an image\n", "w")
    m.bad_file("png_not_a_png", "png/text.png",
               r"not a PNG file \(bad signature\)$", modality="XR", body="hand")

    # ---- JPEG. ----
    os.makedirs(r("jpeg"), exist_ok=True)
    jpg = read(b("jpeg/gray.jpg"))
    shutil.copy(b("jpeg/gray.jpg"), r("jpeg/good.jpg"))
    m.good_file("jpeg/good.jpg", 1, modality="XR", body="hand")
    write(r("jpeg/truncated.jpg"), jpg[:len(jpg) // 2])
    m.bad_file("jpeg_truncated", "jpeg/truncated.jpg",
               r"truncated JPEG \(no end-of-image marker FF D9\)$", modality="XR", body="hand")
    write(r("jpeg/garbage.jpg"), b"\xff\xd8\xff" + bytes(range(256)) * 3 + b"\xff\xd9")
    m.bad_file("jpeg_corrupt_body", "jpeg/garbage.jpg",
               r"cannot decode JPEG \(corrupt, truncated or unsupported variant\)$",
               modality="XR", body="hand")

    # ---- MATLAB .mat (v5 and v7.3). ----
    os.makedirs(r("mat"), exist_ok=True)
    shutil.copy(b("mat/sol_yxzt_pat1.mat"), r("mat/good_v5.mat"))
    m.good_file("mat/good_v5.mat", 6, modality="MR", body="heart")
    shutil.copy(b("mat/v73.mat"), r("mat/good_v73.mat"))
    m.good_file("mat/good_v73.mat", 1, modality="MR", body="brain")
    v5 = read(b("mat/sol_yxzt_pat1.mat"))
    write(r("mat/truncated_v5.mat"), v5[:len(v5) // 2])
    m.bad_file("mat_v5_truncated", "mat/truncated_v5.mat",
               r"truncated: variable at byte 128 does not fit in the file$",
               modality="MR", body="heart")
    import scipy.io
    scipy.io.savemat(r("mat/no_image.mat"), {"note": "no array here"})
    m.bad_file("mat_v5_no_image_variable", "mat/no_image.mat",
               r"no numeric array in the file; variables: note$", modality="MR", body="heart")
    v73 = read(b("mat/v73.mat"))
    bad = bytearray(v73)
    bad[512:520] = b"NOTHDF5!"  # the HDF5 superblock signature after the MATLAB userblock
    write(r("mat/corrupt_v73.mat"), bytes(bad))
    m.bad_file("mat_v73_corrupt_superblock", "mat/corrupt_v73.mat",
               r"a MATLAB 7.3 header but no HDF5 superblock after it", modality="MR",
               body="brain")
    write(r("mat/truncated_v73.mat"), v73[:len(v73) // 2])
    m.bad_file("mat_v73_truncated", "mat/truncated_v73.mat",
               r"truncated: its HDF5 data \(MATLAB 7.3\) ends at byte %d, the file has %d bytes$"
               % (len(v73), len(v73) // 2), modality="MR", body="brain")
    write(r("mat/text.mat"), "x = [1 2 3];\n", "w")
    m.bad_file("mat_text_file", "mat/text.mat",
               r"truncated header \(13 bytes",
               modality="MR", body="heart")
    arr = np.full((8, 8, 3), 100.0)  # MATLAB (y, x, z)
    arr[1, 1, 0] = np.nan
    scipy.io.savemat(r("mat/nan.mat"), {"img": arr})
    m.add_file("mat/nan.mat", modality="MR", body="heart")
    m.good.append({"file": "mat/nan.mat", "slices": 2})
    m.case("mat_nan_slice", "mat/nan.mat",
           r"^volume 0 slice 0: 1 non-finite voxels \(NaN/Inf\); slice skipped$", 1)

    # ---- NumPy .npy. ----
    os.makedirs(r("npy"), exist_ok=True)
    npy = read(b("npy/u1_v1.npy"))
    shutil.copy(b("npy/u1_v1.npy"), r("npy/good.npy"))
    m.good_file("npy/good.npy", 3, modality="MR", body="knee")
    write(r("npy/truncated.npy"), npy[:-7])
    m.bad_file("npy_truncated", "npy/truncated.npy",
               r"truncated: expected 60 bytes of array data, found 53$", modality="MR", body="knee")
    write(r("npy/bad_magic.npy"), b"\x93NUMPZ" + npy[6:])
    m.bad_file("npy_bad_magic", "npy/bad_magic.npy",
               r"not a .npy file \(no .x93NUMPY magic\)$", modality="MR", body="knee")
    hdr_len = struct.unpack("<H", npy[8:10])[0]
    header = npy[10:10 + hdr_len].replace(b"'shape': (3, 4, 5)", b"'shape': (3, 4, five)")
    write(r("npy/bad_shape.npy"), npy[:10] + header + npy[10 + hdr_len:])
    m.bad_file("npy_malformed_header", "npy/bad_shape.npy",
               r"shape: bad value \(3, 4, five\)$", modality="MR", body="knee")
    np.save(r("npy/object.npy"), np.array([{"a": 1}, None], dtype=object), allow_pickle=True)
    m.bad_file("npy_object_dtype", "npy/object.npy", "descr '\\|O'", modality="MR", body="knee")
    np.save(r("npy/zero.npy"), np.zeros((0, 16, 16), np.uint8))
    m.bad_file("npy_zero_slices", "npy/zero.npy",
               r"array has no elements$", modality="MR", body="knee")
    np.save(r("npy/complex.npy"), np.ones((2, 4, 4), np.complex64))
    m.bad_file("npy_complex_dtype", "npy/complex.npy", r"dtype '<c8' unsupported", modality="MR",
               body="knee")
    import numpy.lib.format as npformat
    with open(r("npy/huge_shape.npy"), "wb") as fp:  # 6e13 voxels declared, 60 bytes given
        npformat.write_array_header_1_0(
            fp, {"descr": "|u1", "fortran_order": False, "shape": (3000000, 4000000, 5)})
        fp.write(npy[10 + hdr_len:])
    m.bad_file("npy_huge_shape", "npy/huge_shape.npy",
               r"truncated: expected 60000000000000 bytes of array data, found 60$",
               modality="MR", body="knee")
    inf = np.ones((3, 8, 8), np.float32)
    inf[2] = np.inf
    np.save(r("npy/inf_slice.npy"), inf)
    m.add_file("npy/inf_slice.npy", modality="MR", body="knee")
    m.good.append({"file": "npy/inf_slice.npy", "slices": 2})
    m.case("npy_inf_slice", "npy/inf_slice.npy",
           r"^volume 0 slice 2: 64 non-finite voxels \(NaN/Inf\); slice skipped$", 1)

    # ---- DICOM: single files and series folders. ----
    write_ct_series(r("dicom/good_series"))
    m.good_file("dicom/good_series", 3)
    os.makedirs(r("dicom"), exist_ok=True)
    shutil.copy(b("dicom/cr_monochrome1.dcm"), r("dicom/good_cr.dcm"))
    m.good_file("dicom/good_cr.dcm", 1, modality="XR", body="chest")
    one = read(os.path.join(r("dicom/good_series"), "slice000.dcm"))
    write(r("dicom/truncated.dcm"), one[:len(one) - 200])
    m.bad_file("dicom_truncated_pixel_data", "dicom/truncated.dcm",
               r"truncated: pixel data needs 512 bytes, file holds 312$")
    write(r("dicom/header_only.dcm"), one[:300])
    m.bad_file("dicom_truncated_in_header", "dicom/header_only.dcm", r"truncated DICOM: ")
    shutil.copy(b("dicom/no_pixels.dcm"), r("dicom/no_pixels.dcm"))
    m.bad_file("dicom_no_pixel_data", "dicom/no_pixels.dcm",
               r"DICOM file has no pixel data \(not an image\)$", modality="XR")
    import pydicom
    ds = pydicom.dcmread(os.path.join(r("dicom/good_series"), "slice001.dcm"))
    ds.Rows = 512  # claims 512 x 16 over 16 x 16 pixels of data
    ds.save_as(r("dicom/wrong_rows.dcm"))
    m.bad_file("dicom_rows_disagree_with_pixel_data", "dicom/wrong_rows.dcm",
               r"pixel data holds 512 bytes, Rows x Columns x \.\.\. needs 16384$")
    ds = pydicom.dcmread(os.path.join(r("dicom/good_series"), "slice001.dcm"))
    ds.Rows = 0
    ds.save_as(r("dicom/zero_rows.dcm"))
    m.bad_file("dicom_zero_rows", "dicom/zero_rows.dcm", r"not a DICOM file GDCM can read$")
    write(r("dicom/random.dcm"), b"\0" * 128 + b"DICM" + bytes(range(256)) * 4)
    m.bad_file("dicom_garbage_after_preamble", "dicom/random.dcm", r"truncated DICOM: ")
    # A series with one broken slice: that slice is reported, the other two are kept.
    write_ct_series(r("dicom/series_one_bad"))
    s = os.path.join(r("dicom/series_one_bad"), "slice002.dcm")
    write(s, read(s)[:400])
    m.add_file("dicom/series_one_bad")
    m.good.append({"file": "dicom/series_one_bad", "slices": 2})
    m.case("dicom_series_with_one_corrupt_slice", "dicom/series_one_bad/slice002.dcm",
           r"^dicom: .*slice002.dcm: truncated DICOM: ", 1)
    os.makedirs(r("dicom/empty_series"), exist_ok=True)
    m.bad_file("dicom_empty_series_folder", "dicom/empty_series",
               r"no image reader accepts this file")

    # ---- Inputs no reader takes, and rows that are wrong. ----
    write(r("other/scan.xyz"), b"\x00" * 64)
    m.bad_file("unknown_extension", "other/scan.xyz", r"no image reader accepts this file")
    os.makedirs(r("other/just_a_folder"), exist_ok=True)
    write(r("other/just_a_folder/readme.txt"), "no images here\n", "w")
    m.bad_file("folder_without_images", "other/just_a_folder",
               r"no image reader accepts this file")
    m.add_file("other/not_there.nii.gz", patient="ghost")
    m.case("manifest_missing_file", "other/not_there.nii.gz",
           r"^missing \(listed in .*manifest\.csv:\d+\)$", 1)
    # One patient with a good file and a bad one: the good one must stay.
    np.save(r("npy/mixed_good.npy"), np.arange(2 * 6 * 6, dtype=np.uint8).reshape(2, 6, 6))
    m.good_file("npy/mixed_good.npy", 2, patient="mixed_patient", modality="MR", body="knee")
    np.save(r("npy/mixed_bad.npy"), np.zeros((2, 6, 6), np.int64))
    write(r("npy/mixed_bad.npy"), read(r("npy/mixed_bad.npy"))[:-100])
    m.bad_file("npy_truncated_beside_good_file_of_same_patient", "npy/mixed_bad.npy",
               r"truncated: expected 576 bytes of array data, found 476$",
               patient="mixed_patient", modality="MR", body="knee")
    rows = list(m.rows)
    line = lambda: len(rows) + 2  # noqa: E731  (line of the next row: header is line 1)
    bad_rows = [
        ("manifest_row_empty_patient_id", "Bad,,CT,chest,nifti/good.nii.gz", r"empty 'patient_id'"),
        ("manifest_row_unknown_modality", "Bad,modality_x,PET,chest,nifti/good.nii.gz",
         r"^modality: .*PET"),
        ("manifest_row_empty_file", "Bad,nofile,CT,chest,", r"empty 'file'"),
        ("manifest_row_patient_disagrees", "Bad,nifti_good_nii_gz,MR,knee,npy/good.npy",
         r"was CT/chest on an earlier line, here MR/knee"),
    ]
    for name, text, expect in bad_rows:
        m.case(name, "manifest.csv:%d" % line(), expect, 1)
        rows.append(text)
    write(os.path.join(root, "manifest.csv"), HEADER + "\n".join(rows) + "\n", "w")
    # slice_count lives in a second manifest (the first has no such column).
    write(os.path.join(root, "counts.csv"),
          HEADER.rstrip("\n") + ",slice_count\n"
          "Counts,c1,MR,knee,npy/counts.npy,3\nCounts,c2,MR,knee,npy/counts.npy,-4\n", "w")
    m.case("manifest_row_bad_slice_count", "counts.csv:3",
           r"slice_count must be an integer.*'-4'", 1)
    shutil.copy(b("npy/u2.npy"), r("npy/counts.npy"))
    m.good.append({"file": "npy/counts.npy", "slices": 3})

    exp = corpus_experiment(
        os.path.join(out, "mixed.textproto"), "mixed", os.path.join(out, "run_mixed"),
        [manifest_dataset(root),
         '  dataset { source { type: "csv_manifest" options { '
         '[type.googleapis.com/genesis.CsvManifestOptions] { root: "%s" manifest: "counts.csv" } '
         '} } }\n' % root])
    mixed = {"name": "mixed_corpus", "argv": ["run", exp], "exit": 3,
             "corpus_dir": os.path.join(out, "run_mixed", "00_corpus"),
             "cases": m.cases, "good": m.good}
    # `genesis inspect` over the same files, good and bad interleaved: each bad one named on
    # stderr, each good one still printed.
    goods = [os.path.join(root, g["file"]) for g in m.good if not g["file"].startswith("dicom/")
             and "nan" not in g["file"] and "inf" not in g["file"]]
    bads = [(name, os.path.join(root, rel)) for name, rel in m.bad_files if "all_inf" not in rel]
    argv = ["inspect"]
    for i, (_, path) in enumerate(bads):
        argv.append(path)
        if i < len(goods):
            argv.append(goods[i])
    inspect = {"name": "inspect", "argv": argv, "exit": 1,
               "cases": [output_case("inspect_" + name, path, r"^genesis inspect: .*\S")
                         for name, path in bads],
               "good_output": ['"source":"%s"' % g for g in goods]}
    return [mixed, inspect]


def write_good_folder(folder, patient="g1", seed=1, dataset="Good"):
    """A csv_manifest folder with one good 2-slice MR .npy of distinct content."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    np.save(os.path.join(folder, "mr.npy"), rng.integers(1, 255, (2, 8, 8)).astype(np.uint8))
    write(os.path.join(folder, "manifest.csv"), HEADER + "%s,%s,MR,knee,mr.npy\n" %
          (dataset, patient), "w")
    return folder


def output_case(name, input_, expect):
    return {"name": name, "input": input_, "expect": expect, "where": "output"}


def make_configs(out):
    """Experiment files that must fail `genesis validate`, each error naming the file (and
    line) and the field; one `genesis validate` call takes them all."""
    d = os.path.join(out, "configs")
    os.makedirs(d, exist_ok=True)
    good = write_good_folder(os.path.join(out, "good"))
    src = ('source { type: "csv_manifest" options { '
           '[type.googleapis.com/genesis.CsvManifestOptions] { root: "%s" } } }' % good)
    base = ('name: "cfg"\nstage { corpus {\n  dataset { %s }\n  %s\n  # more\n} }\n'
            % (src, NORMALIZE))
    more = "# more"  # Where corpus fields are added.
    variants = [
        # (case, how the valid experiment is changed, regex the error line must match)
        ("config_unknown_dataset_source", ('type: "csv_manifest"', 'type: "nosuch_source"'),
         r"no dataset_source named 'nosuch_source'.*csv_manifest"),
        ("config_unknown_preprocessor", ('"modality_normalize"', '"hu_windw"'),
         r"no preprocessor named 'hu_windw'"),
        ("config_unknown_reader", (more, 'reader { type: "tiff" }'),
         r"no image_reader named 'tiff'"),
        ("config_unknown_sampler", ("} } } }", '} } } sampler { type: "even" } }'),
         r"no sampler named 'even'"),
        ("config_unknown_stage", ("stage { corpus {", "stage { corpse {"), r"corpse"),
        ("config_wrong_type_scalar", (more, 'num_threads: "four"'),
         r":5:\d+: .*integer|:5:\d+: .*four"),
        # Type errors are the textproto parser's: file:line:col and what it expected.
        ("config_wrong_type_plugin_option", ('root: "%s"' % good, "root: 12"),
         r":3:\d+: Expected string, got: 12"),
        ("config_wrong_type_plugin_bool", ("} } }", "check_files: 7 } } }"),
         r":3:\d+: .*7"),
        ("config_options_type_mismatch", ('type: "csv_manifest"', 'type: "msd"'),
         r"MsdOptions|CsvManifestOptions"),
        ("config_unknown_option_field", ("{ root:", "{ rooot:"), r"rooot"),
        ("config_unknown_options_message", ("genesis.CsvManifestOptions", "genesis.NoSuchOptions"),
         r"NoSuchOptions"),
        ("config_split_out_of_range", (more, "split { train: -0.5 }"), r"train"),
        ("config_negative_read_cache", (more, "read_cache_mb: -1"),
         r"read_cache_mb: must be >= 0, got -1"),
        ("config_bad_duplicates_mode", (more, 'duplicates: "maybe"'),
         r'duplicates: expected "warn" or "fail", got "maybe"'),
        ("config_num_threads_out_of_range", (more, "num_threads: 2000000000"),
         r"num_threads: must be in \[0, 1024\]"),
        ("config_bad_store_pixel_type", (more, 'store { pixel_type: "int7" }'),
         r"pixel_type"),
        ("config_name_escapes_output_root", ('name: "cfg"', 'name: "../../escaped"'),
         r"name: must be a plain folder name"),
        ("config_name_absolute", ('name: "cfg"', 'name: "/tmp/escaped"'),
         r"name: must be a plain folder name"),
        ("config_no_name_no_output_dir", ('name: "cfg"\n', ""), r"name"),
        ("config_missing_source_type", (src, "source { }"), r"source"),
        ("config_missing_root", ('root: "%s"' % good, ""), r"root: must be set"),
        ("config_syntax_error", ("} }\n", "}\n"), r":\d+:\d+: .*"),
    ]
    cases, files = [], []
    for name, (old, new), expect in variants:
        assert old in base, (name, old)
        path = os.path.join(d, name + ".textproto")
        write(path, base.replace(old, new, 1), "w")
        files.append(path)
        cases.append(output_case(name, name + ".textproto", expect))
    write(os.path.join(d, "config_empty_file.textproto"), "", "w")
    write(os.path.join(d, "config_binary_garbage.textproto"), bytes(range(256)))
    for name in ("config_empty_file", "config_binary_garbage"):
        files.append(os.path.join(d, name + ".textproto"))
        cases.append(output_case(name, name + ".textproto", r"."))
    files.append(os.path.join(d, "config_file_missing.textproto"))
    cases.append(output_case("config_file_missing", "config_file_missing.textproto", r"."))
    return {"name": "configs", "argv": ["validate"] + files, "exit": 1, "cases": cases}


def make_overrides(out):
    """Bad `path=value` overrides after a valid experiment: `genesis run` must refuse them
    before any work, naming the override."""
    good = write_good_folder(os.path.join(out, "good"))
    exp = corpus_experiment(os.path.join(out, "override_base.textproto"), "ovr",
                            os.path.join(out, "run_override"), [manifest_dataset(good)])
    overrides = [
        ("override_unknown_field", "stage[0].corpus.no_such_field=1", r"no_such_field"),
        ("override_wrong_type", "seed=abc", r"seed"),
        ("override_index_out_of_range", "stage[7].corpus.num_threads=1", r"stage\[7\]"),
        ("override_name_escapes_output_root", "name=../../escaped", r"name"),
        ("override_out_of_range_value", "stage[0].corpus.num_threads=-3", r"num_threads"),
        ("override_plugin_option_wrong_type",
         "stage[0].corpus.dataset[0].source.options.check_files=maybe", r"check_files"),
    ]
    groups = []
    for name, text, expect in overrides:
        groups.append({"name": name, "argv": ["run", exp, text], "exit": 1,
                       "cases": [output_case(name, text.split("=")[0], expect)],
                       "not_created": os.path.join(out, "run_override", "00_corpus")})
    return groups


def make_listing(out):
    """Dataset folders that cannot be listed (empty folders of every source, broken
    manifests): `genesis validate --data` names each dataset and its folder or file."""
    d = os.path.join(out, "listing")
    sources = ["brain_tumor_figshare", "cardiac_mri", "chaos", "chestxray14", "cq500",
               "ct_lymph_nodes", "deeplesion", "ibsr", "luna16", "mrnet", "msd", "mura", "oasis",
               "csv_manifest"]
    options = {"brain_tumor_figshare": "BrainTumorFigshare", "cardiac_mri": "CardiacMri",
               "chaos": "Chaos", "chestxray14": "ChestXray14", "cq500": "Cq500",
               "ct_lymph_nodes": "CtLymphNodes", "deeplesion": "DeepLesion", "ibsr": "Ibsr",
               "luna16": "Luna16", "mrnet": "Mrnet", "msd": "Msd", "mura": "Mura",
               "oasis": "Oasis", "csv_manifest": "CsvManifest"}
    datasets, cases = [], []

    def dataset(type_, root, extra=""):
        datasets.append(
            '  dataset { source { type: "%s" options { [type.googleapis.com/genesis.%sOptions] '
            '{ root: "%s" %s } } } }\n' % (type_, options[type_], root, extra))
        return len(datasets) - 1

    for source in sources:
        root = os.path.join(d, "empty_" + source)
        os.makedirs(root, exist_ok=True)
        i = dataset(source, root)
        cases.append(output_case("empty_folder_" + source, root,
                                 r"dataset\[%d\] \(%s\): cannot list: " % (i, source)))
    i = dataset("csv_manifest", os.path.join(d, "no_such_folder"))
    cases.append(output_case("dataset_root_missing", os.path.join(d, "no_such_folder"),
                             r"dataset\[%d\] \(csv_manifest\): cannot list: " % i))
    broken = [
        ("manifest_header_only", HEADER, r"has a header but no rows"),
        ("manifest_missing_column", "dataset,patient_id,body_part,file\nX,p1,knee,a.npy\n",
         r"modality"),
        ("manifest_unterminated_quote", HEADER + 'X,"p1,MR,knee,a.npy\n', r"quote|:\d+"),
        ("manifest_empty_file", "", r"."),
        ("manifest_binary_garbage", bytes(range(256)) * 4, r"."),
        ("manifest_every_row_bad", HEADER + "X,p1,PET,knee,a.npy\nX,,MR,knee,a.npy\n",
         r"none of its 2 rows is usable"),
    ]
    for name, text, expect in broken:
        root = os.path.join(d, name)
        os.makedirs(root, exist_ok=True)
        write(os.path.join(root, "manifest.csv"), text, "w" if isinstance(text, str) else "wb")
        i = dataset("csv_manifest", root)
        cases.append(output_case(name, os.path.join(root, "manifest.csv"),
                                 r"dataset\[%d\] \(csv_manifest\): cannot list: .*%s"
                                   % (i, expect)))
    root = os.path.join(d, "manifest_is_a_folder")
    os.makedirs(os.path.join(root, "manifest.csv"), exist_ok=True)
    i = dataset("csv_manifest", root)
    cases.append(output_case("manifest_is_a_folder", os.path.join(root, "manifest.csv"),
                             r"dataset\[%d\] \(csv_manifest\): cannot list: " % i))
    exp = corpus_experiment(os.path.join(out, "listing.textproto"), "listing",
                            os.path.join(out, "run_listing"), datasets)
    return {"name": "dataset_listing", "argv": ["validate", "--data", exp], "exit": 1,
            "cases": cases}


def make_runs(out):
    """Corpus runs with a dataset-level problem: each fails naming it, or (optional dataset,
    one bad row) completes with the rest kept."""
    groups = []
    good = write_good_folder(os.path.join(out, "good"))
    empty = os.path.join(out, "empty_dataset")
    os.makedirs(empty, exist_ok=True)
    exp = corpus_experiment(os.path.join(out, "run_empty.textproto"), "empty",
                            os.path.join(out, "run_empty"),
                            [manifest_dataset(good), manifest_dataset(empty)])
    groups.append({"name": "run_empty_dataset_folder", "argv": ["run", exp], "exit": 1,
                   "cases": [output_case("run_empty_dataset_folder",
                                         os.path.join(empty, "manifest.csv"),
                                         r"dataset\[1\] \(csv_manifest\): cannot list the "
                                         r"dataset: .*optional: true")]})
    exp = corpus_experiment(os.path.join(out, "run_empty_optional.textproto"), "empty_opt",
                            os.path.join(out, "run_empty_optional"),
                            [manifest_dataset(good), manifest_dataset(empty, "optional: true")])
    groups.append({"name": "run_empty_optional_dataset", "argv": ["run", exp], "exit": 3,
                   "corpus_dir": os.path.join(out, "run_empty_optional", "00_corpus"),
                   "cases": [{"name": "run_empty_optional_dataset", "input": "dataset[1] "
                              "(csv_manifest)", "expect": re.escape(empty), "where": "skipped",
                              "count": 1}],
                   "good": [{"file": "good/mr.npy", "slices": 2}]})

    # A manifest row with too few or too many fields: that row alone is skipped.
    fields = os.path.join(out, "field_count")
    shutil.copytree(good, fields)
    write(os.path.join(fields, "manifest.csv"),
          HEADER + "F,f1,MR,knee,mr.npy\nF,f2,MR,knee\nF,f3,MR,knee,mr.npy,extra\n"
          'F,f4,MR,knee,"mr.npy"\n', "w")
    exp = corpus_experiment(os.path.join(out, "run_field_count.textproto"), "fields",
                            os.path.join(out, "run_field_count"), [manifest_dataset(fields)],
                            extra=(NORMALIZE, 'duplicates: "warn"'))
    groups.append({"name": "run_manifest_row_field_count",
                   "argv": ["run", exp], "exit": 3,
                   "corpus_dir": os.path.join(out, "run_field_count", "00_corpus"),
                   "cases": [{"name": "manifest_row_too_few_fields", "input": "manifest.csv:3",
                              "expect": r"expected 5 fields, found 4", "where": "skipped",
                              "count": 1},
                             {"name": "manifest_row_too_many_fields", "input": "manifest.csv:4",
                              "expect": r"expected 5 fields, found 6", "where": "skipped",
                              "count": 1}],
                   "good": [{"file": "field_count/mr.npy", "slices": 4}]})

    # The same image under patients of two datasets, duplicates: "fail".
    a = write_good_folder(os.path.join(out, "dup_a"), patient="leak_a", seed=7, dataset="A")
    bdir = os.path.join(out, "dup_b")
    os.makedirs(bdir, exist_ok=True)
    shutil.copy(os.path.join(a, "mr.npy"), os.path.join(bdir, "copy.npy"))
    write(os.path.join(bdir, "manifest.csv"), HEADER + "B,leak_b,MR,knee,copy.npy\n", "w")
    exp = corpus_experiment(os.path.join(out, "run_dup.textproto"), "dup",
                            os.path.join(out, "run_dup"),
                            [manifest_dataset(a), manifest_dataset(bdir)],
                            extra=(NORMALIZE, 'duplicates: "fail"'))
    groups.append({"name": "duplicate_content_across_patients", "argv": ["run", exp], "exit": 1,
                   "cases": [output_case("duplicate_content_across_patients", "leak_a",
                                         r"possible leakage between splits.*leak_b|leak_b.*"
                                         r"possible leakage")]})

    # One patient id in two dataset specs that give the same dataset name.
    s1 = write_good_folder(os.path.join(out, "same_1"), patient="p1", seed=11, dataset="Same")
    s2 = write_good_folder(os.path.join(out, "same_2"), patient="p1", seed=12, dataset="Same")
    exp = corpus_experiment(os.path.join(out, "run_same_id.textproto"), "same_id",
                            os.path.join(out, "run_same_id"),
                            [manifest_dataset(s1), manifest_dataset(s2)])
    groups.append({"name": "duplicate_patient_id_across_datasets", "argv": ["run", exp],
                   "exit": 1,
                   "cases": [output_case("duplicate_patient_id_across_datasets", "Same/p1",
                                         r"dataset\[1\] \(csv_manifest\): patient Same/p1 is also "
                                         r"listed by dataset\[0\] \(csv_manifest\)")]})
    return groups


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    os.makedirs(out, exist_ok=True)
    groups = make_mixed(out) + [make_configs(out)] + make_overrides(out)
    groups += [make_listing(out)] + make_runs(out)
    with open(os.path.join(out, "cases.json"), "w") as fp:
        json.dump({"groups": groups}, fp, indent=1)
    print(sum(len(g["cases"]) for g in groups), "cases")


if __name__ == "__main__":
    main()
