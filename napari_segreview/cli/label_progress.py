"""Metrics of one pair with a progress bar on stderr once there are more than a few labels (a 1000-label map
takes a while; two labels should print nothing extra)."""

from __future__ import annotations

from typing import TextIO

import numpy as np

from ..metrics import evaluate_labels
from ..metrics.evaluate import LabelEvaluation, slice_rows
from .progress_bar import TextProgressBar

# up to this many labels, no bar: they are done before a bar would say anything
QUIET_UP_TO_LABELS = 5


def evaluate_with_progress(
    gt: np.ndarray, pred: np.ndarray, *, axis: int | None = None, stream: TextIO | None = None, **options
) -> list[LabelEvaluation]:
    """``evaluate_labels`` run to its end (``options`` as ``volume_metrics`` takes them, ``labels`` among
    them), a bar of the labels done on ``stream`` (default stderr) when there are more than QUIET_UP_TO_LABELS."""
    labels = options.pop("labels", None)
    evaluations = evaluate_labels(gt, pred, labels, axis=axis, **options)
    if len(evaluations) <= QUIET_UP_TO_LABELS:
        return list(evaluations)
    bar = TextProgressBar("evaluate", unit="labels", stream=stream)
    done: list[LabelEvaluation] = []
    try:
        for evaluation in evaluations:
            done.append(evaluation)
            bar.update(len(done), len(evaluations))
    finally:
        bar.close()
    return done


def volume_rows(gt: np.ndarray, pred: np.ndarray, **options) -> list[dict]:
    """``volume_metrics`` as rows with their label first, with progress."""
    return [{"label": e.label, **e.rows[0]} for e in evaluate_with_progress(gt, pred, **options)]


def per_slice_rows(gt: np.ndarray, pred: np.ndarray, axis: int, **options) -> list[dict]:
    """``slice_metrics`` rows, with progress."""
    return slice_rows(evaluate_with_progress(gt, pred, axis=axis, **options))
