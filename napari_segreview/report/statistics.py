"""Per-class statistics of a dataset report's rows, for the plots of the HTML report: which values each plot
shows and how many rows it leaves out, and why.

A class is a label (its rows' ``label``, named by their ``class`` when the dataset names it) or a region class
of the dataset (a union of labels: rows without a label whose ``class`` names the region). Rows left out of
every plot: ``both_empty`` rows (neither mask has the class there: Dice 1 and distance 0 by convention, which says
nothing about the model) and failed cases (``error``: no metric at all, and no row per class, so every class
counts each failed case once). Infinite distances (one mask empty) are left out of the distance plots only;
their Dice 0 stays in the Dice plot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

METRICS = ("dice", "iou", "nsd", "hd", "hd95", "assd")
DISTANCE_METRICS = ("hd", "hd95", "assd")


@dataclass(frozen=True)
class BoxStatistics:
    """Tukey's box of finite values: quartiles by linear interpolation (numpy's default), whiskers at the
    furthest values within 1.5 IQR of the box, the values beyond them as outliers."""

    count: int
    q1: float
    median: float
    q3: float
    low_whisker: float
    high_whisker: float
    mean: float
    outliers: tuple[float, ...]


def box_statistics(values: Sequence[float]) -> BoxStatistics | None:
    """The box of ``values`` (finite numbers), or None when there are none."""
    data = np.asarray(values, dtype=float)
    if data.size == 0:
        return None
    q1, median, q3 = (float(v) for v in np.percentile(data, [25, 50, 75]))
    reach = 1.5 * (q3 - q1)
    inside = data[(data >= q1 - reach) & (data <= q3 + reach)]
    outliers = tuple(float(v) for v in np.sort(data[(data < q1 - reach) | (data > q3 + reach)]))
    return BoxStatistics(
        count=int(data.size),
        q1=q1,
        median=median,
        q3=q3,
        low_whisker=float(inside.min()),
        high_whisker=float(inside.max()),
        mean=float(data.mean()),
        outliers=outliers,
    )


@dataclass
class ClassStatistics:
    """What the report shows of one class: the finite values of each metric (in case order) with their cases,
    and the rows left out: ``both_empty``, ``inf_rows`` (a distance is infinite), ``error_rows`` (failed cases).
    ``rows`` counts the class's rows that are not ``both_empty`` (the rows behind the plots)."""

    label: int | None  # None for a region
    name: str = ""  # the class name the dataset gives ("" when it names none); a region's name
    rows: int = 0
    both_empty: int = 0
    inf_rows: int = 0
    error_rows: int = 0
    values: dict[str, list[float]] = field(default_factory=lambda: {metric: [] for metric in METRICS})
    cases: dict[str, list[str]] = field(default_factory=lambda: {metric: [] for metric in METRICS})

    @property
    def is_region(self) -> bool:
        return self.label is None

    @property
    def title(self) -> str:
        """``label 2 (white matter)``, ``label 2`` or ``region whole tumour``."""
        if self.is_region:
            return f"region {self.name}"
        return f"label {self.label}" + (f" ({self.name})" if self.name else "")

    @property
    def short_title(self) -> str:
        """A box's name under a plot: the class name, else ``label 2``."""
        return self.name or f"label {self.label}"

    def excluded(self, metric: str) -> int:
        """How many rows of this class the ``metric`` plot leaves out (both-empty, failed, infinite)."""
        return self.both_empty + self.error_rows + (self.rows - len(self.values[metric]))

    def box(self, metric: str) -> BoxStatistics | None:
        return box_statistics(self.values[metric])


def class_statistics(rows: Sequence[dict]) -> list[ClassStatistics]:
    """One entry per label of ``rows`` (dataset report rows, as ``dataset.read_rows`` gives them), sorted by
    label, then one per region in the order they first come. Other rows without a label (a case where neither
    mask holds one, a failed case) belong to no class; every class counts the failed cases as its
    ``error_rows``."""
    failed = len({row["case"] for row in rows if row["status"] == "error"})
    labels: dict[int, ClassStatistics] = {}
    regions: dict[str, ClassStatistics] = {}
    for row in rows:
        name = row.get("class") or ""
        if row["status"] == "error" or (row.get("label") is None and not name):
            continue
        if row.get("label") is None:
            entry = regions.setdefault(name, ClassStatistics(None, name, error_rows=failed))
        else:
            entry = labels.setdefault(int(row["label"]), ClassStatistics(int(row["label"]), error_rows=failed))
            entry.name = entry.name or name
        if row["status"] == "both_empty":
            entry.both_empty += 1
            continue
        entry.rows += 1
        entry.inf_rows += any(_is_inf(row.get(metric)) for metric in DISTANCE_METRICS)
        for metric in METRICS:
            value = row.get(metric)
            if value is not None and math.isfinite(value):
                entry.values[metric].append(float(value))
                entry.cases[metric].append(row["case"])
    return [labels[label] for label in sorted(labels)] + list(regions.values())


def _is_inf(value) -> bool:
    return value is not None and math.isinf(value)
