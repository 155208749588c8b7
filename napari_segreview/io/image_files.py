"""2D picture files (PNG, JPEG, TIFF, BMP): dermoscopy-style images and their masks, read with imageio.

They carry no geometry: unit pixel size, origin at zero. Masks are written as PNG with the convention of ISIC-style
datasets: a one-foreground-class model's as 0/255, a multi-class model's as the label values. Masks are read with
the one-class rule of ``label_rule`` (0/255 is label 1). A lossily stored picture (JPEG, or a TIFF with JPEG-like
compression) is never a mask: its compression turns one mask value into many.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import numpy as np

from .errors import ImageReadError, LossyMaskWarning
from .files import write_atomically
from .label_rule import has_few_values, looks_like_segmentation, segmentation_labels
from .quiet import quiet_library_logs
from .volume import Volume

PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
_FORMAT_NAMES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF", ".bmp": "BMP"}


# TIFF compression schemes that lose information (tifffile.COMPRESSION values): JPEG, JPEG 2000, JPEG XR, WebP,
# JPEG XL and LERC in their lossy forms; WebP, JPEG XL and LERC can be lossless, which the tag does not tell
_LOSSY_TIFF_COMPRESSIONS = {6, 7, 99, 22610, 33003, 33004, 33005, 33007, 34712, 34887, 34892, 34927, 34933, 34934}
_LOSSY_TIFF_COMPRESSIONS |= {50001, 50002, 52546}
_JPEG_SIGNATURE = b"\xff\xd8\xff"


def is_picture_path(path: str | os.PathLike) -> bool:
    return str(path).lower().endswith(PICTURE_SUFFIXES)


def lossy_format(path: str | os.PathLike) -> str | None:
    """How a lossily stored picture is stored, else None: "JPEG" (by name, or by content whatever the file is
    called) or "a TIFF with JPEG compression" (and the like). Looks at the first bytes and the TIFF tags only; a
    file that cannot be opened gives None (reading it then says what is wrong)."""
    path = Path(path)
    if path.suffix.lower() in (".jpg", ".jpeg"):
        return "JPEG"
    try:
        with open(path, "rb") as file:
            if file.read(3) == _JPEG_SIGNATURE:
                return "JPEG"
    except OSError:
        return None
    if path.suffix.lower() not in (".tif", ".tiff"):
        return None
    import tifffile

    try:
        with quiet_library_logs(), tifffile.TiffFile(path) as tiff:
            compression = tiff.pages[0].compression
            lossy = int(compression) in _LOSSY_TIFF_COMPRESSIONS
    except Exception:  # damaged or not a TIFF (a damaged tag can hold anything): reading it gives the sentence
        return None
    if lossy:
        return f"a TIFF with {getattr(compression, 'name', str(compression)).replace('_', ' ')} compression"
    return None


def is_single_picture(path: str | os.PathLike) -> bool:
    """False for a TIFF holding more than one 2D picture (a stack, pages, a pyramid), which is not a picture file
    but a volume for other readers; True for every other file, including a damaged one (reading it says so)."""
    if Path(path).suffix.lower() not in (".tif", ".tiff"):
        return True
    import tifffile

    try:
        with quiet_library_logs(), tifffile.TiffFile(path) as tiff:
            shape, pages = tuple(int(n) for n in tiff.series[0].shape), len(tiff.pages)
    except Exception:  # damaged or not a TIFF: reading it gives the sentence
        return True
    return pages == 1 and (len(shape) == 2 or (len(shape) == 3 and shape[-1] in (3, 4)))


def read_picture(path: str | os.PathLike) -> np.ndarray:
    """The pixels of a 2D picture: (rows, cols) grey or (rows, cols, 3|4) colour. Raises ImageReadError with one
    sentence for a missing, damaged or multi-page file."""
    import imageio.v3 as iio

    path = Path(path)
    # the plugin is named: left to choose, imageio may try SimpleITK, whose errors are C++ source paths
    plugin = "tifffile" if path.suffix.lower() in (".tif", ".tiff") else "pillow"
    try:
        with warnings.catch_warnings(), quiet_library_logs():
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


def _grey_mask_candidate(data: np.ndarray, name: str) -> np.ndarray | None:
    """The grey values of a picture that looks like a mask: a grey picture that looks like a segmentation, or a
    colour one whose channels are equal (and alpha opaque) with few values (masks saved as RGB); else None."""
    if data.ndim == 2:
        return data if looks_like_segmentation(data, name) else None
    colour = data[..., :3]
    if data.shape[-1] == 4 and not np.all(data[..., 3] == data[..., 3].max()):
        return None  # a transparent overlay is a picture
    grey = colour[..., 0]
    if np.array_equal(grey, colour[..., 1]) and np.array_equal(grey, colour[..., 2]) and has_few_values(grey):
        return grey
    return None


def read_picture_volume(path: str | os.PathLike) -> Volume:
    """A picture as a Volume: a mask (see ``_grey_mask_candidate``) is labels by the one-class rule (0/255 and
    0/65535 are label 1); everything else is an image, grey or RGB(A) as stored. A lossy picture (JPEG) is always
    an image; when it looks like a mask a LossyMaskWarning says why it did not open as labels."""
    path = Path(path)
    data = read_picture(path)
    name = path.stem
    mask = _grey_mask_candidate(data, name)
    lossy = lossy_format(path) if mask is not None else None
    if lossy is not None:
        warnings.warn(
            LossyMaskWarning(
                f"{path.name} looks like a mask but is stored as {lossy}, whose compression alters mask values, so "
                "it opens as an image; save masks as PNG or TIFF to open them as labels."
            ),
            stacklevel=3,  # the caller of read_volume
        )
    is_labels = mask is not None and lossy is None
    labels, one_class_value = segmentation_labels(mask) if is_labels else (data, None)
    return Volume(
        data=labels,
        name=name,
        scale=(1.0, 1.0),
        translate=(0.0, 0.0),
        is_labels=is_labels,
        one_class_value=one_class_value,
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
