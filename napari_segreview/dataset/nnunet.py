"""nnU-Net's raw dataset layout: ``dataset.json``, ``imagesTr/`` and ``labelsTr/`` (and ``imagesTs/``,
``labelsTs/``), images one file per channel named ``{case}_{XXXX}{file_ending}``, labels ``{case}{file_ending}``.

An nnU-Net predict folder holds ``{case}{file_ending}`` too, so it pairs with ``labelsTr/`` by case name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .class_table import ClassTable, class_table_from_dataset_json

LABEL_FOLDERS = ("labelsTr", "labelsTs")
_CHANNEL = re.compile(r"^(?P<case>.+)_(?P<channel>\d{4})$")


@dataclass(frozen=True)
class NnunetDataset:
    root: Path
    classes: ClassTable
    file_ending: str  # ".nii.gz", ".png", ...
    channel_names: dict[int, str]  # {0: "T1", 1: "CT", ...}

    def labels_folder(self, which: str = "labelsTr") -> Path:
        return self.root / which

    def images_folder(self, which: str = "labelsTr") -> Path:
        return self.root / which.replace("labels", "images")

    def channel_files(self, case: str, which: str = "labelsTr") -> list[Path]:
        """The image files of ``case``, ordered by channel number (empty when the images are not there)."""
        folder = self.images_folder(which)
        if not folder.is_dir():
            return []
        found = []
        for path in folder.iterdir():
            if not path.name.endswith(self.file_ending):
                continue
            match = _CHANNEL.match(path.name[: -len(self.file_ending)])
            if match and match["case"] == case:
                found.append((int(match["channel"]), path))
        return [path for _, path in sorted(found)]


def nnunet_root(folder: str | Path) -> Path | None:
    """The dataset root when ``folder`` is one (holds ``dataset.json`` and ``labelsTr/``) or is its ``labelsTr/`` or
    ``labelsTs/`` folder; else None."""
    folder = Path(folder)
    if (folder / "dataset.json").is_file() and any((folder / name).is_dir() for name in LABEL_FOLDERS):
        return folder
    if folder.name in LABEL_FOLDERS and (folder.parent / "dataset.json").is_file():
        return folder.parent
    return None


def read_nnunet_dataset(root: str | Path) -> NnunetDataset:
    """The dataset at ``root``; ValueError with one sentence when its ``dataset.json`` is unusable."""
    root = Path(root)
    source = root / "dataset.json"
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{source} is not valid JSON (line {error.lineno}: {error.msg.lower()}).") from None
    if not isinstance(data, dict):
        raise ValueError(f"{source} must hold a JSON object.")
    file_ending = data.get("file_ending", ".nii.gz")
    if not isinstance(file_ending, str) or not file_ending.startswith("."):
        raise ValueError(f'{source}\'s "file_ending" must be a suffix such as ".nii.gz", not {file_ending!r}.')
    channels = data.get("channel_names", data.get("modality", {}))
    if not isinstance(channels, dict):
        raise ValueError(f'{source}\'s "channel_names" must map channel numbers to names.')
    try:
        channel_names = {int(key): str(value) for key, value in channels.items()}
    except ValueError:
        raise ValueError(f'{source}\'s "channel_names" keys must be channel numbers (0, 1, ...).') from None
    classes = class_table_from_dataset_json(data, source=str(source.name))
    return NnunetDataset(root=root, classes=classes, file_ending=file_ending, channel_names=channel_names)


def labels_folder_of(folder: str | Path) -> Path:
    """``folder``'s ``labelsTr/`` when ``folder`` is an nnU-Net dataset root, else ``folder`` itself: a dataset
    root given as GT means its training labels."""
    folder = Path(folder)
    if nnunet_root(folder) == folder and (folder / "labelsTr").is_dir():
        return folder / "labelsTr"
    return folder
