"""Instance maps: connected components of a semantic mask, or an instance label map taken as it is."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from ..metrics.validation import check_masks


def _label_map(array, name: str) -> np.ndarray:
    # the metrics' checks: integer or whole-number float labels, 2D or 3D, nothing negative
    checked, _ = check_masks(array, array)
    if checked.dtype == bool:
        return checked
    if checked.size and int(checked.max()) > np.iinfo(np.int32).max:
        raise ValueError(f"{name} holds the value {int(checked.max())}, too large for an int32 instance id.")
    return checked


def instances_from_semantic(mask, label: int | None = None, connectivity: int = 1, min_size: int = 0) -> np.ndarray:
    """Connected components of a semantic mask as an int32 instance map (0 background, objects 1..n).

    mask:         2D or 3D integer or bool label map
    label:        the class whose components are wanted; None means every non-zero voxel is foreground
    connectivity: 1 (faces) .. ndim (faces, edges and corners), as ``scipy.ndimage.generate_binary_structure``
    min_size:     components with fewer voxels are dropped (become background); ids stay consecutive

    Ids follow scipy's raster order of each component's first voxel.
    """
    mask = _label_map(mask, "mask")
    if not isinstance(connectivity, int | np.integer) or not 1 <= connectivity <= mask.ndim:
        raise ValueError(f"connectivity must be 1 to {mask.ndim} for a {mask.ndim}D mask, not {connectivity!r}.")
    if not isinstance(min_size, int | np.integer) or min_size < 0:
        raise ValueError(f"min_size must be a whole number of voxels, 0 or more, not {min_size!r}.")
    foreground = mask != 0 if label is None else mask == label
    structure = ndimage.generate_binary_structure(mask.ndim, int(connectivity))
    instances, count = ndimage.label(foreground, structure=structure, output=np.int32)
    if min_size > 1 and count:
        sizes = np.bincount(instances.ravel(), minlength=count + 1)
        keep = sizes >= min_size
        keep[0] = False
        renumber = np.zeros(count + 1, np.int32)
        renumber[keep] = np.arange(1, int(keep.sum()) + 1, dtype=np.int32)
        instances = renumber[instances]
    return instances


def instances_as_given(label_map) -> np.ndarray:
    """An instance label map as an int32 map: each non-zero value is one object, kept with its id (the way
    stardist and cellpose write their masks). Objects are not split into components: a value in two places is
    still one object."""
    label_map = _label_map(label_map, "label_map")
    return label_map.astype(np.int32, copy=False)
