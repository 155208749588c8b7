"""Contour-distance heatmaps: each surface point painted with its distance to the other surface.

The values are the metrics engine's own per-point distances (``LabelEvaluation.distances``), the numbers HD95
was computed from. Everything off the surface is NaN, which napari draws transparent.
"""

from __future__ import annotations

import numpy as np

from ..metrics import LabelEvaluation


def _paint(image: np.ndarray, evaluations: list[LabelEvaluation], which: str, signed: bool) -> None:
    """Write the distance of every ``which`` ("pred" or "gt") surface point of each evaluation into ``image``
    (later evaluations over earlier ones); only the points are touched."""
    shape = np.asarray(image.shape)
    for evaluation in evaluations:
        distances = evaluation.distances
        if which == "pred":
            values = distances.pred_signed if signed else distances.pred_to_gt
        else:
            values = distances.gt_signed if signed else distances.gt_to_pred
        positions = np.floor(evaluation.points(which) + 0.5).astype(np.int64)
        inside = np.all((positions >= 0) & (positions < shape), axis=1)
        image[tuple(positions[inside].T)] = values[inside]


def distance_image(
    shape: tuple[int, ...], evaluations: list[LabelEvaluation], which: str, signed: bool = False
) -> np.ndarray:
    """float32 array of ``shape``: the distance of every ``which`` ("pred" or "gt") surface voxel of each
    evaluation, NaN elsewhere. Signed distances are positive where the prediction is too large.

    Surfels (voxel corners) are painted on the voxel whose centre is nearest below-right of the corner.
    """
    image = np.full(shape, np.nan, np.float32)
    _paint(image, evaluations, which, signed)
    return image


def contour_distance_image(shape: tuple[int, ...], evaluations: list[LabelEvaluation], signed: bool = False):
    """Both borders in one image: each prediction border voxel carries its distance to the GT border and each
    GT border voxel its distance to the prediction border. A voxel on both borders is 0 either way, so nothing
    is lost by sharing one layer (one layer also halves the drawing cost in napari). Where a GT and a
    prediction point share a voxel the prediction's distance is kept. One image of ``shape`` is made (the GT
    points painted first, the prediction's over them): no second volume-sized buffer."""
    image = np.full(shape, np.nan, np.float32)
    _paint(image, evaluations, "gt", signed)
    _paint(image, evaluations, "pred", signed)
    return image


# the default upper colour limit: the 95th percentile of the distances painted, so that the few largest errors
# saturate and the many small ones (a voxel or two off) still show a colour of their own instead of all sitting
# at the bottom of a scale stretched to the largest HD
LIMIT_PERCENTILE = 95.0
# ... but never below this many voxels: with a near-perfect match the percentile is 0 and every border would
# saturate at the first voxel of disagreement
LIMIT_FLOOR_VOXELS = 2.0


def default_limit(evaluations: list[LabelEvaluation], spacing=None) -> float:
    """The heatmaps' upper colour limit (physical units, > 0): the 95th percentile of the finite distances of
    every border point of the evaluations (both directions, as painted), at least two of the smallest voxel
    size (``spacing``; 1 when not given). Evaluations without distances (empty masks, misses at inf) give the
    floor."""
    floor = LIMIT_FLOOR_VOXELS * (float(np.min(spacing)) if spacing is not None and len(spacing) else 1.0)
    if not np.isfinite(floor) or floor <= 0:
        floor = LIMIT_FLOOR_VOXELS
    parts = [
        values
        for evaluation in evaluations
        for values in (evaluation.distances.pred_to_gt, evaluation.distances.gt_to_pred)
    ]
    distances = np.concatenate(parts) if parts else np.zeros(0)
    distances = distances[np.isfinite(distances)]
    if distances.size == 0:
        return floor
    return max(floor, float(np.percentile(distances, LIMIT_PERCENTILE)))
