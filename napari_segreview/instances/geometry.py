"""Where each instance lies: its box and its centre of mass, each from one pass over the map."""

from __future__ import annotations

import numpy as np

from ..metrics.boxes import Box, label_boxes


def instance_boxes(instances: np.ndarray) -> dict[int, Box]:
    """``{id: box}`` of every non-zero id (array index slices, stop exclusive), one pass over the map."""
    return label_boxes(instances)


def centres_of_mass(instances: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """(len(ids), ndim) mean array index of the voxels of each of ``ids`` (sorted, all present): one weighted
    bincount per axis over the object voxels, instead of a look inside every instance's box."""
    flat = instances.ravel()
    where = np.flatnonzero(flat)
    values = flat[where]
    if len(ids) and int(ids[-1]) <= 4 * flat.size + 1024:  # dense ids: a lookup table beats a binary search
        table = np.zeros(int(ids[-1]) + 1, np.int64)
        table[ids] = np.arange(len(ids))
        index = table[values]
    else:
        index = np.searchsorted(ids, values)
    counts = np.bincount(index, minlength=len(ids)).astype(float)
    coordinates = np.unravel_index(where, instances.shape)
    sums = [np.bincount(index, weights=axis, minlength=len(ids)) for axis in coordinates]
    return np.stack(sums, axis=1) / np.maximum(counts, 1)[:, None]
