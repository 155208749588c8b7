"""2D picture files (PNG, JPEG, TIFF, BMP): dermoscopy-style images and their masks, read with imageio.

They carry no geometry: unit pixel size, origin at zero. Masks are written as PNG with the convention of ISIC-style
datasets: a one-foreground-class model's as 0/255, a multi-class model's as the label values.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .errors import ImageReadError
from .files import write_atomically
from .label_rule import as_label_array, looks_like_segmentation
from .volume import Volume

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
_FORMAT_NAMES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP"}


def is_picture_path(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(PICTURE_SUFFIXES)


def read_picture(path: str | os.PathLike) -> np.ndarray:
    """The pixels of a 2D picture: (rows, cols) grey or (rows, cols, 3|4) colour. Raises ImageReadError with one
    sentence for a missing, damaged or multi-page file."""
    import imageio.v3 as iio

    path = Path(path)
    # the plugin is named: left to choose, imageio may try SimpleITK, whose errors are C++ source paths
    plugin = "tifffile" if path.suffix.lower() in (".tif", ".tiff") else "pillow"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # imageio warns about odd but readable files
            data = np.asarray(iio.imread(path, plugin=plugin))
    except FileNotFoundError:
        raise ImageReadError(f"{path.name} does not exist.") from None
    except Exception:  # Pillow and tifffile raise many types, with messages that name plugins, not the problem
        kind = _FORMAT_NAMES.get(path.suffix.lower(), "picture")
        raise ImageReadError(f"Cannot read {path.name} as an image: it is damaged or not a {kind} file.") from None
    if data.ndim == 2 or (data.ndim == 3 and data.shape[-1] in (3, 4)):
        return data
    raise ImageReadError(f"{path.name} has shape {data.shape}; a 2D grey or colour picture was expected.")


def read_picture_volume(path: str | os.PathLike) -> Volume:
    """A picture as a Volume: colour pictures are RGB(A) images; grey ones are labels when they look like a
    segmentation (see ``label_rule``), with 0/255 masks kept as stored."""
    path = Path(path)
    data = read_picture(path)
    name = path.stem
    rgb = data.ndim == 3
    is_labels = not rgb and looks_like_segmentation(data, name)
    return Volume(
        data=as_label_array(data) if is_labels else data,
        name=name,
        scale=(1.0, 1.0),
        translate=(0.0, 0.0),
        is_labels=is_labels,
    )


def write_label_picture(path: str | os.PathLike, labels: np.ndarray, *, binary: bool) -> Path:
    """Write 2D labels as an 8-bit PNG, atomically. ``binary`` (a model with one foreground class): 0/255, the
    ISIC convention, which ``segreview evaluate`` reads back as 0/1; otherwise the label values themselves.
    The caller decides from the model, not from the labels: a multi-class prediction that holds only label 1
    must not turn into 255. Raises ValueError for 3D labels, labels above 255, or labels above 1 when binary."""
    import imageio.v3 as iio

    labels = np.asarray(labels)
    if labels.ndim != 2:
        raise ValueError(f"a PNG holds 2D labels, not {labels.ndim}D; write a NIfTI file instead.")
    top = int(labels.max(initial=0))
    if top > 255:
        raise ValueError(f"a PNG mask holds labels up to 255, not {top}; write a NIfTI file instead.")
    if binary and top > 1:
        raise ValueError(f"a binary mask holds labels 0 and 1, not {top}.")
    pixels = (labels > 0).astype(np.uint8) * 255 if binary else labels.astype(np.uint8)
    return write_atomically(path, lambda temporary: iio.imwrite(temporary, pixels, extension=".png"), suffix=".png")
