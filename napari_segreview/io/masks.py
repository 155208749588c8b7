"""Loading a ground-truth / prediction pair for evaluation: label arrays in one voxel order with their spacing."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ImageReadError
from .image_files import PICTURE_SUFFIXES, read_picture
from .nifti import is_nifti_path, read_nifti
from .numpy_files import read_npy
from .orientation import DISPLAY_AXIS_NAMES, display_affine
from .volume import Volume

MASK_SUFFIXES = (".nii", ".nii.gz", ".npy", *PICTURE_SUFFIXES)
# How to name the axes of a NIfTI pair in per-slice output (display order, see io.orientation).
SLICE_AXIS_NAMES = {"axial": 0, "coronal": 1, "sagittal": 2}


@dataclass(frozen=True)
class MaskPair:
    gt: np.ndarray
    pred: np.ndarray
    spacing: tuple[float, ...]
    axis_names: tuple[str, ...] | None  # anatomical names of the array axes (NIfTI), else None


def read_image_mask(path: Path) -> np.ndarray:
    """A 2D mask from PNG/JPEG/TIFF: grey, or RGB(A) with equal channels."""
    data = read_picture(path)
    if data.ndim == 3:
        colour = data[..., :3]
        if not (np.array_equal(colour[..., 0], colour[..., 1]) and np.array_equal(colour[..., 0], colour[..., 2])):
            raise ImageReadError(f"{path.name} is a colour image; a mask must be single-channel (grey).")
        data = colour[..., 0]
    if data.ndim != 2:
        raise ImageReadError(f"{path.name} has shape {data.shape}; a 2D grey mask was expected.")
    return data


def _binary_255(data: np.ndarray) -> bool:
    return data.dtype == np.uint8 and set(np.unique(data).tolist()) <= {0, 255}


def _read(path: Path) -> tuple[np.ndarray, Volume | None]:
    name = path.name.lower()
    if is_nifti_path(name):
        volume = read_nifti(path)
        return volume.data, volume
    if name.endswith(".npy"):
        return read_npy(path).data, None
    if name.endswith(PICTURE_SUFFIXES):
        return read_image_mask(path), None
    raise ImageReadError(f"{path.name} is not a mask file this tool reads ({', '.join(MASK_SUFFIXES)}).")


def _grid(volume: Volume) -> np.ndarray:
    geometry = volume.geometry
    shape3 = tuple(geometry.file_shape[:3]) + (1,) * (3 - len(geometry.file_shape[:3]))
    return display_affine(geometry.affine, geometry.file_ornt, shape3)


def load_mask_pair(gt_path: str | os.PathLike, pred_path: str | os.PathLike, spacing=None) -> MaskPair:
    """Read a GT and a prediction file into arrays of one voxel order.

    NIfTI files are reoriented by the display rule (so a RAS and an LPS file of one grid line up) and must lie
    on the same voxel grid; their spacing comes from the header unless ``spacing`` is given (in array order).
    Other files use ``spacing`` or 1. Raises ImageReadError with one sentence.
    """
    gt_path, pred_path = Path(gt_path), Path(pred_path)
    gt, gt_volume = _read(gt_path)
    pred, pred_volume = _read(pred_path)
    has_geometry = [v is not None and v.geometry is not None for v in (gt_volume, pred_volume)]
    if has_geometry[0] != has_geometry[1]:
        nifti, other = (gt_path, pred_path) if has_geometry[0] else (pred_path, gt_path)
        raise ImageReadError(
            f"{nifti.name} is NIfTI (reoriented by its affine) but {other.name} has no affine, so their voxels "
            "need not line up; give two NIfTI files or two arrays."
        )
    # image masks stored as 0/255 mean one class: converted for both files together, so that a pair whose
    # other file holds more classes keeps its values comparable
    if gt_path.name.lower().endswith(PICTURE_SUFFIXES) and _binary_255(gt) and _binary_255(pred):
        gt, pred = (gt == 255).astype(np.uint8), (pred == 255).astype(np.uint8)
    if gt.shape != pred.shape:
        raise ImageReadError(
            f"the ground truth {gt_path.name} has shape {gt.shape} but the prediction {pred_path.name} has shape "
            f"{pred.shape}; they must match."
        )
    axis_names = None
    if has_geometry[0]:
        if not np.allclose(_grid(gt_volume), _grid(pred_volume), atol=1e-3):
            raise ImageReadError(
                f"{gt_path.name} and {pred_path.name} lie on different voxel grids (their affines differ); "
                "resample one onto the other first."
            )
        axis_names = gt_volume.geometry.display_axis_names
        if spacing is None:
            spacing = gt_volume.scale
    if spacing is None:
        spacing = (1.0,) * gt.ndim
    return MaskPair(gt=gt, pred=pred, spacing=tuple(float(s) for s in spacing), axis_names=axis_names)


__all__ = ["DISPLAY_AXIS_NAMES", "MASK_SUFFIXES", "SLICE_AXIS_NAMES", "MaskPair", "load_mask_pair"]
