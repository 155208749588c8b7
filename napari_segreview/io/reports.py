"""Writing metric rows as CSV or JSON, and formatting them as a table for the terminal.

JSON follows the SPEC: ``{"rows": [...], "summary": {...}}``. Infinite distances (a missed structure) are
written as ``Infinity`` in JSON (what Python's json module and pandas read) and ``inf`` in CSV. Reports are
UTF-8 whatever the file names: the bytes of a name that is not UTF-8 are written as ``\xe9`` (see
:func:`printable_text`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path

from .files import write_atomically

REPORT_SUFFIXES = (".csv", ".json")


def printable_text(text: str) -> str:
    """``text`` as any UTF-8 file or terminal takes it: the bytes of a file name that are not UTF-8 (which
    Python keeps as lone surrogates, ``os.fsdecode``) become ``\\xe9``-style escapes; other text is unchanged."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text


def _printable_values(row: dict) -> dict:
    return {key: printable_text(value) if isinstance(value, str) else value for key, value in row.items()}


def _write_atomically(path: Path, text: str) -> None:
    """An interrupted write never leaves half a file."""
    write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8", newline=""))


def rows_to_csv(rows: Sequence[dict]) -> str:
    if not rows:
        return ""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    # the minimal quoting quotes a field holding "\n" but not one holding "\r" (a file name may), which readers
    # would split: such a row is written with every field quoted
    quoting_all = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writeheader()
    for row in rows:
        cells = {key: repr(value) if isinstance(value, float) else value for key, value in row.items()}
        has_return = any(isinstance(value, str) and "\r" in value for value in cells.values())
        (quoting_all if has_return else writer).writerow(cells)
    return buffer.getvalue()


def write_report(path: str | os.PathLike, rows: Sequence[dict], summary: dict) -> Path:
    """Write rows (CSV) or rows and summary (JSON) to ``path``, chosen by its suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    rows = [_printable_values(row) for row in rows]
    if suffix == ".csv":
        _write_atomically(path, rows_to_csv(rows))
    elif suffix == ".json":
        document = {"rows": list(rows), "summary": {str(key): value for key, value in summary.items()}}
        _write_atomically(path, json.dumps(document, indent=1) + "\n")
    else:
        raise ValueError(f"{path.name}: the output must end in .csv or .json.")
    return path


def _cell(value) -> str:
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:.4g}"
    return str(value)


def format_table(rows: Sequence[dict], columns: Sequence[str]) -> str:
    """Rows as aligned text columns."""
    cells = [[_cell(row[column]) for column in columns] for row in rows]
    widths = [max([len(column), *(len(line[i]) for line in cells)]) for i, column in enumerate(columns)]
    lines = ["  ".join(column.rjust(width) for column, width in zip(columns, widths, strict=True))]
    lines += ["  ".join(cell.rjust(width) for cell, width in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines)
