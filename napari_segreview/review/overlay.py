"""The TP / FP / FN overlay: where the prediction agrees with the ground truth and where it does not."""

from __future__ import annotations

import numpy as np

from ..metrics.boxes import label_boxes, union_box

TRUE_POSITIVE, FALSE_POSITIVE, FALSE_NEGATIVE, WRONG_CLASS = 1, 2, 3, 4
SLAB_VOXELS = 1 << 21  # voxels classified at a time (all-labels overlay): ~10 MiB of masks
OVERLAY_NAMES = {
    TRUE_POSITIVE: "true positive",
    FALSE_POSITIVE: "false positive (predicted, not in GT)",
    FALSE_NEGATIVE: "false negative (in GT, missed)",
    WRONG_CLASS: "wrong class",
}
# TP a faint white (agreement needs no attention); the errors in saturated colours that neither the GT's own
# class colours (napari's defaults: brown, sky blue, lavender, purple, ...; the sample's grey-matter orange and
# white-matter blue) nor the red distance heatmap use: FP magenta, FN yellow, wrong class green
OVERLAY_COLORS = {
    None: "transparent",
    0: "transparent",
    TRUE_POSITIVE: "#ffffff26",
    FALSE_POSITIVE: "#ff1fd2",
    FALSE_NEGATIVE: "#ffe600",
    WRONG_CLASS: "#1ee05a",
}


def error_overlay(gt: np.ndarray, pred: np.ndarray, label: int | None = None) -> np.ndarray:
    """uint8 map: 1 TP, 2 FP, 3 FN, 4 both labelled but with different classes (only when ``label`` is None).

    With ``label`` given, only that class is compared (other classes count as background), inside the union of
    its boxes in the two maps (found in one pass over each): everything outside is 0 either way.
    """
    if label is not None:
        overlay = np.zeros(np.shape(gt), np.uint8)
        box = union_box(label_boxes(gt, [label]).get(label), label_boxes(pred, [label]).get(label))
        if box is None:
            return overlay
        in_gt, in_pred = gt[box] == label, pred[box] == label
        part = overlay[box]
        part[in_gt & in_pred] = TRUE_POSITIVE
        part[in_pred & ~in_gt] = FALSE_POSITIVE
        part[in_gt & ~in_pred] = FALSE_NEGATIVE
        return overlay
    overlay = np.zeros(np.shape(gt), np.uint8)
    if overlay.ndim == 0:
        _classify(np.asarray(gt)[None], np.asarray(pred)[None], overlay[None])
        return overlay
    # slab by slab along the first axis: the masks of the comparison are a few MiB at a time, not five
    # volume-sized boolean arrays (138 MiB for a 400x300x300 map)
    step = max(1, SLAB_VOXELS // max(1, overlay[0].size))
    for start in range(0, overlay.shape[0], step):
        part = slice(start, start + step)
        _classify(gt[part], pred[part], overlay[part])
    return overlay


def _classify(gt: np.ndarray, pred: np.ndarray, out: np.ndarray) -> None:
    """Write TP / FP / FN / wrong class of every voxel of the (any-label) pair into ``out``."""
    in_gt, in_pred = gt != 0, pred != 0
    both = in_gt & in_pred
    same = gt == pred
    out[both & same] = TRUE_POSITIVE
    out[both & ~same] = WRONG_CLASS
    out[in_pred & ~in_gt] = FALSE_POSITIVE
    out[in_gt & ~in_pred] = FALSE_NEGATIVE
