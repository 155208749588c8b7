"""Reading and writing NIfTI files in display orientation, keeping the file's true affine."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import nibabel as nib
import numpy as np

from .errors import ImageReadError, ObliqueAffineWarning
from .files import write_atomically
from .label_rule import looks_like_segmentation, segmentation_labels
from .orientation import (
    affine_from_scale_translate,
    affine_problem,
    display_affine,
    display_to_file,
    file_to_display,
    scale_translate,
)
from .quiet import quiet_reading
from .volume import NiftiGeometry, Volume

NIFTI_SUFFIXES = (".nii", ".nii.gz")


def is_nifti_path(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(NIFTI_SUFFIXES)


def stem(path: str | os.PathLike) -> str:
    """File name without ``.nii``, ``.nii.gz`` or ``.npy``."""
    name = Path(path).name
    for suffix in (".nii.gz", ".nii", ".npy"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return Path(name).stem


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message, without a final full stop (for one-sentence errors)."""
    text = str(exc).strip().splitlines()
    return text[0].rstrip(".") if text else type(exc).__name__


def _as_3d(data: np.ndarray, name: str) -> np.ndarray:
    """2D files become one-slice volumes; trailing singleton dimensions (x, y, z, 1) are dropped."""
    if data.ndim < 2:
        raise ImageReadError(f"{name} has {data.ndim} dimension(s); only 2D and 3D images are supported.")
    if data.ndim == 2:
        return data[:, :, np.newaxis]
    if data.ndim > 3:
        if any(size != 1 for size in data.shape[3:]):
            raise ImageReadError(
                f"{name} has shape {data.shape}; 4D and higher images (time series, vectors) are not supported."
            )
        return data.reshape(data.shape[:3])
    return data


def read_nifti(path: str | os.PathLike) -> Volume:
    """Read a ``.nii``/``.nii.gz`` file as a display-ordered :class:`Volume` (see ``orientation``).

    Raises ImageReadError with one sentence when the file is missing, corrupt or not 2D/3D. An oblique affine
    emits an ObliqueAffineWarning: the volume is shown de-obliqued, its true affine is kept in the geometry.
    """
    path = Path(path)
    with quiet_reading():
        try:
            image = nib.load(path)
            affine = np.array(image.affine, dtype=float)
            data = np.asanyarray(image.dataobj)
        except FileNotFoundError:
            raise ImageReadError(f"{path.name} does not exist.") from None
        except MemoryError:
            raise ImageReadError(f"Cannot read {path.name} as NIfTI: {_too_large(image)}.") from None
        except Exception as exc:  # nibabel, gzip and zlib raise many types for a damaged file
            raise ImageReadError(f"Cannot read {path.name} as NIfTI: {first_line(exc)}.") from exc
        volume = volume_from_voxels(data, affine, image.header, name=stem(path), source=path.name)
    return volume


def _too_large(image: nib.Nifti1Image) -> str:
    """Why the voxels of a header that declares more than fits in memory cannot be read (often a damaged dim)."""
    shape = "x".join(str(int(n)) for n in image.shape)
    size = np.prod(image.shape, dtype=float) * image.get_data_dtype().itemsize
    return (
        f"its header declares {shape} voxels ({size / 1e9:.3g} GB), more than fits in memory, so the header is "
        "probably damaged"
    )


def volume_from_voxels(
    data: np.ndarray, affine: np.ndarray, header: nib.Nifti1Header, *, name: str, source: str
) -> Volume:
    """A display-ordered :class:`Volume` from voxels in file order and their voxel-to-RAS+ ``affine``.

    The one place the display rule is applied, for NIfTI files and for images built in memory (a DICOM series
    as a NIfTI image), so both get the same display geometry. ``header`` is copied into the geometry;
    ``name`` names the volume and ``source`` is the file or folder named in errors and warnings.
    """
    if data.dtype.fields is not None or not (np.issubdtype(data.dtype, np.number) or data.dtype == bool):
        raise ImageReadError(f"{source} holds {data.dtype} voxels (e.g. RGB); only single-value voxels are supported.")
    if np.issubdtype(data.dtype, np.complexfloating):
        raise ImageReadError(f"{source} holds complex voxels; only real-valued images are supported.")
    affine = np.array(affine, dtype=float)
    file_shape = tuple(int(n) for n in data.shape)
    data3 = _as_3d(data, source)
    problem = affine_problem(affine)
    if problem is not None:
        raise ImageReadError(f"{source} {problem}.")
    file_ornt = nib.io_orientation(affine)
    if np.isnan(file_ornt).any():  # not expected once affine_problem passed; kept as the last word
        raise ImageReadError(f"{source} has a degenerate affine; its voxel axes have no orientation.")

    shown = file_to_display(data3, file_ornt)
    scale, translate, oblique = scale_translate(display_affine(affine, file_ornt, data3.shape), shown.shape)
    if oblique:
        warnings.warn(
            ObliqueAffineWarning(
                f"{source} has an oblique affine; it is shown de-obliqued (nearest axes), "
                "and its true affine is kept for writing."
            ),
            stacklevel=2,  # issued again by quiet_reading for the caller of read_nifti or read_dicom_series
        )

    squeezed_axis = None
    if 1 in shown.shape and shown.ndim == 3 and shown.shape.count(1) < 3:
        squeezed_axis = shown.shape.index(1)
        shown = np.squeeze(shown, axis=squeezed_axis)
        scale = np.delete(scale, squeezed_axis)
        translate = np.delete(translate, squeezed_axis)

    geometry = NiftiGeometry(
        affine=affine,
        file_shape=file_shape,
        file_ornt=file_ornt,
        squeezed_axis=squeezed_axis,
        header=nib.Nifti1Header.from_header(header),
    )
    is_labels = looks_like_segmentation(shown, name)
    labels, one_class_value = segmentation_labels(shown) if is_labels else (shown, None)
    return Volume(
        data=labels,
        name=name,
        scale=tuple(float(s) for s in scale),
        translate=tuple(float(t) for t in translate),
        is_labels=is_labels,
        geometry=geometry,
        oblique=oblique,
        one_class_value=one_class_value,
    )


