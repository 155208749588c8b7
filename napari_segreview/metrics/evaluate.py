"""The public metric functions: per volume, per slice, and the surface distances behind them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .distances import SurfaceDistances, stack_surface_distances
from .rows import distance_metrics, metric_rows
from .validation import check_axis, check_labels, check_masks, check_options, check_spacing


@dataclass(frozen=True)
class LabelEvaluation:
    """The rows of one label (one per slice, or a single one for a volume) and the surface distances they were
    computed from.

    ``distances`` points are in the plane of each group; :meth:`points` maps them to full-array positions.
    """

    label: int
    rows: list[dict]
    distances: SurfaceDistances
    axis: int | None

    def points(self, which: str) -> np.ndarray:
        """(n, ndim) positions in array index units of the ``"gt"`` or ``"pred"`` surface points.

        Border points are voxel centres (integers); surfels sit on voxel corners (half-integers).
        """
        surface = self.distances.gt if which == "gt" else self.distances.pred
        in_plane = surface.voxel_coordinates
        if self.axis is None:
            return in_plane
        return np.insert(in_plane, self.axis, surface.groups.astype(float), axis=1)


def _evaluate_stack(gt_stack, pred_stack, label, plane_spacing, convention, nsd_tolerance, percentile, axis):
    n_groups = gt_stack.shape[0]
    plane_axes = tuple(range(1, gt_stack.ndim))
    distances = stack_surface_distances(gt_stack, pred_stack, plane_spacing, convention)
    by_distance = distance_metrics(distances, n_groups, convention, nsd_tolerance, percentile)
    rows = metric_rows(
        gt_stack.sum(axis=plane_axes),
        pred_stack.sum(axis=plane_axes),
        (gt_stack & pred_stack).sum(axis=plane_axes),
        by_distance,
    )
    return LabelEvaluation(label=label, rows=rows, distances=distances, axis=axis)


def evaluate_label(
    gt,
    pred,
    label: int,
    *,
    spacing=None,
    axis: int | None = None,
    convention: str = "border",
    nsd_tolerance: float = 1.0,
    percentile: float = 95.0,
) -> LabelEvaluation:
    """Metrics of one label together with the per-surface-point distances that produced them.

    ``axis=None`` evaluates the whole volume (one row); an integer evaluates every slice along that axis with
    in-plane distances (one row per slice). The heatmaps paint ``distances``: the very numbers behind HD95.
    """
    gt, pred = check_masks(gt, pred)
    spacing = check_spacing(spacing, gt.ndim)
    [label] = check_labels([label], gt, pred)
    check_options(convention, nsd_tolerance, percentile)
    if axis is None:
        return _evaluate_stack(
            (gt == label)[None], (pred == label)[None], label, spacing, convention, nsd_tolerance, percentile, None
        )
    axis = check_axis(axis, gt.ndim)
    gt_stack, pred_stack = np.moveaxis(gt, axis, 0) == label, np.moveaxis(pred, axis, 0) == label
    plane_spacing = np.delete(spacing, axis)
    return _evaluate_stack(gt_stack, pred_stack, label, plane_spacing, convention, nsd_tolerance, percentile, axis)


def volume_metrics(
    gt,
    pred,
    *,
    spacing=None,
    labels: Iterable[int] | None = None,
    convention: str = "border",
    nsd_tolerance: float = 1.0,
    percentile: float = 95.0,
) -> dict[int, dict]:
    """Dice, IoU, HD, HD95, ASSD, NSD of every label over the whole 2D or 3D array.

    gt, pred:      integer or bool label maps of one shape (0 is background)
    spacing:       voxel size per array axis in array order (napari's ``layer.scale``); None means 1
    labels:        label values to evaluate; None means every non-zero value present in either array
    convention:    "border" (MONAI, default), "surfel" (DeepMind surface-distance) or "pooled" (MedPy)
    nsd_tolerance: NSD tolerance in the unit of ``spacing``
    percentile:    the percentile of the robust Hausdorff distance reported as ``hd95``

    Returns ``{label: row}``; a row has dice, iou, hd, hd95, assd, nsd (distances in the unit of ``spacing``),
    gt_voxels, pred_voxels and status (ok, both_empty, gt_empty, pred_empty). One empty mask gives Dice 0 and
    infinite distances; both empty give Dice 1 and distance 0. Never NaN.
    """
    gt, pred = check_masks(gt, pred)
    spacing = check_spacing(spacing, gt.ndim)
    check_options(convention, nsd_tolerance, percentile)
    result = {}
    for label in check_labels(labels, gt, pred):
        evaluation = _evaluate_stack(
            (gt == label)[None], (pred == label)[None], label, spacing, convention, nsd_tolerance, percentile, None
        )
        result[label] = evaluation.rows[0]
    return result


def slice_metrics(
    gt,
    pred,
    *,
    axis: int = 0,
    spacing=None,
    labels: Iterable[int] | None = None,
    convention: str = "border",
    nsd_tolerance: float = 1.0,
    percentile: float = 95.0,
) -> list[dict]:
    """The metrics of :func:`volume_metrics` for every 2D slice of a 3D volume along ``axis``.

    ``spacing`` is given for all three axes (array order); each slice uses its in-plane entries. Returns one row
    per (slice, label), ordered by slice then label, each with ``slice`` and ``label`` added; slices where a
    label is absent from both masks are included with status ``both_empty``. All slices are computed in one
    pass over the stack.
    """
    gt, pred = check_masks(gt, pred)
    axis = check_axis(axis, gt.ndim)
    spacing = check_spacing(spacing, gt.ndim)
    check_options(convention, nsd_tolerance, percentile)
    labels = check_labels(labels, gt, pred)
    gt_moved, pred_moved = np.moveaxis(gt, axis, 0), np.moveaxis(pred, axis, 0)
    plane_spacing = np.delete(spacing, axis)
    per_label = [
        _evaluate_stack(
            gt_moved == label, pred_moved == label, label, plane_spacing, convention, nsd_tolerance, percentile, axis
        ).rows
        for label in labels
    ]
    return [
        {"slice": index, "label": label, **rows[index]}
        for index in range(gt_moved.shape[0])
        for label, rows in zip(labels, per_label, strict=True)
    ]
