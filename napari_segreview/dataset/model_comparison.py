"""Two models on one dataset: per-case paired differences (B − A) of each metric and label, with a paired
bootstrap confidence interval of the mean difference.

Paired: the same cases are resampled for both models, so case difficulty cancels out. A pair enters a metric's
statistics only when both values are finite (a missed structure's infinite HD has no difference); how many were
left out is counted. Cases that failed for either model are left out of every metric.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .evaluation import METRIC_KEYS

BOOTSTRAP_RESAMPLES = 10_000
CONFIDENCE = 0.95
# for Dice, IoU and NSD a larger value is better; for the distances a smaller one
HIGHER_IS_BETTER = {"dice": True, "iou": True, "nsd": True, "hd": False, "hd95": False, "assd": False}


def _by_case_and_label(rows: Sequence[dict]) -> dict[tuple[str, int], dict]:
    return {(row["case"], row["label"]): row for row in rows if row["status"] != "error" and row["label"] is not None}


def paired_rows(rows_a: Sequence[dict], rows_b: Sequence[dict]) -> list[dict]:
    """One row per (case, label) evaluated for both models: ``case``, ``label``, and per metric ``{m}_a``,
    ``{m}_b`` and ``{m}_diff`` (B − A; None when either value is infinite or missing)."""
    a, b = _by_case_and_label(rows_a), _by_case_and_label(rows_b)
    failed = {row["case"] for row in (*rows_a, *rows_b) if row["status"] == "error"}
    paired = []
    for key in sorted(a.keys() & b.keys()):
        if key[0] in failed:
            continue
        row = {"case": key[0], "label": key[1]}
        for metric in METRIC_KEYS:
            value_a, value_b = a[key].get(metric), b[key].get(metric)
            row[f"{metric}_a"], row[f"{metric}_b"] = value_a, value_b
            finite = value_a is not None and value_b is not None and np.isfinite(value_a) and np.isfinite(value_b)
            row[f"{metric}_diff"] = float(value_b - value_a) if finite else None
        paired.append(row)
    return paired


def bootstrap_interval(
    differences: np.ndarray, resamples: int = BOOTSTRAP_RESAMPLES, confidence: float = CONFIDENCE, seed: int = 0
) -> tuple[float, float]:
    """The percentile bootstrap interval of the mean of ``differences`` (cases resampled with replacement)."""
    differences = np.asarray(differences, dtype=float)
    if differences.size == 0:
        return (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    # in chunks, so that memory stays small for thousands of cases
    for start in range(0, resamples, 1000):
        stop = min(start + 1000, resamples)
        picks = rng.integers(0, differences.size, size=(stop - start, differences.size))
        means[start:stop] = differences[picks].mean(axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return (float(low), float(high))


def compare_models(
    rows_a: Sequence[dict], rows_b: Sequence[dict], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = 0
) -> dict:
    """``{"pairs": paired_rows, "labels": {label: {metric: stats}}}``; stats: ``cases`` (pairs used), ``excluded``
    (pairs with an infinite or missing value), ``mean_a``, ``mean_b``, ``mean_diff`` (B − A), ``ci_low``,
    ``ci_high`` (the 95% paired bootstrap interval of ``mean_diff``), ``better`` ("A", "B" or "neither": whether
    the interval excludes 0, and on which side, given the metric's direction)."""
    pairs = paired_rows(rows_a, rows_b)
    labels: dict[int, dict] = {}
    for label in sorted({row["label"] for row in pairs}):
        label_pairs = [row for row in pairs if row["label"] == label]
        per_metric = {}
        for metric in METRIC_KEYS:
            used = [row for row in label_pairs if row[f"{metric}_diff"] is not None]
            diffs = np.array([row[f"{metric}_diff"] for row in used])
            low, high = bootstrap_interval(diffs, resamples=resamples, seed=seed)
            better = "neither"
            if used and (low > 0 or high < 0):
                b_higher = low > 0
                better = "B" if b_higher == HIGHER_IS_BETTER[metric] else "A"
            per_metric[metric] = {
                "cases": len(used),
                "excluded": len(label_pairs) - len(used),
                "mean_a": float(np.mean([row[f"{metric}_a"] for row in used])) if used else float("nan"),
                "mean_b": float(np.mean([row[f"{metric}_b"] for row in used])) if used else float("nan"),
                "mean_diff": float(diffs.mean()) if used else float("nan"),
                "ci_low": low,
                "ci_high": high,
                "better": better,
            }
        labels[label] = per_metric
    return {"pairs": pairs, "labels": labels}
