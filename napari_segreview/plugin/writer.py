"""npe2 writer: a labels layer to NIfTI with the affine and voxel order of the file it came from.

It replaces an existing file only when asked: napari gives a writer the path, the data and the layer's attributes,
never the file the layer came from, so the writer cannot tell "save over my source" from "save over someone
else's file", and refuses both unless

- the write comes from napari's Save dialog, whose Qt file dialog has already asked "replace?" before napari
  calls the writer (napari gives no other sign of that question, so the writer looks for napari's dialog method
  on the call stack; should a napari release rename it, the writer refuses, which loses nothing), or
- the layer's ``metadata[OVERWRITE_KEY]`` is True, the programmatic way (``layer.save(path)``,
  ``viewer.layers.save(path)``), or ``write_labels(..., overwrite=True)`` called directly.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import numpy as np

from ..io import NiftiGeometry, geometry_from_scale_translate, write_nifti_labels
from .layers import GEOMETRY_KEY

OVERWRITE_KEY = "segreview_overwrite"
# napari's File > Save (Selected) Layers... handler (napari/_qt/qt_viewer.py), which asks before replacing
NAPARI_SAVE_DIALOG = ("napari._qt", "_save_layers_dialog")


def _numbers(values: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{value:g}" for value in values) + ")"


def labels_geometry(data: np.ndarray, attributes: dict[str, Any]) -> NiftiGeometry:
    """The file geometry a labels layer carries, or one built from its scale and translate.

    A layer made in napari (or from an image of another shape) has no usable file geometry; it is written in
    display order with an affine that reproduces its scale and translate, which must be finite, the scale
    non-zero (ValueError otherwise).
    """
    geometry = attributes.get("metadata", {}).get(GEOMETRY_KEY)
    if isinstance(geometry, NiftiGeometry) and geometry.display_shape == tuple(data.shape):
        return geometry
    ndim = data.ndim
    scale = tuple(float(value) for value in attributes.get("scale", (1.0,) * ndim))[-ndim:]
    translate = tuple(float(value) for value in attributes.get("translate", (0.0,) * ndim))[-ndim:]
    if not all(math.isfinite(value) and value != 0 for value in scale):
        raise ValueError(f"the layer's scale {_numbers(scale)} has a zero or non-finite value")
    if not all(math.isfinite(value) for value in translate):
        raise ValueError(f"the layer's translate {_numbers(translate)} has a non-finite value")
    return geometry_from_scale_translate(tuple(data.shape), scale, translate)


def _check_whole_numbers(data: np.ndarray) -> None:
    """Labels are integers; float labels are written only when no value would be truncated or lost."""
    if not np.issubdtype(data.dtype, np.floating):
        return
    bad = ~np.isfinite(data)
    bad[~bad] = data[~bad] != np.round(data[~bad])
    if bad.any():
        example = data[bad].flat[0]
        raise ValueError(f"labels are whole numbers, but this layer holds {data.dtype} values such as {example:g}")


def _asked_by_naparis_save_dialog() -> bool:
    module, function = NAPARI_SAVE_DIALOG
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == function and frame.f_globals.get("__name__", "").startswith(module):
            return True
        frame = frame.f_back
    return False


def write_labels(path: str, data: Any, attributes: dict[str, Any], *, overwrite: bool = False) -> list[str]:
    """Write one labels layer to ``path`` (``.nii`` or ``.nii.gz``); returns the paths written.

    An existing file is replaced only when asked (see the module docstring): ``overwrite``, the layer's
    ``metadata[OVERWRITE_KEY]``, or napari's Save dialog; otherwise FileExistsError. One-sentence errors:
    IsADirectoryError for a folder, ValueError for labels that are not whole numbers or a scale/translate that
    cannot make an affine.
    """
    name = os.path.basename(os.fspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(f"{name} is a folder; give a file name ending in .nii or .nii.gz.")
    asked = overwrite or attributes.get("metadata", {}).get(OVERWRITE_KEY) is True or _asked_by_naparis_save_dialog()
    if os.path.lexists(path) and not asked:
        raise FileExistsError(
            f"{name} already exists; napari-segreview replaces a file only when asked: save it from napari's Save "
            f"dialog (which asks first), or set layer.metadata[{OVERWRITE_KEY!r}] = True."
        )
    data = np.asarray(data)
    try:
        _check_whole_numbers(data)
        geometry = labels_geometry(data, attributes)
    except ValueError as error:
        raise ValueError(f"Cannot write {name}: {error}.") from None
    written = write_nifti_labels(path, data, geometry)
    return [str(written)]
