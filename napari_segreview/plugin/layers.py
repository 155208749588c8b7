"""Turning a core :class:`~napari_segreview.io.Volume` into a napari layer data tuple."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..io import Volume

LayerDataTuple = tuple[Any, dict[str, Any], str]
GEOMETRY_KEY = "nifti_geometry"
# {label value: name} of a segmentation layer, read by the review widgets when present.
CLASS_NAMES_KEY = "class_names"


def _robust_contrast_limits(data: np.ndarray) -> list[float]:
    """0.5..99.5 percentiles of the finite values of a sample, so one bright voxel does not wash out the image;
    always increasing (napari refuses equal limits), also for a constant or all-NaN image."""
    sample = data.reshape(-1)[:: max(1, data.size // 1_000_000)].astype(np.float64)
    sample = sample[np.isfinite(sample)]
    if sample.size == 0:
        return [0.0, 1.0]
    low, high = np.percentile(sample, [0.5, 99.5]).tolist()
    if high <= low:
        low, high = float(sample.min()), float(sample.max())
    return [low, high] if high > low else [low, low + 1.0]


def volume_to_layer(volume: Volume, **extra: Any) -> LayerDataTuple:
    """Layer data tuple for ``volume``: labels or image, with its scale, translate and file geometry.

    ``metadata["nifti_geometry"]`` holds the file's true affine, voxel order and shape, which the writer uses to
    write labels back exactly; layers derived from this one should copy it.
    """
    metadata: dict[str, Any] = {}
    kwargs: dict[str, Any] = {"name": volume.name, "scale": volume.scale, "translate": volume.translate}
    if volume.geometry is not None:
        metadata[GEOMETRY_KEY] = volume.geometry
        kwargs["units"] = ("mm",) * len(volume.scale)
        kwargs["axis_labels"] = volume.geometry.display_axis_names
    if volume.is_labels:
        kwargs["opacity"] = 0.5
        layer_type = "labels"
    else:
        rgb = volume.data.ndim == len(volume.scale) + 1
        kwargs["rgb"] = rgb
        if not rgb:
            kwargs["colormap"] = "gray"
            kwargs["contrast_limits"] = _robust_contrast_limits(volume.data)
        layer_type = "image"
    kwargs.update(extra)
    kwargs["metadata"] = {**metadata, **extra.get("metadata", {})}
    return volume.data, kwargs, layer_type
