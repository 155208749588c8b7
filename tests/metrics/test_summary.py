"""Summaries leave both-empty rows out, keep misses as inf, and count both."""

from __future__ import annotations

import math

import numpy as np
import pytest

from napari_segreview.metrics import slice_metrics, summarize


def test_summary_over_slices_with_a_missed_slice_and_empty_slices():
    gt = np.zeros((5, 8, 8), np.uint8)
    gt[1:4, 2:6, 2:6] = 1
    pred = gt.copy()
    pred[3] = 0  # slice 3 missed
    pred[2, 2:6, 5] = 0  # slice 2 slightly under-segmented
    summary = summarize(slice_metrics(gt, pred))[1]
    assert (summary["rows"], summary["both_empty"], summary["inf_rows"]) == (5, 2, 1)
    assert summary["dice"]["mean"] == pytest.approx((1.0 + 2 * 12 / 28 + 0.0) / 3)
    assert summary["dice"]["min"] == 0.0
    assert summary["hd95"]["mean"] == math.inf and summary["hd95"]["min"] == 0.0
    assert not any(np.isnan(v) for stats in summary.values() if isinstance(stats, dict) for v in stats.values())


def test_labels_are_summarised_separately_and_all_empty_gives_no_statistics():
    rows = [
        {"label": 1, "dice": 0.5, "iou": 0.3, "hd": 1, "hd95": 1, "assd": 1, "nsd": 1, "status": "ok"},
        {"label": 2, "dice": 1, "iou": 1, "hd": 0, "hd95": 0, "assd": 0, "nsd": 1, "status": "both_empty"},
    ]
    summary = summarize(rows)
    assert summary[1]["dice"]["mean"] == 0.5
    assert summary[2]["both_empty"] == 1 and summary[2]["dice"]["mean"] is None
