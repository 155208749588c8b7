"""Distances from each surface point of one mask to the nearest surface point of the other, per group."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.spatial import cKDTree

from .surfaces import SurfacePoints, bounding_box, surface_points

PARALLEL_QUERY_POINTS = 4_000
# larger leaves than scipy's 16: 10-25% faster build and query on surface point clouds (same nearest points)
LEAF_SIZE = 64


def _physical(groups: np.ndarray, index: np.ndarray, plane_spacing: np.ndarray, group_gap: float) -> np.ndarray:
    """Point coordinates in physical units, with the group index as an extra axis spaced ``group_gap`` apart."""
    coordinates = np.empty((len(groups), 1 + index.shape[1]))
    coordinates[:, 0] = groups * group_gap
    coordinates[:, 1:] = index * plane_spacing
    return coordinates


def _step_distances(index: np.ndarray, bits: np.ndarray, plane_spacing: np.ndarray) -> np.ndarray:
    """The distance to the nearest of the one-step neighbours that ``bits`` names (see
    ``SurfacePoints.beside_other``), computed as the KD-tree computes a distance: from the points' physical
    coordinates (index times spacing), a single non-zero difference, so the very same number."""
    nearest = np.full(len(index), np.inf)
    for axis in range(index.shape[1]):
        if not np.any(bits & np.uint8(3 << (2 * axis))):
            continue
        here = index[:, axis] * plane_spacing[axis]
        for bit, step in ((2 * axis, -1), (2 * axis + 1, 1)):
            length = np.abs((index[:, axis] + step) * plane_spacing[axis] - here)
            np.minimum(nearest, np.where((bits & np.uint8(1 << bit)) != 0, length, np.inf), out=nearest)
    return nearest


def nearest_distances(
    source: SurfacePoints, target: SurfacePoints, plane_spacing: np.ndarray, plane_shape: tuple[int, ...]
) -> np.ndarray:
    """Distance from every source point to the nearest target point of the same group (physical units).

    One KD-tree serves every group: groups are laid out ``group_gap`` apart on an extra axis, further than any
    two points of one plane can be, so the nearest point found is always in the source's own group. Points of
    groups without target points get inf (callers apply the empty-mask policy to those groups) and points on
    the target surface itself get 0, both without a query; so do points one shortest grid step from a target
    point (``source.beside_other``): no other target point can be nearer.
    """
    distances = np.zeros(len(source.groups))
    n_groups = int(max(source.groups.max(initial=-1), target.groups.max(initial=-1))) + 1
    group_has_target = np.bincount(target.groups, minlength=n_groups) > 0
    reachable = group_has_target[source.groups]
    distances[~reachable] = np.inf
    query = reachable & ~source.on_other
    if source.beside_other is not None:
        beside = query & (source.beside_other != 0)
        distances[beside] = _step_distances(source.index[beside], source.beside_other[beside], plane_spacing)
        query &= ~beside
    if query.any():
        group_gap = 2.0 * float(np.linalg.norm(np.asarray(plane_shape) * plane_spacing)) + 1.0
        tree = cKDTree(
            _physical(target.groups, target.index, plane_spacing, group_gap),
            leafsize=LEAF_SIZE,
            balanced_tree=False,
            compact_nodes=False,
        )
        points = _physical(source.groups[query], source.index[query], plane_spacing, group_gap)
        # threads pay off only for many points: starting them costs more than a small label's whole query
        workers = -1 if len(points) >= PARALLEL_QUERY_POINTS else 1
        distances[query] = tree.query(points, k=1, workers=workers)[0]
    return distances


@dataclass(frozen=True)
class SurfaceDistances:
    """The surface distances of one label over a stack of groups: everything every distance metric needs.

    gt, pred:    surface points, with group and plane indices in the coordinates of the full stack
    gt_to_pred:  distance of each GT point to the prediction surface of its group (physical units)
    pred_to_gt:  distance of each prediction point to the GT surface of its group
    """

    gt: SurfacePoints
    pred: SurfacePoints
    gt_to_pred: np.ndarray
    pred_to_gt: np.ndarray

    @property
    def gt_signed(self) -> np.ndarray:
        """GT-point distances, positive where the prediction reaches beyond the GT there (over-segmentation)."""
        return np.where(self.gt.outside_other, -self.gt_to_pred, self.gt_to_pred)

    @property
    def pred_signed(self) -> np.ndarray:
        """Prediction-point distances, positive where the point lies outside the GT (over-segmentation)."""
        return np.where(self.pred.outside_other, self.pred_to_gt, -self.pred_to_gt)


def stack_index_dtype(extent: int) -> np.dtype:
    """The smallest signed integer type that holds every position below ``extent``. A review keeps every
    label's points: int16 group and plane indices take 6 bytes a point of a 2D plane instead of int64's 24
    (19 MiB less for issue 12's 104-label CT review)."""
    for dtype in (np.int16, np.int32):
        if extent <= np.iinfo(dtype).max:
            return np.dtype(dtype)
    return np.dtype(np.int64)


def _shifted(points: SurfacePoints, offset: np.ndarray, box_shape: tuple[int, ...]) -> SurfacePoints:
    dtype = stack_index_dtype(int(np.max(offset + np.asarray(box_shape))))
    return replace(
        points,
        groups=points.groups.astype(dtype) + dtype.type(offset[0]),
        index=points.index.astype(dtype) + offset[1:].astype(dtype),
    )


def box_distances(
    gt: SurfacePoints, pred: SurfacePoints, offset: np.ndarray, box_shape: tuple[int, ...], plane_spacing: np.ndarray
) -> SurfaceDistances:
    """Surface distances of points found inside a box of shape ``box_shape`` (groups, *plane) whose first voxel
    is at ``offset`` of the stack: distances are computed in box coordinates, points are returned in the
    stack's."""
    plane_shape = tuple(box_shape[1:])
    return SurfaceDistances(
        gt=_shifted(gt, offset, box_shape),
        pred=_shifted(pred, offset, box_shape),
        gt_to_pred=nearest_distances(gt, pred, plane_spacing, plane_shape),
        pred_to_gt=nearest_distances(pred, gt, plane_spacing, plane_shape),
    )


def stack_surface_distances(
    gt: np.ndarray, pred: np.ndarray, plane_spacing: np.ndarray, convention: str
) -> SurfaceDistances:
    """Surface distances of two bool stacks (groups, *plane), computed inside the box holding both masks.

    Cropping to that box changes no surface point: outside it both masks are empty, as they are outside the
    array, and the grid of the surfel convention is padded by one corner on each side.
    """
    # with both masks empty, a one-voxel box gives empty surfaces through the same code path
    box = bounding_box(gt | pred) or tuple(slice(0, 1) for _ in gt.shape)
    offset = np.array([s.start for s in box])
    gt_points, pred_points = surface_points(gt[box], pred[box], convention, plane_spacing)
    return box_distances(gt_points, pred_points, offset, tuple(s.stop - s.start for s in box), plane_spacing)
