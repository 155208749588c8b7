"""npe2 reader: NIfTI (``.nii``, ``.nii.gz``), ``.npy`` and 2D picture files (PNG, TIFF, BMP, JPEG), and folders of
DICOM slices when pydicom is installed, as image or labels layers.

Pictures follow the CLI's rule: a mask (grey, or RGB with equal channels and few values) opens as Labels, with a
single foreground value (1, 255 or 65535) as label 1; photos open as images (RGB or grey); a JPEG is always an
image, since its compression turns one mask value into many.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..io import is_readable_path, read_volume
from ..io.dicom import looks_like_dicom_folder, pydicom_available
from ..io.image_files import is_single_picture
from .layers import LayerDataTuple, volume_to_layer

PathOrPaths = str | os.PathLike | Sequence[str | os.PathLike]


def _as_list(path: PathOrPaths) -> list[str]:
    if isinstance(path, (str, os.PathLike)):
        return [os.fspath(path)]
    return [os.fspath(p) for p in path]


def _is_dicom_folder(path: str) -> bool:
    """A folder whose first few files carry the DICOM marker, when pydicom is there to read them."""
    return os.path.isdir(path) and looks_like_dicom_folder(path) and pydicom_available()


def _is_our_file(path: str) -> bool:
    return is_readable_path(path) and os.path.isfile(path) and is_single_picture(path)


def get_reader(path: PathOrPaths) -> Callable[[PathOrPaths], list[LayerDataTuple]] | None:
    """Our reader when every path is an existing file we can read or a folder of DICOM files, else None (napari
    then tries others).

    Files are judged by name, except that a TIFF holding a stack of pages is left to other readers (its tags are
    read); folders by the first 132 bytes of a few files. The returned function reads them and raises one clear
    sentence for a damaged file or an unusable series.
    """
    try:
        paths = _as_list(path)
    except TypeError:
        return None
    if not paths or not all(_is_our_file(p) or _is_dicom_folder(p) for p in paths):
        return None
    return read_layers


def read_layers(path: PathOrPaths) -> list[LayerDataTuple]:
    """One layer per file or DICOM folder, in the order given."""
    return [volume_to_layer(read_volume(p)) for p in _as_list(path)]
