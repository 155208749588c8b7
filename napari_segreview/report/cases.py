"""The worst cases of a report with a thumbnail of each one's worst slice, read from the dataset's folders.

A report names a case by its ground-truth file name; the folders are not in it, so they are given (the command
line's ``--gt``/``--pred``/``--images``, the dataset browser's folder fields). A case whose files cannot be found
or read gets a sentence instead of a thumbnail; the report is written all the same.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..dataset import case_name, worst_cases
from ..dataset.nnunet import nnunet_root
from ..io import ImageReadError, read_volume
from ..io.masks import load_mask_pair
from ..io.nifti import first_line
from ..io.reports import printable_text
from .thumbnails import thumbnail_png, worst_slice

# nnU-Net names an image after its case plus a channel: case_0000.nii.gz for case.nii.gz
IMAGE_CHANNEL_SUFFIX = "_0000"


@dataclass(frozen=True)
class Folders:
    gt: Path | None = None
    pred: Path | None = None
    images: Path | None = None

    @property
    def for_thumbnails(self) -> bool:
        return self.gt is not None and self.pred is not None


def dataset_folders(folders: Folders) -> Folders:
    """``folders`` with an nnU-Net dataset root given as the ground truth read as its ``labelsTr/``, and its
    ``imagesTr/`` as the images when none are given (as ``segreview evaluate`` pairs such a root)."""
    if folders.gt is None or nnunet_root(folders.gt) != folders.gt:
        return folders
    images = folders.images
    if images is None and (folders.gt / "imagesTr").is_dir():
        images = folders.gt / "imagesTr"
    return Folders(gt=folders.gt / "labelsTr", pred=folders.pred, images=images)


@dataclass(frozen=True)
class WorstCase:
    """A row of the worst-cases table: the summary's entry (case, worst label, its Dice, mean Dice) and, when
    the folders were given, the worst slice and its PNG as a ``data:`` URI, or ``note`` saying why there is none."""

    case: str
    label: int
    dice: float
    mean_dice: float
    slice_index: int | None = None
    slice_dice: float | None = None
    png_uri: str | None = None
    note: str = ""


def find_case_file(folder: Path, name: str, extra_suffixes: Sequence[str] = ()) -> Path | None:
    """The file of case ``name`` in ``folder`` (any mask suffix, or ``name`` plus one of ``extra_suffixes``),
    or None. A report names a file whose name is not UTF-8 by its printable form (\\xe9 escapes)."""
    wanted = {name, *(name + extra for extra in extra_suffixes)}
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith(".") and case_name(printable_text(path.name)) in wanted:
            return path
    return None


def _image_slice(path: Path, shape: tuple[int, ...], index: int) -> tuple[np.ndarray | None, str]:
    """Slice ``index`` of the image at ``path`` when it lies on the masks' grid (``shape``), else a note."""
    data = np.asarray(read_volume(path).data)
    if data.shape == shape:
        return (data if data.ndim == 2 else data[index]), ""
    if data.ndim == len(shape) + 1 and data.shape[:-1] == shape and data.shape[-1] in (3, 4) and len(shape) == 2:
        return data, ""  # a colour picture
    return None, f"the image {printable_text(path.name)} has shape {data.shape}, not the masks' {shape}; GT shown."


def worst_case_entry(entry: dict, folders: Folders, resample_prediction: bool = False) -> WorstCase:
    """``entry`` of ``dataset.worst_cases`` with its thumbnail (when ``folders`` allow one)."""
    case = WorstCase(entry["case"], int(entry["label"]), float(entry["dice"]), float(entry["mean_dice"]))
    if not folders.for_thumbnails:
        return case
    name = case_name(case.case) or case.case
    gt_path, pred_path = find_case_file(folders.gt, name), find_case_file(folders.pred, name)
    if gt_path is None or pred_path is None:
        where = folders.gt if gt_path is None else folders.pred
        return _with(case, note=f"no file of this case in {printable_text(str(where))}.")
    try:
        pair = load_mask_pair(gt_path, pred_path, resample_prediction=resample_prediction)
        worst = worst_slice(pair.gt, pair.pred, case.label)
        if worst is None:
            return _with(case, note=f"label {case.label} is in neither file now.")
        gt2, pred2 = _slice(pair.gt, worst.index), _slice(pair.pred, worst.index)
        image, note = None, ""
        image_path = folders.images and find_case_file(folders.images, name, (IMAGE_CHANNEL_SUFFIX,))
        if image_path:
            image, note = _image_slice(image_path, pair.gt.shape, worst.index)
        spacing = tuple(pair.spacing[-2:]) if len(pair.spacing) >= 2 else (1.0, 1.0)
        png = thumbnail_png(gt2, pred2, case.label, image, spacing)
    except (ImageReadError, OSError, ValueError) as exc:
        return _with(case, note=f"could not be drawn: {printable_text(first_line(exc))}.")
    except MemoryError:
        return _with(case, note="could not be drawn: its files do not fit in memory.")
    except Exception as exc:  # a third-party reader's failure: one case without a picture, never no page
        return _with(case, note=f"could not be drawn: {type(exc).__name__}: {printable_text(first_line(exc))}.")
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return _with(case, slice_index=worst.index if pair.gt.ndim == 3 else None, slice_dice=worst.dice,
                 png_uri=uri, note=note)  # fmt: skip


def _slice(array: np.ndarray, index: int) -> np.ndarray:
    return array if array.ndim == 2 else array[index]


def _with(case: WorstCase, **changes) -> WorstCase:
    return WorstCase(**{**case.__dict__, **changes})


def worst_case_entries(
    rows: Sequence[dict],
    folders: Folders,
    count: int,
    resample_prediction: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> list[WorstCase]:
    """The ``count`` worst cases of ``rows`` (as the summary ranks them), each with its thumbnail;
    ``progress(done, total)`` is called after each."""
    entries = worst_cases(rows, count)
    cases = []
    for done, entry in enumerate(entries, start=1):
        cases.append(worst_case_entry(entry, folders, resample_prediction))
        if progress is not None:
            progress(done, len(entries))
    return cases
