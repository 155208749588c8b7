"""Surface points of a mask stack, in the border (voxel) or surfel (grid corner) convention.

Everything works on a stack of shape (groups, *plane): a whole volume is one group whose plane is the volume,
per-slice work is one group per slice with a 2D plane. Neighbourhoods never reach across groups, so all slices
of a volume are handled in one pass of whole-array operations.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from .surfel_tables import surfel_areas_3d, surfel_lengths_2d


@dataclass(frozen=True)
class SurfacePoints:
    """Surface points of one mask stack.

    groups:   (n,) group (slice) index of each point
    index:    (n, plane ndim) integer grid position within the plane (voxel index for border points, corner
              index for surfels: corner k lies between voxels k-1 and k)
    weights:  (n,) surfel size (length in 2D, area in 3D, physical units), or None for border points
    outside_other: (n,) True where the point lies outside the other mask (for signed distances)
    on_other: (n,) True where the other mask has a surface point at the same grid position (distance 0)
    beside_other: (n,) uint8 bits, or None when not computed: bit ``2a`` (``2a + 1``) set where the other mask
              has a surface point one step below (above) along plane axis ``a``, one of the
              :func:`nearest_axes`; the distance of such a point is that step, found without a search
    """

    groups: np.ndarray
    index: np.ndarray
    weights: np.ndarray | None
    outside_other: np.ndarray
    on_other: np.ndarray
    beside_other: np.ndarray | None = None

    @property
    def voxel_coordinates(self) -> np.ndarray:
        """Positions in voxel index units of the plane (surfel corners sit at half-voxel positions)."""
        return self.index.astype(float) - (0.0 if self.weights is None else 0.5)


# Spacings this close (relative) to the smallest count as equal to it; a spacing between this and
# SEPARATED_SPACING above the smallest is too close to tell which step is nearer in floating point.
EQUAL_SPACING = 1e-9
SEPARATED_SPACING = 1e-6


def nearest_axes(plane_spacing) -> tuple[int, ...]:
    """The plane axes along which one grid step is the shortest distance between two grid points.

    Every other grid point lies at least ``SEPARATED_SPACING`` (relative) further, far beyond rounding, so a
    point with a surface point of the other mask one such step away has its nearest distance there. Empty when
    some spacing is too close to the smallest to decide (then every distance is searched).
    """
    spacing = np.asarray(plane_spacing, dtype=float)
    ratio = spacing / spacing.min()
    if np.any((ratio > 1 + EQUAL_SPACING) & (ratio <= 1 + SEPARATED_SPACING)):
        return ()
    return tuple(int(axis) for axis in np.flatnonzero(ratio <= 1 + EQUAL_SPACING))


def beside_codes(other_surface: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """Per grid position of a stack (groups, *plane), the :attr:`SurfacePoints.beside_other` bits: where
    ``other_surface`` holds a point one step below or above along each plane axis in ``axes``."""
    codes = np.zeros(other_surface.shape, np.uint8)
    for axis in axes:
        lower = [slice(None)] * other_surface.ndim
        upper = [slice(None)] * other_surface.ndim
        lower[axis + 1], upper[axis + 1] = slice(0, -1), slice(1, None)
        codes[tuple(upper)] |= other_surface[tuple(lower)].view(np.uint8) << np.uint8(2 * axis)
        codes[tuple(lower)] |= other_surface[tuple(upper)].view(np.uint8) << np.uint8(2 * axis + 1)
    return codes


def border_voxels(stack: np.ndarray) -> np.ndarray:
    """Mask voxels with at least one face neighbour (within the plane) outside the mask or the array.

    The same set as ``mask ^ scipy.ndimage.binary_erosion(mask)`` with face connectivity; written with shifted
    slices because that is several times faster than a general erosion on large volumes.
    """
    interior = stack.copy()
    for axis in range(1, stack.ndim):
        lower = [slice(None)] * stack.ndim
        upper = [slice(None)] * stack.ndim
        lower[axis], upper[axis] = slice(0, -1), slice(1, None)
        interior[tuple(lower)] &= stack[tuple(upper)]  # neighbour at +1
        interior[tuple(upper)] &= stack[tuple(lower)]  # neighbour at -1
        edge_first, edge_last = list(lower), list(upper)
        edge_first[axis], edge_last[axis] = 0, -1
        interior[tuple(edge_first)] = False
        interior[tuple(edge_last)] = False
    return stack & ~interior


def neighbourhood_codes(stack: np.ndarray, padding: list[tuple[int, int]] | None = None) -> np.ndarray:
    """Configuration code of every 2x2(x2) cell of the plane, over the zero-padded grid of voxel corners.

    ``padding`` (one (before, after) pair per axis, groups first) replaces the default one zero voxel on each
    side of every plane axis: a slab of a larger stack pads only where the slab meets the stack's edge.
    """
    plane_ndim = stack.ndim - 1
    padding = padding or [(0, 0)] + [(1, 1)] * plane_ndim
    codes = np.pad(stack, padding).view(np.uint8)
    # the voxel at offset (a, b, c) of a cell has bit 7 - (4a + 2b + c) (surfel_tables.CODE_WEIGHTS_3D; 2D
    # likewise): pairing neighbours along the last axis, then the pairs along the one before, ... builds the
    # same codes in one step per axis instead of one per cell voxel
    for shift, axis in enumerate(range(stack.ndim - 1, 0, -1)):
        lower = [slice(None)] * stack.ndim
        upper = [slice(None)] * stack.ndim
        lower[axis], upper[axis] = slice(0, -1), slice(1, None)
        codes = (codes[tuple(lower)] << np.uint8(1 << shift)) | codes[tuple(upper)]
    return codes


def _points(
    surface: np.ndarray, other_inside: np.ndarray, other_surface: np.ndarray, weights, axes: tuple[int, ...] | None
) -> SurfacePoints:
    position = np.nonzero(surface)
    return SurfacePoints(
        groups=position[0],
        index=np.stack(position[1:], axis=1),
        weights=weights,
        outside_other=~other_inside[position],
        on_other=other_surface[position],
        beside_other=None if axes is None else beside_codes(other_surface, axes)[position],
    )


def surfel_points(
    gt_codes: np.ndarray, pred_codes: np.ndarray, sizes: np.ndarray, axes: tuple[int, ...] | None = None
) -> tuple[SurfacePoints, ...]:
    """Surfels of ``gt`` and of ``pred`` from their cell codes (see :func:`neighbourhood_codes`); ``sizes`` is
    the surfel size of each code (:func:`surfel_sizes`). With ``axes`` (:func:`nearest_axes`) the points
    record which neighbours along those axes are on the other surface."""
    full = 2 ** (2 ** (gt_codes.ndim - 1)) - 1
    gt_surface = (gt_codes != 0) & (gt_codes != full)
    pred_surface = (pred_codes != 0) & (pred_codes != full)
    # a surfel off the other surface has a cell entirely inside or entirely outside the other mask
    gt_points = _points(gt_surface, pred_codes == full, pred_surface, sizes[gt_codes[gt_surface]], axes)
    pred_points = _points(pred_surface, gt_codes == full, gt_surface, sizes[pred_codes[pred_surface]], axes)
    return gt_points, pred_points


def border_points(gt: np.ndarray, pred: np.ndarray, axes: tuple[int, ...] | None = None) -> tuple[SurfacePoints, ...]:
    """Border voxels of ``gt`` and of ``pred`` (bool stacks of one shape); ``axes`` as in :func:`surfel_points`."""
    gt_surface, pred_surface = border_voxels(gt), border_voxels(pred)
    return _points(gt_surface, pred, pred_surface, None, axes), _points(pred_surface, gt, gt_surface, None, axes)


def surfel_sizes(plane_spacing) -> np.ndarray:
    """Surfel size (area in 3D, length in 2D, physical units) of every cell code of a plane with this spacing."""
    return surfel_areas_3d(plane_spacing) if len(plane_spacing) == 3 else surfel_lengths_2d(plane_spacing)


def surface_points(gt: np.ndarray, pred: np.ndarray, convention: str, plane_spacing) -> tuple[SurfacePoints, ...]:
    """Surface points of ``gt`` and of ``pred`` (bool stacks of one shape) in the given convention."""
    if convention == "surfel":
        return surfel_points(neighbourhood_codes(gt), neighbourhood_codes(pred), surfel_sizes(plane_spacing))
    return border_points(gt, pred)


def concatenate_points(parts: list[SurfacePoints]) -> SurfacePoints:
    """The points of consecutive slabs as one set, in the order given."""
    return SurfacePoints(
        groups=np.concatenate([p.groups for p in parts]),
        index=np.concatenate([p.index for p in parts]),
        weights=None if parts[0].weights is None else np.concatenate([p.weights for p in parts]),
        outside_other=np.concatenate([p.outside_other for p in parts]),
        on_other=np.concatenate([p.on_other for p in parts]),
        beside_other=None if parts[0].beside_other is None else np.concatenate([p.beside_other for p in parts]),
    )


def bounding_box(mask: np.ndarray) -> tuple[slice, ...] | None:
    """Smallest box holding every True voxel, or None when there is none."""
    found = ndimage.find_objects(mask.astype(np.uint8))
    return found[0] if found else None
