"""Dataset reports on disk: rewritten whole and atomically after every case, read back to resume a run.

A report records the metric options its rows were computed with, so that a resumed run can refuse to mix rows
computed two ways: a JSON report in ``summary["options"]`` (written with the rows, in one atomic step), a CSV
report in a sidecar ``<report>.options.json`` (CSV has no place for it that every CSV reader skips).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..io.files import write_atomically
from ..io.reports import write_report
from .evaluation import DATASET_ROW_KEYS, METRIC_KEYS, MetricOptions, row_order
from .summary import dataset_summary

OPTIONS_KEY = "options"
OPTIONS_SUFFIX = ".options.json"


def options_record(options: MetricOptions) -> dict[str, Any]:
    """``options`` as a report records them (JSON values; labels sorted, as their order changes no row)."""
    record = {
        "labels": None if options.labels is None else sorted({int(label) for label in options.labels}),
        "convention": options.convention,
        "nsd_tolerance": float(options.nsd_tolerance),
        "percentile": float(options.percentile),
        "spacing": None if options.spacing is None else [float(value) for value in options.spacing],
    }
    if options.resample_prediction:  # recorded only when on, so reports from before the option still resume
        record["resample_prediction"] = True
    if options.classes is not None:  # likewise; a changed dataset.json is then another run
        record["classes"] = {
            "source": options.classes.source,
            "names": {str(label): name for label, name in sorted(options.classes.names.items())},
            "regions": {name: list(members) for name, members in options.classes.regions.items()},
            "ignore": options.classes.ignore,
        }
    return record


def options_path(report: str | os.PathLike) -> Path:
    """The sidecar that records the options of a CSV report: ``report.csv.options.json`` beside it."""
    report = Path(report)
    return report.with_name(report.name + OPTIONS_SUFFIX)


def _is_json(path: Path) -> bool:
    return path.suffix.lower() == ".json"


def _read_sidecar(sidecar: Path) -> Any:
    try:
        return json.loads(sidecar.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"{sidecar.name} is not a segreview options file ({exc}).") from None


def _records(sidecar: Path, record: dict[str, Any]) -> bool:
    """Whether ``sidecar`` exists and holds ``record``; an unreadable one holds nothing."""
    try:
        return sidecar.is_file() and _read_sidecar(sidecar) == record
    except (ValueError, OSError):
        return False


def options_file_in_the_way(report: str | os.PathLike, options: MetricOptions | None) -> Path | None:
    """The options file beside the CSV report ``report`` that writing the report (recording ``options``; None
    for a report that records none) would replace or remove, when it does not already hold those options;
    None when nothing is in the way (no such file, a JSON report, or a file recording exactly ``options``, such
    as the one a run interrupted in its first case leaves)."""
    report = Path(report)
    sidecar = options_path(report)
    if _is_json(report) or not os.path.lexists(sidecar):
        return None
    if options is not None and _records(sidecar, options_record(options)):
        return None
    return sidecar


def write_rows(path: str | os.PathLike, rows: Sequence[dict], options: MetricOptions | None = None) -> Path:
    """Write every row (sorted by case, then label) as CSV, or rows and summary as JSON, atomically: an
    interruption leaves the previous complete file, never half of one.

    With ``options`` the report records them (see the module docstring); without, it records none. Whenever
    the report and its sidecar both exist, the sidecar describes the report's rows, also after an interruption:
    a sidecar that would change (or that cannot be read) is removed before the report is rewritten and written
    anew after it; the sidecar of a new report whose first write fails is removed with it.
    """
    path = Path(path)
    rows = sorted(rows, key=row_order)
    summary = dataset_summary(rows)
    record = None if options is None else options_record(options)
    if _is_json(path):
        if record is not None:
            summary[OPTIONS_KEY] = record
        return write_report(path, rows, summary)
    sidecar = options_path(path)
    unchanged = record is not None and _records(sidecar, record)
    text = None if record is None else json.dumps(record, indent=1) + "\n"

    def write_sidecar() -> None:
        write_atomically(sidecar, lambda temporary: temporary.write_text(text, encoding="utf-8"))

    new_sidecar = False
    if text is not None and not unchanged and not path.exists():
        # a new report: its options first, so that an interruption right after its first rows leaves a report
        # that can be resumed (a sidecar without a report describes no rows)
        write_sidecar()
        unchanged = new_sidecar = True
    if not unchanged:
        sidecar.unlink(missing_ok=True)
    try:
        write_report(path, rows, summary)
    except BaseException:
        if new_sidecar and not path.exists():  # no report came of it: its options must not stay behind alone
            sidecar.unlink(missing_ok=True)
        raise
    if text is not None and not unchanged:
        write_sidecar()
    return path


def forget_options(path: str | os.PathLike) -> None:
    """Remove the options sidecar of a CSV report, before it is replaced by rows computed some other way (a
    JSON report has none: a file named like one beside it is left alone)."""
    if not _is_json(Path(path)):
        options_path(path).unlink(missing_ok=True)


def recorded_options(path: str | os.PathLike) -> dict[str, Any] | None:
    """The options a report records, or None when it records none (a report of an older version, a
    single-pair report, or a CSV report whose sidecar is gone). Raises ValueError with one sentence when the
    JSON report or the sidecar cannot be parsed, OSError when a file cannot be read."""
    path = Path(path)
    if _is_json(path):
        try:
            summary = json.loads(path.read_text(encoding="utf-8")).get("summary")
        except (ValueError, AttributeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path.name} is not a segreview report ({exc}).") from None
        record = summary.get(OPTIONS_KEY) if isinstance(summary, dict) else None
    else:
        record = _read_sidecar(options_path(path))
    return record if isinstance(record, dict) else None


@dataclass(frozen=True)
class OptionMismatch:
    """Why a report cannot be continued with some options: ``option`` (a key of :func:`options_record`) has
    ``recorded`` in the report but ``given`` now; ``option`` None when the report records no options (or not
    all of them)."""

    option: str | None
    recorded: Any = None
    given: Any = None


def option_mismatch(path: str | os.PathLike, options: MetricOptions) -> OptionMismatch | None:
    """None when the report at ``path`` was computed with ``options``, so that a run may add rows to it; else
    the first option that differs (an option this version does not know counts as differing)."""
    recorded = recorded_options(path)
    given = options_record(options)
    if recorded is None or not recorded.keys() >= given.keys():  # a record without some option says nothing
        return OptionMismatch(None)
    for key in (*given, *sorted(recorded.keys() - given.keys())):
        if key not in given or recorded[key] != given[key]:
            return OptionMismatch(key, recorded[key], given.get(key))
    return None


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
    row["class"] = row["class"] or ""
    return row


def read_rows(path: str | os.PathLike) -> list[dict]:
    """The rows of a report written by ``write_rows`` (or by a single-pair ``segreview evaluate --out``).

    Raises ValueError with one sentence when the file is not such a report.
    """
    path = Path(path)
    try:
        # newline="": a case name may hold a newline or carriage return, inside a quoted CSV field
        with path.open(encoding="utf-8", newline="") as file:
            text = file.read()
        if path.suffix.lower() == ".json":
            records = json.loads(text)["rows"]
            rows = [{key: record.get(key, "" if key in ("message", "class") else None) for key in DATASET_ROW_KEYS}
                    for record in records]  # fmt: skip
        else:
            rows = [_csv_row(record) for record in csv.DictReader(io.StringIO(text, newline=""))]
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
