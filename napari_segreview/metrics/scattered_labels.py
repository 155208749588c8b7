"""Border points of every label gathered by passes over each map, for maps whose labels are scattered.

A label with stray voxels all over the volume (a noisy prediction) has a box as large as the volume, so
evaluating each label on its box costs labels x volume again. Here passes over each map, slab by slab, find the
border voxels of many labels at once (a voxel whose face neighbour holds another value, or that lies on the
array's edge). A first pass counts every label's voxels, overlap and border voxels; the labels are then split into
ranges whose border points in both maps fit a memory budget (a fraction of the maps' size), and each range's
points are gathered, one pass over each map, when the first of its labels is evaluated: each point a 32-bit index
in its slab, grouped by label, so a label's border points are its groups of all slabs, in the raster order a pass
over its own mask would give. The relations to the other map (inside it, on its border, one step from its border)
are looked up per label among those points. The points, and therefore the rows, are those of
:mod:`.label_surfaces` (border and pooled conventions, whole volumes).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from .label_surfaces import LabelSurfaces
from .surfaces import SurfacePoints

LARGEST_LABEL = (1 << 24) - 1
SLAB_VOXELS = 1 << 22  # voxels per slab of a pass: its temporaries stay a few tens of MiB
COUNTED_VOXELS = 1 << 20  # values counted at once (bincount copies them to 8-byte integers)
# The border points kept at once weigh at most this share of the two maps' bytes, or SMALLEST_BUDGET bytes
# (below which memory does not matter); each further range of labels costs one more pass over each map.
KEPT_SHARE_OF_INPUTS = 1 / 8
SMALLEST_BUDGET = 1 << 24


def _added(counts: np.ndarray, more: np.ndarray) -> np.ndarray:
    """Two bincounts added (of any lengths)."""
    if len(more) > len(counts):
        counts, more = more.astype(np.int64), counts
    counts[: len(more)] += more
    return counts


def _bincount(values: np.ndarray) -> np.ndarray:
    """The bincount of non-negative integers, a piece at a time."""
    flat = values.reshape(-1)
    counts = np.zeros(1, np.int64)
    for start in range(0, flat.size, COUNTED_VOXELS):
        counts = _added(counts, np.bincount(flat[start : start + COUNTED_VOXELS].astype(np.intp, copy=False)))
    return counts


def _slabs(label_map: np.ndarray) -> Iterator[tuple[int, int]]:
    """(first, last + 1) layer along axis 0 of each slab of a pass."""
    thickness = max(1, SLAB_VOXELS // max(1, label_map[0].size))
    for start in range(0, label_map.shape[0], thickness):
        yield start, min(start + thickness, label_map.shape[0])


def _slab_border(label_map: np.ndarray, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """The slab ``label_map[start:stop]`` and the flat indices in it of its labels' border voxels (non-zero
    voxels whose face neighbour holds another value, or on the array's edge), in raster order."""
    n = label_map.shape[0]
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
    return own, np.flatnonzero(border[start - low : stop - low] & (own != 0))


@dataclass(frozen=True)
class _Census:
    """Per value (bincounts, of any lengths): the voxels of each map, where both hold it, each map's border
    voxels."""

    gt_voxels: np.ndarray
    pred_voxels: np.ndarray
    overlap: np.ndarray
    gt_border: np.ndarray
    pred_border: np.ndarray

    @staticmethod
    def of(gt: np.ndarray, pred: np.ndarray) -> _Census:
        """One pass over both maps."""
        counts = {
            name: np.zeros(1, np.int64) for name in ("gt_voxels", "pred_voxels", "overlap", "gt_border", "pred_border")
        }
        for start, stop in _slabs(gt):
            for name, label_map in (("gt", gt), ("pred", pred)):
                own, border = _slab_border(label_map, start, stop)
                counts[f"{name}_voxels"] = _added(counts[f"{name}_voxels"], _bincount(own))
                counts[f"{name}_border"] = _added(counts[f"{name}_border"], _bincount(own.reshape(-1)[border]))
            a, b = gt[start:stop], pred[start:stop]
            counts["overlap"] = _added(counts["overlap"], _bincount(a[a == b]))
        return _Census(**counts)


def _count(counts: np.ndarray, label: int) -> int:
    return int(counts[label]) if label < len(counts) else 0


