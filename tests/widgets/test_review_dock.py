"""The review dock in a real napari viewer (Xvfb): compute, table, navigation, layers, live edits, export."""

from __future__ import annotations

import numpy as np
import pytest

from napari_segreview.widgets import review_dock
from napari_segreview.widgets.review_dock import ReviewDock
from napari_segreview.widgets.review_layers import find_layer

SCALE, TRANSLATE = (2.5, 0.8, 0.9), (10.0, -5.0, 3.0)
TIMEOUT = 60_000


def _volume_pair():
    grid = np.indices((14, 40, 36))
    gt = np.zeros((14, 40, 36), np.uint8)
    gt[((grid[1] - 20) ** 2 + (grid[2] - 18) ** 2 < 120) & (grid[0] > 1) & (grid[0] < 12)] = 1
    gt[3:10, 15:22, 14:20] = 2
    pred = np.roll(gt, 2, axis=2)
    pred[8] = 0
    return gt, pred


@pytest.fixture
def reviewed(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    gt, pred = _volume_pair()
    viewer.add_image(np.random.default_rng(0).random(gt.shape), name="ct", scale=SCALE, translate=TRANSLATE)
    viewer.add_labels(
        gt, name="case_gt", scale=SCALE, translate=TRANSLATE, metadata={"class_names": {1: "organ", 2: "lesion"}}
    )
    viewer.add_labels(pred, name="case_pred", scale=SCALE, translate=TRANSLATE)
    dock = ReviewDock(viewer)
    viewer.window.add_dock_widget(dock)
    assert (dock.inputs.gt.currentText(), dock.inputs.pred.currentText()) == ("case_gt", "case_pred")
    dock.compute()
    qtbot.waitUntil(lambda: dock.result is not None and not dock.busy, timeout=TIMEOUT)
    return viewer, dock, gt, pred


def test_table_has_one_row_per_slice_and_class(reviewed):
    viewer, dock, gt, _ = reviewed
    assert dock.table_model.rowCount() == gt.shape[0] * 2
    dock.show_empty.setChecked(True)
    assert dock.table_proxy.rowCount() == gt.shape[0] * 2
    dock.show_empty.setChecked(False)
    assert dock.table_proxy.rowCount() < gt.shape[0] * 2
    assert dock.volume_panel.rowCount() == 2
    assert dock.volume_panel.verticalHeaderItem(0).text() == "organ"


def test_selecting_a_row_moves_to_that_slice_in_world_coordinates(reviewed, qtbot):
    viewer, dock, _, _ = reviewed
    proxy = dock.table_proxy
    for proxy_row in range(proxy.rowCount()):
        row = dock.table_model.row_at(proxy.mapToSource(proxy.index(proxy_row, 0)).row())
        if row["slice"] == 8:
            dock.table.selectRow(proxy_row)
            break
    assert viewer.dims.point[0] == pytest.approx(TRANSLATE[0] + SCALE[0] * 8)
    assert dock.follower.current_slice() == 8
    assert dock.readout.text().startswith("slice 8:")
    assert "pred empty" in dock.readout.text()


def test_worst_and_failing_navigation(reviewed):
    viewer, dock, _, _ = reviewed
    dock.go_worst()
    assert dock.follower.current_slice() == 8  # the missed slice: Dice 0
    dock.go_next_failing()
    after = dock.follower.current_slice()
    assert after != 8
    dock.go_previous_failing()
    assert dock.follower.current_slice() == 8


def test_overlay_heatmaps_and_surface_share_the_geometry(reviewed, qtbot):
    viewer, dock, gt, pred = reviewed
    assert find_layer(viewer, "surface") is None  # added on entering 3D, where it is seen
    viewer.dims.ndisplay = 3
    qtbot.wait(50)
    for role in ("errors", "distance", "surface"):
        layer = find_layer(viewer, role)
        assert layer is not None, role
        np.testing.assert_allclose(layer.scale, SCALE)
        np.testing.assert_allclose(layer.translate, TRANSLATE)
    viewer.dims.ndisplay = 2  # removed again (its controls would widen napari's left panel), back on 3D
    assert find_layer(viewer, "surface") is None
    viewer.dims.ndisplay = 3
    assert find_layer(viewer, "surface") is not None
    viewer.dims.ndisplay = 2
    overlay = find_layer(viewer, "errors").data
    assert overlay.shape == gt.shape and set(np.unique(overlay)) <= {0, 1, 2, 3, 4}
    heat = find_layer(viewer, "distance").data
    finite = heat[np.isfinite(heat)]
    assert finite.max() == pytest.approx(dock.result.volume[1]["hd"], rel=1e-6) or finite.max() == pytest.approx(
        dock.result.volume[2]["hd"], rel=1e-6
    )
    # the default limit: the 95th percentile of the painted distances, at least two voxels, at most the largest HD
    painted = finite[finite > 0]
    limit = max(np.percentile(finite, 95), 2 * min(SCALE))
    assert dock.clamp.value() == pytest.approx(limit, abs=0.005)  # the spin box shows two decimals
    assert painted.size and limit <= max(dock.result.volume[1]["hd"], dock.result.volume[2]["hd"])


def test_painting_the_prediction_updates_the_shown_dice(reviewed, qtbot):
    viewer, dock, gt, pred = reviewed
    before = dock.result.volume[1]["dice"]
    layer = viewer.layers["case_pred"]
    # paint the organ exactly: its missing voxels in, its spurious voxels out (two strokes, one update)
    layer.data_setitem(np.nonzero((layer.data == 1) & (gt != 1)), 0)
    layer.data_setitem(np.nonzero(gt == 1), 1)
    qtbot.waitUntil(lambda: dock.result.volume[1]["dice"] != before and not dock.busy, timeout=TIMEOUT)
    assert dock.result.volume[1]["dice"] == pytest.approx(1.0)
    assert dock.volume_panel.item(0, 0).text() == "1.000"


def test_export_csv(reviewed, tmp_path):
    _, dock, gt, _ = reviewed
    dock.export_slices(tmp_path / "slices.csv")
    dock.export_volume(tmp_path / "volume.csv")
    assert len((tmp_path / "slices.csv").read_text().splitlines()) == 1 + gt.shape[0] * 2
    assert (tmp_path / "volume.csv").read_text().splitlines()[0].startswith("label,dice,iou")


def test_mismatched_pair_gives_a_notification_and_no_compute(make_napari_viewer, monkeypatch):
    viewer = make_napari_viewer()
    viewer.add_labels(np.zeros((5, 6, 7), np.uint8), name="gt")
    viewer.add_labels(np.zeros((5, 6, 8), np.uint8), name="pred")
    messages = []
    monkeypatch.setattr(review_dock, "show_error", messages.append)
    dock = ReviewDock(viewer)
    dock.compute()
    assert dock.worker is None and dock.result is None
    assert messages and "shape (5, 6, 7)" in messages[0] and "same voxel grid" in messages[0]


def test_two_dimensional_rgb_image_review(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    rgb = np.random.default_rng(1).integers(0, 255, (60, 80, 3)).astype(np.uint8)
    gt = np.zeros((60, 80), np.uint8)
    gt[10:40, 20:60] = 1
    viewer.add_image(rgb, name="dermoscopy", rgb=True)
    viewer.add_labels(gt, name="lesion_gt")
    viewer.add_labels(np.roll(gt, 3, axis=0), name="lesion_pred")
    dock = ReviewDock(viewer)
    dock.compute()
    qtbot.waitUntil(lambda: dock.result is not None and not dock.busy, timeout=TIMEOUT)
    assert dock.table_model.rowCount() == 1
    assert dock.result.volume[1]["hd"] == pytest.approx(3.0)
    assert find_layer(viewer, "surface") is None


def test_screenshot_of_the_review_on_the_mni_sample(make_napari_viewer, qtbot, tmp_path):
    viewer = make_napari_viewer()
    viewer.open_sample("napari-segreview", "mni152")
    dock = ReviewDock(viewer)
    viewer.window.add_dock_widget(dock)
    assert (dock.inputs.gt.currentText(), dock.inputs.pred.currentText()) == (
        "tissue ground truth",
        "demo model prediction",
    )
    dock.compute()
    qtbot.waitUntil(lambda: dock.result is not None and not dock.busy, timeout=TIMEOUT)
    dock.go_worst()
    path = tmp_path / "review.png"
    viewer.screenshot(str(path), canvas_only=False)
    assert path.stat().st_size > 10_000


def choose(combo, name):
    """Pick ``name`` in a chooser as a user does (``activated`` is the signal of a user's pick)."""
    index = combo.findText(name)
    assert index >= 0, (name, [combo.itemText(i) for i in range(combo.count())])
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def _computed(viewer, qtbot, gt_name, pred_name):
    dock = ReviewDock(viewer)
    choose(dock.inputs.gt, gt_name)
    choose(dock.inputs.pred, pred_name)
    dock.compute()
    qtbot.waitUntil(lambda: dock.result is not None and not dock.busy, timeout=TIMEOUT)
    return dock


def test_a_2d_pair_beside_a_3d_image_navigates_without_error(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.add_image(np.zeros((5, 30, 40)), name="volume")
    gt = np.zeros((30, 40), np.uint8)
    gt[5:20, 5:25] = 1
    viewer.add_labels(gt, name="slice_gt", scale=(0.5, 0.5), translate=(3.0, 4.0))
    viewer.add_labels(np.roll(gt, 4, axis=1), name="slice_pred", scale=(0.5, 0.5), translate=(3.0, 4.0))
    dock = _computed(viewer, qtbot, "slice_gt", "slice_pred")
    qtbot.wait(200)  # let napari finish fitting the view to the new layers before we move the camera
    dock.table.selectRow(0)  # raised IndexError inside Qt before the fix
    camera = viewer.scene.camera
    # the disagreement spans columns 5-8 and 20-28 of rows 5-19: its box centre, in world units
    assert camera.center[-2:] == pytest.approx((3.0 + 0.5 * 12.0, 4.0 + 0.5 * 16.5))


def test_reviewing_another_pair_moves_the_review_layers_onto_its_grid(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    gt, pred = _volume_pair()
    viewer.add_labels(gt, name="a_gt", scale=SCALE, translate=TRANSLATE)
    viewer.add_labels(pred, name="a_pred", scale=SCALE, translate=TRANSLATE)
    viewer.add_labels(gt, name="b_gt", scale=(1.0, 2.0, 2.0), translate=(50.0, 0.0, 0.0))
    viewer.add_labels(pred, name="b_pred", scale=(1.0, 2.0, 2.0), translate=(50.0, 0.0, 0.0))
    _computed(viewer, qtbot, "a_gt", "a_pred")
    _computed(viewer, qtbot, "b_gt", "b_pred")
    viewer.dims.ndisplay = 3  # the surface is added on entering 3D
    qtbot.wait(50)
    for role in ("errors", "distance", "surface"):
        np.testing.assert_allclose(find_layer(viewer, role).scale, (1.0, 2.0, 2.0))
        np.testing.assert_allclose(find_layer(viewer, role).translate, (50.0, 0.0, 0.0))


def test_a_failing_review_is_one_notification_not_a_traceback(make_napari_viewer, qtbot, monkeypatch):
    viewer = make_napari_viewer()
    gt = np.zeros((4, 8, 8), np.int16)
    gt[1:3, 2:6, 2:6] = 1
    viewer.add_labels(gt, name="gt")
    viewer.add_image(gt - 1, name="pred_signed")  # negative values: refused by the metrics
    messages = []
    monkeypatch.setattr(review_dock, "show_error", messages.append)
    dock = ReviewDock(viewer)
    # not offered as a segmentation (negative values); chosen programmatically to reach the metrics' refusal
    assert dock.session.choose("pred", viewer.layers["pred_signed"]) is None
    dock.compute()
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    assert messages == ["pred holds the negative label -1; labels must be 0 or more."]
    assert dock.result is None


def test_changing_the_threshold_redraws_the_plot_line(reviewed):
    _, dock, _, _ = reviewed
    dock.inputs.threshold.setValue(0.3)
    threshold_lines = [line for line in dock.plot.axes.get_lines() if line.get_linestyle() == "--"]
    assert threshold_lines and threshold_lines[0].get_ydata()[0] == pytest.approx(0.3)


def test_a_closed_dock_stops_following_the_viewer_and_takes_its_plot_along(reviewed, qtbot):
    viewer, dock, gt, pred = reviewed
    plot_dock = dock.plot_box.parent()
    shortcuts = {"Shift+W", "Shift+N", "Shift+B"}
    assert shortcuts <= {str(key) for key in viewer.keymap} and plot_dock is not None
    viewer.window.remove_dock_widget(dock)  # what the dock's close button does
    assert not shortcuts & {str(key) for key in viewer.keymap}
    assert dock.plot_box.parent() is None  # the per-slice plot's dock went with it
    result = dock.result
    viewer.layers["case_pred"].data_setitem(np.nonzero(gt == 1), 1)  # a paint stroke: no live update any more
    qtbot.wait(2 * review_dock.LIVE_UPDATE_DELAY_MS)
    assert dock.result is result and not dock.change_timer.isActive() and dock.worker is None
    viewer.dims.ndisplay = 3  # the dock no longer reacts to the viewer
    viewer.dims.set_current_step(0, 5)
