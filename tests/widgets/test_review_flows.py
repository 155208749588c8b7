"""The review as a user meets it: docks opened through napari's plugin path (which hands them a wrapped viewer
whose look-ups return new objects), layers arriving before and after the dock, run model then review, paint →
undo → redo, a layer removed mid-run, a browser case that fails to open, geometry that differs only in the
affine."""

from __future__ import annotations

import numpy as np
import pytest
from napari.utils.notifications import NotificationSeverity, notification_manager

from napari_segreview.cli import main
from napari_segreview.metrics import volume_metrics
from napari_segreview.widgets import review_dock
from napari_segreview.widgets.review_layers import ROLES, find_layer
from tests.dataset.cases import CORRUPT, write_dataset
from tests.widgets.test_review_dock import choose

PLUGIN = "napari-segreview"
TIMEOUT = 60_000


def open_dock(viewer, name):
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, name)
    return widget


def open_review(viewer):
    dock = open_dock(viewer, "Segmentation review")
    assert type(dock.viewer).__name__ == "PublicOnlyProxy"  # the flows below run through napari's wrapper
    return dock


def computed(dock, qtbot):
    assert dock.compute_button.isEnabled(), dock.status.text()
    dock.compute_button.click()
    qtbot.waitUntil(lambda: dock.result is not None and not dock.busy, timeout=TIMEOUT)
    return dock.result


def settled(dock, qtbot):
    """Wait until the dock has seen the last change and nothing is computing or pending."""
    qtbot.wait(review_dock.VERIFY_DELAY_MS + 50)
    qtbot.waitUntil(
        lambda: not dock.busy and not dock.change_timer.isActive() and not dock.verify_timer.isActive()
        and dock.verifier is None,
        timeout=TIMEOUT,
    )  # fmt: skip


def errors_since(seen: int) -> list[str]:
    return [str(n.message) for n in notification_manager.records[seen:] if n.severity >= NotificationSeverity.WARNING]


def expected(gt_layer, pred_layer):
    return volume_metrics(np.asarray(gt_layer.data), np.asarray(pred_layer.data), spacing=tuple(gt_layer.scale))


