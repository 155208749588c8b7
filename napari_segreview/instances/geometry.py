"""What each instance is and where it lies, from one pass over the map: ids, sizes, centres of mass, boxes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..metrics.boxes import Box, label_boxes


def instance_boxes(instances: np.ndarray) -> dict[int, Box]:
    """``{id: box}`` of every non-zero id (array index slices, stop exclusive), one pass over the map."""
    return label_boxes(instances)


def positions_in(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Index into ``ids`` (sorted) of each of ``values`` (all among ``ids``): a lookup table when the ids are
    dense enough, a binary search otherwise."""
    if len(ids) and int(ids[-1]) <= 4 * values.size + 1024:
        table = np.zeros(int(ids[-1]) + 1, np.int64)
        table[ids] = np.arange(len(ids))
        return table[values]
    return np.searchsorted(ids, values)


@dataclass(frozen=True)
class InstanceTable:
    """The objects of one instance map.

    ids:     sorted non-zero ids present (int64)
    sizes:   voxel count of each id
    centres: (len(ids), ndim) centre of mass of each id in array index coordinates
    where:   flat index of every object voxel, and ``index`` the position in ``ids`` of its value
    """

    ids: np.ndarray
    sizes: np.ndarray
    centres: np.ndarray
    where: np.ndarray
    index: np.ndarray


def instance_table(instances: np.ndarray) -> InstanceTable:
    """Ids, sizes and centres of every object: one ``flatnonzero`` and one weighted bincount per axis."""
    flat = instances.ravel()
    where = np.flatnonzero(flat)
    values = flat[where]
    largest = int(values.max(initial=0))
    if largest <= 4 * flat.size + 1024:  # dense ids: counting beats sorting
        counts = np.bincount(values, minlength=largest + 1)
        ids = np.flatnonzero(counts)
        sizes = counts[ids].astype(np.int64)
        index = positions_in(ids, values)
    else:
        ids, index, sizes = np.unique(values, return_inverse=True, return_counts=True)
    coordinates = np.unravel_index(where, instances.shape)
    sums = [np.bincount(index, weights=axis, minlength=len(ids)) for axis in coordinates]
    centres = np.stack(sums, axis=1) / np.maximum(sizes, 1)[:, None] if len(ids) else np.zeros((0, instances.ndim))
    return InstanceTable(ids.astype(np.int64), sizes.astype(np.int64), centres, where, index.ravel())
