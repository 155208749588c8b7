"""The review dock's Instances tab as a user meets it: the dock opened from napari's plugin path, a sample opened
through the plugin's sample command, the Match button, the table and the navigation buttons clicked, the shortcuts
pressed on the canvas; checked on the viewer's camera and slice, against references computed here (stardist's
matching, scipy's components), not by the code under test."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
from qtpy.QtCore import Qt
from scipy import ndimage
from skimage.color import deltaE_ciede2000, rgb2lab

from napari_segreview.instances import match_instances
from napari_segreview.review.overlay import OVERLAY_COLORS
from napari_segreview.widgets import instances_view
from napari_segreview.widgets.instance_rows import (
    FALSE_POSITIVE,
    MATCHED,
    MISSED,
    STATUS_COLORS,
    next_with_status,
    ordered_rows,
    status_overlay,
)
from napari_segreview.widgets.review_layers import find_layer

PLUGIN = "napari-segreview"
TIMEOUT = 60_000
STATUS_OF_TEXT = {"found": "matched", "missed": "missed", "FP": "false positive"}
FULL_3D = np.ones((3, 3, 3), bool)


def open_instances(viewer, sample: str, qtbot):
    viewer.window._qt_window.resize(1280, 800)
    viewer.open_sample(PLUGIN, sample)
    _, dock = viewer.window.add_plugin_dock_widget(PLUGIN, "Segmentation review")
    tabs = dock.result_tabs
    bar = tabs.tabBar()
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == "Instances")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert tabs.currentWidget() is dock.instances
    return dock, dock.instances


def matched(view, qtbot):
    assert view.compute_button.isEnabled(), view.status.text()
    qtbot.mouseClick(view.compute_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.matching is not None and view.worker is None, timeout=TIMEOUT)
    return view.matching


def shown_rows(view) -> list[tuple[str, str]]:
    """(object, status) as the table shows them, top to bottom."""
    model = view.table.model()
    return [(model.index(r, 0).data(), STATUS_OF_TEXT[model.index(r, 1).data()]) for r in range(model.rowCount())]


def click_row(view, qtbot, row: int) -> None:
    index = view.table.model().index(row, 0)
    view.table.scrollTo(index)
    rect = view.table.visualRect(index)
    qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def visible_world_box(viewer) -> tuple[np.ndarray, np.ndarray]:
    """The world rectangle (displayed axes) the canvas shows."""
    camera = viewer.scene.camera
    height, width = viewer.canvas.size
    half = np.array([height, width]) / camera.zoom / 2
    centre = np.asarray(camera.center[-2:])
    return centre - half, centre + half


def test_nuclei_table_orders_misses_first_and_a_click_shows_the_nucleus(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    dock, view = open_instances(viewer, "nuclei", qtbot)
    assert view.source.currentData() == "as given"  # the sample's maps are instance maps
    result = matched(view, qtbot)
    gt = viewer.layers["nuclei ground truth"].data
    pred = viewer.layers["watershed prediction"].data
    if importlib.util.find_spec("stardist") is not None:
        from stardist.matching import matching

        reference = matching(gt, pred, thresh=0.5)
        assert (result.summary["tp"], result.summary["fp"], result.summary["fn"]) == (
            reference.tp,
            reference.fp,
            reference.fn,
        )
        assert f"TP {reference.tp} · FP {reference.fp} · FN {reference.fn}" in view.summary.text()
    rows = shown_rows(view)
    statuses = [status for _, status in rows]
    n_missed, n_fp = statuses.count("missed"), statuses.count("false positive")
    assert n_missed == result.summary["fn"] and n_fp == result.summary["fp"]
    assert statuses == ["missed"] * n_missed + ["false positive"] * n_fp + ["matched"] * (len(rows) - n_missed - n_fp)
    ious = [float(view.table.model().index(r, 3).data()) for r in range(n_missed + n_fp, len(rows))]
    assert ious == sorted(ious) and ious[0] < ious[-1]  # worst matched first

    # a click on the first missed nucleus centres the camera on it and zooms to its box
    click_row(view, qtbot, 0)
    nucleus = int(rows[0][0].split()[1])
    where = np.argwhere(gt == nucleus)
    centre = ndimage.center_of_mass(gt == nucleus)
    np.testing.assert_allclose(viewer.scene.camera.center[-2:], centre, atol=1e-6)
    low, high = visible_world_box(viewer)
    assert np.all(low <= where.min(axis=0)) and np.all(high >= where.max(axis=0) + 1)
    assert np.all(high - low < 0.5 * np.array(gt.shape))  # zoomed in, not the whole image

    # the overlay layer paints it as missed, in the view's colours
    overlay = find_layer(viewer, instances_view.ROLE)
    assert overlay is not None and overlay.name == instances_view.OVERLAY_NAME
    assert np.all(overlay.data[gt == nucleus] == MISSED)
    assert set(np.unique(overlay.data)) == {0, MATCHED, MISSED, FALSE_POSITIVE}


def test_next_missed_and_next_false_positive_buttons_and_shortcuts(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    dock, view = open_instances(viewer, "nuclei", qtbot)
    matched(view, qtbot)
    rows = shown_rows(view)
    first_fp = next(i for i, (_, status) in enumerate(rows) if status == "false positive")
    pred = viewer.layers["watershed prediction"].data

    qtbot.mouseClick(view.next_fp_button, Qt.MouseButton.LeftButton)
    assert view.selected_position() == first_fp
    fp_id = int(rows[first_fp][0].split()[1])
    np.testing.assert_allclose(viewer.scene.camera.center[-2:], ndimage.center_of_mass(pred == fp_id), atol=1e-6)

    qtbot.mouseClick(view.next_missed_button, Qt.MouseButton.LeftButton)
    assert view.selected_position() == 0  # wraps around to the first missed
    qtbot.mouseClick(view.next_missed_button, Qt.MouseButton.LeftButton)
    assert view.selected_position() == 1

    canvas = viewer.window._qt_viewer.canvas.native
    canvas.setFocus()
    qtbot.keyClick(canvas, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_position() == 2 and rows[2][1] == "missed"
    qtbot.keyClick(canvas, Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_position() == first_fp  # the first false positive after the missed row
    qtbot.keyClick(canvas, Qt.Key.Key_F, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_position() == first_fp + 1 and rows[first_fp + 1][1] == "false positive"


def test_lesions_in_3d_a_missed_lesion_is_shown_on_its_slice(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    dock, view = open_instances(viewer, "mni152_lesions", qtbot)
    assert view.source.currentData() == "components" and view.connectivity.value() == 3
    result = matched(view, qtbot)
    gt_layer = viewer.layers["lesion ground truth"]
    gt, n_gt = ndimage.label(gt_layer.data, structure=FULL_3D)
    pred, n_pred = ndimage.label(viewer.layers["lesion prediction"].data, structure=FULL_3D)
    untouched_gt = [i for i in range(1, n_gt + 1) if not np.any(pred[gt == i])]
    untouched_pred = [i for i in range(1, n_pred + 1) if not np.any(gt[pred == i])]
    assert result.summary["fn"] == len(untouched_gt) == 3
    assert result.summary["fp"] == len(untouched_pred) >= 3

    rows = shown_rows(view)
    assert [status for _, status in rows[:3]] == ["missed"] * 3
    click_row(view, qtbot, 0)
    lesion = int(rows[0][0].split()[1])
    # the viewer shows the slice through the lesion's centre, and the lesion is on it
    centre = ndimage.center_of_mass(gt == lesion)
    shown_slice = int(np.rint(gt_layer.world_to_data(viewer.dims.point)[0]))
    assert shown_slice == int(np.rint(centre[0]))
    assert np.any(gt[shown_slice] == lesion)
    np.testing.assert_allclose(viewer.scene.camera.center[-2:], gt_layer.data_to_world(centre)[1:], atol=1e-6)
    low, high = visible_world_box(viewer)
    assert np.all(high - low <= 100.0)  # under half the brain across: zoomed to a lesion of a few voxels, not the brain
    overlay = find_layer(viewer, instances_view.ROLE)
    assert overlay.ndim == 3 and np.all(overlay.data[gt == lesion] == MISSED)

    # in the 3D view a click on a false positive centres the camera on it in all three axes
    viewer.dims.ndisplay = 3
    fp_row = next(i for i, (_, status) in enumerate(rows) if status == "false positive")
    click_row(view, qtbot, fp_row)
    fp = int(rows[fp_row][0].split()[1])
    fp_centre = ndimage.center_of_mass(pred == fp)
    # the view numbers components in scipy's raster order too (instances_from_semantic), so the ids agree
    np.testing.assert_allclose(viewer.scene.camera.center, gt_layer.data_to_world(fp_centre), atol=1e-6)
    assert overlay.visible and np.all(overlay.data[pred == fp] == FALSE_POSITIVE)


def test_an_edit_makes_the_matching_stale_and_live_brings_it_up_to_date(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    dock, view = open_instances(viewer, "nuclei", qtbot)
    matched(view, qtbot)
    first = view.model.rows[0]
    assert first["status"] == "missed"
    gt = viewer.layers["nuclei ground truth"].data
    pred = viewer.layers["watershed prediction"]
    # the user shows the prediction and paints the missed nucleus into it as a new object
    pred.visible = True
    qtbot.wait(50)
    new_label = int(pred.data.max()) + 1
    pred.data_setitem(tuple(np.nonzero(gt == first["id"])), new_label)
    assert not view.results.isEnabled() and "Out of date" in view.status.text()
    qtbot.waitUntil(lambda: view.current() and view.worker is None, timeout=TIMEOUT)
    row = next(r for r in view.model.rows if r["kind"] == "gt" and r["id"] == first["id"])
    assert row["status"] == "matched" and row["matched"] == str(new_label)
    assert view.results.isEnabled()

    # napari's undo writes the array back and emits only a refresh: the view compares the data and updates too
    matching = view.matching
    pred.undo()
    qtbot.waitUntil(lambda: view.matching is not matching and view.current() and view.worker is None, timeout=TIMEOUT)
    row = next(r for r in view.model.rows if r["kind"] == "gt" and r["id"] == first["id"])
    assert row["status"] == "missed"


def test_options_recompute_and_brats_mode_has_no_threshold(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    dock, view = open_instances(viewer, "nuclei", qtbot)
    result = matched(view, qtbot)
    view.threshold.setValue(0.3)
    qtbot.waitUntil(lambda: view.current() and view.worker is None, timeout=TIMEOUT)
    assert view.matching is not result and view.matching.threshold == pytest.approx(0.3)
    assert view.matching.summary["tp"] >= result.summary["tp"]  # a lower bar matches at least as many
    view.mode.setCurrentIndex(view.mode.findData("brats"))
    assert not view.threshold.isEnabled() and not view.criterion.isEnabled()


def test_removing_a_matched_layer_clears_the_view_and_its_overlay(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    dock, view = open_instances(viewer, "nuclei", qtbot)
    matched(view, qtbot)
    viewer.layers.remove("watershed prediction")
    qtbot.waitUntil(lambda: view.matching is None, timeout=2_000)
    assert view.model.rowCount() == 0
    assert find_layer(viewer, instances_view.ROLE) is None
    assert not view.compute_button.isEnabled()


def test_the_instances_tab_fits_the_side_panel_without_sideways_scrolling(make_napari_viewer, qtbot):
    viewer = make_napari_viewer(show=True)
    dock, view = open_instances(viewer, "nuclei", qtbot)
    matched(view, qtbot)
    qtbot.wait(100)
    assert not view.table.horizontalScrollBar().isVisible()
    header = view.table.horizontalHeader()
    shown = [view.model.headerData(c, Qt.Orientation.Horizontal) for c in range(header.count())]
    shown = [title for c, title in enumerate(shown) if not header.isSectionHidden(c)]
    assert shown == ["object", "status", "size", "IoU", "HD95"]
    for widget in (view.compute_button, view.next_missed_button, view.next_fp_button):
        assert widget.width() >= widget.fontMetrics().horizontalAdvance(widget.text())  # no clipped text


# ---- the pure helpers, on hand-built maps --------------------------------------------------------------------


def _hand_built():
    gt = np.zeros((20, 20), np.int32)
    gt[1:5, 1:5] = 1  # found well
    gt[8:12, 8:12] = 2  # found poorly
    gt[15:17, 15:17] = 3  # missed
    pred = np.zeros_like(gt)
    pred[1:5, 1:5] = 1
    pred[8:12, 9:13] = 2  # IoU 12/20
    pred[15:19, 1:4] = 3  # false positive
    return gt, pred


def test_rows_are_missed_then_false_positive_then_worst_matched():
    gt, pred = _hand_built()
    rows = ordered_rows(match_instances(gt, pred))
    assert [(r["kind"], r["id"], r["status"]) for r in rows] == [
        ("gt", 3, "missed"),
        ("pred", 3, "false positive"),
        ("gt", 2, "matched"),
        ("gt", 1, "matched"),
    ]
    assert next_with_status(rows, "missed", None) == 0
    assert next_with_status(rows, "missed", 0) == 0  # wraps to itself when it is the only one
    assert next_with_status(rows, "false positive", 3) == 1
    assert next_with_status(rows[2:], "missed", None) is None


def test_status_overlay_marks_found_missed_and_false_positive_voxels():
    gt, pred = _hand_built()
    overlay = status_overlay(gt, pred, match_instances(gt, pred))
    assert np.all(overlay[gt == 1] == MATCHED) and np.all(overlay[gt == 2] == MATCHED)
    assert np.all(overlay[gt == 3] == MISSED) and np.all(overlay[pred == 3] == FALSE_POSITIVE)
    assert np.all(overlay[(gt == 0) & (pred != 3)] == 0)


def _lab(colour: str) -> np.ndarray:
    rgb = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    return rgb2lab(np.array([[rgb]]))[0, 0]


def test_status_colours_differ_from_the_review_colours_and_from_each_other():
    ours = [_lab(STATUS_COLORS[code]) for code in (MATCHED, MISSED, FALSE_POSITIVE)]
    # the review's TP/FP/FN/wrong-class overlay, its distance reds, the samples' grey/white matter and lesion
    theirs = [_lab(c) for k, c in OVERLAY_COLORS.items() if k] + [
        _lab(c) for c in ("#ed2920", "#8c000d", "#ff9d2e", "#3fa7ff")
    ]
    for colour in ours:
        assert min(deltaE_ciede2000(colour, other) for other in theirs) > 20
    for i in range(3):
        for j in range(i + 1, 3):
            assert deltaE_ciede2000(ours[i], ours[j]) > 35


def test_a_sample_opened_after_the_dock_can_be_matched(make_napari_viewer, qtbot):
    viewer = make_napari_viewer()
    _, dock = viewer.window.add_plugin_dock_widget(PLUGIN, "Segmentation review")
    view = dock.instances
    assert not view.compute_button.isEnabled()
    viewer.open_sample(PLUGIN, "nuclei")
    qtbot.waitUntil(view.compute_button.isEnabled, timeout=2_000)
    assert "nuclei ground truth" in view.status.text() and view.source.currentData() == "as given"
    assert matched(view, qtbot).summary["n_gt"] == 125
