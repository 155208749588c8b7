"""The full review of a GT / prediction pair as a generator that yields progress, and its partial update."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field

import numpy as np

from ..metrics import LabelEvaluation, evaluate_labels
from ..metrics.validation import check_labels, check_masks, check_spacing
from .slice_rows import SliceRows


@dataclass(frozen=True)
class ReviewSettings:
    """What the user chose; spacing is per array axis (the layers' scale)."""

    spacing: tuple[float, ...]
    labels: tuple[int, ...] | None = None
    axis: int = 0
    convention: str = "border"
    nsd_tolerance: float = 1.0
    percentile: float = 95.0
    # {label: name} for the progress messages; names change no number, so they take no part in comparisons
    class_names: dict | None = field(default=None, compare=False)

    def label_name(self, label: int) -> str:
        name = (self.class_names or {}).get(label)
        return f"{name} (label {label})" if name else f"label {label}"

    def metric_options(self) -> dict:
        return {
            "spacing": self.spacing,
            "convention": self.convention,
            "nsd_tolerance": self.nsd_tolerance,
            "percentile": self.percentile,
        }


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    message: str


@dataclass
class ReviewResult:
    """Everything the dock shows.

    volume:      {label: row} over the whole image
    slice_table: the rows of every (slice, label) along ``settings.axis`` as columns (:class:`SliceRows`; a 2D
                 image is one slice, index 0), so that tens of thousands of rows are a few arrays, not objects
                 for the garbage collector
    evaluations: {label: LabelEvaluation} of the volume, whose distances the heatmaps paint
    """

    settings: ReviewSettings
    labels: tuple[int, ...]
    shape: tuple[int, ...]
    volume: dict[int, dict] = field(default_factory=dict)
    slice_table: SliceRows | None = None
    evaluations: dict[int, LabelEvaluation] = field(default_factory=dict)

    def __post_init__(self):
        if self.slice_table is None:
            self.slice_table = SliceRows(self.n_slices, self.labels)

    @property
    def n_slices(self) -> int:
        return self.shape[self.settings.axis] if len(self.shape) == 3 else 1

    def slice_rows(self) -> list[dict]:
        """Rows ordered by slice then label, each with ``slice`` and ``label`` (made on each call)."""
        return self.slice_table.rows()

    @property
    def slices(self) -> dict[tuple[int, int], dict]:
        """``{(slice, label): row}`` (made on each call; rows without ``slice`` and ``label``)."""
        return {(row.pop("slice"), row.pop("label")): row for row in self.slice_rows()}

    def volume_rows(self) -> list[dict]:
        return [{"label": label, **row} for label, row in sorted(self.volume.items())]


def run_review(gt, pred, settings: ReviewSettings) -> Generator[Progress, None, ReviewResult]:
    """Compute volume and per-slice metrics of every label, yielding a Progress (with the label's name when
    ``settings.class_names`` has one) before each label, then a last one when done.

    Returns (as the generator's return value) a :class:`ReviewResult`. Raises ValueError with one sentence for
    inputs the metrics refuse (shape mismatch, non-integer labels, bad spacing).
    """
    return (yield from _review(gt, pred, settings, previous=None, edited=None))


def update_review(previous: ReviewResult, gt, pred, edited: np.ndarray) -> Generator[Progress, None, ReviewResult]:
    """After an edit of the slices ``edited`` (along the review axis): recompute the volume metrics and only the
    rows of those slices, which is cheaper than the whole stack whenever few slices changed."""
    return (yield from _review(gt, pred, previous.settings, previous=previous, edited=edited))


def _review(gt, pred, settings: ReviewSettings, previous: ReviewResult | None, edited: np.ndarray | None):
    gt, pred = check_masks(gt, pred)
    check_spacing(settings.spacing, gt.ndim)
    labels = set(check_labels(settings.labels, gt, pred))
    if previous is not None:
        labels |= set(previous.labels)  # a class erased by an edit keeps its (now empty) rows
    labels = tuple(sorted(labels))
    result = ReviewResult(settings=settings, labels=labels, shape=gt.shape)
    if previous is not None:
        result.slice_table = previous.slice_table.with_labels(labels)
    table = result.slice_table
    options = settings.metric_options()
    # one labelled pass per map and call; each iterator then evaluates one label per step, in label order
    volume = evaluate_labels(gt, pred, labels, **options)
    fresh = [label for label in labels if previous is None or label not in previous.labels]
    kept = [label for label in labels if label not in fresh]
    if gt.ndim == 3:
        every_slice = evaluate_labels(gt, pred, fresh, axis=settings.axis, **options)
        edited_parts = []
        for start, stop in _runs(edited) if kept else []:
            part = [slice(None)] * 3
            part[settings.axis] = slice(start, stop)
            part = tuple(part)
            edited_parts.append((start, evaluate_labels(gt[part], pred[part], kept, axis=settings.axis, **options)))
    total = len(labels)
    for step, label in enumerate(labels):
        work = f"{len(edited)} edited slice(s)" if label in kept else "volume and slice metrics"
        yield Progress(step, total, f"{settings.label_name(label)}: {work}")
        evaluation = next(volume)
        result.evaluations[label] = evaluation
        result.volume[label] = evaluation.rows[0]
        # each label's row dicts go into the columns at once and are dropped
        if gt.ndim == 2:
            table.set_label_rows(label, 0, evaluation.rows)
        elif label in fresh:
            table.set_label_rows(label, 0, next(every_slice).rows)
        else:
            for start, part_evaluations in edited_parts:
                table.set_label_rows(label, start, next(part_evaluations).rows)
    yield Progress(total, total, "done")
    return result


def _runs(indices: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive runs of sorted indices as (start, stop) pairs."""
    if len(indices) == 0:
        return []
    breaks = np.flatnonzero(np.diff(indices) != 1)
    starts = np.concatenate([[indices[0]], indices[breaks + 1]])
    stops = np.concatenate([indices[breaks], [indices[-1]]]) + 1
    return list(zip(starts.tolist(), stops.tolist(), strict=True))