def test_dock_opened_before_the_sample_reviews_the_prediction_not_the_gt_against_itself(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    dock = open_review(viewer)
    assert not dock.compute_button.isEnabled()
    viewer.open_sample(PLUGIN, "mni152")
    assert (dock.inputs.gt.currentText(), dock.inputs.pred.currentText()) == (
        "tissue ground truth",
        "demo model prediction",
    )
    result = computed(dock, qtbot)
    truth = expected(viewer.layers["tissue ground truth"], viewer.layers["demo model prediction"])
    for label, row in truth.items():
        assert result.volume[label]["dice"] == pytest.approx(row["dice"])
        assert row["dice"] < 0.999  # the demo prediction is not perfect: a GT-against-itself review would be 1


def test_a_single_segmentation_disables_compute_then_a_model_run_becomes_the_prediction(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    review = open_review(viewer)
    viewer.open_sample(PLUGIN, "mni152_slice")
    viewer.layers.remove("demo model prediction")
    assert review.inputs.gt.currentText() == "tissue ground truth"
    assert review.session.pred is None and not review.compute_button.isEnabled()
    assert "only segmentation layer" in review.status.text()

    run = open_dock(viewer, "Run model")
    run.run_button.click()
    qtbot.waitUntil(lambda: not run.busy, timeout=TIMEOUT)
    predicted = [layer for layer in viewer.layers if layer.name.endswith("prediction")]
    assert len(predicted) == 1
    assert review.inputs.pred.currentText() == predicted[0].name
    gt_layer = viewer.layers["tissue ground truth"]
    for value in (1, 2):  # the same classes in the same colours
        np.testing.assert_allclose(predicted[0].colormap.map(value), gt_layer.colormap.map(value))
    result = computed(review, qtbot)
    assert set(result.volume) == {1, 2}
    assert all(row["dice"] < 0.999 for row in result.volume.values())


def test_the_same_layer_through_two_wrappers_is_refused(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152_slice")
    dock = open_review(viewer)
    wrapped_gt = dock.viewer.layers["tissue ground truth"]
    assert wrapped_gt is not dock.viewer.layers["tissue ground truth"]  # napari's wrapper: `is` means nothing
    assert "two different layers" in dock.session.choose("pred", wrapped_gt)
    offered = [dock.inputs.pred.itemText(i) for i in range(dock.inputs.pred.count())]
    assert "tissue ground truth" not in offered


def _painted_review(make_napari_viewer, qtbot, live=True):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152_slice")
    dock = open_review(viewer)
    dock.inputs.live.setChecked(live)
    before = computed(dock, qtbot).volume[2]["dice"]
    pred = viewer.layers["demo model prediction"]
    pred.visible = True  # the sample opens it hidden; one paints what one sees
    pred.mode = "paint"
    pred.selected_label = 2
    pred.brush_size = 40
    pred.paint((90.0, 100.0), 2)  # a user's brush stroke, recorded in the undo history
    return viewer, dock, pred, before


def test_paint_then_undo_then_redo_keeps_the_numbers_true(make_napari_viewer, qtbot):
    viewer, dock, pred, before = _painted_review(make_napari_viewer, qtbot)
    gt = viewer.layers["tissue ground truth"]
    settled(dock, qtbot)
    painted = expected(gt, pred)[2]["dice"]
    assert painted != pytest.approx(before)
    assert dock.result.volume[2]["dice"] == pytest.approx(painted) and dock.session.current

    pred.undo()  # napari emits only set_data here
    settled(dock, qtbot)
    assert dock.result.volume[2]["dice"] == pytest.approx(before)
    assert dock.session.current and dock.results.isEnabled()

    pred.redo()
    settled(dock, qtbot)
    assert dock.result.volume[2]["dice"] == pytest.approx(painted)

    pred.visible = False  # napari does not refresh a hidden layer: its undo shows when it is shown again
    pred.undo()
    pred.visible = True
    settled(dock, qtbot)
    assert dock.result.volume[2]["dice"] == pytest.approx(before)


def test_with_live_off_an_edit_greys_the_numbers_and_undo_makes_them_current_again(make_napari_viewer, qtbot):
    viewer, dock, pred, before = _painted_review(make_napari_viewer, qtbot, live=False)
    settled(dock, qtbot)
    assert dock.result.volume[2]["dice"] == pytest.approx(before)  # not recomputed
    assert not dock.session.current and not dock.results.isEnabled()
    assert "Out of date" in dock.status.text()
    pred.undo()
    settled(dock, qtbot)
    assert dock.session.current and dock.results.isEnabled() and "Out of date" not in dock.status.text()


def test_replacing_the_data_with_set_data_free_assignment_recomputes(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152_slice")
    dock = open_review(viewer)
    computed(dock, qtbot)
    gt = viewer.layers["tissue ground truth"]
    viewer.layers["demo model prediction"].data = np.asarray(gt.data).copy()  # the truth itself, as new data
    settled(dock, qtbot)
    assert all(row["dice"] == pytest.approx(1.0) for row in dock.result.volume.values())


def test_removing_a_reviewed_layer_clears_numbers_and_review_layers(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152_slice")
    dock = open_review(viewer)
    computed(dock, qtbot)
    assert find_layer(viewer, "errors") is not None
    viewer.layers.remove("demo model prediction")
    assert dock.result is None
    assert all(find_layer(viewer, role) is None for role in ROLES)
    assert dock.table_model.rowCount() == 0 and dock.volume_panel.rowCount() == 0
    viewer.layers.clear()
    assert dock.result is None and not dock.compute_button.isEnabled()


def test_a_layer_removed_mid_run_drops_the_result_with_a_notification(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152")
    dock = open_review(viewer)
    seen = len(notification_manager.records)
    dock.compute_button.click()
    assert dock.busy
    viewer.layers.remove("demo model prediction")
    qtbot.waitUntil(lambda: not dock.busy, timeout=TIMEOUT)
    assert dock.result is None
    assert all(find_layer(viewer, role) is None for role in ROLES)
    notes = [str(n.message) for n in notification_manager.records[seen:]]
    assert any("removed" in note and "dropped" in note for note in notes), notes


def test_a_prediction_mirrored_through_its_affine_is_not_scored(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152_slice")
    dock = open_review(viewer)
    computed(dock, qtbot)
    seen = len(notification_manager.records)
    pred = viewer.layers["demo model prediction"]
    pred.affine = np.diag([1.0, -1.0, 1.0])  # mirrored left-right in the world, same array
    assert not dock.session.current and "Out of date" in dock.status.text()
    settled(dock, qtbot)
    messages = errors_since(seen)
    assert any("same voxel grid" in m for m in messages), messages
    assert not dock.compute_button.isEnabled() and not dock.results.isEnabled()


def test_navigation_selects_the_table_row_and_a_user_limit_survives_a_recompute(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152")
    dock = open_review(viewer)
    computed(dock, qtbot)
    dock.go_worst()
    selected = dock.table.selectionModel().selectedRows()
    assert len(selected) == 1
    row = dock.table_model.row_at(dock.table_proxy.mapToSource(selected[0]).row())
    assert row["slice"] == dock.follower.current_slice()

    dock.clamp.setValue(2.5)
    first = dock.result
    pred = viewer.layers["demo model prediction"]
    pred.visible = True
    index = np.argwhere(np.asarray(pred.data) == 1)[:1]
    pred.data_setitem(tuple(index.T), 2)
    settled(dock, qtbot)
    assert dock.result is not first  # recomputed after the edit
    assert dock.clamp.value() == pytest.approx(2.5)
    assert find_layer(viewer, "distance").contrast_limits[1] == pytest.approx(2.5)


def test_a_browser_case_that_fails_to_open_leaves_no_old_numbers(make_napari_viewer, qtbot, tmp_path):
    gt_dir, pred_dir = write_dataset(tmp_path / "data", n_cases=4)
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1  # one case is corrupt
    viewer = make_napari_viewer()
    review = open_review(viewer)
    browser = open_dock(viewer, "Dataset browser")
    browser.folders["gt"].setText(str(gt_dir))
    browser.folders["pred"].setText(str(pred_dir))
    browser.load_report(out)

    def click(case):
        table = browser.table
        (row,) = [row for row in range(table.rowCount()) if table.item(row, 0).text() == case]
        table.cellClicked.emit(row, 0)
        qtbot.waitUntil(lambda: not browser.loading, timeout=TIMEOUT)

    click("case_00.nii.gz")
    assert (review.inputs.gt.currentText(), review.inputs.pred.currentText()) == ("case_00 gt", "case_00 pred")
    computed(review, qtbot)
    click(CORRUPT)
    assert review.result is None and review.table_model.rowCount() == 0
    assert all(find_layer(viewer, role) is None for role in ROLES)


def test_a_pair_added_after_a_review_is_reviewed_with_the_errors_on_top(make_napari_viewer, qtbot):
    # a dataset case (or any pair) opened above an earlier review: its layers would hide the reused overlay
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152_slice")
    dock = open_review(viewer)
    computed(dock, qtbot)
    gt = np.asarray(viewer.layers["tissue ground truth"].data)
    case_gt = viewer.add_labels(gt.copy(), name="case gt")
    case_pred = viewer.add_labels(np.roll(gt, 3, axis=0), name="case pred")
    choose(dock.inputs.gt, "case gt")
    choose(dock.inputs.pred, "case pred")
    result = computed(dock, qtbot)
    qtbot.waitUntil(lambda: not dock.busy and find_layer(viewer, "distance") is not None, timeout=TIMEOUT)
    qtbot.wait(200)
    for label, row in expected(case_gt, case_pred).items():
        assert result.volume[label]["dice"] == pytest.approx(row["dice"])
    order = [layer.name for layer in viewer.layers]
    errors, distance = order.index(ROLES["errors"]), order.index(find_layer(viewer, "distance").name)
    assert errors > distance > max(order.index("case gt"), order.index("case pred")), order


def test_a_class_painted_into_the_gt_after_a_review_is_offered_by_the_class_chooser(make_napari_viewer, qtbot):
    # the chooser's classes are kept per layer between layer events (finding them cost every event 30-50 ms);
    # an edit of the reviewed GT must make them found again
    viewer = make_napari_viewer()
    gt = np.zeros((6, 20, 20), np.uint8)
    gt[:, 2:9, 2:9], gt[:, 11:18, 11:18] = 1, 2
    pred = np.roll(gt, 1, axis=-1)
    gt_layer = viewer.add_labels(gt, name="organs_gt")
    viewer.add_labels(pred, name="organs_pred")
    dock = open_review(viewer)
    computed(dock, qtbot)
    offered = lambda: [dock.inputs.label.itemText(i) for i in range(dock.inputs.label.count())]  # noqa: E731
    assert offered()[1:] == ["class 1", "class 2"]

    gt_layer.paint((3, 15, 4), 3)  # a third class, painted in place into the reviewed GT
    settled(dock, qtbot)
    viewer.add_image(np.zeros((6, 20, 20), np.float32), name="another image")  # a layer event refreshes the chooser
    assert offered()[1:] == ["class 1", "class 2", "class 3"]


def test_a_class_painted_into_the_gt_before_any_review_is_offered_by_the_class_chooser(make_napari_viewer):
    viewer = make_napari_viewer()
    gt = np.zeros((6, 20, 20), np.uint8)
    gt[:, 2:9, 2:9] = 1
    gt_layer = viewer.add_labels(gt, name="organs_gt")
    viewer.add_labels(np.roll(gt, 1, axis=-1), name="organs_pred")
    dock = open_review(viewer)
    offered = lambda: [dock.inputs.label.itemText(i) for i in range(dock.inputs.label.count())]  # noqa: E731
    assert offered()[1:] == ["class 1"]
    gt_layer.paint((3, 15, 15), 2)  # not reviewed yet: no result watches it
    viewer.add_image(np.zeros((6, 20, 20), np.float32), name="another image")
    assert offered()[1:] == ["class 1", "class 2"]
