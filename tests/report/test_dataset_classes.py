"""A report of an nnU-Net dataset: class names on the boxes, the table and the cards, region classes as their
own boxes, and the dataset root found as its labelsTr/ and imagesTr/ for the thumbnails."""

from __future__ import annotations

import json
import math

import nibabel as nib
import numpy as np

from napari_segreview.cli import main
from napari_segreview.dataset import dataset_summary, read_rows
from napari_segreview.report import Folders, build_report_html, class_statistics


def _nifti(path, data):
    nib.save(nib.Nifti1Image(np.asarray(data, np.uint8), np.eye(4)), str(path))


def _dataset(tmp_path):
    root = tmp_path / "Dataset042_Tumour"
    (root / "labelsTr").mkdir(parents=True)
    (root / "imagesTr").mkdir()
    labels = {"background": 0, "edema": 1, "core": 2, "whole tumour": [1, 2]}
    (root / "dataset.json").write_text(json.dumps({"channel_names": {"0": "T1"}, "labels": labels,
                                                   "numTraining": 3, "file_ending": ".nii.gz"}))  # fmt: skip
    predicted = tmp_path / "predict_out"
    predicted.mkdir()
    for index in range(3):
        gt = np.zeros((6, 12, 12), np.uint8)
        gt[1:5, 2:10, 2:10] = 1
        gt[2:4, 4:8, 4:8] = 2
        pred = np.roll(gt, index, axis=2)
        if index == 2:
            pred[pred == 2] = 0  # core missed: infinite distances
        case = f"tumour_{index:03d}"
        _nifti(root / "labelsTr" / f"{case}.nii.gz", gt)
        _nifti(root / "imagesTr" / f"{case}_0000.nii.gz", gt * 50 + 20)
        _nifti(predicted / f"{case}.nii.gz", pred)
    return root, predicted


def test_names_regions_and_the_dataset_root(tmp_path):
    root, predicted = _dataset(tmp_path)
    report = tmp_path / "report.json"
    assert main(["evaluate", str(root), str(predicted), "--out", str(report)]) == 0
    rows = read_rows(report)
    classes = class_statistics(rows)
    assert [(c.label, c.name) for c in classes] == [(1, "edema"), (2, "core"), (None, "whole tumour")]
    summary = dataset_summary(rows)
    region = classes[2]
    expected = summary["regions"]["whole tumour"]
    assert (region.rows, region.both_empty, region.inf_rows) == (expected["rows"], expected["both_empty"],
                                                                  expected["inf_rows"])  # fmt: skip
    assert math.isclose(float(np.mean(region.values["dice"])), expected["dice"]["mean"])
    assert classes[1].inf_rows == summary["labels"][2]["inf_rows"] == 1

    html = build_report_html(report, Folders(gt=root, pred=predicted))  # the root, as evaluate took it
    assert html.count('<img class="thumb"') == 3  # found in labelsTr/
    assert "images from " + str(root / "imagesTr") in html  # and the images beside it
    assert ">edema</text>" in html and ">core</text>" in html and ">whole tumour</text>" in html
    assert "label 2 (core): Dice 0 " in html  # the worst card names its class
    assert "whole tumour (region)" in html
