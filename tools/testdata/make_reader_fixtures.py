#!/usr/bin/python3
"""Writes small image files with known voxel values for plugins/reader tests.

Usage: /usr/bin/python3 make_reader_fixtures.py OUT_DIR

Every volume holds f(x, y, z) = x + 10*y + 100*z (x = column, y = row, z = slice) on a
5 x 4 x 3 grid (X x Y x Z), scaled/offset per file as noted below, so the C++ tests assert
exact values. Nothing here is a real scan; nothing is committed (files go to OUT_DIR, which
tests put under TEST_TMPDIR).

  npy/   u1_v1.npy (uint8 f), i2_be.npy (>i2, f - 50), u2.npy (<u2, f * 200),
         i4.npy (<i4, f * 100000 - 7), f4_fortran.npy (<f4 Fortran order, f * 0.5 - 3.25),
         f8_v2.npy (<f8, header v2, f * 0.25), u1_v3.npy (uint8, header v3),
         u1_2d.npy (uint8 (Y, X) = f(z=0)), i2_4d.npy (<i2 (T=2, Z, Y, X) = f + 1000 t),
         b1.npy (bool, f % 2)
  png/   gray8.png (f2d = x + 10 y + 200), gray16.png (f2d * 1000 + 7),
         rgb8.png (R = G = B = f2d + 200, pixel (0,0) pure red), gray8_alpha.png,
         rgb16.png (R = G = B = f2d * 1000 + 7)
  jpeg/  gray.jpg (8-bit, 16 x 16 constant 100 with a 200 square at rows/cols 8..15),
         rgb.jpg (same, as R = G = B)
  mat/   v5.mat: struct cjdata {label: 3.0, PID: '42', image: int16 (Y, X) = f(z=0) - 50}
                 then img int16 (Y, X, Z) = f - 50 (MATLAB column-major).
         sol_yxzt_pat1.mat (v5): sol_yxzt double (Y, X, Z, T=2) = f + 1000 t.
         axes_xytz.mat (v5): vol double, the same frames stored (X, Y, T, Z).
         v73.mat (MATLAB 7.3, HDF5 with a 512-byte userblock and MATLAB header):
                 struct cjdata {label: 3.0 double, PID: char '42', image: int16 (Y, X) =
                 f(z=0) - 50, tumorMask: logical (Y, X)}.
  nifti/ scaled.nii.gz (int16 f with scl_slope 2, scl_inter -1024: values 2 f - 1024,
         pixdim 0.5 0.6 0.7)
  dicom/ cr_monochrome1.dcm (CR, MONOCHROME1, BitsStored 12, stored (x + 10 y) * 10 on
         5 x 4, ImagerPixelSpacing 0.2 (rows) 0.3 (cols); synthetic patient name/ID),
         no_pixels.dcm (the same object without Pixel Data, like a DICOMDIR or report)
  analyze/ vol.hdr + vol.img (int16 f - 50, pixdim 2, 3, 4) via nibabel.
  nrrd/  vol.nrrd (attached raw, int16 f - 50, LPS, space directions
         (0.5,0,0) (0,0,0.75) (0,-1.25,0), origin (10,-20,30.5)),
         detached.nhdr + detached.raw.gz (same, gzip)
  mha/   vol.mhd + vol.raw (MET_SHORT f - 50, spacing 0.7 0.8 2.5, offset 1.5 -2 3,
         TransformMatrix 1 0 0 0 0 1 0 -1 0)
"""
import gzip
import os
import struct
import sys
import zlib

import numpy as np

X, Y, Z = 5, 4, 3


def f_zyx():
    z, y, x = np.meshgrid(np.arange(Z), np.arange(Y), np.arange(X), indexing="ij")
    return (x + 10 * y + 100 * z).astype(np.int64)  # shape (Z, Y, X)


def write_npy(out):
    import numpy.lib.format as fmt
    d = os.path.join(out, "npy")
    os.makedirs(d, exist_ok=True)
    f = f_zyx()
    np.save(os.path.join(d, "u1_v1.npy"), f.astype(np.uint8))
    np.save(os.path.join(d, "i2_be.npy"), (f - 50).astype(">i2"))
    np.save(os.path.join(d, "u2.npy"), (f * 200).astype("<u2"))
    np.save(os.path.join(d, "i4.npy"), (f * 100000 - 7).astype("<i4"))
    np.save(os.path.join(d, "f4_fortran.npy"), np.asfortranarray((f * 0.5 - 3.25).astype("<f4")))
    with open(os.path.join(d, "f8_v2.npy"), "wb") as fp:
        fmt.write_array(fp, (f * 0.25).astype("<f8"), version=(2, 0))
    with open(os.path.join(d, "u1_v3.npy"), "wb") as fp:
        fmt.write_array(fp, f.astype(np.uint8), version=(3, 0))
    np.save(os.path.join(d, "u1_2d.npy"), f[0].astype(np.uint8))
    np.save(os.path.join(d, "i2_4d.npy"), np.stack([f, f + 1000]).astype("<i2"))
    np.save(os.path.join(d, "b1.npy"), (f % 2).astype(bool))
    assert np.load(os.path.join(d, "f4_fortran.npy")).flags.f_contiguous


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def write_png(path, pixels, bit_depth, color_type):
    """pixels: (H, W) or (H, W, C) unsigned array; written by hand so 16-bit is exact."""
    h, w = pixels.shape[:2]
    dtype = ">u2" if bit_depth == 16 else "u1"
    rows = pixels.astype(dtype).reshape(h, -1)
    raw = b"".join(b"\x00" + rows[r].tobytes() for r in range(h))
    ihdr = struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, 0)
    with open(path, "wb") as fp:
        fp.write(b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) +
                 png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))


