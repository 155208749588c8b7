"""Border points of every label gathered in one pass over each map, for maps whose labels are scattered.

A label with stray voxels all over the volume (a noisy prediction) has a box as large as the volume, so
evaluating each label on its box costs labels x volume again. Here one pass over each map, slab by slab, finds
every border voxel of every label at once (a voxel whose face neighbour holds another value, or that lies on the
array's edge) and keeps it as a 32-bit index in its slab, grouped by label: each label's border points are its
groups of all slabs, in the raster order a pass over its own mask would give. The relations to the other
map (inside it, on its border, one step from its border) are looked up per label among those points. The points,
and therefore the rows, are those of :mod:`.label_surfaces` (border and pooled conventions, whole volumes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .label_surfaces import LabelSurfaces
from .surfaces import SurfacePoints

LARGEST_LABEL = (1 << 24) - 1
SLAB_VOXELS = 1 << 22  # voxels per slab of the pass: its temporaries stay a few tens of MiB


def _added(counts: np.ndarray, more: np.ndarray) -> np.ndarray:
    """Two bincounts added (of any lengths)."""
    if len(more) > len(counts):
        counts, more = more.astype(np.int64), counts
    counts[: len(more)] += more
    return counts


@dataclass(frozen=True)
class _SlabBorders:
    """The border voxels of one slab: flat indices relative to the slab's first voxel (4 bytes each), grouped
    by label in ascending order, each group in raster order."""

    offset: int
    flat: np.ndarray
    labels: np.ndarray  # the labels present, ascending
    starts: np.ndarray  # where each label's group starts in ``flat``, and its end

    def run(self, label: int) -> np.ndarray | None:
        at = int(np.searchsorted(self.labels, label))
        if at == len(self.labels) or self.labels[at] != label:
            return None
        return self.flat[self.starts[at] : self.starts[at + 1]].astype(np.int64) + self.offset


def _slab_borders(label_map: np.ndarray) -> tuple[list[_SlabBorders], np.ndarray]:
    """Every label's border voxels (a voxel whose face neighbour holds another value, or on the array's edge),
    slab by slab, and the voxel count of every value (bincount)."""
    n = label_map.shape[0]
    plane = label_map[0].size
    thickness = max(1, SLAB_VOXELS // max(1, plane))
    index_type = np.uint32 if thickness * plane <= 1 << 32 else np.uint64
    parts, counts = [], np.zeros(1, np.int64)
    for start in range(0, n, thickness):
        stop = min(start + thickness, n)
        low, high = max(start - 1, 0), min(stop + 1, n)
        chunk = label_map[low:high]
        border = np.zeros(chunk.shape, bool)
        for axis in range(chunk.ndim):
            lower = [slice(None)] * chunk.ndim
            upper = [slice(None)] * chunk.ndim
            lower[axis], upper[axis] = slice(0, -1), slice(1, None)
            differ = chunk[tuple(lower)] != chunk[tuple(upper)]
            border[tuple(lower)] |= differ
            border[tuple(upper)] |= differ
            if axis > 0 or low == 0:  # the array's edge (along axis 0 only where the chunk meets it)
                edge = [slice(None)] * chunk.ndim
                edge[axis] = 0
                border[tuple(edge)] = True
            if axis > 0 or high == n:
                edge = [slice(None)] * chunk.ndim
                edge[axis] = -1
                border[tuple(edge)] = True
        own = chunk[start - low : stop - low]
        flat = np.flatnonzero(border[start - low : stop - low] & (own != 0))
        values = own.reshape(-1)[flat]
        order = np.argsort(values, kind="stable")  # by label, raster order kept within each
        values = values[order]
        labels, first = np.unique(values, return_index=True)
        parts.append(_SlabBorders(start * plane, flat[order].astype(index_type), labels, np.append(first, len(values))))
        counts = _added(counts, np.bincount(own.reshape(-1).astype(np.intp, copy=False)))
    return parts, counts


def _overlap_counts(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Per value, the voxels where both maps hold it."""
    counts = np.zeros(1, np.int64)
    thickness = max(1, SLAB_VOXELS // max(1, gt[0].size))
    for start in range(0, gt.shape[0], thickness):
        a, b = gt[start : start + thickness], pred[start : start + thickness]
        counts = _added(counts, np.bincount(a[a == b].astype(np.intp, copy=False)))
    return counts


def _count(counts: np.ndarray, label: int) -> int:
    return int(counts[label]) if label < len(counts) else 0


@dataclass
class ScatteredBorders:
    """Every label's border points in both maps (built by :func:`scattered_borders`)."""

    gt: np.ndarray
    pred: np.ndarray
    gt_slabs: list[_SlabBorders]
    pred_slabs: list[_SlabBorders]
    gt_counts: np.ndarray
    pred_counts: np.ndarray
    overlap: np.ndarray
    axes: tuple[int, ...]

    @staticmethod
    def _run(slabs: list[_SlabBorders], label: int) -> np.ndarray:
        runs = [run for run in (slab.run(label) for slab in slabs) if run is not None]
        return np.concatenate(runs) if runs else np.zeros(0, np.int64)

    def _points(self, own: np.ndarray, other: np.ndarray, other_map: np.ndarray, label: int, offset) -> SurfacePoints:
        shape = self.gt.shape
        position = np.stack(np.unravel_index(own, shape), axis=1)

        def member(flat: np.ndarray) -> np.ndarray:
            at = np.minimum(np.searchsorted(other, flat), max(len(other) - 1, 0))
            return other[at] == flat if len(other) else np.zeros(len(flat), bool)

        beside = np.zeros(len(own), np.uint8)
        strides = np.cumprod((1, *shape[:0:-1]))[::-1]
        for axis in self.axes:
            for bit, step in ((2 * axis, -1), (2 * axis + 1, 1)):
                inside = (position[:, axis] + step >= 0) & (position[:, axis] + step < shape[axis])
                found = np.zeros(len(own), bool)
                found[inside] = member(own[inside] + step * int(strides[axis]))
                beside |= found.view(np.uint8) << np.uint8(bit)
        return SurfacePoints(
            groups=np.zeros(len(own), np.intp),
            index=position - offset,
            weights=None,
            outside_other=other_map.reshape(-1)[own] != label,
            on_other=member(own),
            beside_other=beside,
        )

    def label_surfaces(self, label: int) -> tuple[LabelSurfaces, np.ndarray, tuple[int, ...]] | None:
        """The label's surfaces in the box of both maps, with that box's first voxel and shape (stack
        coordinates: the volume is group 0); None when the label is in neither map."""
        gt_run, pred_run = self._run(self.gt_slabs, label), self._run(self.pred_slabs, label)
        if not len(gt_run) and not len(pred_run):
            return None
        # a mask's extreme voxels are border voxels: the points span the label's box in both maps
        positions = np.stack(np.unravel_index(np.concatenate([gt_run, pred_run]), self.gt.shape), axis=1)
        first, last = positions.min(axis=0), positions.max(axis=0)
        found = LabelSurfaces(
            gt=self._points(gt_run, pred_run, self.pred, label, first),
            pred=self._points(pred_run, gt_run, self.gt, label, first),
            gt_voxels=np.array([_count(self.gt_counts, label)]),
            pred_voxels=np.array([_count(self.pred_counts, label)]),
            overlap=np.array([_count(self.overlap, label)]),
        )
        return found, np.array([0, *first]), (1, *(last - first + 1))


def scattered_borders(gt: np.ndarray, pred: np.ndarray, axes: tuple[int, ...]) -> ScatteredBorders:
    """One pass over each map (integer maps of one shape, labels up to ``LARGEST_LABEL``); ``axes`` as in
    ``surfaces.nearest_axes`` of the volume's spacing."""
    gt, pred = (array.view(np.uint8) if array.dtype == bool else array for array in (gt, pred))
    gt_slabs, gt_counts = _slab_borders(gt)
    pred_slabs, pred_counts = _slab_borders(pred)
    return ScatteredBorders(gt, pred, gt_slabs, pred_slabs, gt_counts, pred_counts, _overlap_counts(gt, pred), axes)
