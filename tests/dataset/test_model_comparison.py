"""Paired differences of two models and their bootstrap interval (against scipy.stats.bootstrap)."""

import math

import numpy as np
import pytest
from scipy import stats

from napari_segreview.dataset.model_comparison import bootstrap_interval, compare_models, paired_rows


def _row(case, label, dice, hd=1.0, status="ok"):
    return {
        "case": case,
        "label": label,
        "dice": dice,
        "iou": dice / (2 - dice),
        "hd": hd,
        "hd95": hd,
        "assd": hd,
        "nsd": dice,
        "status": status,
        "message": "",
    }


def test_interval_agrees_with_scipy_percentile_bootstrap():
    diffs = np.random.default_rng(3).normal(0.02, 0.05, size=60)
    ours = bootstrap_interval(diffs, resamples=20_000)
    theirs = stats.bootstrap((diffs,), np.mean, n_resamples=20_000, method="percentile", random_state=1)
    # two Monte-Carlo estimates of one interval: they agree to a few thousandths of the spread
    assert ours == pytest.approx(tuple(theirs.confidence_interval), abs=0.1 * diffs.std() / math.sqrt(60) * 3)


def test_constant_difference_has_a_point_interval():
    assert bootstrap_interval(np.full(10, 0.25)) == pytest.approx((0.25, 0.25))


def test_pairs_use_only_cases_both_models_evaluated_and_finite_values():
    rows_a = [
        _row("a", 1, 0.5),
        _row("b", 1, 0.6),
        _row("c", 1, 0.7),
        _row("d", 1, 0.0, math.inf),
        {"case": "e", "label": None, "status": "error", "message": "x"},
    ]
    rows_b = [_row("a", 1, 0.7), _row("b", 1, 0.8), _row("c", 1, 0.9), _row("d", 1, 0.4, 3.0), _row("e", 1, 0.9)]
    pairs = paired_rows(rows_a, rows_b)
    assert [row["case"] for row in pairs] == ["a", "b", "c", "d"]  # e failed for A
    assert pairs[3]["hd_diff"] is None and pairs[3]["dice_diff"] == pytest.approx(0.4)
    result = compare_models(rows_a, rows_b, resamples=2000)
    dice = result["labels"][1]["dice"]
    assert dice["cases"] == 4 and dice["excluded"] == 0
    assert dice["mean_diff"] == pytest.approx((0.2 + 0.2 + 0.2 + 0.4) / 4)
    assert dice["ci_low"] > 0 and dice["better"] == "B"
    hd = result["labels"][1]["hd"]
    assert hd["cases"] == 3 and hd["excluded"] == 1 and hd["better"] == "neither"  # all three differences 0


def test_a_lower_distance_makes_a_better():
    rows_a = [_row(f"c{i}", 2, 0.8, hd=1.0 + 0.01 * i) for i in range(8)]
    rows_b = [_row(f"c{i}", 2, 0.8, hd=3.0 + 0.02 * i) for i in range(8)]
    assert compare_models(rows_a, rows_b, resamples=1000)["labels"][2]["hd"]["better"] == "A"
