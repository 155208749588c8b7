"""npe2 writer: a labels layer to NIfTI with the affine and voxel order of the file it came from."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..io import NiftiGeometry, geometry_from_scale_translate, write_nifti_labels
from .layers import GEOMETRY_KEY


def labels_geometry(data: np.ndarray, attributes: dict[str, Any]) -> NiftiGeometry:
    """The file geometry a labels layer carries, or one built from its scale and translate.

    A layer made in napari (or from an image of another shape) has no usable file geometry; it is written in
    display order with an affine that reproduces its scale and translate.
    """
    geometry = attributes.get("metadata", {}).get(GEOMETRY_KEY)
    if isinstance(geometry, NiftiGeometry) and geometry.display_shape == tuple(data.shape):
        return geometry
    ndim = data.ndim
    scale = tuple(attributes.get("scale", (1.0,) * ndim))[-ndim:]
    translate = tuple(attributes.get("translate", (0.0,) * ndim))[-ndim:]
    return geometry_from_scale_translate(tuple(data.shape), scale, translate)


def write_labels(path: str, data: Any, attributes: dict[str, Any]) -> list[str]:
    """Write one labels layer to ``path`` (``.nii`` or ``.nii.gz``); returns the paths written."""
    data = np.asarray(data)
    written = write_nifti_labels(path, data, labels_geometry(data, attributes))
    return [str(written)]
