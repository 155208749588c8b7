"""The 3D surface heatmap: the prediction's marching-cubes surface coloured by distance to the GT surface.

Each label's surface is built on its own bounding box (one ``find_objects`` pass over the prediction for every
label, :mod:`..metrics.boxes`), with a margin wide enough that the smoothing and marching cubes see exactly
what they would see on the whole array; the labels' meshes are then merged into one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage.measure import marching_cubes

from ..metrics import LabelEvaluation
from ..metrics.boxes import Box, label_boxes


@dataclass(frozen=True)
class SurfaceMesh:
    """vertices (n, 3) in voxel index units, faces (m, 3), values (n,) distance in physical units."""

    vertices: np.ndarray
    faces: np.ndarray
    values: np.ndarray


# Light smoothing of the mask before marching cubes: a binary mask's surface is a staircase whose facets
# dominate the shading; 0.8 voxel keeps every structure of a voxel or more in place. Display only: the
# distances the vertices carry are to the GT surface points the metrics used.
SMOOTHING_SIGMA = 0.8
SMOOTHING_TRUNCATE = 4.0  # scipy's default, written out because the box margin depends on it
# the mask is padded by this many zero voxels, which closes surfaces that touch the array edge
EDGE_PAD = 2
# voxels the smoothing reads on each side of a voxel
_RADIUS = int(SMOOTHING_TRUNCATE * SMOOTHING_SIGMA + 0.5)
# around a label's box: the smoothed field is 0 within _RADIUS of the box's rim, and every voxel within
# _RADIUS of the crop's edge reads only zeros (inside the crop or mirrored from it), so the field on the crop
# equals the field on the whole padded array
BOX_MARGIN = 2 * _RADIUS + 1


def _smoothed(mask: np.ndarray) -> np.ndarray:
    field = ndimage.gaussian_filter(mask.astype(np.float32), SMOOTHING_SIGMA, truncate=SMOOTHING_TRUNCATE)
    if field.max() < 0.5:  # a structure thinner than the smoothing: show it unsmoothed
        field = mask.astype(np.float32)
    return field


def _padded_crop(pred: np.ndarray, label: int, box: Box, step: int) -> tuple[np.ndarray, np.ndarray]:
    """``pred == label`` padded by EDGE_PAD, cut to ``box`` plus BOX_MARGIN (and down to a multiple of ``step``,
    so a coarse grid samples the voxels the whole array's would); returns (crop, its first voxel in array
    coordinates)."""
    padded_shape = np.array(pred.shape) + 2 * EDGE_PAD
    low = np.array([s.start for s in box]) + EDGE_PAD - BOX_MARGIN
    low = np.maximum(low - low % step, 0)
    high = np.minimum(np.array([s.stop for s in box]) + EDGE_PAD + BOX_MARGIN, padded_shape)
    crop = np.zeros(tuple(high - low), bool)
    # the part of the crop inside the array (the rest is the zero padding)
    inside_low, inside_high = np.maximum(low - EDGE_PAD, 0), np.minimum(high - EDGE_PAD, pred.shape)
    starts = inside_low - low + EDGE_PAD
    target = tuple(slice(a, a + c - b) for a, b, c in zip(starts, inside_low, inside_high, strict=True))
    source = tuple(slice(a, c) for a, c in zip(inside_low, inside_high, strict=True))
    crop[target] = pred[source] == label
    return crop, low - EDGE_PAD


def prediction_surface(
    pred: np.ndarray,
    gt: np.ndarray,
    evaluation: LabelEvaluation,
    spacing,
    signed: bool = False,
    step: int = 1,
    box: Box | None = None,
) -> SurfaceMesh | None:
    """Marching cubes of ``pred == evaluation.label`` (lightly smoothed); each vertex carries its distance
    (physical units) to the nearest GT surface point of ``evaluation`` (the same points HD95 was computed from).
    None when the prediction or the GT has no voxel of the label. ``step`` > 1 coarsens the mesh for large
    volumes. ``box``: the label's bounding box in ``pred`` when known (else found here); only it is looked at."""
    label = evaluation.label
    gt_points = evaluation.points("gt")
    if pred.ndim != 3 or len(gt_points) == 0:
        return None
    if box is None:
        box = label_boxes(pred, [label]).get(label)
    if box is None:
        return None
    crop, origin = _padded_crop(pred, label, box, step)
    field = _smoothed(crop)
    try:
        vertices, faces, _normals, _values = marching_cubes(field, 0.5, step_size=step, allow_degenerate=False)
    except RuntimeError:  # a structure that falls between the points of the coarse grid: meshed at full grid
        vertices, faces, _normals, _values = marching_cubes(field, 0.5, step_size=1, allow_degenerate=False)
    vertices = vertices + origin
    spacing = np.asarray(spacing, dtype=float)
    tree = cKDTree(gt_points * spacing)
    values, _ = tree.query(vertices * spacing, k=1, workers=-1)
    if signed:
        nearest_voxel = np.clip(np.rint(vertices).astype(np.int64), 0, np.asarray(gt.shape) - 1)
        outside_gt = gt[tuple(nearest_voxel.T)] != label
        values = np.where(outside_gt, values, -values)
    return SurfaceMesh(vertices=vertices.astype(np.float32), faces=faces, values=values.astype(np.float32))


def merge_meshes(meshes: Iterable[SurfaceMesh | None]) -> SurfaceMesh | None:
    """One mesh of several (None entries skipped), faces renumbered; None when there is none."""
    meshes = [mesh for mesh in meshes if mesh is not None]
    if not meshes:
        return None
    offsets = np.cumsum([0] + [len(mesh.vertices) for mesh in meshes[:-1]])
    return SurfaceMesh(
        vertices=np.concatenate([mesh.vertices for mesh in meshes]),
        faces=np.concatenate([mesh.faces + offset for mesh, offset in zip(meshes, offsets, strict=True)]),
        values=np.concatenate([mesh.values for mesh in meshes]),
    )


def prediction_surfaces(
    pred: np.ndarray, gt: np.ndarray, evaluations: list[LabelEvaluation], spacing, signed: bool = False, step: int = 1
) -> SurfaceMesh | None:
    """The surfaces of every evaluation's label (:func:`prediction_surface`), merged in the given order; one
    labelled pass over ``pred`` finds every label's box."""
    if pred.ndim != 3 or not evaluations:
        return None
    boxes = label_boxes(pred, [evaluation.label for evaluation in evaluations])
    return merge_meshes(
        prediction_surface(pred, gt, evaluation, spacing, signed, step, box=boxes.get(evaluation.label))
        for evaluation in evaluations
        if evaluation.label in boxes
    )
