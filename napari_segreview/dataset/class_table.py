"""The classes a dataset declares: names per label value, region classes (unions of labels) and an ignore label.

Two sources are read: nnU-Net's ``dataset.json`` (v2: ``"labels": {"name": value or [values]}``, the label named
``"ignore"`` being the ignore label; v1: ``"labels": {"value": "name"}``) and a BIDS derivative's ``dseg.tsv``
(columns ``index`` and ``name``). Every problem is a ValueError with one sentence naming the file.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

IGNORE_NAME = "ignore"  # nnU-Net v2's reserved label name


@dataclass(frozen=True)
class ClassTable:
    """names:   {label value: class name}, background (0) left out
    regions: {region name: label values}, each evaluated as the union of its labels
    ignore:  the label whose ground-truth voxels no metric counts, or None
    source:  the file the table came from, for messages and reports
    """

    names: dict[int, str] = field(default_factory=dict)
    regions: dict[str, tuple[int, ...]] = field(default_factory=dict)
    ignore: int | None = None
    source: str = ""

    def name(self, label: int) -> str | None:
        return self.names.get(label)


def _label_value(text, where: str) -> int:
    if isinstance(text, bool) or not isinstance(text, (int, str)):
        raise ValueError(f"{where} must be a whole number, not {text!r}.")
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{where} must be a whole number, not {text!r}.") from None
    if value < 0:
        raise ValueError(f"{where} must not be negative, not {value}.")
    return value


def class_table_from_dataset_json(data: dict, source: str = "dataset.json") -> ClassTable:
    """The class table of an nnU-Net ``dataset.json`` already parsed into ``data``."""
    labels = data.get("labels") if isinstance(data, dict) else None
    if not isinstance(labels, dict) or not labels:
        raise ValueError(f'{source} has no "labels" table of class names.')
    names: dict[int, str] = {}
    regions: dict[str, tuple[int, ...]] = {}
    ignore = None
    # v1 writes {"0": "background", "1": "liver"}: keys are numbers, values names
    version_one = all(isinstance(key, str) and key.strip().isdigit() for key in labels) and all(
        isinstance(value, str) for value in labels.values()
    )
    pairs = [(str(value), key) for key, value in labels.items()] if version_one else list(labels.items())
    for name, value in pairs:
        where = f"{source}'s label {name!r}"
        if isinstance(value, list | tuple):
            members = tuple(sorted({_label_value(member, where) for member in value}))
            if not members or 0 in members:
                raise ValueError(f"{where} is a region and must list foreground labels (1 or more).")
            regions[str(name)] = members
            continue
        value = _label_value(value, where)
        if str(name).lower() == IGNORE_NAME:
            ignore = value
        elif value != 0:
            if value in names:
                raise ValueError(f"{source} names label {value} twice ({names[value]!r} and {name!r}).")
            names[value] = str(name)
    if ignore is not None and ignore == 0:
        raise ValueError(f"{source}'s ignore label must not be the background (0).")
    # a region of one label is the label itself under nnU-Net's region-based training: keep it a region anyway,
    # since the user named it and rows are named after it
    return ClassTable(names=names, regions=regions, ignore=ignore, source=source)


def read_dataset_json(path: str | Path) -> ClassTable:
    """The class table of nnU-Net's ``dataset.json`` at ``path``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path.name} is not valid JSON (line {error.lineno}: {error.msg.lower()}).") from None
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not UTF-8 text.") from None
    return class_table_from_dataset_json(data, source=path.name)


def read_dseg_tsv(path: str | Path) -> ClassTable:
    """The class table of a BIDS ``dseg.tsv`` (tab-separated, with ``index`` and ``name`` columns)."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except UnicodeDecodeError:
        raise ValueError(f"{path.name} is not UTF-8 text.") from None
    if not rows or not {"index", "name"} <= set(rows[0]):
        raise ValueError(f'{path.name} needs tab-separated columns "index" and "name".')
    names: dict[int, str] = {}
    for number, row in enumerate(rows, start=2):
        value = _label_value((row["index"] or "").strip(), f"{path.name} line {number}'s index")
        name = (row["name"] or "").strip()
        if value in names:
            raise ValueError(f"{path.name} names index {value} twice (line {number}).")
        if value != 0 and name:
            names[value] = name
    return ClassTable(names=names, source=path.name)


def find_class_table(folder: str | Path) -> ClassTable | None:
    """The class table that describes the label files in ``folder``, or None.

    Looked for, nearest first: ``dataset.json`` in the folder or its parent (nnU-Net's ``labelsTr/`` sits beside
    it), then ``dseg.tsv`` in the folder and up to the BIDS root (the folder with ``dataset_description.json``).
    """
    folder = Path(folder).resolve()
    for place in (folder, folder.parent):
        if (place / "dataset.json").is_file():
            return read_dataset_json(place / "dataset.json")
    for place in (folder, *folder.parents):
        if (place / "dseg.tsv").is_file():
            return read_dseg_tsv(place / "dseg.tsv")
        if (place / "dataset_description.json").is_file():
            break
    return None
