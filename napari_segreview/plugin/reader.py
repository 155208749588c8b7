"""npe2 reader: NIfTI (``.nii``, ``.nii.gz``) and ``.npy`` files as image or labels layers."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..io import is_readable_path, read_volume
from .layers import LayerDataTuple, volume_to_layer

PathOrPaths = str | os.PathLike | Sequence[str | os.PathLike]


def _as_list(path: PathOrPaths) -> list[str]:
    if isinstance(path, (str, os.PathLike)):
        return [os.fspath(path)]
    return [os.fspath(p) for p in path]


def get_reader(path: PathOrPaths) -> Callable[[PathOrPaths], list[LayerDataTuple]] | None:
    """Our reader when every path is an existing file we can read, else None (napari then tries others).

    Only names are looked at here; the file is opened by the returned function, which raises one clear
    sentence for a damaged file.
    """
    try:
        paths = _as_list(path)
    except TypeError:
        return None
    if not paths or not all(is_readable_path(p) and os.path.isfile(p) for p in paths):
        return None
    return read_layers


def read_layers(path: PathOrPaths) -> list[LayerDataTuple]:
    """One layer per file, in the order given."""
    return [volume_to_layer(read_volume(p)) for p in _as_list(path)]
