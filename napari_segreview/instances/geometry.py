"""Where each instance lies: its box (from one pass over the map) and its centre of mass."""

from __future__ import annotations

import numpy as np

from ..metrics.boxes import Box, label_boxes


def instance_boxes(instances: np.ndarray) -> dict[int, Box]:
    """``{id: box}`` of every non-zero id (array index slices, stop exclusive), one pass over the map."""
    return label_boxes(instances)


def centre_of_mass(instances: np.ndarray, ids, box: Box) -> tuple[float, ...]:
    """Mean array index of the voxels of ``ids`` (one id or several) inside ``box``, which holds them all."""
    region = instances[box]
    inside = np.isin(region, np.atleast_1d(ids)) if np.ndim(ids) else region == ids
    positions = np.nonzero(inside)
    return tuple(float(axis.mean()) + s.start for axis, s in zip(positions, box, strict=True))