def label_ranges(points: np.ndarray, budget: int) -> list[int]:
    """Bounds ``b`` of the label ranges ``[b[i], b[i + 1])`` from label 1 to the last value of ``points`` (the
    border points of each value, 0 included) whose points add up to at most ``budget``; a range of one label may
    hold more."""
    total = np.cumsum(points)
    bounds = [1]
    while bounds[-1] < len(points):
        low = bounds[-1]
        high = int(np.searchsorted(total, total[low - 1] + budget, side="right"))
        bounds.append(max(high, low + 1))
    return bounds


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


def gathered_borders(label_map: np.ndarray, low: int, high: int) -> list[_SlabBorders]:
    """The border voxels of the labels in ``[low, high)``, slab by slab (one pass over the map)."""
    plane = label_map[0].size
    parts = []
    for start, stop in _slabs(label_map):
        own, flat = _slab_border(label_map, start, stop)
        values = own.reshape(-1)[flat]
        kept = (values >= low) & (values < high)
        flat, values = flat[kept], values[kept]
        order = np.argsort(values, kind="stable")  # by label, raster order kept within each
        values = values[order]
        labels, first = np.unique(values, return_index=True)
        index_type = np.uint32 if own.size <= 1 << 32 else np.uint64
        parts.append(_SlabBorders(start * plane, flat[order].astype(index_type), labels, np.append(first, len(values))))
    return parts


@dataclass
class ScatteredBorders:
    """Every label's border points in both maps, a range of labels at a time (built by
    :func:`scattered_borders`)."""

    gt: np.ndarray
    pred: np.ndarray
    census: _Census
    bounds: list[int]  # the label ranges (label_ranges)
    axes: tuple[int, ...]
    _range: tuple[int, int] = (0, 0)  # the labels whose points are held
    _slabs: tuple[list[_SlabBorders], list[_SlabBorders]] = field(default_factory=lambda: ([], []))

    def _runs(self, label: int) -> tuple[np.ndarray, np.ndarray]:
        """The label's border points in each map (flat indices), its range gathered if not held."""
        if not self._range[0] <= label < self._range[1]:
            at = bisect.bisect_right(self.bounds, label) - 1
            self._slabs = ([], [])  # the held range's points go before the next range's come
            self._range = (self.bounds[at], self.bounds[at + 1])
            self._slabs = (gathered_borders(self.gt, *self._range), gathered_borders(self.pred, *self._range))
        found = []
        for slabs in self._slabs:
            runs = [run for run in (slab.run(label) for slab in slabs) if run is not None]
            found.append(np.concatenate(runs) if runs else np.zeros(0, np.int64))
        return found[0], found[1]

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
        census = self.census
        if not _count(census.gt_border, label) and not _count(census.pred_border, label):
            return None
        gt_run, pred_run = self._runs(label)
        # a mask's extreme voxels are border voxels: the points span the label's box in both maps
        positions = np.stack(np.unravel_index(np.concatenate([gt_run, pred_run]), self.gt.shape), axis=1)
        first, last = positions.min(axis=0), positions.max(axis=0)
        found = LabelSurfaces(
            gt=self._points(gt_run, pred_run, self.pred, label, first),
            pred=self._points(pred_run, gt_run, self.gt, label, first),
            gt_voxels=np.array([_count(census.gt_voxels, label)]),
            pred_voxels=np.array([_count(census.pred_voxels, label)]),
            overlap=np.array([_count(census.overlap, label)]),
        )
        return found, np.array([0, *first]), (1, *(last - first + 1))


def scattered_borders(gt: np.ndarray, pred: np.ndarray, axes: tuple[int, ...]) -> ScatteredBorders:
    """The census pass over both maps (integer maps of one shape, labels up to ``LARGEST_LABEL``) and the label
    ranges that keep the points held at once within the budget; ``axes`` as in ``surfaces.nearest_axes`` of the
    volume's spacing."""
    gt, pred = (array.view(np.uint8) if array.dtype == bool else array for array in (gt, pred))
    census = _Census.of(gt, pred)
    budget = max(KEPT_SHARE_OF_INPUTS * (gt.nbytes + pred.nbytes), SMALLEST_BUDGET) // 4  # 4 bytes a point
    bounds = label_ranges(_added(census.gt_border.copy(), census.pred_border), int(budget))
    return ScatteredBorders(gt, pred, census, bounds, axes)
