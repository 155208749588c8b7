"""Per-instance records: distances equal the metrics core on the isolated pair, volumes and centres in the
documented units, rows for tables, progress from the generator, clear errors."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.instances import Progress, match_instances, review_instances
from napari_segreview.metrics import volume_metrics


def _scene():
    gt = np.zeros((12, 14, 16), np.int32)
    gt[1:5, 1:6, 1:7] = 4
    gt[7:11, 8:13, 9:15] = 9  # missed
    pred = np.zeros_like(gt)
    pred[1:5, 2:6, 1:8] = 2
    pred[8:11, 1:3, 12:15] = 3  # false positive
    return gt, pred


@pytest.mark.parametrize("convention", ["border", "surfel", "pooled"])
def test_matched_instance_distances_equal_volume_metrics_of_the_pair_alone(convention):
    gt, pred = _scene()
    spacing = (2.0, 0.7, 1.3)
    result = match_instances(gt, pred, spacing=spacing, convention=convention)
    record = next(g for g in result.gt if g.id == 4)
    alone = volume_metrics(gt == 4, pred == 2, spacing=spacing, convention=convention)[1]
    assert record.hd95 == pytest.approx(alone["hd95"], rel=1e-12)
    assert record.assd == pytest.approx(alone["assd"], rel=1e-12)
    assert record.dice == pytest.approx(alone["dice"], rel=1e-12)
    assert record.iou == pytest.approx(alone["iou"], rel=1e-12)


def test_records_give_size_volume_centre_and_box_in_array_and_spacing_units():
    gt, pred = _scene()
    result = match_instances(gt, pred, spacing=(2.0, 1.0, 0.5))
    record = next(g for g in result.gt if g.id == 4)
    assert record.voxels == 4 * 5 * 6 and record.volume == 4 * 5 * 6 * 1.0
    assert record.centre == pytest.approx((2.5, 3.0, 3.5))
    assert record.box == (slice(1, 5), slice(1, 6), slice(1, 7))
    missed = next(g for g in result.gt if g.id == 9)
    assert missed.status == "missed" and missed.dice == 0 and np.isinf(missed.hd95)
    fp = next(p for p in result.pred if p.id == 3)
    assert fp.status == "false positive" and fp.matched == ()


def test_rows_hold_every_gt_instance_and_each_unmatched_prediction():
    gt, pred = _scene()
    rows = match_instances(gt, pred).rows()
    assert [(r["kind"], r["id"], r["status"], r["matched"]) for r in rows] == [
        ("gt", 4, "matched", "2"),
        ("gt", 9, "missed", ""),
        ("pred", 3, "false positive", ""),
    ]
    assert {"centre_2", "box_lo_2", "box_hi_2", "volume", "hd95", "assd"} <= set(rows[0])


def test_review_instances_yields_progress_and_returns_the_same_matching():
    gt, pred = _scene()
    steps = review_instances(gt, pred)
    seen = []
    while True:
        try:
            seen.append(next(steps))
        except StopIteration as finished:
            result = finished.value
            break
    assert all(isinstance(p, Progress) for p in seen) and seen[-1].done == seen[-1].total
    assert result.summary == match_instances(gt, pred).summary


@pytest.mark.parametrize(
    "options, message",
    [
        ({"mode": "hungarian"}, "mode must be one of"),
        ({"criterion": "iot"}, "criterion must be one of"),
        ({"threshold": 0}, "threshold must be"),
        ({"threshold": 1.5}, "threshold must be"),
        ({"hd95_penalty": -1}, "hd95_penalty"),
        ({"brats_dilation": 1.5}, "brats_dilation"),
        ({"spacing": (1, 1)}, "spacing has 2 values"),
    ],
)
def test_bad_options_are_one_sentence(options, message):
    gt, pred = _scene()
    with pytest.raises(ValueError, match=message):
        match_instances(gt, pred, **options)


def test_maps_of_different_shapes_are_refused():
    with pytest.raises(ValueError, match="must match"):
        match_instances(np.zeros((3, 3), np.int32), np.zeros((3, 4), np.int32))


@pytest.mark.parametrize("convention", ["border", "surfel"])
def test_touching_neighbours_do_not_change_an_instances_distances(convention):
    from .cases import perturbed, random_instances

    rng = np.random.default_rng(5)
    gt = random_instances((20, 22, 18), 25, rng, radius=4.0)
    pred = perturbed(gt, rng)
    spacing = (1.5, 1.0, 0.8)
    result = match_instances(gt, pred, spacing=spacing, convention=convention)
    matched = [g for g in result.gt if g.status == "matched"]
    assert len(matched) > 5
    for record in matched:
        alone = volume_metrics(gt == record.id, pred == record.matched[0], spacing=spacing, convention=convention)[1]
        assert (record.hd95, record.assd) == pytest.approx((alone["hd95"], alone["assd"]), rel=1e-12)
