"""Dataset reports on disk: rewritten whole and atomically after every case, read back to resume a run."""

from __future__ import annotations

import csv
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

from ..io.reports import write_report
from .evaluation import DATASET_ROW_KEYS, METRIC_KEYS, row_order
from .summary import dataset_summary


def write_rows(path: str | os.PathLike, rows: Sequence[dict]) -> Path:
    """Write every row (sorted by case, then label) as CSV, or rows and summary as JSON, atomically: an
    interruption leaves the previous complete file, never half of one."""
    rows = sorted(rows, key=row_order)
    return write_report(path, rows, dataset_summary(rows))


def _number(text: str, kind: type):
    return None if text == "" else kind(text)


def _csv_row(record: dict) -> dict:
    row = {key: record.get(key, "") for key in DATASET_ROW_KEYS}
    row["label"] = _number(row["label"], int)
    for key in METRIC_KEYS:
        row[key] = _number(row[key], float)
    for key in ("gt_voxels", "pred_voxels"):
        row[key] = _number(row[key], int)
    row["message"] = row["message"] or ""
    return row


def read_rows(path: str | os.PathLike) -> list[dict]:
    """The rows of a report written by ``write_rows`` (or by a single-pair ``segreview evaluate --out``).

    Raises ValueError with one sentence when the file is not such a report.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        if path.suffix.lower() == ".json":
            records = json.loads(text)["rows"]
            rows = [{key: record.get(key, "" if key == "message" else None) for key in DATASET_ROW_KEYS}
                    for record in records]  # fmt: skip
        else:
            rows = [_csv_row(record) for record in csv.DictReader(text.splitlines())]
        for row in rows:
            if not isinstance(row["case"], str) or not row["case"] or not isinstance(row["status"], str):
                raise ValueError("a row without case or status")
            for key in METRIC_KEYS:
                if row[key] is not None and math.isnan(row[key]):
                    raise ValueError(f"{key} is NaN")
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path.name} is not a segreview report ({exc}).") from None
    return rows


def resumable_rows(rows: Sequence[dict]) -> list[dict]:
    """The rows a resumed run keeps: every row of each case that finished; failed cases are evaluated again."""
    failed = {row["case"] for row in rows if row["status"] == "error"}
    return [row for row in rows if row["case"] not in failed]
