"""Per-group order statistics of surface distances: the percentiles behind HD and HD95 in each convention.

Distances are sorted once per group (slice, or the whole volume as one group); every percentile is then a
lookup. Groups without distances give NaN here; ``rows`` applies the empty-mask policy to them.
"""

from __future__ import annotations

import numpy as np


class GroupedDistances:
    """Distances with the group of each, sorted by (group, distance, weight)."""

    def __init__(self, groups: np.ndarray, distances: np.ndarray, n_groups: int, weights: np.ndarray | None = None):
        # one group: the group key sorts nothing (the order of the other keys is the same without it)
        keys = (() if weights is None else (weights,)) + (distances,) + (() if n_groups == 1 else (groups,))
        order = np.argsort(distances, kind="stable") if len(keys) == 1 else np.lexsort(keys)
        self.distances = distances[order]
        self.weights = None if weights is None else weights[order]
        self.counts = np.bincount(groups, minlength=n_groups)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]]).astype(np.int64)
        self.n_groups = n_groups

    def linear_percentile(self, q: float) -> np.ndarray:
        """``np.percentile(distances_of_group, q)`` (linear interpolation) for every group at once."""
        result = np.full(self.n_groups, np.nan)
        has = self.counts > 0
        counts = self.counts[has]
        position = (q / 100.0) * (counts - 1)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, counts - 1)
        fraction = position - below
        low = self.distances[self.starts[has] + below]
        high = self.distances[self.starts[has] + above]
        # numpy's lerp, from the nearer end, so q = 100 gives the maximum exactly; groups whose other surface is
        # missing hold inf (inf - inf warns) and are overwritten by the empty-mask policy
        with np.errstate(invalid="ignore"):
            step = high - low
            result[has] = np.where(fraction < 0.5, low + step * fraction, high - step * (1 - fraction))
        return result

    def weighted_percentile(self, q: float) -> np.ndarray:
        """DeepMind's robust Hausdorff per group: the first distance whose cumulative surfel size reaches q%.

        The cumulative sizes are normalised per group in (distance, size) order, as
        ``surface_distance.compute_robust_hausdorff`` does, so ties and boundaries resolve the same way.
        """
        result = np.full(self.n_groups, np.nan)
        for group in np.flatnonzero(self.counts):
            part = slice(self.starts[group], self.starts[group] + self.counts[group])
            cumulative = np.cumsum(self.weights[part]) / np.sum(self.weights[part])
            index = min(int(np.searchsorted(cumulative, q / 100.0)), self.counts[group] - 1)
            result[group] = self.distances[part][index]
        return result
