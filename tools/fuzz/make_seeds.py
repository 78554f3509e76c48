#!/usr/bin/python3
"""Builds the seed corpus of every fuzz target in tools/fuzz/ (run by run_all.sh).

Usage: /usr/bin/python3 tools/fuzz/make_seeds.py OUT_DIR     (from the workspace root)

OUT_DIR/<target>/ receives:
  - the committed hand-written seeds tools/fuzz/seeds/<target>/ and the committed crash
    inputs tools/fuzz/regressions/<target>/ (so fuzzing restarts from every known bug);
  - config_fuzzer: every experiments/*.textproto;
  - npy_fuzzer, mat_fuzzer, dicom_structure_fuzzer: the reader fixtures of
    tools/testdata/make_reader_fixtures.py (one generator for tests and fuzzing), plus DICOM
    variants written here with pydicom (implicit VR, nested sequences, encapsulated and
    multi-frame pixel data) and MAT variants with scipy (uncompressed struct, cell, logical);
  - pickle_fuzzer: data.pkl of zip-format torch.save files and whole legacy torch.save files
    of small state_dicts (python3-torch): several dtypes, shared storages, strided views.
Everything is generated from scratch; no third-party file is copied. Nothing here is committed.
"""
import io
import os
import shutil
import subprocess
import sys
import zipfile

import unhex  # Beside this script.

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TARGETS = ["config_fuzzer", "csv_fuzzer", "csv_manifest_fuzzer", "luna16_candidates_fuzzer",
           "npy_fuzzer", "mat_fuzzer", "dicom_structure_fuzzer", "pickle_fuzzer"]


def copy_tree(src, dst):
    if not os.path.isdir(src):
        return
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if os.path.isfile(path) and name.endswith(".hex"):  # A binary input kept as hex text.
            with open(os.path.join(dst, name[:-len(".hex")]), "wb") as out:
                out.write(unhex.decode(path))
        elif os.path.isfile(path):
            shutil.copy(path, os.path.join(dst, name))


def reader_fixtures(out, scratch):
    subprocess.run(["/usr/bin/python3", os.path.join(ROOT, "tools/testdata/make_reader_fixtures.py"),
                    scratch], check=True, stdout=subprocess.DEVNULL)
    for sub, target in [("npy", "npy_fuzzer"), ("mat", "mat_fuzzer"),
                        ("dicom", "dicom_structure_fuzzer")]:
        copy_tree(os.path.join(scratch, sub), os.path.join(out, target))
    # No MATLAB 7.3 (HDF5) seed: mutations of it spend the fuzzer's time inside Debian's
    # libhdf5 -- multi-second conversions of corrupt attributes, leaks on its error paths
    # (tools/fuzz/README.md) -- rather than in Genesis' v5 checks and matio wrapper.
    # plugins/reader:corrupt_header_test still feeds corrupted v7.3 files to the reader.
    os.remove(os.path.join(out, "mat_fuzzer", "v73.mat"))


def dicom_variants(d):
    import numpy as np
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.encaps import encapsulate
    from pydicom.sequence import Sequence
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless

    def base(syntax, rows=4, cols=5, frames=1):
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"  # CT Image Storage
        meta.MediaStorageSOPInstanceUID = "1.2.3.4.5.6.7.8.9.1"
        meta.TransferSyntaxUID = syntax
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.SeriesInstanceUID = "1.2.3.4.5.6.7.8.9.2"
        ds.Modality = "CT"
        ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, 1
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.RescaleSlope, ds.RescaleIntercept = 1, -1024
        ds.is_little_endian = True
        ds.is_implicit_VR = syntax == ImplicitVRLittleEndian
        return ds

    pixels = np.arange(20, dtype="<i2").reshape(4, 5)
    ds = base(ImplicitVRLittleEndian)
    item = Dataset()
    item.CodeValue, item.CodingSchemeDesignator = "T-D0050", "SRT"
    ds.AnatomicRegionSequence = Sequence([item])
    ds.PixelData = pixels.tobytes()
    ds.save_as(os.path.join(d, "implicit_sequence.dcm"), write_like_original=False)

    ds = base(ExplicitVRLittleEndian)
    inner = Dataset()
    inner.CodeValue = "1"
    outer = Dataset()
    outer.CodeValue = "2"
    outer.PurposeOfReferenceCodeSequence = Sequence([inner])
    ds.ReferencedImageSequence = Sequence([outer, Dataset()])
    ds.PixelData = pixels.tobytes()
    ds.save_as(os.path.join(d, "explicit_nested_sequence.dcm"), write_like_original=False)

    ds = base(ExplicitVRLittleEndian, frames=2)
    ds.PixelData = np.stack([pixels, pixels + 100]).tobytes()
    ds.save_as(os.path.join(d, "multiframe.dcm"), write_like_original=False)

    ds = base(RLELossless)
    ds.PixelData = encapsulate([pixels.tobytes()[:16], pixels.tobytes()[16:]])
    ds["PixelData"].is_undefined_length = True
    ds.save_as(os.path.join(d, "encapsulated.dcm"), write_like_original=False)

    # No preamble and no file meta group (old ACR-NEMA style files GDCM still reads).
    ds = base(ImplicitVRLittleEndian)
    ds.PixelData = pixels.tobytes()
    buffer = pydicom.filebase.DicomBytesIO()
    buffer.is_little_endian, buffer.is_implicit_VR = True, True
    pydicom.filewriter.write_dataset(buffer, ds)
    with open(os.path.join(d, "no_meta.dcm"), "wb") as fp:
        fp.write(buffer.getvalue())


