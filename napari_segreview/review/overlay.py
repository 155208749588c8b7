"""The TP / FP / FN overlay: where the prediction agrees with the ground truth and where it does not."""

from __future__ import annotations

import numpy as np

from ..metrics.boxes import label_boxes, union_box

TRUE_POSITIVE, FALSE_POSITIVE, FALSE_NEGATIVE, WRONG_CLASS = 1, 2, 3, 4
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
    in_gt, in_pred = gt != 0, pred != 0
    overlay = np.zeros(gt.shape, np.uint8)
    overlay[in_gt & in_pred & (gt == pred)] = TRUE_POSITIVE
    overlay[in_pred & ~in_gt] = FALSE_POSITIVE
    overlay[in_gt & ~in_pred] = FALSE_NEGATIVE
    overlay[in_gt & in_pred & (gt != pred)] = WRONG_CLASS
    return overlay
