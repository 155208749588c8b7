"""Surface points and voxel counts of one label inside its box, slab by slab so memory stays small.

The box (the union of the label's boxes in both maps) holds every voxel of the label, so outside it both masks
are empty exactly as outside the array: the border voxels and surfels found in the box are the ones the whole
array has. The box is walked in slabs along one axis; each slab reads two extra voxel (or corner) layers on
each side where a neighbourhood needs them, and its points are kept in the order a single pass would find them.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .boxes import Box
from .surfaces import SurfacePoints, border_points, concatenate_points, neighbourhood_codes, surfel_points

# voxels per slab: a dozen bool/uint8 temporaries of a slab stay near 3 MiB at most (with the largest label's
# points, the peak stays under a quarter of two CT-sized uint8 maps), and near 1/5 of the maps' own size for
# smaller maps (slab_size)
SLAB_VOXELS = 1 << 18
SMALLEST_SLAB_VOXELS = 1 << 12


def slab_size(map_voxels: int) -> int:
    """Voxels per slab for label maps of ``map_voxels`` voxels each."""
    return int(np.clip(map_voxels // 64, SMALLEST_SLAB_VOXELS, SLAB_VOXELS))


@dataclass(frozen=True)
class LabelSurfaces:
    """One label in its box. Points have group and plane indices relative to the box; counts are per group of
    the box (gt voxels, prediction voxels, voxels in both)."""

    gt: SurfacePoints
    pred: SurfacePoints
    gt_voxels: np.ndarray
    pred_voxels: np.ndarray
    overlap: np.ndarray


def _take(array: np.ndarray, axis: int, start: int, stop: int) -> np.ndarray:
    index = [slice(None)] * array.ndim
    index[axis] = slice(start, stop)
    return array[tuple(index)]


def _moved(points: SurfacePoints, axis: int, by: int) -> SurfacePoints:
    if axis == 0:
        return replace(points, groups=points.groups + by)
    index = points.index.copy()
    index[:, axis - 1] += by
    return replace(points, index=index)


class _Counts:
    def __init__(self, n_groups: int):
        self.gt, self.pred, self.both = (np.zeros(n_groups, np.int64) for _ in range(3))

    def add(self, gt: np.ndarray, pred: np.ndarray, axis: int, start: int) -> None:
        """Add the voxels of a slab starting at ``start`` along ``axis`` (axis 0: the groups themselves)."""
        both = np.logical_and(gt, pred)
        if self.gt.size == 1:  # a volume: whole-array counts, several times faster than sums over axes
            self.gt += np.count_nonzero(gt)
            self.pred += np.count_nonzero(pred)
            self.both += np.count_nonzero(both)
            return
        plane_axes = tuple(range(1, gt.ndim))
        where = slice(start, start + gt.shape[0]) if axis == 0 else slice(None)
        self.gt[where] += gt.sum(axis=plane_axes)
        self.pred[where] += pred.sum(axis=plane_axes)
        self.both[where] += both.sum(axis=plane_axes)


def label_surfaces(
    gt_stack: np.ndarray,
    pred_stack: np.ndarray,
    label: int,
    box: Box,
    convention: str,
    sizes: np.ndarray | None,
    slab_voxels: int,
    axes: tuple[int, ...] = (),
) -> LabelSurfaces:
    """Surface points of ``gt_stack == label`` and ``pred_stack == label`` (label maps of shape
    (groups, *plane)) in the given convention, found inside ``box`` (stack coordinates). ``sizes`` is the
    surfel size per cell code (surfel convention only); the box is read ``slab_voxels`` voxels at a time.
    The points record their neighbours on the other surface along the plane axes ``axes``
    (``SurfacePoints.beside_other``)."""
    gt_box, pred_box = gt_stack[box], pred_stack[box]
    shape = gt_box.shape
    # slabs of groups need no neighbours; a single group (a volume) is cut along its first plane axis
    axis = 0 if shape[0] > 1 else 1
    n = shape[axis]
    surfel = convention == "surfel"
    extent = n + 1 if surfel and axis > 0 else n  # corners of the padded grid along a plane axis
    thickness = max(1, slab_voxels // max(1, gt_box.size // n))
    counts = _Counts(shape[0])
    gt_parts, pred_parts = [], []
    for start in range(0, extent, thickness):
        stop = min(start + thickness, extent)
        if axis == 0:
            gt, pred = _take(gt_box, 0, start, stop) == label, _take(pred_box, 0, start, stop) == label
            counts.add(gt, pred, 0, start)
            if surfel:
                found = surfel_points(neighbourhood_codes(gt), neighbourhood_codes(pred), sizes, axes)
            else:
                found = border_points(gt, pred, axes)
            gt_parts.append(_moved(found[0], 0, start))
            pred_parts.append(_moved(found[1], 0, start))
            continue
        # a point's neighbours on the other surface need that surface one layer beyond the slab, and that
        # surface its own neighbourhood: the slab is read with two layers (surfel: corners) on each side
        # where the box has them, and keeps the points of its own layers
        if surfel:
            # corners [first, last) lie between voxels first - 1 .. last - 1; zero voxels beyond the box's edge
            first, last = max(start - 2, 0), min(stop + 2, extent)
            low, high = max(first - 1, 0), min(last, n)
            gt, pred = _take(gt_box, axis, low, high) == label, _take(pred_box, axis, low, high) == label
            own_voxels = (start - low, min(stop, n) - low)
            padding = [(0, 0)] + [(1, 1)] * (gt.ndim - 1)
            padding[axis] = (int(first == 0), int(last == n + 1))
            found = surfel_points(neighbourhood_codes(gt, padding), neighbourhood_codes(pred, padding), sizes, axes)
        else:
            first, last = max(start - 2, 0), min(stop + 2, n)
            gt, pred = _take(gt_box, axis, first, last) == label, _take(pred_box, axis, first, last) == label
            own_voxels = (start - first, stop - first)
            found = border_points(gt, pred, axes)
        counts.add(_take(gt, axis, *own_voxels), _take(pred, axis, *own_voxels), axis, start)
        own = (start - first, stop - first)
        gt_parts.append(_moved(_inside(found[0], axis, *own), axis, first))
        pred_parts.append(_moved(_inside(found[1], axis, *own), axis, first))
    return LabelSurfaces(
        gt=concatenate_points(gt_parts),
        pred=concatenate_points(pred_parts),
        gt_voxels=counts.gt,
        pred_voxels=counts.pred,
        overlap=counts.both,
    )


def _inside(points: SurfacePoints, axis: int, start: int, stop: int) -> SurfacePoints:
    """The points whose index along ``axis`` (a plane axis) lies in [start, stop)."""
    position = points.index[:, axis - 1]
    keep = (position >= start) & (position < stop)
    return SurfacePoints(
        groups=points.groups[keep],
        index=points.index[keep],
        weights=None if points.weights is None else points.weights[keep],
        outside_other=points.outside_other[keep],
        on_other=points.on_other[keep],
        beside_other=None if points.beside_other is None else points.beside_other[keep],
    )
