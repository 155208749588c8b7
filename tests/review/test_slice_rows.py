"""The review's per-slice rows as columns: the same rows as ``slice_metrics``, the same navigation as
``review.navigation``, and few objects for the garbage collector however many rows there are."""

from __future__ import annotations

import gc
import math

import numpy as np
import pytest

from napari_segreview.metrics import slice_metrics
from napari_segreview.review.compute import ReviewSettings, run_review
from napari_segreview.review.navigation import failing_slices, worst_slice
from napari_segreview.review.slice_rows import SliceRows
from tests.generators import drain

SPACING = (1.2, 0.9, 1.0)


def _label_pair(n_labels=40, shape=(24, 30, 28), seed=0):
    rng = np.random.default_rng(seed)
    gt = rng.integers(0, n_labels + 1, shape // np.array([1, 3, 3]), dtype=np.uint16).repeat(3, 1).repeat(3, 2)
    gt = np.pad(gt, [(0, s - g) for s, g in zip(shape, gt.shape, strict=True)])
    pred = np.roll(gt, 1, axis=2)
    pred[pred == 3] = 0
    return gt, pred


@pytest.mark.parametrize("axis", [0, 2])
def test_rows_equal_slice_metrics(axis):
    gt, pred = _label_pair(12)
    _, result = drain(run_review(gt, pred, ReviewSettings(spacing=SPACING, axis=axis)))
    expected = slice_metrics(gt, pred, axis=axis, spacing=SPACING)
    assert result.slice_rows() == expected
    assert SliceRows.from_rows(expected).rows() == expected
    table = result.slice_table
    assert [table.row(i) for i in table.slice_positions(5)] == [r for r in expected if r["slice"] == 5]
    assert table.column("hd95").tolist() == [r["hd95"] for r in expected]
    on_slice_5 = [r for r in expected if r["slice"] == 5]
    assert table.of_slice(5) == {key: [r[key] for r in on_slice_5] for key in ("label", "dice", "hd95", "status")}
    assert table.of_slice(10_000)["dice"] == []
    assert table.column("status").tolist() == [r["status"] for r in expected]
    assert result.slices[(5, 2)] == {k: v for k, v in expected[5 * 12 + 1].items() if k not in ("slice", "label")}


def test_navigation_on_columns_follows_the_navigation_rules():
    rng = np.random.default_rng(3)
    rows = []
    for index in range(40):
        for label in (1, 4, 7):
            status = rng.choice(["ok", "ok", "both_empty", "pred_empty"])
            dice = {"both_empty": 1.0, "pred_empty": 0.0}.get(status, float(rng.choice([0.25, 0.5, 0.75, 0.9])))
            hd95 = {"both_empty": 0.0, "pred_empty": math.inf}.get(status, float(rng.integers(0, 4)))
            rows.append({"slice": index, "label": label, "dice": dice, "iou": dice, "hd": hd95, "hd95": hd95,
                         "assd": hd95, "nsd": dice, "gt_voxels": 1, "pred_voxels": 1, "status": status})  # fmt: skip
    table = SliceRows.from_rows(rows)
    for label in (None, 1, 4, 7, 9):
        assert table.worst_slice(label) == worst_slice(rows, label)
        for threshold in (0.3, 0.8):
            assert table.failing_slices(threshold, label) == failing_slices(rows, threshold, label)


def test_a_review_of_many_rows_holds_few_python_objects():
    gt, pred = _label_pair(60, shape=(40, 30, 30))
    _, result = drain(run_review(gt, pred, ReviewSettings(spacing=SPACING)))
    n_rows = len(result.slice_table)
    assert n_rows == 60 * 40
    # every Python object reachable from the result through containers and our own classes (not through types,
    # functions or modules), whether the garbage collector tracks it at the moment or not
    seen, todo = set(), [result]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, (np.ndarray, type)):
            continue
        seen.add(id(obj))
        ours = type(obj).__module__.startswith("napari_segreview")
        if ours or isinstance(obj, (dict, list, tuple, set, frozenset)):
            todo.extend(gc.get_referents(obj))
    # the volume's evaluations (a few objects per label) and a dozen arrays: nothing per slice row
    assert len(seen) < 20 * 60 < n_rows, (len(seen), n_rows)
