"""Reading a folder of single-frame DICOM slices (one CT or MR series) as a display-ordered Volume.

DICOM patient coordinates are LPS+ (x towards the patient's left, y posterior, z superior); the NIfTI world used
everywhere else is RAS+, so x and y change sign. The series is turned into an in-memory NIfTI image with that
affine and goes through the same display rule as a NIfTI file (``nifti.volume_from_voxels``), so a DICOM series
and the same voxel grid saved as NIfTI open with the same data, scale, translate and affine.

pydicom is optional (``pip install napari-segreview[dicom]``) and imported only when a folder is read.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nibabel as nib
import numpy as np

from .errors import ImageReadError
from .nifti import first_line, volume_from_voxels
from .quiet import quiet_reading
from .volume import Volume

# A DICOM Part 10 file: a 128-byte preamble, then these four bytes.
PREAMBLE_LENGTH = 128
DICOM_PREFIX = b"DICM"
# The index file of a DICOM medium; it holds no pixels.
DICOMDIR_NAME = "DICOMDIR"
MEDIA_STORAGE_DIRECTORY_UID = "1.2.840.10008.1.3.10"
# LPS+ patient coordinates to RAS+ world coordinates.
LPS_TO_RAS = np.diag([-1.0, -1.0, 1.0, 1.0])
# Largest deviation of a slice gap from the mean gap, relative to the mean gap, still called evenly spaced.
GAP_TOLERANCE = 0.01
# Direction cosines (absolute) and pixel spacings (relative) that differ less than this are the same.
GEOMETRY_TOLERANCE = 1e-4
# Slices closer than this along the slice normal (mm) share one position.
SAME_POSITION_MM = 1e-3
# How many files the cheap folder check opens at most.
FILES_PEEKED = 8
DICOM_EXTRA_HINT = 'install napari-segreview[dicom] (pip install "napari-segreview[dicom]")'


def has_dicom_prefix(path: str | os.PathLike) -> bool:
    """True when the file carries the DICOM Part 10 marker "DICM" after its 128-byte preamble."""
    try:
        with open(path, "rb") as stream:
            stream.seek(PREAMBLE_LENGTH)
            return stream.read(len(DICOM_PREFIX)) == DICOM_PREFIX
    except OSError:
        return False


def _candidate_files(folder: Path) -> list[Path]:
    """Regular files of ``folder`` (not its subfolders), by name, without hidden files and the DICOMDIR index."""
    try:
        entries = [entry for entry in os.scandir(folder) if entry.is_file()]
    except OSError:
        return []
    names = sorted(entry.name for entry in entries)
    return [folder / name for name in names if not name.startswith(".") and name.upper() != DICOMDIR_NAME]


def looks_like_dicom_folder(folder: str | os.PathLike) -> bool:
    """True when one of the first few files of ``folder`` is a DICOM file (only their first 132 bytes are read).

    Files named ``*.dcm``, ``*.ima`` or without a suffix are looked at first, as DICOM exports name them.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return False
    files = sorted(_candidate_files(folder), key=lambda path: path.suffix.lower() not in ("", ".dcm", ".ima"))
    return any(has_dicom_prefix(path) for path in files[:FILES_PEEKED])


def pydicom_available() -> bool:
    """True when pydicom can be imported (it is then imported)."""
    try:
        import pydicom  # noqa: F401
    except ImportError:
        return False
    return True


def _import_pydicom() -> Any:
    try:
        import pydicom
    except ImportError:
        raise ImageReadError(f"Reading a DICOM folder needs pydicom; {DICOM_EXTRA_HINT}.") from None
    return pydicom


@dataclass(frozen=True)
class _Slice:
    """One DICOM image file and the geometry it states (LPS+ mm)."""

    path: Path
    dataset: Any  # the header, without the pixels (read again, one slice at a time, when stacking)
    position: np.ndarray  # ImagePositionPatient: centre of the first transmitted pixel
    orientation: np.ndarray  # ImageOrientationPatient: row direction (along a row), then column direction
    pixel_spacing: np.ndarray  # PixelSpacing: (distance between rows, distance between columns)
    rows: int
    columns: int


