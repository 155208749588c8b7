"""Summaries of metric rows over slices or cases, per label.

Rows where both masks are empty are left out (they say nothing about the model) and counted; rows with an
infinite distance (a missed or hallucinated structure) stay in, so the mean of a distance is infinite when
any case was missed, and they are counted too. NaN never appears.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

METRICS = ("dice", "iou", "hd", "hd95", "assd", "nsd")
STATISTICS = ("mean", "median", "std", "min", "max")


def _statistics(values: np.ndarray) -> dict[str, float | None]:
    if values.size == 0:
        return dict.fromkeys(STATISTICS)
    finite = values[np.isfinite(values)]
    with np.errstate(invalid="ignore"):
        spread = float(np.std(values)) if finite.size == values.size else np.inf
    return {
        "mean": float(np.mean(values)),
        "median": float(np.median(values)),
        "std": spread,
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }


def summarize(rows: Iterable[dict]) -> dict[int, dict]:
    """Per label: counts of rows (``rows``, ``both_empty``, ``inf_rows``) and mean/median/std/min/max of each
    metric over the rows that are not ``both_empty``. Rows without a label key count as label 1."""
    by_label: dict[int, list[dict]] = {}
    for row in rows:
        by_label.setdefault(int(row.get("label", 1)), []).append(row)
    summary = {}
    for label, label_rows in sorted(by_label.items()):
        counted = [row for row in label_rows if row["status"] != "both_empty"]
        entry: dict = {
            "rows": len(label_rows),
            "both_empty": len(label_rows) - len(counted),
            "inf_rows": sum(any(np.isinf(row[key]) for key in ("hd", "hd95", "assd")) for row in counted),
        }
        for metric in METRICS:
            entry[metric] = _statistics(np.array([row[metric] for row in counted], dtype=float))
        summary[label] = entry
    return summary
