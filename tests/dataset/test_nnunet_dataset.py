"""An nnU-Net raw dataset and predict folder, and a BIDS derivative, through ``segreview evaluate``."""

import json

import nibabel as nib
import numpy as np
import pytest

from napari_segreview.cli import main


def _nifti(path, data):
    nib.save(nib.Nifti1Image(np.asarray(data, np.uint8), np.eye(4)), str(path))


def _brats_like(tmp_path):
    """labelsTr with two cases; label 4 marks voxels nobody annotated (the ignore label)."""
    root = tmp_path / "Dataset042_Tumour"
    (root / "labelsTr").mkdir(parents=True)
    (root / "imagesTr").mkdir()
    labels = {"background": 0, "edema": 1, "core": 2, "whole tumour": [1, 2], "ignore": 4}
    (root / "dataset.json").write_text(
        json.dumps({"channel_names": {"0": "T1"}, "labels": labels, "numTraining": 2, "file_ending": ".nii.gz"})
    )
    predicted = tmp_path / "predict_out"
    predicted.mkdir()
    for name in ("dataset.json", "plans.json", "predict_from_raw_data_args.json"):
        (predicted / name).write_text("{}")  # what nnUNetv2_predict writes beside the masks
    gt = np.zeros((1, 4, 8), np.uint8)
    gt[0, :, 0:2] = 1
    gt[0, :, 2:4] = 2
    gt[0, :, 6:8] = 4  # ignored: the prediction's label 1 there counts nowhere
    pred = np.zeros_like(gt)
    pred[0, :, 0:3] = 1  # one column of core called edema
    pred[0, :, 3:4] = 2
    pred[0, :, 6:8] = 1
    for case in ("tumour_001", "tumour_002"):
        _nifti(root / "labelsTr" / f"{case}.nii.gz", gt)
        _nifti(root / "imagesTr" / f"{case}_0000.nii.gz", gt * 10)
        _nifti(predicted / f"{case}.nii.gz", pred)
    return root, predicted


def test_nnunet_root_names_classes_evaluates_regions_and_leaves_out_the_ignore_label(tmp_path, capsys):
    root, predicted = _brats_like(tmp_path)
    out = tmp_path / "report.json"
    assert main(["evaluate", str(root), str(predicted), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "classes from dataset.json: 2 named labels, regions whole tumour, ignore label 4" in captured.err
    report = json.loads(out.read_text())
    rows = [row for row in report["rows"] if row["case"] == "tumour_001.nii.gz"]
    by_class = {row["class"]: row for row in rows}
    assert set(by_class) == {"edema", "core", "whole tumour"}  # no row of label 4
    # hand-counted per image row of 8 voxels, 4 rows: edema GT 8, predicted 12 (the ignored 8 dropped), TP 8
    assert by_class["edema"]["pred_voxels"] == 12 and by_class["edema"]["dice"] == pytest.approx(16 / 20)
    # core: GT 8, predicted 4, TP 4
    assert by_class["core"]["dice"] == pytest.approx(8 / 12)
    # whole tumour = edema or core: GT columns 0-3, prediction columns 0-3: identical
    assert by_class["whole tumour"]["label"] is None and by_class["whole tumour"]["dice"] == 1.0
    summary = report["summary"]
    assert summary["labels"]["1"]["class"] == "edema"
    assert summary["regions"]["whole tumour"]["dice"]["mean"] == 1.0
    assert summary["options"]["classes"]["regions"] == {"whole tumour": [1, 2]}
    assert "whole tumour" in captured.out


def test_a_single_pair_from_labels_tr_uses_the_names_too(tmp_path, capsys):
    root, predicted = _brats_like(tmp_path)
    gt = root / "labelsTr" / "tumour_001.nii.gz"
    assert main(["evaluate", str(gt), str(predicted / "tumour_001.nii.gz")]) == 0
    printed = capsys.readouterr().out
    assert "edema" in printed and "whole tumour" in printed


def test_bids_dseg_tsv_names_the_classes(tmp_path, capsys):
    derivative = tmp_path / "derivatives" / "manual"
    anat = derivative / "sub-01" / "anat"
    anat.mkdir(parents=True)
    (derivative / "dataset_description.json").write_text("{}")
    (derivative / "dseg.tsv").write_text("index\tname\n1\tgrey matter\n2\twhite matter\n")
    model = tmp_path / "derivatives" / "model"
    model.mkdir()
    gt = np.zeros((2, 4, 4), np.uint8)
    gt[:, :2] = 1
    gt[:, 2:] = 2
    _nifti(anat / "sub-01_dseg.nii.gz", gt)
    _nifti(model / "sub-01_dseg.nii.gz", gt)
    out = tmp_path / "r.csv"
    assert main(["evaluate", str(anat), str(model), "--out", str(out)]) == 0
    header, *lines = out.read_text().splitlines()
    assert header.split(",")[:3] == ["case", "label", "class"]
    assert [line.split(",")[2] for line in lines] == ["grey matter", "white matter"]


def test_a_broken_dataset_json_is_one_sentence(tmp_path, capsys):
    root, predicted = _brats_like(tmp_path)
    (root / "dataset.json").write_text('{"labels": {"a": "x"}}')
    assert main(["evaluate", str(root), str(predicted)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "whole number" in err


def test_a_case_with_a_class_table_reports_its_labels_and_regions_as_it_goes(tmp_path):
    from napari_segreview.dataset import MetricOptions, evaluate_dataset, pair_folders
    from napari_segreview.dataset.class_table import find_class_table

    root, predicted = _brats_like(tmp_path)
    calls = []
    cases = pair_folders(root / "labelsTr", predicted).cases
    options = MetricOptions(classes=find_class_table(root / "labelsTr"))
    rows = evaluate_dataset(cases, options, on_label=lambda *call: calls.append(call))
    # labels 1 and 2, then the region: three steps per case
    assert calls == [(case, done, 3) for case in ("tumour_001.nii.gz", "tumour_002.nii.gz") for done in (1, 2, 3)]
    assert len(rows) == 6
