"""Pairing the files of a ground-truth folder with those of a prediction folder by case name."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..io.masks import MASK_SUFFIXES
from ..io.reports import printable_text
from .evaluation import CaseFiles

# longest first, so that "a.nii.gz" loses ".nii.gz", not ".gz"
_SUFFIXES = tuple(sorted(MASK_SUFFIXES, key=len, reverse=True))


def case_name(file_name: str) -> str | None:
    """The case a file belongs to: its name without the mask suffix (``.nii``, ``.nii.gz``, ``.npy``, ``.png``,
    ...), compared case-insensitively on the suffix only; None for a file that is not a mask file."""
    lower = file_name.lower()
    for suffix in _SUFFIXES:
        if lower.endswith(suffix) and len(file_name) > len(suffix):
            return file_name[: -len(suffix)]
    return None


@dataclass(frozen=True)
class FolderPairing:
    cases: list[CaseFiles]  # sorted by case name
    gt_only: list[str]  # file names with no prediction of the same case name
    pred_only: list[str]  # file names with no ground truth of the same case name


def _names_a_file(entry: os.DirEntry) -> bool:
    """A file, or a symbolic link that should lead to one but loops or leads nowhere: such a link names a case
    that cannot be read, which becomes an error row rather than vanishing from the run."""
    try:
        if entry.is_file():
            return True
        if entry.is_dir():
            return False
    except OSError:  # a link that loops back on itself
        return True
    return entry.is_symlink()


def _files_by_case(folder: Path) -> dict[str, Path]:
    by_case: dict[str, Path] = {}
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        # hidden files include the temporaries of an atomic write in progress
        if entry.name.startswith(".") or not _names_a_file(entry):
            continue
        name = case_name(entry.name)
        if name is None:
            continue
        if name in by_case:
            raise ValueError(
                f"{folder.name} holds two files of case {name!r} ({by_case[name].name}, {entry.name}); keep one."
            )
        by_case[name] = Path(entry.path)
    return by_case


def pair_folders(gt_folder: str | os.PathLike, pred_folder: str | os.PathLike) -> FolderPairing:
    """Pair the mask files of two folders by case name (not recursive; hidden and other files ignored).

    The ``case`` of a pair is the ground-truth file name, as in the rows of a single-pair evaluation (a name that
    is not UTF-8 shown with ``\\xe9``-style escapes, so that reports and terminals take it). Raises
    ValueError with one sentence when a folder holds two files of one case (e.g. ``a.nii`` and ``a.nii.gz``).
    """
    gt, pred = _files_by_case(Path(gt_folder)), _files_by_case(Path(pred_folder))
    cases = [
        CaseFiles(case=printable_text(gt[name].name), gt=gt[name], pred=pred[name])
        for name in sorted(gt.keys() & pred.keys())
    ]
    return FolderPairing(
        cases=cases,
        gt_only=sorted(printable_text(gt[name].name) for name in gt.keys() - pred.keys()),
        pred_only=sorted(printable_text(pred[name].name) for name in pred.keys() - gt.keys()),
    )
