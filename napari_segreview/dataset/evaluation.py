"""Evaluating one case (a ground-truth file and a prediction file) into metric rows; failures become a row.

This is the function a dask worker runs: it takes paths, reads the files itself and returns small rows, so the
client never holds a volume.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..io.errors import ImageReadError
from ..io.masks import load_mask_pair
from ..io.nifti import first_line
from ..metrics import ROW_KEYS, volume_metrics
from ..metrics.rows import BOTH_EMPTY

# every dataset row has these keys in this order (CSV needs one header for ok and error rows alike)
DATASET_ROW_KEYS = ("case", "label", *ROW_KEYS, "message")
METRIC_KEYS = ("dice", "iou", "hd", "hd95", "assd", "nsd")


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


def error_rows(case: str, message: str) -> list[dict]:
    """The single row of a case that could not be evaluated: no label, no metric, ``status`` ``error``."""
    row = dict.fromkeys(DATASET_ROW_KEYS)
    row.update(case=case, status="error", message=message)
    return [row]


def _no_label_rows(case: str) -> list[dict]:
    # neither mask holds a label: one row keeps the case in the report (and out of a resumed run's work)
    row = {"case": case, "label": None, **BOTH_EMPTY, "gt_voxels": 0, "pred_voxels": 0, "status": "both_empty"}
    row["message"] = "neither mask holds a label."
    return [row]


def evaluate_case(case: CaseFiles, options: MetricOptions) -> list[dict]:
    """Rows of one case, one per label (keys ``DATASET_ROW_KEYS``, ``message`` empty), sorted by label.

    Never raises for a bad case: an unreadable, corrupt or shape-mismatched pair, or any other failure, gives
    ``error_rows`` with one sentence.
    """
    try:
        pair = load_mask_pair(case.gt, case.pred, spacing=options.spacing)
        by_label = volume_metrics(
            pair.gt,
            pair.pred,
            spacing=pair.spacing,
            labels=None if options.labels is None else list(options.labels),
            convention=options.convention,
            nsd_tolerance=options.nsd_tolerance,
            percentile=options.percentile,
        )
    except ImageReadError as exc:
        return error_rows(case.case, str(exc))
    except (ValueError, OSError) as exc:
        return error_rows(case.case, f"{case.case}: {first_line(exc)}.")
    except MemoryError:
        return error_rows(case.case, f"{case.case} does not fit in memory.")
    except Exception as exc:  # a bad case must not end a run of hundreds
        return error_rows(case.case, f"{case.case}: {type(exc).__name__}: {first_line(exc)}.")
    if not by_label:
        return _no_label_rows(case.case)
    return [{"case": case.case, "label": int(label), **row, "message": ""} for label, row in sorted(by_label.items())]


def row_order(row: dict) -> tuple:
    """Sort key of rows: by case, then label (the label-less row of a case first)."""
    label = row.get("label")
    return (row["case"], label is not None, label if label is not None else 0)