def mat_variants(d):
    import numpy as np
    import scipy.io
    a = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    scipy.io.savemat(os.path.join(d, "struct_plain.mat"),
                     {"s": {"x": a, "y": np.int8(3)}, "v": np.arange(6, dtype=np.uint16).reshape(2, 3)},
                     format="5", do_compression=False)
    cell = np.empty((1, 2), dtype=object)
    cell[0, 0] = np.ones((2, 2), np.int32)
    cell[0, 1] = "text"
    scipy.io.savemat(os.path.join(d, "cell_logical.mat"),
                     {"c": cell, "mask": np.array([[True, False], [False, True]]),
                      "z": np.ones((3, 3), np.single)},
                     format="5", do_compression=True)


def pickle_seeds(d):
    from collections import OrderedDict
    import torch
    base = torch.arange(12, dtype=torch.float32).reshape(3, 4)
    state_dicts = {
        "float32": OrderedDict([("w", base), ("b", torch.zeros(4))]),
        "dtypes": OrderedDict([("d", torch.ones(2, dtype=torch.float64)),
                               ("h", torch.ones(2, dtype=torch.float16)),
                               ("l", torch.arange(3)), ("u", torch.ones(2, dtype=torch.uint8)),
                               ("q", torch.ones(1, dtype=torch.bool)),
                               ("s", torch.ones(2, dtype=torch.int16))]),
        "views": OrderedDict([("t", base.t()), ("row", base[1]), ("col", base[:, 2]),
                              ("scalar", torch.tensor(5.0))]),
    }
    torch.manual_seed(0)  # Same bytes on every run.
    state_dicts["parameter"] = torch.nn.Linear(3, 2).state_dict()  # An OrderedDict + _metadata.
    for name, sd in state_dicts.items():
        buffer = io.BytesIO()
        torch.save(sd, buffer)
        with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as z:
            pkl = [n for n in z.namelist() if n.endswith("/data.pkl") or n == "data.pkl"][0]
            with open(os.path.join(d, name + ".data.pkl"), "wb") as fp:
                fp.write(z.read(pkl))
        with open(os.path.join(d, name + ".legacy.pth"), "wb") as fp:
            torch.save(sd, fp, _use_new_zipfile_serialization=False)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    for target in TARGETS:
        os.makedirs(os.path.join(out, target), exist_ok=True)
        copy_tree(os.path.join(HERE, "seeds", target), os.path.join(out, target))
        copy_tree(os.path.join(HERE, "regressions", target), os.path.join(out, target))
    experiments = os.path.join(ROOT, "experiments")
    for name in sorted(os.listdir(experiments)):
        if name.endswith(".textproto"):
            shutil.copy(os.path.join(experiments, name), os.path.join(out, "config_fuzzer", name))
    scratch = os.path.join(out, "_fixtures")
    reader_fixtures(out, scratch)
    dicom_variants(os.path.join(out, "dicom_structure_fuzzer"))
    mat_variants(os.path.join(out, "mat_fuzzer"))
    pickle_seeds(os.path.join(out, "pickle_fuzzer"))
    shutil.rmtree(scratch)
    for target in TARGETS:
        print("%s: %d seeds" % (target, len(os.listdir(os.path.join(out, target)))))


if __name__ == "__main__":
    main()
