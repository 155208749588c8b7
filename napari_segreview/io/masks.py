"""Loading a ground-truth / prediction pair for evaluation: label arrays in one voxel order with their spacing.

Each file follows the one-class rule of ``label_rule`` (a mask whose only foreground value is 1, 255 or 65535 is
label 1), so a 0/255 picture and a 0/1 array of the same mask compare equal, whichever side each is on. One
exception keeps a pair comparable: when the other file holds that same value among other labels (a 0/255
prediction against a 0/128/255 ground truth), the value is a label of the pair and both files keep their values.
Lossily stored masks (JPEG) are refused.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import ImageReadError
from .grid_resample import grid_differences, resample_nearest
from .image_files import PICTURE_SUFFIXES, lossy_format, read_picture
from .label_rule import one_class_rule
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
    """A 2D mask from PNG/TIFF/BMP: grey, or RGB(A) with equal channels, values as stored. A lossy picture
    (JPEG, by name or content, or a JPEG-compressed TIFF) is refused: its artefacts would be extra labels."""
    path = Path(path)
    lossy = lossy_format(path)
    if lossy is not None:
        raise ImageReadError(
            f"{path.name} is stored as {lossy}, a lossy format that turns a mask's values into many; save masks as "
            "PNG, TIFF, NIfTI or .npy."
        )
    data = read_picture(path)
    if data.ndim == 3:
        colour = data[..., :3]
        if not (np.array_equal(colour[..., 0], colour[..., 1]) and np.array_equal(colour[..., 0], colour[..., 2])):
            raise ImageReadError(f"{path.name} is a colour image; a mask must be single-channel (grey).")
        data = colour[..., 0]
    if data.ndim != 2:
        raise ImageReadError(f"{path.name} has shape {data.shape}; a 2D grey mask was expected.")
    return data


@dataclass(frozen=True)
class _Mask:
    labels: np.ndarray  # after the one-class rule
    one_class_value: int | None  # the stored value now label 1, or None
    volume: Volume | None  # NIfTI files: their geometry


def _read(path: Path) -> _Mask:
    name = path.name.lower()
    if is_nifti_path(name) or name.endswith(".npy"):
        volume = read_nifti(path) if is_nifti_path(name) else read_npy(path)
        labels, value = volume.data, volume.one_class_value
        if value is None:  # an array not judged labels by the reader's name and value rule still follows it here
            labels, value = one_class_rule(labels)
        return _Mask(labels, value, volume if volume.geometry is not None else None)
    if name.endswith(PICTURE_SUFFIXES):
        return _Mask(*one_class_rule(read_image_mask(path)), None)
    raise ImageReadError(f"{path.name} is not a mask file this tool reads ({', '.join(MASK_SUFFIXES)}).")


def _as_stored(mask: _Mask, other: _Mask) -> np.ndarray:
    """``mask``'s labels, or its values as stored when ``other`` (not one-class) holds its one-class value."""
    value = mask.one_class_value
    if value is None or other.one_class_value is not None or not np.any(other.labels == value):
        return mask.labels
    return np.where(mask.labels == 1, value, 0).astype(np.uint16 if value > 255 else np.uint8)


def _on_gt_grid(gt_path: Path, gt: _Mask, pred_path: Path, pred: _Mask, resample: bool) -> _Mask:
    """``pred`` as it is when both NIfTI masks share a grid; resampled onto the GT's when asked; else refused with
    what differs."""
    gt_shape, pred_shape = _shape3(gt), _shape3(pred)
    if not grid_differences(gt_shape, _grid(gt.volume), pred_shape, _grid(pred.volume)):
        return pred
    if not resample:
        # said in the files' own terms (stored shape, header origin), which is what the user can check
        gt_file, pred_file = gt.volume.geometry, pred.volume.geometry
        differences = grid_differences(
            gt_file.file_shape, gt_file.affine, pred_file.file_shape, pred_file.affine
        ) or grid_differences(gt_shape, _grid(gt.volume), pred_shape, _grid(pred.volume))
        raise ImageReadError(
            f"{gt_path.name} and {pred_path.name} lie on different voxel grids ({'; '.join(differences)}); give "
            "--resample-prediction to resample the prediction onto the ground truth's grid (nearest neighbour)."
        )
    labels = pred.labels if pred.labels.ndim == 3 else pred.labels.reshape(pred_shape)
    moved = resample_nearest(labels, _grid(pred.volume), gt_shape, _grid(gt.volume)).reshape(gt.labels.shape)
    return _Mask(moved, pred.one_class_value, gt.volume)


