"""The 3D surface heatmap: the prediction's marching-cubes surface coloured by distance to the GT surface."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree
from skimage.measure import marching_cubes

from ..metrics import LabelEvaluation


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


def prediction_surface(
    pred: np.ndarray, gt: np.ndarray, evaluation: LabelEvaluation, spacing, signed: bool = False, step: int = 1
) -> SurfaceMesh | None:
    """Marching cubes of ``pred == evaluation.label`` (lightly smoothed); each vertex carries its distance
    (physical units) to the nearest GT surface point of ``evaluation`` (the same points HD95 was computed from).
    None when the prediction or the GT has no voxel of the label. ``step`` > 1 coarsens the mesh for large
    volumes."""
    label = evaluation.label
    mask = pred == label
    gt_points = evaluation.points("gt")
    if pred.ndim != 3 or not mask.any() or len(gt_points) == 0:
        return None
    padded = np.pad(mask, 2).astype(np.float32)  # closes surfaces that touch the array edge
    padded = ndimage.gaussian_filter(padded, SMOOTHING_SIGMA)
    if padded.max() < 0.5:  # a structure thinner than the smoothing: show it unsmoothed
        padded = np.pad(mask, 2).astype(np.float32)
    vertices, faces, _normals, _values = marching_cubes(padded, 0.5, step_size=step, allow_degenerate=False)
    vertices = vertices - 2.0
    spacing = np.asarray(spacing, dtype=float)
    tree = cKDTree(gt_points * spacing)
    values, _ = tree.query(vertices * spacing, k=1, workers=-1)
    if signed:
        nearest_voxel = np.clip(np.rint(vertices).astype(np.int64), 0, np.asarray(gt.shape) - 1)
        outside_gt = gt[tuple(nearest_voxel.T)] != label
        values = np.where(outside_gt, values, -values)
    return SurfaceMesh(vertices=vertices.astype(np.float32), faces=faces, values=values.astype(np.float32))
