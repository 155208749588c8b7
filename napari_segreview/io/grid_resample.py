"""Two voxel grids compared in words (shape, spacing, origin, direction), and a label map resampled from one grid
onto another by nearest neighbour, through their voxel-to-world affines.

An affine here maps display-ordered voxel indices (i, j, k, 1) to RAS+ millimetres, as ``masks._grid`` gives it.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

# world positions closer than this (mm) and directions closer than this (cosine distance) count as equal
ORIGIN_TOLERANCE_MM = 1e-3
DIRECTION_TOLERANCE = 1e-4


def _numbers(values) -> str:
    return "(" + ", ".join(f"{value:.4g}" for value in values) + ")"


def _spacing(affine: np.ndarray) -> np.ndarray:
    return np.linalg.norm(affine[:3, :3], axis=0)


def _directions(affine: np.ndarray) -> np.ndarray:
    return affine[:3, :3] / _spacing(affine)


def grid_differences(gt_shape, gt_affine, pred_shape, pred_affine) -> list[str]:
    """What differs between two grids, each as words "shape (a) vs (b)"; empty when they are one grid."""
    differences = []
    if tuple(gt_shape) != tuple(pred_shape):
        differences.append(f"shape {tuple(gt_shape)} vs {tuple(pred_shape)}")
    gt_spacing, pred_spacing = _spacing(gt_affine), _spacing(pred_affine)
    if not np.allclose(gt_spacing, pred_spacing, rtol=1e-4, atol=1e-6):
        differences.append(f"spacing {_numbers(gt_spacing)} vs {_numbers(pred_spacing)} mm")
    if not np.allclose(gt_affine[:3, 3], pred_affine[:3, 3], atol=ORIGIN_TOLERANCE_MM):
        differences.append(f"origin {_numbers(gt_affine[:3, 3])} vs {_numbers(pred_affine[:3, 3])} mm")
    cosines = np.sum(_directions(gt_affine) * _directions(pred_affine), axis=0)
    if np.any(1 - cosines > DIRECTION_TOLERANCE):
        angle = np.degrees(np.arccos(np.clip(cosines.min(), -1, 1)))
        differences.append(f"direction (axes turned by up to {angle:.3g}°)")
    return differences


def resample_nearest(data: np.ndarray, from_affine: np.ndarray, to_shape, to_affine: np.ndarray) -> np.ndarray:
    """3D ``data`` (on the grid ``from_affine``) on the 3D grid ``to_shape``/``to_affine``: each target voxel takes
    the label of the source voxel nearest to its centre; outside the source, 0. Labels stay labels (no blending).
    """
    # target index -> world -> source index; "grid-constant" gives each source voxel its full extent (a target
    # centre 0.4 voxel outside the first source centre still lies in that voxel), 0 beyond it
    matrix = np.linalg.inv(from_affine) @ to_affine
    return ndimage.affine_transform(
        data, matrix[:3, :3], offset=matrix[:3, 3], output_shape=tuple(to_shape), order=0, mode="grid-constant", cval=0
    )
