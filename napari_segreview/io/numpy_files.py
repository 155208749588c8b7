"""Reading ``.npy`` arrays, which carry no geometry: unit scale, origin at zero, axes as stored."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from .errors import ImageReadError
from .label_rule import looks_like_segmentation, segmentation_labels
from .nifti import first_line, stem
from .quiet import quiet_reading
from .volume import Volume


def read_npy(path: str | os.PathLike) -> Volume:
    """Read a 2D or 3D ``.npy`` array (2D RGB/RGBA images as (rows, cols, 3|4) are kept as images)."""
    path = Path(path)
    try:
        with quiet_reading():  # a damaged header makes numpy's parser warn before it fails
            data = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise ImageReadError(f"{path.name} does not exist.") from None
    except Exception as exc:  # truncated header, pickled objects, not an npy file
        raise ImageReadError(f"Cannot read {path.name} as a NumPy array: {first_line(exc)}.") from exc
    if (
        data.ndim not in (2, 3)
        or not (np.issubdtype(data.dtype, np.number) or data.dtype == bool)
        or (np.issubdtype(data.dtype, np.complexfloating))
    ):
        raise ImageReadError(
            f"{path.name} holds a {data.ndim}D {data.dtype} array; only 2D and 3D numeric arrays are supported."
        )
    name = stem(path)
    rgb = data.ndim == 3 and data.shape[-1] in (3, 4) and data.dtype != bool
    is_labels = not rgb and looks_like_segmentation(data, name)
    spatial_ndim = 2 if rgb else data.ndim
    labels, one_class_value = segmentation_labels(data) if is_labels else (data, None)
    return Volume(
        data=labels,
        name=name,
        scale=(1.0,) * spatial_ndim,
        translate=(0.0,) * spatial_ndim,
        is_labels=is_labels,
        one_class_value=one_class_value,
    )
