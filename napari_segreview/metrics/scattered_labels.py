"""Border points of every label gathered in one pass over each map, for maps whose labels are scattered.

A label with stray voxels all over the volume (a noisy prediction) has a box as large as the volume, so
evaluating each label on its box costs labels x volume again. Here one pass over each map, slab by slab, finds
every border voxel of every label at once (a voxel whose face neighbour holds another value, or that lies on the
array's edge), keeps it as one 64-bit key (label, flat index) and sorts the keys: each label's border points
are then a run of the keys, in the raster order a pass over its own mask would give. The relations to the other
map (inside it, on its border, one step from its border) are looked up per label among those points. The points,
and therefore the rows, are those of :mod:`.label_surfaces` (border and pooled conventions, whole volumes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .label_surfaces import LabelSurfaces
from .surfaces import SurfacePoints

INDEX_BITS = 40  # flat index below 2**40 voxels; the label above it (labels below 2**24)
LARGEST_LABEL = (1 << (64 - INDEX_BITS)) - 1
SLAB_VOXELS = 1 << 22  # voxels per slab of the pass: its temporaries stay a few tens of MiB


def _added(counts: np.ndarray, more: np.ndarray) -> np.ndarray:
    """Two bincounts added (of any lengths)."""
    if len(more) > len(counts):
        counts, more = more.astype(np.int64), counts
    counts[: len(more)] += more
    return counts


def _border_keys(label_map: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted keys (label << INDEX_BITS | flat index) of every label's border voxels, and the voxel count of
    every value (bincount)."""
    n = label_map.shape[0]
    plane = label_map[0].size
    thickness = max(1, SLAB_VOXELS // max(1, plane))
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
        own_border = border[start - low : stop - low] & (own != 0)
        flat = np.flatnonzero(own_border)
        values = own.reshape(-1)[flat].astype(np.uint64)
        parts.append((values << np.uint64(INDEX_BITS)) | (flat.astype(np.uint64) + np.uint64(start * plane)))
        counts = _added(counts, np.bincount(own.reshape(-1).astype(np.intp, copy=False)))
    keys = np.empty(sum(len(part) for part in parts), np.uint64)
    at = 0
    while parts:  # copied one slab at a time, so the parts and the whole never both stay
        part = parts.pop(0)
        keys[at : at + len(part)] = part
        at += len(part)
    keys.sort()
    return keys, counts


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
    gt_keys: np.ndarray
    pred_keys: np.ndarray
    gt_counts: np.ndarray
    pred_counts: np.ndarray
    overlap: np.ndarray
    axes: tuple[int, ...]

    def _run(self, keys: np.ndarray, label: int) -> np.ndarray:
        bounds = np.array([label, label + 1], np.uint64) << np.uint64(INDEX_BITS)
        low, high = np.searchsorted(keys, bounds)
        return (keys[low:high] & np.uint64((1 << INDEX_BITS) - 1)).astype(np.int64)

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
        gt_run, pred_run = self._run(self.gt_keys, label), self._run(self.pred_keys, label)
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
    if gt.dtype == bool:
        gt, pred = gt.view(np.uint8), pred.view(np.uint8)
    gt_keys, gt_counts = _border_keys(gt)
    pred_keys, pred_counts = _border_keys(pred)
    return ScatteredBorders(gt, pred, gt_keys, pred_keys, gt_counts, pred_counts, _overlap_counts(gt, pred), axes)
