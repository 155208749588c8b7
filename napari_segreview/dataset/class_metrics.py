"""Metrics of one pair by the classes a dataset declares: named labels, region classes as unions of labels, and
an ignore label whose ground-truth voxels count for no metric.

The ignore rule is nnU-Net's (``evaluate_predictions``: voxels where the ground truth is the ignore label are
left out of TP, FP and FN). Here those voxels are set to background in both maps, which gives exactly nnU-Net's
overlaps; surface distances are then measured on the maps with the ignored region cleared, so a prediction
border that runs through an ignored region is not counted there (nnU-Net computes no distances to compare with).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..metrics import evaluate_labels, volume_metrics
from .class_table import ClassTable


def without_ignored(gt: np.ndarray, pred: np.ndarray, ignore: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Copies of both maps with the voxels the ground truth marks ``ignore`` set to 0 (the inputs unchanged)."""
    if ignore is None:
        return gt, pred
    ignored = gt == ignore
    if not ignored.any():
        return gt, pred
    gt, pred = gt.copy(), pred.copy()
    gt[ignored] = 0
    pred[ignored] = 0
    return gt, pred


def class_metrics(
    gt: np.ndarray,
    pred: np.ndarray,
    classes: ClassTable,
    *,
    labels=None,
    on_label: Callable[[int, int], None] | None = None,
    **options,
) -> list[dict]:
    """Rows of every label (``volume_metrics``' rows plus ``class``, its name or "") and then of every region of
    ``classes`` (``label`` None, ``class`` the region's name; its labels are in ``classes.regions``).

    ``labels`` restricts the plain labels as in ``volume_metrics``; the ignore label is never one of them.
    ``options`` go to ``volume_metrics`` (spacing, convention, nsd_tolerance, percentile). ``on_label(done,
    total)`` is called after each label and each region.
    """
    gt, pred = without_ignored(np.asarray(gt), np.asarray(pred), classes.ignore)
    if labels is not None:
        labels = [label for label in labels if label != classes.ignore]
    evaluations = evaluate_labels(gt, pred, labels, **options)
    total = len(evaluations) + len(classes.regions)
    rows = []
    for evaluation in evaluations:  # in label order
        label = int(evaluation.label)
        rows.append({"label": label, "class": classes.name(label) or "", **evaluation.rows[0]})
        if on_label is not None:
            on_label(len(rows), total)
    for name, members in classes.regions.items():
        row = volume_metrics(np.isin(gt, members), np.isin(pred, members), labels=[1], **options)[1]
        rows.append({"label": None, "class": name, **row})
        if on_label is not None:
            on_label(len(rows), total)
    return rows
