"""Evaluating one case (a ground-truth file and a prediction file) into metric rows; failures become a row.

This is the function a dask worker runs: it takes paths, reads the files itself and returns small rows, so the
client never holds a volume.
"""

from __future__ import annotations

import errno
import math
import os
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

from ..io.errors import ImageReadError
from ..io.masks import load_mask_pair
from ..io.nifti import first_line
from ..io.reports import printable_text
from ..metrics import ROW_KEYS, evaluate_labels
from ..metrics.rows import BOTH_EMPTY
from .class_metrics import class_metrics
from .class_table import ClassTable

# every dataset row has these keys in this order (CSV needs one header for ok and error rows alike)
# ``class`` is the name a dataset.json or dseg.tsv gives the label ("" without one); a region class (a union of
# labels) has no single label: its row has label None and the region's name
DATASET_ROW_KEYS = ("case", "label", "class", *ROW_KEYS, "message")
METRIC_KEYS = ("dice", "iou", "hd", "hd95", "assd", "nsd")
# voxel sizes within which every convention computes exactly: squared distances, and the surfel convention's
# products of areas, stay far from float64's overflow and underflow (past about 1e76 the surfel HD95 is 0 and its
# ASSD NaN; past 1e154 the border distances overflow)
SPACING_RANGE = (1e-20, 1e20)
# set around a call of evaluate_case in this process to follow its labels: (done, total) after each
LABEL_PROGRESS: ContextVar[Callable[[int, int], None] | None] = ContextVar("label_progress", default=None)


@dataclass(frozen=True)
class CaseFiles:
    case: str  # the ground-truth file name, which names the case in every row
    gt: Path
    pred: Path


@dataclass(frozen=True)
class MetricOptions:
    """The options of ``volume_metrics`` for every case; ``spacing`` None means each file's header."""

    labels: tuple[int, ...] | None = None
    convention: str = "border"
    nsd_tolerance: float = 1.0
    percentile: float = 95.0
    spacing: tuple[float, ...] | None = None
    resample_prediction: bool = False  # predictions on another grid resampled onto the GT's (nearest neighbour)
    classes: ClassTable | None = None  # names, region classes and ignore label of the dataset (dataset.json)


def spacing_problem(spacing: Sequence[float]) -> str | None:
    """None when every (finite, positive) value of ``spacing`` lies in SPACING_RANGE; else words for the rest
    of a sentence: "(1e+308, 1, 1) is outside 1e-20 to 1e+20 per axis, ..."."""
    low, high = SPACING_RANGE
    values = [float(value) for value in spacing]
    if all(low <= value <= high for value in values if math.isfinite(value) and value > 0):
        return None
    shown = ", ".join(f"{value:g}" for value in values)
    return (
        f"({shown}) is outside {low:g} to {high:g} per axis, where distances can be computed without overflow; "
        "give it in another unit"
    )


def _link_problem(path: Path) -> str | None:
    """What is wrong with ``path`` when it is a symbolic link that cannot be followed to a file, else None."""
    if not os.path.islink(path):
        return None
    try:
        os.stat(path)
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "loops back on itself"
        if error.errno == errno.ENOENT:
            return f"leads to {printable_text(os.readlink(path))}, which does not exist"
        return f"cannot be followed ({(error.strerror or type(error).__name__).lower()})"
    return None


def _os_error_sentence(case: str, error: OSError) -> str:
    if error.strerror and error.filename:
        name = printable_text(os.path.basename(os.fsdecode(error.filename)))
        return f"{case}: cannot read {name}: {error.strerror[0].lower()}{error.strerror[1:]}."
    return f"{case}: {printable_text(first_line(error))}."


def error_rows(case: str, message: str) -> list[dict]:
    """The single row of a case that could not be evaluated: no label, no metric, ``status`` ``error``."""
    row = dict.fromkeys(DATASET_ROW_KEYS)
    row.update({"case": case, "class": "", "status": "error", "message": message})
    return [row]


def _no_label_rows(case: str) -> list[dict]:
    # neither mask holds a label: one row keeps the case in the report (and out of a resumed run's work)
    row = {"case": case, "label": None, "class": "", **BOTH_EMPTY, "gt_voxels": 0, "pred_voxels": 0}
    row["status"] = "both_empty"
    row["message"] = "neither mask holds a label."
    return [row]


def evaluate_case(case: CaseFiles, options: MetricOptions) -> list[dict]:
    """Rows of one case, one per label (keys ``DATASET_ROW_KEYS``, ``message`` empty), sorted by label; calls
    ``LABEL_PROGRESS``'s callback, when one is set, with (done, total) after each label (and each region of a class
    table).

    Never raises for a bad case: an unreadable, corrupt or shape-mismatched pair, a symbolic link that loops or
    leads nowhere, a spacing outside SPACING_RANGE, or any other failure, gives ``error_rows`` with one sentence.
    """
    for role, path in (("ground truth", case.gt), ("prediction", case.pred)):
        problem = _link_problem(path)
        if problem is not None:
            name = printable_text(path.name)
            return error_rows(case.case, f"{case.case}: the {role} {name} is a symbolic link that {problem}.")
    try:
        pair = load_mask_pair(
            case.gt, case.pred, spacing=options.spacing, resample_prediction=options.resample_prediction
        )
        problem = spacing_problem(pair.spacing)
        if problem is not None:
            return error_rows(case.case, f"{case.case}: its voxel spacing {problem}.")
        metric_options = {
            "spacing": pair.spacing,
            "labels": None if options.labels is None else list(options.labels),
            "convention": options.convention,
            "nsd_tolerance": options.nsd_tolerance,
            "percentile": options.percentile,
        }
        if options.classes is not None:
            rows = class_metrics(pair.gt, pair.pred, options.classes, on_label=LABEL_PROGRESS.get(), **metric_options)
            if not rows:
                return _no_label_rows(case.case)
            return [{"case": case.case, **row, "message": ""} for row in rows]
        evaluations = evaluate_labels(pair.gt, pair.pred, metric_options.pop("labels"), **metric_options)
        by_label, on_label = {}, LABEL_PROGRESS.get()
        for evaluation in evaluations:
            by_label[evaluation.label] = evaluation.rows[0]
            if on_label is not None:
                on_label(len(by_label), len(evaluations))
    except ImageReadError as exc:
        return error_rows(case.case, str(exc))
    except OSError as exc:
        return error_rows(case.case, _os_error_sentence(case.case, exc))
    except ValueError as exc:
        return error_rows(case.case, f"{case.case}: {printable_text(first_line(exc))}.")
    except MemoryError:
        return error_rows(case.case, f"{case.case} does not fit in memory.")
    except Exception as exc:  # a bad case must not end a run of hundreds
        return error_rows(case.case, f"{case.case}: {type(exc).__name__}: {first_line(exc)}.")
    if not by_label:
        return _no_label_rows(case.case)
    return [
        {"case": case.case, "label": int(label), "class": "", **row, "message": ""}
        for label, row in sorted(by_label.items())
    ]


def row_order(row: dict) -> tuple:
    """Sort key of rows: by case, then label (the label-less row of a case first)."""
    label = row.get("label")
    return (row["case"], label is not None, label if label is not None else 0)
