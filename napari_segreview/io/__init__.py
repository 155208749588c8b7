"""File input and output for images and segmentations (NIfTI, NumPy, PNG/JPEG/TIFF pictures), independent of
napari and Qt."""

from __future__ import annotations

import os

from .dicom import read_dicom_series
from .errors import ImageReadError, LossyMaskWarning, ObliqueAffineWarning
from .image_files import PICTURE_SUFFIXES, is_picture_path, read_picture_volume, write_label_picture
from .nifti import geometry_from_scale_translate, is_nifti_path, read_nifti, write_nifti_labels
from .numpy_files import read_npy
from .volume import NiftiGeometry, Volume

READABLE_SUFFIXES = (".nii", ".nii.gz", ".npy", *PICTURE_SUFFIXES)


def is_readable_path(path: str | os.PathLike) -> bool:
    """True when the file name has a suffix :func:`read_volume` understands (the file is not opened)."""
    return str(path).lower().endswith(READABLE_SUFFIXES)


def read_volume(path: str | os.PathLike) -> Volume:
    """Read a NIfTI, ``.npy`` or 2D picture file (PNG, JPEG, TIFF, BMP), or a folder of DICOM slices (needs
    pydicom); raises ImageReadError with one sentence when it cannot.

    Segmentations follow the one-class rule (a mask whose only foreground value is 1, 255 or 65535 is label 1);
    a JPEG is always an image (see ``image_files``)."""
    if os.path.isdir(path):
        return read_dicom_series(path)
    if is_nifti_path(path):
        return read_nifti(path)
    if str(path).lower().endswith(".npy"):
        return read_npy(path)
    if is_picture_path(path):
        return read_picture_volume(path)
    raise ImageReadError(f"{os.fspath(path)} is not a .nii, .nii.gz, .npy, .png, .jpg, .tif or .bmp file.")


__all__ = [
    "PICTURE_SUFFIXES",
    "ImageReadError",
    "LossyMaskWarning",
    "NiftiGeometry",
    "ObliqueAffineWarning",
    "Volume",
    "geometry_from_scale_translate",
    "is_picture_path",
    "is_readable_path",
    "read_nifti",
    "read_npy",
    "read_picture_volume",
    "read_volume",
    "write_label_picture",
    "write_nifti_labels",
]
