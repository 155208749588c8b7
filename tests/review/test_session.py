"""The review session's rules, without Qt or napari: the pair, staleness, geometry."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.review.compute import ReviewSettings, run_review
from napari_segreview.review.session import GT, MODEL_RESULT_KEY, PRED, Grid, ReviewSession, grid_mismatch


class FakeLayer:
    """What the session reads of a napari layer: name, data, metadata, and the data-to-world map."""

    def __init__(self, name, data=None, kind="labels", metadata=None, matrix=None):
        self.name, self.kind = name, kind
        self.data = np.zeros((4, 5, 6), np.uint8) if data is None else data
        self.metadata = dict(metadata or {})
        self.matrix = np.eye(self.ndim + 1) if matrix is None else np.asarray(matrix, float)

    @property
    def ndim(self):
        return self.data.ndim

    def data_to_world(self, position):
        return tuple((self.matrix @ np.append(np.asarray(position, float), 1.0))[:-1])


class Wrapper:
    """Like napari's PublicOnlyProxy: a new object on every look-up, the layer behind it in ``__wrapped__``."""

    def __init__(self, layer):
        self.__wrapped__ = layer

    def __getattr__(self, name):
        return getattr(self.__wrapped__, name)


def session_with(*layers):
    session = ReviewSession(lambda layer: layer.kind == "labels")
    shown = []
    for layer in layers:
        shown.append(layer)
        session.set_layers([Wrapper(s) for s in shown])
        session.layer_added(Wrapper(layer))
    return session


def test_a_single_segmentation_layer_is_never_also_the_prediction():
    gt = FakeLayer("tissue ground truth")
    session = session_with(FakeLayer("t1", kind="image"), gt)
    assert session.gt is gt and session.pred is None
    assert "only segmentation layer" in session.blocker()


def test_a_prediction_arriving_after_the_dock_becomes_the_prediction():
    gt, pred = FakeLayer("tissue ground truth"), FakeLayer("demo model prediction")
    session = session_with(FakeLayer("t1", kind="image"), gt, pred)
    assert (session.gt, session.pred) == (gt, pred)
    assert session.blocker() is None


def test_a_prediction_arriving_first_is_not_taken_for_the_ground_truth():
    pred, gt = FakeLayer("case1_pred"), FakeLayer("case1_gt")
    session = session_with(pred)
    assert session.gt is None
    session = session_with(pred, gt)
    assert (session.gt, session.pred) == (gt, pred)


def test_unnamed_layers_pair_in_the_order_they_arrive():
    first, second = FakeLayer("a"), FakeLayer("b")
    session = session_with(first, second)
    assert (session.gt, session.pred) == (first, second)


def test_a_model_result_is_selected_at_once_even_over_a_hand_picked_prediction():
    gt, mine, other = FakeLayer("gt"), FakeLayer("manual_b"), FakeLayer("x")
    session = session_with(gt, mine, other)
    assert session.choose(PRED, Wrapper(mine)) is None
    session.set_layers([gt, mine, other, FakeLayer("unet_pred")])  # named, but the user chose by hand
    session.layer_added(session.layers[-1])
    assert session.pred is mine
    fresh = FakeLayer("unet prediction", metadata={MODEL_RESULT_KEY: True})
    session.set_layers([*session.layers, fresh])
    session.layer_added(Wrapper(fresh))
    assert session.pred is fresh


def test_the_same_underlying_layer_is_refused_as_both_through_different_wrappers():
    gt, pred = FakeLayer("gt"), FakeLayer("pred")
    session = session_with(gt, pred)
    message = session.choose(PRED, Wrapper(gt))
    assert message and "two different layers" in message
    assert session.pred is pred


def test_choosing_the_prediction_as_ground_truth_picks_another_prediction():
    a, b, c = FakeLayer("gt"), FakeLayer("pred"), FakeLayer("other")
    session = session_with(a, b, c)
    assert session.choose(GT, Wrapper(b)) is None
    assert session.gt is b and session.pred is not b and session.pred is not None


def _computed(session):
    gt, pred = session.gt, session.pred
    inputs = session.snapshot_inputs()
    generator = run_review(gt.data, pred.data, ReviewSettings(spacing=(1.0,) * gt.ndim))
    while True:
        try:
            next(generator)
        except StopIteration as stop:
            assert session.accept(stop.value, inputs) is None
            return stop.value


def test_a_change_of_either_reviewed_layer_makes_the_result_stale_and_confirming_restores_it():
    gt, pred, other = FakeLayer("gt"), FakeLayer("pred"), FakeLayer("t1", kind="image")
    session = session_with(other, gt, pred)
    _computed(session)
    assert session.current
    assert not session.note_change(Wrapper(other)) and session.current
    assert session.note_change(Wrapper(pred)) and not session.current
    session.confirm_current()  # e.g. undo brought the data back to what was reviewed
    assert session.current
    gt.matrix = np.diag([1.0, 1.0, -1.0, 1.0])  # mirrored through the affine
    assert session.note_change(Wrapper(gt))
    session.confirm_current()
    assert not session.current  # the grid differs from the reviewed one: stays out of date


def test_removing_a_reviewed_layer_clears_the_result():
    gt, pred = FakeLayer("gt"), FakeLayer("pred")
    session = session_with(gt, pred)
    _computed(session)
    assert session.set_layers([Wrapper(gt)]) is True
    assert session.result is None and session.pred is None


def test_a_result_for_a_removed_or_replaced_pair_is_dropped():
    gt, pred, other = FakeLayer("gt"), FakeLayer("pred"), FakeLayer("pred2")
    session = session_with(gt, pred, other)
    session.choose(PRED, pred)
    inputs = session.snapshot_inputs()
    result = object()
    session.choose(PRED, other)
    assert "chosen layers changed" in session.accept(result, inputs)
    session.choose(PRED, pred)
    session.set_layers([gt, other])
    assert "removed" in session.accept(result, inputs)
    assert session.result is None


def test_choosing_another_pair_leaves_the_old_result_out_of_date():
    gt, pred, other = FakeLayer("gt"), FakeLayer("pred"), FakeLayer("pred2")
    session = session_with(gt, pred, other)
    session.choose(PRED, pred)
    _computed(session)
    session.choose(PRED, other)
    assert session.result is not None and not session.current


@pytest.mark.parametrize(
    ("matrix", "words"),
    [
        (np.diag([1.0, 1.0, -1.0, 1.0]), "scale, rotation, shear or affine"),
        (np.diag([1.0, 1.0, 1.5, 1.0]), "scale, rotation, shear or affine"),
        ([[1, 0, 0, 0], [0, 1, 0, 2.0], [0, 0, 1, 0], [0, 0, 0, 1]], "translate"),
    ],
)
def test_same_grid_means_same_shape_and_same_full_world_transform(matrix, words):
    gt, pred = FakeLayer("gt"), FakeLayer("pred", matrix=matrix)
    assert words in grid_mismatch(gt, pred)
    assert grid_mismatch(gt, FakeLayer("pred2")) is None
    assert "shape" in grid_mismatch(gt, FakeLayer("p", data=np.zeros((4, 5, 7), np.uint8)))


def test_a_rotation_is_part_of_the_grid():
    angle = np.deg2rad(10)
    rotation = np.eye(4)
    rotation[1:3, 1:3] = [[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]
    assert not Grid.of(FakeLayer("a")).same_as(Grid.of(FakeLayer("b", matrix=rotation)))
