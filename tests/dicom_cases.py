"""Synthetic single-frame DICOM series written with pydicom, shared by io and plugin tests.

Geometry follows the DICOM definitions (PS3.3 C.7.6.2.1.1), in LPS+ patient millimetres: the centre of pixel
(row r, column c) of a slice lies at ImagePositionPatient + c * PixelSpacing[1] * row_direction
+ r * PixelSpacing[0] * column_direction, where ImageOrientationPatient = (row_direction, column_direction).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
BASIC_TEXT_SR_STORAGE = "1.2.840.10008.5.1.4.1.1.88.11"
MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10"
PYDICOM_3 = int(pydicom.__version__.split(".")[0]) >= 3


def save(dataset: FileDataset, path: Path) -> Path:
    """Write a DICOM Part 10 file (preamble, "DICM", file meta) with pydicom 2.4 or 3."""
    if PYDICOM_3:
        dataset.save_as(path, enforce_file_format=True)
    else:  # pragma: no cover - pydicom 2.x
        dataset.is_little_endian, dataset.is_implicit_VR = True, False
        dataset.save_as(path, write_like_original=False)
    return path


def file_dataset(sop_class: str, transfer_syntax: str = ExplicitVRLittleEndian) -> FileDataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = transfer_syntax
    dataset = FileDataset("", Dataset(), file_meta=meta, preamble=b"\0" * 128)
    dataset.SOPClassUID = sop_class
    dataset.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    return dataset


def ct_slice(
    pixels: np.ndarray,
    *,
    position,
    orientation,
    pixel_spacing,
    series_uid: str,
    description: str = "",
    slope: float | None = None,
    intercept: float | None = None,
    instance: int = 1,
) -> FileDataset:
    """One uncompressed single-frame CT slice holding ``pixels`` (rows, columns; uint16 or int16)."""
    dataset = file_dataset(CT_IMAGE_STORAGE)
    dataset.Modality = "CT"
    dataset.PatientName = "Synthetic^Phantom"
    dataset.PatientID = "0001"
    dataset.StudyInstanceUID = "1.2.826.0.1.3680043.8.498.1"
    dataset.SeriesInstanceUID = series_uid
    dataset.SeriesDescription = description
    dataset.InstanceNumber = instance
    dataset.ImagePositionPatient = [float(v) for v in position]
    dataset.ImageOrientationPatient = [float(v) for v in orientation]
    dataset.PixelSpacing = [float(v) for v in pixel_spacing]
    dataset.SliceThickness = 1.0
    if slope is not None:
        dataset.RescaleSlope = slope
    if intercept is not None:
        dataset.RescaleIntercept = intercept
    pixels = np.ascontiguousarray(pixels)
    dataset.Rows, dataset.Columns = pixels.shape
    dataset.SamplesPerPixel = 1
    dataset.PhotometricInterpretation = "MONOCHROME2"
    dataset.BitsAllocated = 16
    dataset.BitsStored = 16
    dataset.HighBit = 15
    dataset.PixelRepresentation = 1 if pixels.dtype == np.int16 else 0
    dataset.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    return dataset


def write_series(
    folder: Path,
    slices: list[np.ndarray],
    *,
    first_position,
    step,
    orientation,
    pixel_spacing,
    description: str = "",
    names: list[str] | None = None,
    series_uid: str | None = None,
    **slice_options,
) -> list[Path]:
    """Write ``slices`` (each rows x columns) as one series; slice k lies at first_position + k * step (LPS mm).

    ``names`` are the file names in slice order (default ``IM0000`` ...: no suffix, like many exports)."""
    folder.mkdir(parents=True, exist_ok=True)
    series_uid = series_uid or generate_uid()
    names = names or [f"IM{k:04d}" for k in range(len(slices))]
    paths = []
    for k, (pixels, name) in enumerate(zip(slices, names, strict=True)):
        dataset = ct_slice(
            pixels,
            position=np.asarray(first_position, dtype=float) + k * np.asarray(step, dtype=float),
            orientation=orientation,
            pixel_spacing=pixel_spacing,
            series_uid=series_uid,
            description=description,
            instance=k + 1,
            **slice_options,
        )
        paths.append(save(dataset, folder / name))
    return paths


def write_report(path: Path) -> Path:
    """A DICOM object without pixels (a structured report) in a series of its own."""
    dataset = file_dataset(BASIC_TEXT_SR_STORAGE)
    dataset.Modality = "SR"
    dataset.SeriesInstanceUID = generate_uid()
    return save(dataset, path)


def write_dicomdir_stand_in(path: Path) -> Path:
    """A file with the DICOMDIR media storage class (an index of a medium, no pixels)."""
    dataset = file_dataset(MEDIA_STORAGE_DIRECTORY)
    dataset.FileSetID = "SYNTHETIC"
    return save(dataset, path)
