"""The dataset browser in a real napari viewer (Xvfb): a report as a table worst-first, a click opens the case
with its geometry and fills the review dock."""

from __future__ import annotations

import numpy as np
import pytest
from qtpy.QtCore import Qt

from napari_segreview.cli import main
from napari_segreview.dataset import MetricOptions, options_record, read_rows, recorded_options
from napari_segreview.io import read_volume
from napari_segreview.widgets.dataset_browser import DatasetBrowser, find_case_file
from napari_segreview.widgets.review_dock import ReviewDock
from tests.dataset.cases import EMPTY, FAILING, N_CASES, SHAPE
from tests.nifti_cases import AFFINES, write_nifti

TIMEOUT = 30_000


@pytest.fixture
def report(dataset, tmp_path):
    gt_dir, pred_dir = dataset
    images = tmp_path / "images"
    images.mkdir()
    image = np.random.default_rng(0).random(SHAPE).astype(np.float32)
    write_nifti(images / "case_11_0000.nii.gz", image, AFFINES["RAS"])  # nnU-Net's image naming
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1
    return out, gt_dir, pred_dir, images


def _layer_names(viewer) -> list[str]:
    return [layer.name for layer in viewer.layers]


def test_report_opens_worst_first_and_a_click_opens_the_case(make_napari_viewer, qtbot, report):
    out, gt_dir, pred_dir, images = report
    viewer = make_napari_viewer()
    review = ReviewDock(viewer)
    viewer.window.add_dock_widget(review, name="Segmentation review")
    browser = DatasetBrowser(viewer)
    viewer.window.add_dock_widget(browser, name="Dataset browser")
    for role, folder in (("image", images), ("gt", gt_dir), ("pred", pred_dir)):
        browser.folders[role].setText(str(folder))
    browser.load_report(out)

    table = browser.table
    assert table.rowCount() == N_CASES
    cases = [table.item(row, 0).text() for row in range(table.rowCount())]
    assert set(cases[: len(FAILING)]) == FAILING  # failed cases first, then the worst Dice
    assert cases[len(FAILING)] == EMPTY
    dice = [float(table.item(row, 2).text()) for row in range(len(FAILING), table.rowCount())]
    assert dice == sorted(dice)
    table.sortItems(2, Qt.SortOrder.DescendingOrder)  # the best case first
    assert table.item(0, 2).text() == "1" and table.item(0, 0).text() in {
        "case_00.nii.gz",
        "case_10.nii.gz",
        "case_15.nii.gz",
    }
    table.sortItems(2, Qt.SortOrder.AscendingOrder)

    row = len(FAILING)
    table.cellClicked.emit(row, 0)
    assert browser.loading  # read in a worker
    qtbot.waitUntil(lambda: not browser.loading, timeout=TIMEOUT)
    assert _layer_names(viewer) == ["case_11 image", "case_11 gt", "case_11 pred"]
    gt_layer = viewer.layers["case_11 gt"]
    expected = read_volume(gt_dir / EMPTY)
    np.testing.assert_allclose(gt_layer.scale, expected.scale)
    np.testing.assert_allclose(gt_layer.translate, expected.translate)
    np.testing.assert_array_equal(gt_layer.data, expected.data)
    assert not viewer.layers["case_11 pred"].data.any()
    assert (review.inputs.gt.currentText(), review.inputs.pred.currentText()) == ("case_11 gt", "case_11 pred")

    # the next case replaces the previous one's layers (it has no image in the images folder)
    table.cellClicked.emit(row + 1, 0)
    qtbot.waitUntil(lambda: not browser.loading, timeout=TIMEOUT)
    case = table.item(row + 1, 0).text().removesuffix(".nii.gz")
    assert _layer_names(viewer) == [f"{case} gt", f"{case} pred"]
    assert review.inputs.gt.currentText() == f"{case} gt"


def test_case_files_pair_by_name(tmp_path):
    (tmp_path / "a_0000.nii.gz").write_bytes(b"")
    (tmp_path / "ab.nii.gz").write_bytes(b"")
    assert find_case_file(tmp_path, "a", ("_0000",)).name == "a_0000.nii.gz"
    assert find_case_file(tmp_path, "a") is None


def test_the_browser_evaluates_two_folders_in_a_worker_and_shows_the_report(
    make_napari_viewer, qtbot, dataset, tmp_path
):
    gt_dir, pred_dir = dataset
    viewer = make_napari_viewer()
    browser = DatasetBrowser(viewer)
    browser.folders["gt"].setText(str(gt_dir))
    browser.folders["pred"].setText(str(pred_dir))
    report = tmp_path / "from_dock.json"
    browser.evaluate_folders(report)
    assert browser.busy
    qtbot.waitUntil(lambda: not browser.busy and browser.table.rowCount() > 0, timeout=60_000)
    assert browser.table.rowCount() == N_CASES
    assert report.is_file()
    failed = [
        browser.table.item(row, 0).text() for row in range(N_CASES) if browser.table.item(row, 4).text() == "error"
    ]
    assert set(failed) == set(FAILING)
    assert "(border convention)" in browser.status.text()
    # a second run never overwrites the report
    before = report.read_bytes()
    browser.evaluate_folders(report)
    assert not browser.busy and report.read_bytes() == before


def test_a_report_of_the_browser_records_its_options_for_the_command_line(
    make_napari_viewer, qtbot, dataset, tmp_path, capsys
):
    gt_dir, pred_dir = dataset
    browser = DatasetBrowser(make_napari_viewer())
    browser.folders["gt"].setText(str(gt_dir))
    browser.folders["pred"].setText(str(pred_dir))
    report = tmp_path / "from_dock.csv"
    browser.evaluate_folders(report)
    qtbot.waitUntil(lambda: not browser.busy and browser.table.rowCount() > 0, timeout=60_000)
    assert recorded_options(report) == options_record(MetricOptions())
    before, rows = report.read_bytes(), read_rows(report)
    argv = ["evaluate", str(gt_dir), str(pred_dir), "--out", str(report), "--resume"]
    assert main([*argv, "--convention", "surfel"]) == 2
    assert "it was computed with --convention border, not --convention surfel" in capsys.readouterr().err
    assert report.read_bytes() == before
    assert main(argv) == 1  # the options the dock uses: only the failed cases run again
    assert f"{N_CASES - len(FAILING)} finished cases kept" in capsys.readouterr().err
    assert read_rows(report) == rows