def write_png_files(out):
    d = os.path.join(out, "png")
    os.makedirs(d, exist_ok=True)
    f2 = f_zyx()[0]  # (Y, X)
    write_png(os.path.join(d, "gray8.png"), f2 + 200, 8, 0)
    write_png(os.path.join(d, "gray16.png"), f2 * 1000 + 7, 16, 0)
    rgb = np.stack([f2 + 200] * 3, axis=-1)
    rgb[0, 0] = (255, 0, 0)
    write_png(os.path.join(d, "rgb8.png"), rgb, 8, 2)
    write_png(os.path.join(d, "rgb16.png"), np.stack([f2 * 1000 + 7] * 3, axis=-1), 16, 2)
    ga = np.stack([f2 + 200, np.full_like(f2, 255)], axis=-1)
    write_png(os.path.join(d, "gray8_alpha.png"), ga, 8, 4)


def write_jpeg_files(out):
    from PIL import Image
    d = os.path.join(out, "jpeg")
    os.makedirs(d, exist_ok=True)
    img = np.full((16, 16), 100, np.uint8)
    img[8:, 8:] = 200
    Image.fromarray(img, mode="L").save(os.path.join(d, "gray.jpg"), quality=100)
    Image.fromarray(np.stack([img] * 3, axis=-1), mode="RGB").save(
        os.path.join(d, "rgb.jpg"), quality=100)


def matlab_yxz(f_zyx_array):
    """(Z, Y, X) -> MATLAB-shaped (Y, X, Z)."""
    return np.transpose(f_zyx_array, (1, 2, 0))


def write_mat_v5(out):
    import scipy.io
    d = os.path.join(out, "mat")
    os.makedirs(d, exist_ok=True)
    f = f_zyx()
    cjdata = {"label": 3.0, "PID": "42", "image": (f[0] - 50).astype(np.int16)}
    scipy.io.savemat(os.path.join(d, "v5.mat"),
                     {"cjdata": cjdata, "img": matlab_yxz(f - 50).astype(np.int16)},
                     format="5", do_compression=True, oned_as="column")
    sol = np.stack([matlab_yxz(f), matlab_yxz(f + 1000)], axis=-1).astype(np.float64)
    scipy.io.savemat(os.path.join(d, "sol_yxzt_pat1.mat"), {"sol_yxzt": sol}, format="5")
    # The same frames stored (x, y, t, z): right only when read with the axes hint "xytz".
    scipy.io.savemat(os.path.join(d, "axes_xytz.mat"),
                     {"vol": np.transpose(sol, (1, 0, 3, 2)).copy()}, format="5")


def set_matlab_class(obj, name):
    """MATLAB_class as MATLAB writes it: a fixed-length, NUL-terminated ASCII string (libmatio
    does not recognise h5py's default NUL-padded strings)."""
    import h5py
    tid = h5py.h5t.C_S1.copy()
    tid.set_size(len(name))
    tid.set_strpad(h5py.h5t.STR_NULLTERM)
    attr = h5py.h5a.create(obj.id, b"MATLAB_class", tid, h5py.h5s.create(h5py.h5s.SCALAR))
    attr.write(np.array(name.encode(), dtype="S%d" % len(name)), mtype=tid)


def write_mat_v73(out):
    """A MATLAB 7.3 file as MATLAB writes it: HDF5 with a 512-byte userblock whose first 128
    bytes are the MAT header, MATLAB_class attributes, arrays stored transposed."""
    import h5py
    d = os.path.join(out, "mat")
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, "v73.mat")
    f = f_zyx()
    image = (f[0] - 50).astype(np.int16)  # MATLAB (Y, X)
    mask = (f[0] % 2).astype(np.uint8)
    with h5py.File(path, "w", userblock_size=512, libver="earliest") as h5:
        g = h5.create_group("cjdata")
        set_matlab_class(g, "struct")
        names = ["label", "PID", "image", "tumorMask"]
        vlen = h5py.vlen_dtype(np.dtype("S1"))
        fields = np.empty(len(names), dtype=object)
        for i, n in enumerate(names):
            fields[i] = np.array(list(n), dtype="S1")
        g.attrs.create("MATLAB_fields", fields, dtype=vlen)
        ds = g.create_dataset("label", data=np.array([[3.0]]))
        set_matlab_class(ds, "double")
        ds = g.create_dataset("PID", data=np.array([[ord("4")], [ord("2")]], np.uint16))
        set_matlab_class(ds, "char")
        ds.attrs["MATLAB_int_decode"] = np.int32(2)
        ds = g.create_dataset("image", data=image.T)  # HDF5 holds the transpose.
        set_matlab_class(ds, "int16")
        ds = g.create_dataset("tumorMask", data=mask.T)
        set_matlab_class(ds, "logical")
        ds.attrs["MATLAB_int_decode"] = np.int32(1)
    text = (b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2018 "
            b"HDF5 schema 1.00 .")
    header = text.ljust(116, b" ") + b" " * 8 + b"\x00\x02" + b"IM"
    assert len(header) == 128
    with open(path, "r+b") as fp:
        fp.write(header)