def _shape3(mask: _Mask) -> tuple[int, ...]:
    """The display shape with a 2D file's squeezed axis put back (the grid's affine has all three)."""
    geometry = mask.volume.geometry
    shape = list(mask.labels.shape)
    if geometry.squeezed_axis is not None:
        shape.insert(geometry.squeezed_axis, 1)
    return tuple(shape)


def _grid(volume: Volume) -> np.ndarray:
    geometry = volume.geometry
    shape3 = tuple(geometry.file_shape[:3]) + (1,) * (3 - len(geometry.file_shape[:3]))
    return display_affine(geometry.affine, geometry.file_ornt, shape3)


def load_mask_pair(
    gt_path: str | os.PathLike, pred_path: str | os.PathLike, spacing=None, resample_prediction: bool = False
) -> MaskPair:
    """Read a GT and a prediction file into arrays of one voxel order.

    NIfTI files are reoriented by the display rule (so a RAS and an LPS file of one grid line up) and must lie
    on the same voxel grid; their spacing comes from the header unless ``spacing`` is given (in array order).
    Two NIfTI files on different grids are refused with the differences (shape, spacing, origin, direction)
    named, unless ``resample_prediction``: then the prediction is resampled onto the ground truth's grid by
    nearest neighbour through both affines (never silently). Other files use ``spacing`` or 1. A mask with one
    foreground value (1, 255 or 65535) holds label 1; masks with more values keep them. Raises ImageReadError with
    one sentence.
    """
    gt_path, pred_path = Path(gt_path), Path(pred_path)
    gt_mask, pred_mask = _read(gt_path), _read(pred_path)
    if gt_mask.volume is not None and pred_mask.volume is not None:
        pred_mask = _on_gt_grid(gt_path, gt_mask, pred_path, pred_mask, resample_prediction)
    gt_volume, pred_volume = gt_mask.volume, pred_mask.volume
    has_geometry = [v is not None for v in (gt_volume, pred_volume)]
    if has_geometry[0] != has_geometry[1]:
        nifti, other = (gt_path, pred_path) if has_geometry[0] else (pred_path, gt_path)
        raise ImageReadError(
            f"{nifti.name} is NIfTI (reoriented by its affine) but {other.name} has no affine, so their voxels "
            "need not line up; give two NIfTI files or two arrays."
        )
    if gt_mask.labels.shape != pred_mask.labels.shape:
        raise ImageReadError(
            f"the ground truth {gt_path.name} has shape {gt_mask.labels.shape} but the prediction {pred_path.name} "
            f"has shape {pred_mask.labels.shape}; they must match."
        )
    gt, pred = _as_stored(gt_mask, pred_mask), _as_stored(pred_mask, gt_mask)
    axis_names = None
    if has_geometry[0]:
        axis_names = gt_volume.geometry.display_axis_names
        if spacing is None:
            spacing = gt_volume.scale
    if spacing is None:
        spacing = (1.0,) * gt.ndim
    return MaskPair(gt=gt, pred=pred, spacing=tuple(float(s) for s in spacing), axis_names=axis_names)


__all__ = ["DISPLAY_AXIS_NAMES", "MASK_SUFFIXES", "SLICE_AXIS_NAMES", "MaskPair", "load_mask_pair"]
