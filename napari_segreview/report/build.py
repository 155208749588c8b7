"""Building the HTML report of a dataset report file: read its rows and options, draw, write atomically."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from pathlib import Path

from ..dataset import WORST_CASES, read_rows, recorded_options
from ..io.files import write_atomically
from .cases import Folders, dataset_folders, worst_case_entries
from .html_page import ReportContent, render_page
from .statistics import class_statistics


def build_report_html(
    report: str | os.PathLike,
    folders: Folders | None = None,
    worst: int = WORST_CASES,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """The HTML page of the dataset report at ``report`` (JSON or CSV, as ``segreview evaluate`` writes it).

    ``folders`` locate each worst case's files for its thumbnail (none without the GT and prediction folders);
    ``progress(done, total)`` is called after each worst case. Raises ValueError with one sentence when
    ``report`` is not a segreview report, OSError when it cannot be read.
    """
    report, folders = Path(report), dataset_folders(folders or Folders())
    rows = read_rows(report)
    if _has_slice_rows(report):
        raise ValueError(
            f"{report.name} holds per-slice rows (segreview evaluate --per-slice); the HTML report is made from a "
            "report of whole cases (one row per case and label)"
        )
    options = recorded_options(report)
    resample = bool(options and options.get("resample_prediction"))
    content = ReportContent(
        title=f"Segmentation report: {report.name}",
        source=report.name,
        rows=rows,
        classes=class_statistics(rows),
        worst=worst_case_entries(rows, folders, worst, resample_prediction=resample, progress=progress),
        options=options,
        folders=folders,
    )
    return render_page(content)


def _has_slice_rows(report: Path) -> bool:
    """Whether the report's rows carry a ``slice`` column (``read_rows`` reads them as case rows otherwise)."""
    with report.open(encoding="utf-8", newline="") as file:
        if report.suffix.lower() == ".json":
            return any(isinstance(row, dict) and "slice" in row for row in json.load(file).get("rows", []))
        return "slice" in (csv.DictReader(file).fieldnames or [])


def write_report_html(html: str, out: str | os.PathLike) -> Path:
    """Write ``html`` to ``out`` atomically (an interruption leaves what was there, never half a page)."""
    out = Path(out)
    write_atomically(out, lambda temporary: temporary.write_text(html, encoding="utf-8"))
    return out