def write_analyze(out):
    import nibabel as nib
    d = os.path.join(out, "analyze")
    os.makedirs(d, exist_ok=True)
    data = np.transpose(f_zyx() - 50, (2, 1, 0)).astype(np.int16)  # nibabel index (x, y, z)
    img = nib.AnalyzeImage(data, np.diag([2.0, 3.0, 4.0, 1.0]))
    nib.save(img, os.path.join(d, "vol.img"))


def write_nifti(out):
    import nibabel as nib
    d = os.path.join(out, "nifti")
    os.makedirs(d, exist_ok=True)
    data = np.transpose(f_zyx(), (2, 1, 0)).astype(np.int16)  # nibabel index (x, y, z)
    img = nib.Nifti1Image(data, np.diag([0.5, 0.6, 0.7, 1.0]))
    img.header.set_slope_inter(2.0, -1024.0)  # stored f -> value 2 f - 1024
    nib.save(img, os.path.join(d, "scaled.nii.gz"))


def write_monochrome1_dicom(out):
    """A 12-bit MONOCHROME1 CR image (pydicom): stored f2d * 10 (x + 10 y on 5 x 4)."""
    import pydicom
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid
    d = os.path.join(out, "dicom")
    os.makedirs(d, exist_ok=True)
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.1"  # CR Image Storage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "CR"
    ds.PatientName = "Synthetic^Fixture"
    ds.PatientID = "FIXTURE0001"
    ds.Rows, ds.Columns = Y, X
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.ImagerPixelSpacing = [0.2, 0.3]  # CR: row, column spacing at the detector
    ds.PixelData = (f_zyx()[0] * 10).astype("<u2").tobytes()
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.save_as(os.path.join(d, "cr_monochrome1.dcm"), write_like_original=False)
    # A DICOM object without pixel data (like a DICOMDIR or a report) in the same folder.
    del ds.PixelData
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.save_as(os.path.join(d, "no_pixels.dcm"), write_like_original=False)


def write_nrrd(out):
    d = os.path.join(out, "nrrd")
    os.makedirs(d, exist_ok=True)
    data = (f_zyx() - 50).astype("<i2").tobytes()  # x fastest
    common = ("type: short\ndimension: 3\nspace: left-posterior-superior\nsizes: 5 4 3\n"
              "space directions: (0.5,0,0) (0,0,0.75) (0,-1.25,0)\n"
              "kinds: domain domain domain\nendian: little\n"
              "space origin: (10,-20,30.5)\n")
    with open(os.path.join(d, "vol.nrrd"), "wb") as fp:
        fp.write(("NRRD0004\n" + common + "encoding: raw\n\n").encode() + data)
    with open(os.path.join(d, "detached.nhdr"), "w") as fp:
        fp.write("NRRD0004\n" + common + "encoding: gzip\ndata file: detached.raw.gz\n")
    with gzip.open(os.path.join(d, "detached.raw.gz"), "wb") as fp:
        fp.write(data)


def write_metaimage(out):
    d = os.path.join(out, "mha")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vol.mhd"), "w") as fp:
        fp.write("ObjectType = Image\nNDims = 3\nBinaryData = True\n"
                 "BinaryDataByteOrderMSB = False\nCompressedData = False\n"
                 "TransformMatrix = 1 0 0 0 0 1 0 -1 0\nOffset = 1.5 -2 3\n"
                 "CenterOfRotation = 0 0 0\nAnatomicalOrientation = RAI\n"
                 "ElementSpacing = 0.7 0.8 2.5\nDimSize = 5 4 3\nElementType = MET_SHORT\n"
                 "ElementDataFile = vol.raw\n")
    with open(os.path.join(d, "vol.raw"), "wb") as fp:
        fp.write((f_zyx() - 50).astype("<i2").tobytes())


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    write_npy(out)
    write_png_files(out)
    write_jpeg_files(out)
    write_mat_v5(out)
    write_mat_v73(out)
    write_analyze(out)
    write_nifti(out)
    write_monochrome1_dicom(out)
    write_nrrd(out)
    write_metaimage(out)
    print(out)


if __name__ == "__main__":
    main()