def read_dicom_series(folder: str | os.PathLike) -> Volume:
    """Read a folder holding one DICOM series of single-frame slices (CT, MR) as a display-ordered Volume.

    Files with any suffix or none are read; files that are not DICOM (no "DICM" marker), the DICOMDIR index and
    DICOM objects that are not images (no Rows and Columns: reports, structure sets) are skipped. Slices are
    sorted by position along the slice normal, pixel values go through RescaleSlope/RescaleIntercept (float32
    when these are not whole numbers, otherwise the smallest integer type that holds the values), and the
    geometry is that of a NIfTI file with the equivalent RAS+ affine: same data, scale and translate, the affine
    kept in ``volume.geometry``. One slice gives a 2D volume. The volume is named after SeriesDescription, else
    the folder.

    Raises ImageReadError with one sentence when pydicom is missing, the folder holds no DICOM image, several
    series, slices of different orientation, pixel spacing or size, slices at the same position, unevenly spaced
    slices (more than 1% from the mean gap), multi-frame or colour files, or pixels pydicom cannot decode.
    """
    pydicom = _import_pydicom()
    folder = Path(folder)
    label = Path(os.path.abspath(folder)).name or os.fspath(folder)
    if not folder.is_dir():
        raise ImageReadError(f"{label} is not a folder.")
    with quiet_reading():
        try:
            volume = _read_series(folder, label, pydicom)
        except ImageReadError:
            raise
        except Exception as exc:  # a damaged value pydicom converts late (a description, a UID): still one sentence
            raise ImageReadError(f"Cannot read the DICOM series in {label}: {first_line(exc)}.") from exc
    return volume


def _read_series(folder: Path, label: str, pydicom: Any) -> Volume:
    slices = _read_image_headers(folder, pydicom)
    if not slices:
        raise ImageReadError(f"{label} holds no DICOM image files.")
    _check_one_series(slices, label)
    _check_same_grid(slices, label)
    slices, step = _sort_along_normal(slices, label)

    voxels = _stack_voxels(slices, pydicom)
    first = slices[0]
    row_direction, column_direction = first.orientation[:3], first.orientation[3:]
    row_spacing, column_spacing = first.pixel_spacing
    # Voxel (i, j, k) = (column index, row index, slice index): moving along a row (i) steps by the distance
    # between columns in the row direction; moving down a column (j) by the distance between rows.
    lps_affine = np.eye(4)
    lps_affine[:3, 0] = row_direction * column_spacing
    lps_affine[:3, 1] = column_direction * row_spacing
    lps_affine[:3, 2] = step
    lps_affine[:3, 3] = first.position
    affine = LPS_TO_RAS @ lps_affine

    image = nib.Nifti1Image(voxels, affine, dtype=voxels.dtype)
    image.set_sform(affine, code=1)  # scanner coordinates, as DICOM converters write them
    image.set_qform(affine, code=1)
    image.header.set_xyzt_units("mm")
    description = str(first.dataset.get("SeriesDescription", "") or "").strip()
    return volume_from_voxels(voxels, affine, image.header, name=description or label, source=label)


def _read_image_headers(folder: Path, pydicom: Any) -> list[_Slice]:
    """The image slices of ``folder``, headers only: every check before any pixel is decoded."""
    slices, image_classes, headless = [], set(), []
    for path in _candidate_files(folder):
        if not has_dicom_prefix(path):
            continue
        with warnings.catch_warnings():
            # real-world files often break value rules pydicom warns about, once per file and value; they read fine
            warnings.simplefilter("ignore")
            try:
                dataset = pydicom.dcmread(path, stop_before_pixels=True)
            except Exception as exc:  # pydicom raises many types for a damaged file
                raise ImageReadError(f"Cannot read {path.name} as DICOM: {first_line(exc)}.") from exc
            media_class = str(getattr(dataset, "file_meta", {}).get("MediaStorageSOPClassUID", ""))
            if media_class == MEDIA_STORAGE_DIRECTORY_UID or "Rows" not in dataset or "Columns" not in dataset:
                headless.append((path, media_class))  # an index, a report or a structure set: no image to stack
                continue
            image_classes.add(media_class)
            try:
                slices.append(_slice_geometry(path, dataset))
            except ImageReadError:
                raise
            except Exception as exc:  # pydicom converts values when they are first used: a damaged one fails here
                raise ImageReadError(f"Cannot read {path.name} as DICOM: {first_line(exc)}.") from exc
    for path, media_class in headless:
        # a file of the images' own kind without an image size is damaged (cut short), not a report: skipping it
        # would silently drop a slice
        if media_class and media_class in image_classes:
            message = f"{path.name} is an image of this series' kind but holds no size; it may be cut short."
            raise ImageReadError(message)
    return slices


