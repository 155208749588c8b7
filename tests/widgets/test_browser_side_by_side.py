"""The dataset browser shows two models' predictions of a case side by side; the review keeps reviewing A."""

from __future__ import annotations

import numpy as np

from tests.test_cli_compare_models import _dataset

TIMEOUT = 60_000


def test_model_b_opens_to_the_right_with_the_same_image_and_gt(make_napari_viewer, qtbot, tmp_path):
    gt, a, b = _dataset(tmp_path, cases=2)
    viewer = make_napari_viewer()
    _, review = viewer.window.add_plugin_dock_widget("napari-segreview", "Segmentation review")
    _, browser = viewer.window.add_plugin_dock_widget("napari-segreview", "Dataset browser")
    browser.folders["gt"].setText(str(gt))
    browser.folders["pred"].setText(str(a))
    browser.folders["pred_b"].setText(str(b))
    browser.open_case("c1.npy")
    qtbot.waitUntil(lambda: not browser.loading and "c1 pred B" in viewer.layers, timeout=TIMEOUT)
    names = [layer.name for layer in viewer.layers]
    assert {"c1 gt", "c1 pred", "c1 gt (B side)", "c1 pred B"} <= set(names)
    assert names[-1] == "c1 pred B"
    side_gt, pred_b, gt_layer = viewer.layers["c1 gt (B side)"], viewer.layers["c1 pred B"], viewer.layers["c1 gt"]
    width = 40 * 1.05  # the case is 40 px wide, plus the gap
    assert side_gt.translate[-1] - gt_layer.translate[-1] == np.float64(width)
    assert pred_b.translate[-1] == side_gt.translate[-1]
    np.testing.assert_array_equal(pred_b.data, np.load(b / "c1.npy"))
    np.testing.assert_array_equal(side_gt.data, gt_layer.data)
    # the review dock reviews model A: its prediction is A's layer, on the GT's grid
    assert review.session.pred is not None and review.session.pred.name == "c1 pred"
    assert viewer.canvas.overlays["text"].visible and "left: a (A, reviewed)" in viewer.canvas.overlays["text"].text
    # the next case replaces both sides
    browser.open_case("c0.npy")
    qtbot.waitUntil(lambda: not browser.loading and "c0 pred B" in viewer.layers, timeout=TIMEOUT)
    assert not any(layer.name.startswith("c1 ") for layer in viewer.layers)
    # without B the caption goes back to what it was
    browser.folders["pred_b"].setText("")
    browser.open_case("c1.npy")
    qtbot.waitUntil(lambda: not browser.loading and "c1 pred" in viewer.layers, timeout=TIMEOUT)
    assert not viewer.canvas.overlays["text"].visible and "c1 pred B" not in viewer.layers
