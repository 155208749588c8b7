"""Per-class statistics of the HTML report: the boxes against matplotlib's, the left-out counts against the
dataset summary's."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.cbook import boxplot_stats

from napari_segreview.dataset import dataset_summary, read_rows
from napari_segreview.report import box_statistics, class_statistics
from tests.dataset.cases import FAILING


@pytest.mark.parametrize("seed", range(5))
def test_box_equals_matplotlibs_boxplot_stats(seed):
    rng = np.random.default_rng(seed)
    values = np.concatenate([rng.normal(0.8, 0.1, 30), rng.uniform(0, 0.2, seed)])  # a few far outliers
    ours = box_statistics(values)
    (theirs,) = boxplot_stats(values, whis=1.5)
    assert ours.q1 == pytest.approx(theirs["q1"])
    assert ours.median == pytest.approx(theirs["med"])
    assert ours.q3 == pytest.approx(theirs["q3"])
    assert ours.low_whisker == pytest.approx(theirs["whislo"])
    assert ours.high_whisker == pytest.approx(theirs["whishi"])
    assert ours.mean == pytest.approx(theirs["mean"])
    assert sorted(ours.outliers) == pytest.approx(sorted(theirs["fliers"]))


def test_no_values_no_box():
    assert box_statistics([]) is None


def test_counts_match_the_dataset_summary(evaluated):
    report, _gt, _pred = evaluated
    rows = read_rows(report)
    summary = dataset_summary(rows)["labels"]
    classes = class_statistics(rows)
    assert [c.label for c in classes] == sorted(summary)
    for entry in classes:
        expected = summary[entry.label]
        assert entry.rows == expected["rows"] - expected["both_empty"]
        assert entry.both_empty == expected["both_empty"]
        assert entry.inf_rows == expected["inf_rows"]
        assert entry.error_rows == expected["error_rows"] == len(FAILING)
        # Dice is finite in every row; distances leave out exactly the infinite rows
        assert len(entry.values["dice"]) == entry.rows
        assert len(entry.values["hd95"]) == entry.rows - entry.inf_rows
        assert entry.excluded("hd95") == entry.both_empty + entry.error_rows + entry.inf_rows
        assert entry.excluded("dice") == entry.both_empty + entry.error_rows
        assert np.median(entry.values["dice"]) == pytest.approx(expected["dice"]["median"])
    assert any(entry.inf_rows for entry in classes)  # the dataset has missed labels: the test means something


def test_both_empty_and_failed_rows_are_left_out():
    rows = [
        {"case": "a", "label": 1, "status": "ok", "dice": 0.5, "iou": 1 / 3, "hd": 2.0, "hd95": 1.0, "assd": 0.5,
         "nsd": 0.7},
        {"case": "b", "label": 1, "status": "both_empty", "dice": 1.0, "iou": 1.0, "hd": 0.0, "hd95": 0.0,
         "assd": 0.0, "nsd": 1.0},
        {"case": "c", "label": 1, "status": "pred_empty", "dice": 0.0, "iou": 0.0, "hd": math.inf,
         "hd95": math.inf, "assd": math.inf, "nsd": 0.0},
        {"case": "d", "label": None, "status": "error", "dice": None, "iou": None, "hd": None, "hd95": None,
         "assd": None, "nsd": None},
    ]  # fmt: skip
    (entry,) = class_statistics(rows)
    assert (entry.rows, entry.both_empty, entry.inf_rows, entry.error_rows) == (2, 1, 1, 1)
    assert entry.values["dice"] == [0.5, 0.0] and entry.cases["dice"] == ["a", "c"]
    assert entry.values["hd95"] == [1.0] and entry.cases["hd95"] == ["a"]
    assert entry.excluded("hd95") == 3 and entry.excluded("dice") == 2
