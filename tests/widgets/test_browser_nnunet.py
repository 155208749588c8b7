"""The dataset browser on an nnU-Net dataset root: labelsTr/ and imagesTr/ found, classes named, regions kept."""

from __future__ import annotations

import json

from napari_segreview.dataset import read_rows
from tests.dataset.test_nnunet_dataset import _brats_like

TIMEOUT = 60_000


def test_dataset_root_as_ground_truth_finds_labels_and_images_and_names_classes(make_napari_viewer, qtbot, tmp_path):
    root, predicted = _brats_like(tmp_path)
    viewer = make_napari_viewer()
    _, browser = viewer.window.add_plugin_dock_widget("napari-segreview", "Dataset browser")
    browser.folders["gt"].setText(str(root))
    browser.folders["pred"].setText(str(predicted))
    files = browser.case_files("tumour_001.nii.gz")
    assert files["gt"] == root / "labelsTr" / "tumour_001.nii.gz"
    assert files["image"] == root / "imagesTr" / "tumour_001_0000.nii.gz"
    report = tmp_path / "report.json"
    browser.evaluate_folders(report)
    qtbot.waitUntil(lambda: browser.worker is None and browser.table.rowCount() == 2, timeout=TIMEOUT)
    rows = read_rows(report)
    assert {row["class"] for row in rows} == {"edema", "core", "whole tumour"}
    assert json.loads(report.read_text())["summary"]["options"]["classes"]["ignore"] == 4
    # the worst label of each case is core (Dice 2/3), shown with its name
    assert {browser.table.item(row, 1).text() for row in range(2)} == {"2 core"}
