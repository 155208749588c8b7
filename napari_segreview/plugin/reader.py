"""npe2 reader: NIfTI (``.nii``, ``.nii.gz``) and ``.npy`` files, and folders of DICOM slices when pydicom is
installed, as image or labels layers."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..io import is_readable_path, read_volume
from ..io.dicom import looks_like_dicom_folder, pydicom_available
from .layers import LayerDataTuple, volume_to_layer

PathOrPaths = str | os.PathLike | Sequence[str | os.PathLike]


def _as_list(path: PathOrPaths) -> list[str]:
    if isinstance(path, (str, os.PathLike)):
        return [os.fspath(path)]
    return [os.fspath(p) for p in path]


def _is_dicom_folder(path: str) -> bool:
    """A folder whose first few files carry the DICOM marker, when pydicom is there to read them."""
    return os.path.isdir(path) and looks_like_dicom_folder(path) and pydicom_available()


def get_reader(path: PathOrPaths) -> Callable[[PathOrPaths], list[LayerDataTuple]] | None:
    """Our reader when every path is an existing file we can read or a folder of DICOM files, else None (napari
    then tries others).

    Files are judged by name only and folders by the first 132 bytes of a few files; the returned function reads
    them and raises one clear sentence for a damaged file or an unusable series.
    """
    try:
        paths = _as_list(path)
    except TypeError:
        return None
    if not paths or not all((is_readable_path(p) and os.path.isfile(p)) or _is_dicom_folder(p) for p in paths):
        return None
    return read_layers


def read_layers(path: PathOrPaths) -> list[LayerDataTuple]:
    """One layer per file or DICOM folder, in the order given."""
    return [volume_to_layer(read_volume(p)) for p in _as_list(path)]
