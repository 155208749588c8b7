"""The public metric functions: per volume, per slice, and the surface distances behind them.

Each call makes one labelled pass over each map (every label's bounding box, :mod:`.boxes`) and then evaluates
every label inside the union of its two boxes (:mod:`.label_surfaces`), so the cost grows with the size of the
labels' boxes, not with the number of labels times the volume.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

import numpy as np

from .boxes import Box, label_boxes, union_box
from .distances import SurfaceDistances, box_distances
from .label_surfaces import label_surfaces, slab_size
from .rows import distance_metrics, metric_rows
from .scattered_labels import LARGEST_LABEL, ScatteredBorders, scattered_borders
from .surfaces import nearest_axes, surfel_sizes
from .validation import check_axis, check_labels, check_masks, check_options, check_spacing

# When the labels' boxes add up to more voxels than this many volumes (labels with stray voxels everywhere),
# every label's border points are gathered in one pass over each map instead (:mod:`.scattered_labels`).
SCATTERED_WHEN_BOXES_COVER = 4.0


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


@dataclass(frozen=True)
class _Stacks:
    """Both maps as stacks (groups, *plane) and what every label's evaluation on them shares."""

    gt: np.ndarray
    pred: np.ndarray
    axis: int | None
    plane_spacing: np.ndarray
    convention: str
    nsd_tolerance: float
    percentile: float
    sizes: np.ndarray | None
    axes: tuple[int, ...]  # plane axes of the shortest grid step (surfaces.nearest_axes)
    scattered: ScatteredBorders | None = None  # every label's border points, when gathered in one pass

    def stack_box(self, box: Box | None) -> Box | None:
        """An array box in stack coordinates: the volume is group 0; slices move the slice axis first."""
        if box is None:
            return None
        if self.axis is None:
            return (slice(0, 1), *box)
        return (box[self.axis], *(b for a, b in enumerate(box) if a != self.axis))

    def evaluate(self, label: int, box: Box | None) -> LabelEvaluation:
        """One label inside ``box`` (stack coordinates, None when the label is in neither map)."""
        n_groups = self.gt.shape[0]
        located = None if self.scattered is None else self.scattered.label_surfaces(label)
        if located is not None:
            found, offset, box_shape = located
            box = tuple(slice(int(o), int(o + n)) for o, n in zip(offset, box_shape, strict=True))
        else:
            # absent from both maps: a one-voxel box gives empty surfaces and zero counts through the same code
            box = box or tuple(slice(0, 1) for _ in self.gt.shape)
            found = label_surfaces(
                self.gt, self.pred, label, box, self.convention, self.sizes, slab_size(self.gt.size), self.axes
            )
            offset = np.array([s.start for s in box])
            box_shape = tuple(s.stop - s.start for s in box)
        distances = box_distances(found.gt, found.pred, offset, box_shape, self.plane_spacing)
        by_distance = distance_metrics(distances, n_groups, self.convention, self.nsd_tolerance, self.percentile)
        counts = []
        for in_box in (found.gt_voxels, found.pred_voxels, found.overlap):
            per_group = np.zeros(n_groups, np.int64)
            per_group[box[0]] = in_box
            counts.append(per_group)
        rows = metric_rows(*counts, by_distance)
        return LabelEvaluation(label=label, rows=rows, distances=distances, axis=self.axis)


class LabelEvaluations(Iterator[LabelEvaluation]):
    """The iterator :func:`evaluate_labels` returns: each label's :class:`LabelEvaluation` in turn; ``labels``
    (and ``len``) tell which are coming, for progress."""

    def __init__(self, labels: list[int], evaluations: Iterator[LabelEvaluation]):
        self.labels = labels
        self._evaluations = evaluations

    def __len__(self) -> int:
        return len(self.labels)

    def __next__(self) -> LabelEvaluation:
        return next(self._evaluations)


def evaluate_labels(
    gt,
    pred,
    labels: Iterable[int] | None = None,
    *,
    spacing=None,
    axis: int | None = None,
    convention: str = "border",
    nsd_tolerance: float = 1.0,
    percentile: float = 95.0,
) -> LabelEvaluations:
    """The :class:`LabelEvaluation` of every label, one at a time in ascending label order (for progress: the
    result's ``labels`` are those coming).

    Checks the inputs and makes the labelled pass over both maps at once; each label is evaluated when the
    iterator reaches it. ``labels`` None means every non-zero value present in either map; a requested label
    present in neither gives ``both_empty`` rows. ``axis`` as in :func:`evaluate_label`.
    """
    gt, pred = check_masks(gt, pred)
    spacing = check_spacing(spacing, gt.ndim)
    check_options(convention, nsd_tolerance, percentile)
    wanted = None if labels is None else check_labels(labels, gt, pred)
    if axis is None:
        gt_stack, pred_stack, plane_spacing = gt[None], pred[None], spacing
    else:
        axis = check_axis(axis, gt.ndim)
        gt_stack, pred_stack = np.moveaxis(gt, axis, 0), np.moveaxis(pred, axis, 0)
        plane_spacing = np.delete(spacing, axis)
    gt_boxes, pred_boxes = label_boxes(gt, wanted), label_boxes(pred, wanted)
    labels = wanted if wanted is not None else sorted(set(gt_boxes) | set(pred_boxes))
    stacks = _Stacks(
        gt=gt_stack,
        pred=pred_stack,
        axis=axis,
        plane_spacing=plane_spacing,
        convention=convention,
        nsd_tolerance=nsd_tolerance,
        percentile=percentile,
        sizes=surfel_sizes(plane_spacing) if convention == "surfel" else None,
        axes=nearest_axes(plane_spacing),
    )
    boxes = {label: stacks.stack_box(union_box(gt_boxes.get(label), pred_boxes.get(label))) for label in labels}
    box_voxels = sum(int(np.prod([b.stop - b.start for b in box])) for box in boxes.values() if box is not None)
    if (
        axis is None
        and convention != "surfel"
        and box_voxels > SCATTERED_WHEN_BOXES_COVER * gt.size
        and max(labels, default=0) <= LARGEST_LABEL
    ):
        stacks = replace(stacks, scattered=scattered_borders(gt, pred, stacks.axes))
    return LabelEvaluations(list(labels), (stacks.evaluate(label, boxes[label]) for label in labels))


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
    options = {"convention": convention, "nsd_tolerance": nsd_tolerance, "percentile": percentile}
    return next(evaluate_labels(gt, pred, [label], spacing=spacing, axis=axis, **options))


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
    options = {"spacing": spacing, "convention": convention, "nsd_tolerance": nsd_tolerance, "percentile": percentile}
    return {evaluation.label: evaluation.rows[0] for evaluation in evaluate_labels(gt, pred, labels, **options)}


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
    options = {"spacing": spacing, "convention": convention, "nsd_tolerance": nsd_tolerance, "percentile": percentile}
    return slice_rows(list(evaluate_labels(gt, pred, labels, axis=axis, **options)))


def slice_rows(evaluations: list[LabelEvaluation]) -> list[dict]:
    """The rows of :func:`slice_metrics` from the per-slice evaluations of its labels (``axis`` given)."""
    n_slices = len(evaluations[0].rows) if evaluations else 0
    return [
        {"slice": index, "label": evaluation.label, **evaluation.rows[index]}
        for index in range(n_slices)
        for evaluation in evaluations
    ]
