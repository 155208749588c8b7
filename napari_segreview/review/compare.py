"""Whether, and along which slices, two label arrays differ: compared slab by slab, so a comparison never holds
a full-volume bool array (34 MiB for a 400x300x300 map) on top of the review's own memory."""

from __future__ import annotations

import numpy as np

SLAB_VOXELS = 1 << 20


def _slabs(shape: tuple[int, ...]):
    """Slices along axis 0 of about ``SLAB_VOXELS`` voxels each (at least one plane)."""
    plane = int(np.prod(shape[1:], dtype=np.int64)) or 1
    step = max(1, SLAB_VOXELS // plane)
    for start in range(0, shape[0], step):
        yield slice(start, min(start + step, shape[0]))


def arrays_differ(a, b) -> bool:
    """True when the arrays differ in shape or in any element; stops at the first slab that differs."""
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return True
    if a.ndim == 0:
        return bool(a != b)
    return any(not np.array_equal(a[part], b[part]) for part in _slabs(a.shape))


def changed_slices(before: np.ndarray, after: np.ndarray, axis: int) -> np.ndarray:
    """Indices along ``axis`` where two label arrays differ (any voxel); every index when the shapes differ."""
    if before.shape != after.shape:
        return np.arange(after.shape[axis] if after.ndim == 3 else 1)
    if after.ndim == 2:
        return np.array([0]) if arrays_differ(before, after) else np.array([], dtype=int)
    changed = np.zeros(after.shape[axis], bool)
    for part in _slabs(after.shape):
        differs = before[part] != after[part]
        if axis == 0:
            changed[part] = differs.any(axis=(1, 2))
        else:
            changed |= differs.any(axis=tuple(a for a in range(3) if a != axis))
    return np.flatnonzero(changed)