def _slice_geometry(path: Path, dataset: Any) -> _Slice:
    if int(dataset.get("NumberOfFrames", 1) or 1) > 1:
        raise ImageReadError(
            f"{path.name} is a multi-frame DICOM file; only series of single-frame slices are supported."
        )
    if int(dataset.get("SamplesPerPixel", 1) or 1) != 1:
        raise ImageReadError(f"{path.name} is a colour DICOM image; only greyscale CT and MR series are supported.")
    values = {}
    for keyword, count in (("ImagePositionPatient", 3), ("ImageOrientationPatient", 6), ("PixelSpacing", 2)):
        try:
            value = dataset.get(keyword)
            values[keyword] = np.array([float(v) for v in value], dtype=float)
        except (TypeError, ValueError):  # absent (None) or not numbers
            values[keyword] = np.array([])
        if values[keyword].shape != (count,) or not np.all(np.isfinite(values[keyword])):
            raise ImageReadError(f"{path.name} has no valid {keyword}, so its place in the patient is unknown.")
    orientation = values["ImageOrientationPatient"]
    lengths = np.linalg.norm(orientation.reshape(2, 3), axis=1)
    if np.any(lengths == 0) or np.any(values["PixelSpacing"] <= 0):
        raise ImageReadError(f"{path.name} has a zero-length ImageOrientationPatient or PixelSpacing.")
    rows, columns = int(dataset.Rows or 0), int(dataset.Columns or 0)
    if rows < 1 or columns < 1:
        raise ImageReadError(f"{path.name} declares an image of {rows}x{columns} pixels.")
    return _Slice(
        path=path,
        dataset=dataset,
        position=values["ImagePositionPatient"],
        orientation=(orientation.reshape(2, 3) / lengths[:, np.newaxis]).reshape(6),
        pixel_spacing=values["PixelSpacing"],
        rows=rows,
        columns=columns,
    )


def _check_one_series(slices: list[_Slice], label: str) -> None:
    series = {str(s.dataset.get("SeriesInstanceUID", "")) for s in slices}
    if len(series) > 1:
        raise ImageReadError(
            f"{label} holds {len(series)} DICOM series; put each series in a folder of its own "
            "and open one folder per series."
        )


def _spacing_text(s: _Slice) -> str:
    return " x ".join(f"{value:g}" for value in s.pixel_spacing)


def _check_same_grid(slices: list[_Slice], label: str) -> None:
    first = slices[0]
    for s in slices[1:]:
        if (s.rows, s.columns) != (first.rows, first.columns):
            raise ImageReadError(
                f"{label} mixes slices of {first.rows}x{first.columns} and {s.rows}x{s.columns} pixels "
                f"({first.path.name}, {s.path.name})."
            )
        if not np.allclose(s.orientation, first.orientation, rtol=0.0, atol=GEOMETRY_TOLERANCE):
            raise ImageReadError(
                f"{label} mixes slice orientations ({first.path.name}, {s.path.name}); "
                "a series must be one stack of parallel slices."
            )
        if not np.allclose(s.pixel_spacing, first.pixel_spacing, rtol=GEOMETRY_TOLERANCE, atol=0.0):
            raise ImageReadError(
                f"{label} mixes pixel spacings {_spacing_text(first)} and {_spacing_text(s)} mm "
                f"({first.path.name}, {s.path.name})."
            )


def _slice_thickness(dataset: Any) -> float:
    for keyword in ("SpacingBetweenSlices", "SliceThickness"):
        try:
            value = float(dataset.get(keyword) or 0.0)
        except (TypeError, ValueError):
            continue
        if value > 0:
            return value
    return 1.0


def _sort_along_normal(slices: list[_Slice], label: str) -> tuple[list[_Slice], np.ndarray]:
    """Slices ordered by position along the slice normal (row direction x column direction), and the step
    between neighbours in LPS+ mm, measured between the first and last positions."""
    normal = np.cross(slices[0].orientation[:3], slices[0].orientation[3:])
    if len(slices) == 1:
        return slices, normal * _slice_thickness(slices[0].dataset)
    along = np.array([s.position @ normal for s in slices])
    order = np.argsort(along, kind="stable")
    slices, along = [slices[i] for i in order], along[order]
    gaps = np.diff(along)
    repeated = np.flatnonzero(gaps < SAME_POSITION_MM)
    if repeated.size:
        sharing = np.union1d(repeated, repeated + 1).size
        first, second = slices[repeated[0]].path.name, slices[repeated[0] + 1].path.name
        raise ImageReadError(
            f"{label} has {sharing} slices at duplicated positions (e.g. {first} and {second} both at "
            f"{along[repeated[0]]:.2f} mm along the slice normal); it holds repeated slices or several acquisitions."
        )
    mean_gap = (along[-1] - along[0]) / (len(slices) - 1)
    if np.max(np.abs(gaps - mean_gap)) > GAP_TOLERANCE * mean_gap:
        raise ImageReadError(
            f"{label} has unevenly spaced slices (gaps from {gaps.min():.3g} to {gaps.max():.3g} mm); "
            "a slice is missing or the folder mixes stacks."
        )
    positions = np.array([s.position for s in slices])
    step = (positions[-1] - positions[0]) / (len(slices) - 1)
    expected = positions[0] + np.arange(len(slices))[:, np.newaxis] * step
    if np.max(np.linalg.norm(positions - expected, axis=1)) > GAP_TOLERANCE * np.linalg.norm(step):
        raise ImageReadError(f"{label} has slices that do not lie on one straight line; they cannot form one grid.")
    return slices, step


