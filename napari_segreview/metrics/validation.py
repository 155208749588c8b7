"""Input checks shared by every metric entry point; each failure is a ValueError with one plain sentence."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from .boxes import label_boxes

CONVENTIONS = ("border", "surfel", "pooled")


# float64 holds every integer exactly only up to here
LARGEST_EXACT_FLOAT_INTEGER = 2**53


def _as_label_array(array, name: str) -> np.ndarray:
    array = np.asarray(array)
    if array.ndim not in (2, 3):
        raise ValueError(f"{name} must be a 2D or 3D array, not {array.ndim}D (shape {array.shape}).")
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); there is nothing to evaluate.")
    if array.dtype == bool or np.issubdtype(array.dtype, np.integer):
        integers = array
    elif np.issubdtype(array.dtype, np.floating):
        not_whole = ~np.isfinite(array) | (array != np.floor(array))
        if not_whole.any():
            example = array[not_whole].flat[0]
            raise ValueError(f"{name} holds non-integer values (e.g. {example}); pass a label map, not probabilities.")
        if np.abs(array).max() > LARGEST_EXACT_FLOAT_INTEGER:
            raise ValueError(f"{name} holds the value {np.abs(array).max():g}, too large to be a label.")
        integers = array.astype(np.int64)
    else:
        raise ValueError(f"{name} has dtype {array.dtype}; it must hold integer labels or booleans.")
    # unsigned maps cannot hold a negative label: no pass over them for it
    if np.issubdtype(integers.dtype, np.signedinteger) and integers.size and integers.min() < 0:
        raise ValueError(f"{name} holds the negative label {integers.min()}; labels must be 0 or more.")
    return integers


def check_masks(gt, pred) -> tuple[np.ndarray, np.ndarray]:
    """Both arrays as integer/bool label maps of one shape, 2D or 3D."""
    gt = _as_label_array(gt, "gt")
    pred = _as_label_array(pred, "pred")
    if gt.shape != pred.shape:
        raise ValueError(f"gt has shape {gt.shape} but pred has shape {pred.shape}; they must match.")
    return gt, pred


def check_spacing(spacing, ndim: int) -> np.ndarray:
    """Voxel size per array axis as float64; None means 1 for every axis."""
    if spacing is None:
        return np.ones(ndim)
    values = np.atleast_1d(np.asarray(spacing, dtype=float))
    if values.ndim != 1 or values.size != ndim:
        raise ValueError(f"spacing has {values.size} values but the arrays are {ndim}D; give one per axis.")
    if not np.all(np.isfinite(values)) or np.any(values <= 0):
        raise ValueError(f"spacing must be positive and finite, got {tuple(values.tolist())}.")
    return values


def present_labels(gt: np.ndarray, pred: np.ndarray) -> list[int]:
    """Every non-zero label value found in either array, ascending (one labelled pass over each)."""
    return sorted(set(label_boxes(gt)) | set(label_boxes(pred)))


def check_labels(labels: Iterable[int] | int | None, gt: np.ndarray, pred: np.ndarray) -> list[int]:
    if labels is None:
        return present_labels(gt, pred)
    values = np.ravel(np.asarray(labels, dtype=object)).tolist()
    checked = []
    for value in values:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
            raise ValueError(f"labels must be whole numbers, got {value!r}.")
        if not float(value).is_integer():
            raise ValueError(f"labels must be whole numbers, got {value!r}.")
        if int(value) <= 0:
            raise ValueError(f"label {int(value)} cannot be evaluated; 0 is background and labels are positive.")
        checked.append(int(value))
    return sorted(set(checked))


def check_options(convention: str, nsd_tolerance: float, percentile: float) -> None:
    for name, value in (("nsd_tolerance", nsd_tolerance), ("percentile", percentile)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise ValueError(f"{name} must be a number, got {value!r}.")
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {', '.join(CONVENTIONS)}, not {convention!r}.")
    if not np.isfinite(nsd_tolerance) or nsd_tolerance < 0:
        raise ValueError(f"nsd_tolerance must be a distance of 0 or more, got {nsd_tolerance}.")
    if not 0 <= percentile <= 100:
        raise ValueError(f"percentile must lie between 0 and 100, got {percentile}.")


def check_axis(axis: int, ndim: int) -> int:
    if ndim != 3:
        raise ValueError(f"slice metrics need a 3D volume; these arrays are {ndim}D (use volume_metrics).")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)) or not -3 <= axis < 3:
        raise ValueError(f"axis must be 0, 1 or 2 for a 3D volume, not {axis!r}.")
    return int(axis) % 3
