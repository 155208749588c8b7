"""Thumbnails of a case's worst slice: the image (or the ground truth in grey when there is none), the TP / FP /
FN colours of the review's overlay, and the contours of the ground truth and the prediction, as a PNG.

The worst slice of a label is the one with the lowest Dice among the slices along axis 0 (axial for NIfTI, in
the display orientation the review shows) where the ground truth or the prediction holds the label, leaving out
the slices where both hold less than a tenth of the label's largest slice (the first and last slices of a shifted
structure have Dice 0 from a few stray voxels, which shows nothing); when every slice is that small, all count. The
thumbnail is cropped to the label's box on that slice with a margin, so a small structure is not a few pixels,
and stretched by the in-plane voxel spacing, so that millimetres look square.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from ..review.overlay import FALSE_NEGATIVE, FALSE_POSITIVE, OVERLAY_COLORS, TRUE_POSITIVE, error_overlay

# slices where neither map holds this share of the label's largest slice only count when no slice is larger
SMALL_SLICE_SHARE = 0.1
THUMBNAIL_SIZE = 220  # pixels along the longer side
GT_CONTOUR, PRED_CONTOUR = "#00d0ff", "#ff4b1f"  # neither the overlay's magenta / yellow nor its white
GROUND_GREY, GT_GREY = 30, 110  # the background without an image: outside and inside any GT label
FILL_OPACITY = 0.45  # of the FP / FN colours over the image; TP keeps the overlay's own faint white


@dataclass(frozen=True)
class WorstSlice:
    index: int  # along axis 0
    dice: float
    gt_voxels: int
    pred_voxels: int


def slice_dice(gt: np.ndarray, pred: np.ndarray, label: int) -> list[WorstSlice]:
    """Dice of ``label`` on every slice along axis 0 that holds it in either map (3D maps; a 2D map is one
    slice, index 0)."""
    gt, pred = _as_3d(gt), _as_3d(pred)
    in_gt, in_pred = gt == label, pred == label
    gt_count = in_gt.sum(axis=(1, 2))
    pred_count = in_pred.sum(axis=(1, 2))
    overlap = (in_gt & in_pred).sum(axis=(1, 2))
    slices = []
    for index in np.flatnonzero(gt_count + pred_count):
        total = int(gt_count[index] + pred_count[index])
        slices.append(
            WorstSlice(int(index), 2.0 * int(overlap[index]) / total, int(gt_count[index]), int(pred_count[index]))
        )
    return slices


def worst_slice(gt: np.ndarray, pred: np.ndarray, label: int) -> WorstSlice | None:
    """The slice with the lowest Dice of ``label`` among those that are not small (see the module docstring;
    ties: the one with more voxels of either map, then the lower index), or None when neither map holds the
    label."""
    slices = slice_dice(gt, pred, label)
    if not slices:
        return None
    largest = max(max(s.gt_voxels, s.pred_voxels) for s in slices)
    large = [s for s in slices if max(s.gt_voxels, s.pred_voxels) >= SMALL_SLICE_SHARE * largest]
    return min(large, key=lambda s: (s.dice, -(s.gt_voxels + s.pred_voxels), s.index))


def _as_3d(array: np.ndarray) -> np.ndarray:
    array = np.asarray(array)
    return array[np.newaxis] if array.ndim == 2 else array


def _rgba(color: str) -> tuple[int, ...]:
    text = color.lstrip("#")
    values = tuple(int(text[i : i + 2], 16) for i in range(0, len(text), 2))
    return values if len(values) == 4 else (*values, 255)


def _crop_box(mask: np.ndarray) -> tuple[slice, slice]:
    """The box of ``mask`` (2D, not empty) grown by half its size (at least 6 pixels) on each side, in bounds."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    box = []
    for found, length in ((rows, mask.shape[0]), (cols, mask.shape[1])):
        start, stop = int(found[0]), int(found[-1]) + 1
        margin = max(6, (stop - start) // 2)
        box.append(slice(max(0, start - margin), min(length, stop + margin)))
    return box[0], box[1]


def _grey(image: np.ndarray) -> np.ndarray:
    """uint8 RGB of an image slice (grey values scaled between its 1st and 99th percentile; RGB kept)."""
    image = np.asarray(image, dtype=float)
    if image.ndim == 3:  # a colour picture: scaled as a whole
        low, high = np.percentile(image, [1, 99])
        scaled = np.clip((image[..., :3] - low) / max(high - low, 1e-12), 0, 1)
        return (scaled * 255).astype(np.uint8)
    low, high = np.percentile(image, [1, 99]) if image.size else (0, 1)
    scaled = np.clip((image - low) / max(high - low, 1e-12), 0, 1)
    return np.repeat((scaled * 255).astype(np.uint8)[..., np.newaxis], 3, axis=2)


def _output_size(shape: tuple[int, int], spacing: tuple[float, float]) -> tuple[int, int]:
    height, width = shape[0] * spacing[0], shape[1] * spacing[1]
    scale = THUMBNAIL_SIZE / max(height, width)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _resized(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(Image.fromarray(array).resize(size, Image.NEAREST))


def _contour(mask: np.ndarray, width: int) -> np.ndarray:
    """The inner border of ``mask`` (the enlarged mask), ``width`` pixels wide."""
    return mask & ~ndimage.binary_erosion(mask, iterations=width, border_value=0)


def thumbnail_png(
    gt_slice: np.ndarray,
    pred_slice: np.ndarray,
    label: int,
    image_slice: np.ndarray | None = None,
    spacing: tuple[float, float] = (1.0, 1.0),
) -> bytes:
    """PNG bytes of one slice: the image (grey; a colour picture as it is) or, without one, the ground truth's
    labels in grey; FP and FN of ``label`` in the overlay's colours, TP in its faint white; the GT contour in
    cyan and the prediction contour in orange-red. Cropped to the label's box in either map (the whole slice
    when neither holds it)."""
    gt_slice, pred_slice = np.asarray(gt_slice), np.asarray(pred_slice)
    either = (gt_slice == label) | (pred_slice == label)
    box = _crop_box(either) if either.any() else (slice(None), slice(None))
    gt_part, pred_part = gt_slice[box], pred_slice[box]
    if image_slice is None:  # the ground truth's labels in grey on a dark ground, the contours tell which
        background = np.repeat(np.where(gt_part > 0, GT_GREY, GROUND_GREY).astype(np.uint8)[..., None], 3, axis=2)
    else:
        background = _grey(np.asarray(image_slice)[box])
    size = _output_size(gt_part.shape, spacing)
    canvas = _resized(background, size).astype(float)
    overlay = _resized(error_overlay(gt_part, pred_part, label), size)
    for kind, opacity in ((TRUE_POSITIVE, None), (FALSE_POSITIVE, FILL_OPACITY), (FALSE_NEGATIVE, FILL_OPACITY)):
        red, green, blue, alpha = _rgba(OVERLAY_COLORS[kind])
        weight = alpha / 255 if opacity is None else opacity
        where = overlay == kind
        canvas[where] = canvas[where] * (1 - weight) + np.array([red, green, blue]) * weight
    # the GT's contour twice as wide as the prediction's, drawn first: where they coincide the prediction's
    # line runs along the outside of the GT's and both stay visible
    for mask, color, width in ((gt_part == label, GT_CONTOUR, 2), (pred_part == label, PRED_CONTOUR, 1)):
        line = _contour(_resized(mask.astype(np.uint8), size).astype(bool), width)
        canvas[line] = _rgba(color)[:3]
    buffer = io.BytesIO()
    Image.fromarray(np.round(canvas).astype(np.uint8), "RGB").save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