def _pixels(s: _Slice, pydicom: Any) -> np.ndarray:
    """The stored pixel values of one slice, (rows, columns)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(s.path)
            pixels = np.asarray(dataset.pixel_array)
    except Exception as exc:  # the decoders raise many types for missing plugins or damaged data
        syntax = getattr(s.dataset, "file_meta", {}).get("TransferSyntaxUID")
        try:
            compressed = syntax is not None and syntax.is_compressed
        except ValueError:  # not a known transfer syntax
            compressed = False
        if compressed:
            raise ImageReadError(
                f"{s.path.name} is compressed as {syntax.name}, which pydicom cannot decode here; install "
                "pydicom's decoders (pip install pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg) or decompress "
                "the series first (e.g. gdcmconv --raw)."
            ) from exc
        raise ImageReadError(f"Cannot read the pixels of {s.path.name}: {first_line(exc)}.") from exc
    if pixels.shape != (s.rows, s.columns):
        raise ImageReadError(
            f"{s.path.name} holds pixels of shape {pixels.shape}, not the {s.rows}x{s.columns} it declares."
        )
    return pixels


def _rescale(dataset: Any) -> tuple[float, float]:
    """RescaleSlope and RescaleIntercept (1 and 0 when absent: MR images often carry none)."""
    slope, intercept = dataset.get("RescaleSlope"), dataset.get("RescaleIntercept")
    return (1.0 if slope in (None, "") else float(slope)), (0.0 if intercept in (None, "") else float(intercept))


def _integer_dtype(stored: np.dtype, low: int, high: int) -> np.dtype:
    """The stored integer type when it holds low..high, else the smallest common one that does."""
    for dtype in (stored, np.dtype(np.int16), np.dtype(np.uint16), np.dtype(np.int32), np.dtype(np.uint32)):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return dtype
    return np.dtype(np.int64)


def _stack_voxels(slices: list[_Slice], pydicom: Any) -> np.ndarray:
    """Rescaled voxels in NIfTI file order: (columns, rows, slices), i.e. voxel [i, j, k] = slice k, row j,
    column i."""
    stored = [_pixels(s, pydicom) for s in slices]
    rescales = [_rescale(s.dataset) for s in slices]
    integral = all(np.issubdtype(p.dtype, np.integer) or p.dtype == bool for p in stored) and all(
        float(slope).is_integer() and float(intercept).is_integer() for slope, intercept in rescales
    )
    shape = (slices[0].columns, slices[0].rows, len(slices))
    if not integral:
        voxels = np.empty(shape, dtype=np.float32)
        for k, (pixels, (slope, intercept)) in enumerate(zip(stored, rescales, strict=True)):
            voxels[:, :, k] = (pixels.astype(np.float64) * slope + intercept).T
        return voxels
    bounds = []
    for pixels, (slope, intercept) in zip(stored, rescales, strict=True):
        ends = np.array([pixels.min(), pixels.max()], dtype=np.int64) * int(slope) + int(intercept)
        bounds.extend(ends.tolist())
    stored_dtype = np.result_type(*(np.uint8 if p.dtype == bool else p.dtype for p in stored))
    dtype = _integer_dtype(stored_dtype, min(bounds), max(bounds))
    voxels = np.empty(shape, dtype=dtype)
    for k, (pixels, (slope, intercept)) in enumerate(zip(stored, rescales, strict=True)):
        if (slope, intercept) == (1.0, 0.0):
            voxels[:, :, k] = pixels.T
        else:
            voxels[:, :, k] = (pixels.astype(np.int64) * int(slope) + int(intercept)).T
    return voxels