def geometry_from_scale_translate(
    shape: tuple[int, ...], scale: tuple[float, ...], translate: tuple[float, ...]
) -> NiftiGeometry:
    """Geometry for a display-ordered array that came from no file: written in display order, so that reading
    the file back gives the same array, scale and translate. A 2D array is one axial slice."""
    squeezed_axis = None
    if len(shape) == 2:
        shape, scale, translate, squeezed_axis = (1, *shape), (1.0, *scale), (0.0, *translate), 0
    if len(shape) != 3:
        raise ValueError(f"Only 2D and 3D arrays can be written as NIfTI, not shape {tuple(shape)}.")
    affine = affine_from_scale_translate(np.asarray(scale), np.asarray(translate))
    return NiftiGeometry(
        affine=affine,
        file_shape=tuple(int(n) for n in shape),
        file_ornt=nib.io_orientation(affine),
        squeezed_axis=squeezed_axis,
    )


def _smallest_label_dtype(data: np.ndarray) -> np.dtype:
    low, high = (int(data.min()), int(data.max())) if data.size else (0, 0)
    for dtype in (np.uint8, np.uint16, np.int16, np.int32, np.uint32, np.int64):
        info = np.iinfo(dtype)
        if info.min <= low and high <= info.max:
            return np.dtype(dtype)
    raise ValueError(f"Label values {low}..{high} do not fit a NIfTI integer type.")


def write_nifti_labels(path: str | os.PathLike, data: np.ndarray, geometry: NiftiGeometry) -> Path:
    """Write display-ordered labels to ``path`` in the file order and with the affine of ``geometry``.

    The file is written next to its destination and moved into place, so a failed write never destroys an
    existing file. Returns the path written.
    """
    path = Path(path)
    if not is_nifti_path(path):
        raise ValueError(f"{path.name} is not a NIfTI file name; use .nii or .nii.gz.")
    data = np.asarray(data)
    if tuple(data.shape) != geometry.display_shape:
        raise ValueError(
            f"Labels of shape {tuple(data.shape)} do not match the geometry's shape {geometry.display_shape}."
        )
    if geometry.squeezed_axis is not None:
        data = np.expand_dims(data, geometry.squeezed_axis)
    on_disk = display_to_file(data, geometry.file_ornt).reshape(geometry.file_shape)
    on_disk = on_disk.astype(_smallest_label_dtype(on_disk), copy=False)
    image = _labels_image(on_disk, geometry)
    return write_atomically(path, lambda temporary: nib.save(image, temporary), suffix="".join(path.suffixes))


def _labels_image(on_disk: np.ndarray, geometry: NiftiGeometry) -> nib.Nifti1Image:
    """The labels as a NIfTI image carrying the source header: sform and qform restored with their own codes
    (a qform that differed from the sform stays as it was), units and description kept, no intensity scaling."""
    if geometry.header is None:
        image = nib.Nifti1Image(on_disk, geometry.affine)
        image.header.set_xyzt_units("mm")
        image.set_sform(geometry.affine, code=2)
        image.set_qform(geometry.affine, code=2)
        return image
    source = geometry.header
    header = source.copy()
    header.set_data_dtype(on_disk.dtype)
    header.set_slope_inter(1.0, 0.0)
    image = nib.Nifti1Image(on_disk, None, header=header)
    sform, sform_code = source.get_sform(coded=True)
    qform, qform_code = source.get_qform(coded=True)
    image.set_sform(sform if sform is not None else geometry.affine, code=int(sform_code))
    image.set_qform(qform, code=int(qform_code))
    return image
