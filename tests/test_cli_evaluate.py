"""segreview evaluate on file pairs: tables, CSV/JSON output per the SPEC, exit code 2 with one sentence."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from skimage.io import imsave

from napari_segreview.cli import main
from napari_segreview.metrics import volume_metrics
from napari_segreview.plugin.sample_data import sample_path
from tests.nifti_cases import AFFINES, write_nifti


@pytest.fixture
def nifti_pair(tmp_path):
    gt = np.zeros((12, 14, 10), np.uint8)
    gt[3:9, 4:10, 2:8] = 1
    gt[5:7, 5:8, 3:5] = 2
    pred = np.roll(gt, 1, axis=0)
    pred[pred == 2] = 0  # label 2 missed
    return (
        write_nifti(tmp_path / "case_gt.nii.gz", gt, AFFINES["RAS"]),
        write_nifti(tmp_path / "case_pred.nii.gz", pred, AFFINES["RAS"]),
        gt,
        pred,
    )


def test_volume_table_uses_the_header_spacing(nifti_pair, capsys):
    gt_path, pred_path, gt, pred = nifti_pair
    assert main(["evaluate", str(gt_path), str(pred_path)]) == 0
    out = capsys.readouterr().out
    expected = volume_metrics(gt, pred, spacing=(0.8, 0.9, 2.5))
    assert f"{expected[1]['hd']:.4g}" in out  # 1 voxel along file axis 0 = 0.8 mm
    assert expected[1]["hd"] == pytest.approx(0.8)
    assert "pred_empty" in out and "inf" in out


def test_json_output_follows_the_spec(nifti_pair, tmp_path):
    gt_path, pred_path, _, _ = nifti_pair
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_path), str(pred_path), "--out", str(out)]) == 0
    document = json.loads(out.read_text())
    assert set(document) == {"rows", "summary"}
    first, missed = document["rows"]
    assert first["case"] == "case_gt.nii.gz" and first["label"] == 1 and first["status"] == "ok"
    assert missed["status"] == "pred_empty" and missed["hd95"] == math.inf and missed["dice"] == 0.0
    assert set(first) == {"case", "label", "dice", "iou", "hd", "hd95", "assd", "nsd", "gt_voxels",
                          "pred_voxels", "status"}  # fmt: skip
    assert document["summary"]["2"]["inf_rows"] == 1


def test_per_slice_csv_with_anatomical_axis_name(nifti_pair, tmp_path):
    gt_path, pred_path, _, _ = nifti_pair
    out = tmp_path / "slices.csv"
    assert main(["evaluate", str(gt_path), str(pred_path), "--per-slice", "axial", "--out", str(out)]) == 0
    rows = list(csv.DictReader(out.read_text().splitlines()))
    # axial = display axis 0 = file axis 2 (10 slices), two labels each
    assert len(rows) == 10 * 2
    assert [int(r["slice"]) for r in rows[:4]] == [0, 0, 1, 1]
    assert {r["status"] for r in rows} >= {"ok", "both_empty", "pred_empty"}


def test_refuses_to_overwrite_an_existing_report(nifti_pair, tmp_path, capsys):
    gt_path, pred_path, _, _ = nifti_pair
    out = tmp_path / "report.csv"
    out.write_text("keep me")
    assert main(["evaluate", str(gt_path), str(pred_path), "--out", str(out)]) == 2
    assert out.read_text() == "keep me"
    assert "already exists; use --force" in capsys.readouterr().err
    assert main(["evaluate", str(gt_path), str(pred_path), "--out", str(out), "--force"]) == 0
    assert out.read_text().startswith("case,label,dice")


def test_npy_and_png_pairs(tmp_path, capsys):
    gt = np.zeros((20, 30), np.uint8)
    gt[5:15, 5:20] = 255
    pred = np.roll(gt, 2, axis=1)
    imsave(tmp_path / "lesion.png", gt, check_contrast=False)
    imsave(tmp_path / "lesion_pred.png", pred, check_contrast=False)
    assert main(["evaluate", str(tmp_path / "lesion.png"), str(tmp_path / "lesion_pred.png")]) == 0
    assert "0.8667" in capsys.readouterr().out  # Dice 2*130/300: 0/255 masks become label 1
    np.save(tmp_path / "a.npy", gt // 255)
    np.save(tmp_path / "b.npy", pred // 255)
    out = tmp_path / "r.json"
    main(["evaluate", str(tmp_path / "a.npy"), str(tmp_path / "b.npy"), "--spacing", "0.5", "0.25", "--out", str(out)])
    assert json.loads(out.read_text())["rows"][0]["hd"] == pytest.approx(0.5)


def test_mni_sample_per_slice_matches_the_library(tmp_path):
    out = tmp_path / "mni.json"
    tissue = str(sample_path("tissue_seg.nii.gz"))
    assert main(["evaluate", tissue, tissue, "--per-slice", "0", "--labels", "2", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert len(rows) == 189 and all(r["dice"] == 1.0 for r in rows)


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["missing.nii.gz", "{pred}"], "missing.nii.gz does not exist."),
        (["{gt}", "{pred}", "--per-slice", "oblique"], "takes 0, 1 or 2 for a 3D image (array order) or axial"),
        (["{gt}", "{pred}", "--spacing", "1", "1"], "spacing has 2 values but the arrays are 3D"),
        (["{gt}", "{pred}", "--spacing", "1", "0", "1"], "spacing must be positive and finite"),
        (["{gt}", "{pred}", "--out", "report.txt"], "--out must end in .csv or .json"),
        (["{gt}", "{other_grid}"], "lie on different voxel grids"),
        (["{gt}", "{small}"], "different voxel grids (shape (12, 14, 10) vs (12, 14, 9)); give --resample-prediction"),
        (["{gt}", "{corrupt}"], "Cannot read corrupt.nii.gz as NIfTI"),
        (["{gt}", "{probabilities}"], "pred holds non-integer values"),
        (["{folder}", "{pred}"], "is a folder"),
    ],
)
def test_bad_input_is_one_sentence_and_exit_2(nifti_pair, tmp_path, capsys, arguments, message):
    gt_path, pred_path, gt, _ = nifti_pair
    shifted = AFFINES["RAS"].copy()
    shifted[0, 3] += 5.0
    corrupt = tmp_path / "corrupt.nii.gz"
    corrupt.write_bytes(b"\x1f\x8b\x08\x00garbage")
    (tmp_path / "folder").mkdir()
    paths = {
        "gt": gt_path,
        "pred": pred_path,
        "other_grid": write_nifti(tmp_path / "moved.nii.gz", gt, shifted),
        "small": write_nifti(tmp_path / "small.nii.gz", gt[:, :, :9], AFFINES["RAS"]),
        "corrupt": corrupt,
        "probabilities": write_nifti(tmp_path / "prob.nii.gz", gt * 0.3, AFFINES["RAS"]),
        "folder": tmp_path / "folder",
    }
    argv = ["evaluate", *(a.format(**paths) for a in arguments)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.fixture
def many_label_pair(tmp_path):
    """A pair with 12 labels (blocks side by side), the prediction shifted a voxel."""
    gt = np.zeros((8, 12, 36), np.uint8)
    for label in range(1, 13):
        gt[2:6, 3:9, 3 * (label - 1) : 3 * label - 1] = label
    pred = np.roll(gt, 1, axis=1)
    np.save(tmp_path / "many_gt.npy", gt)
    np.save(tmp_path / "many_pred.npy", pred)
    return tmp_path / "many_gt.npy", tmp_path / "many_pred.npy", gt, pred


class _Terminal:
    """stderr as a terminal (isatty) that records what is written."""

    def __init__(self):
        self.text = ""

    def write(self, text):
        self.text += text

    def flush(self):
        pass

    def isatty(self):
        return True


@pytest.mark.parametrize("per_slice", [None, "1"])
def test_many_labels_show_a_bar_on_stderr_not_in_the_table_or_report(many_label_pair, tmp_path, capsys, per_slice):
    gt_path, pred_path, gt, pred = many_label_pair
    options = [] if per_slice is None else ["--per-slice", per_slice]
    out = tmp_path / "many.csv"
    assert main(["evaluate", str(gt_path), str(pred_path), *options, "--out", str(out)]) == 0
    captured = capsys.readouterr()
    # stderr is no terminal here: a line per tenth of the labels, as the dataset bar writes per tenth of the cases
    lines = captured.err.splitlines()
    assert lines[-1].startswith("evaluate [") and lines[-1].split("]")[1].split()[0] == "12/12"
    assert 1 <= len(lines) <= 10
    assert "evaluate [" not in captured.out and "/12 labels" not in captured.out
    with out.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == (12 if per_slice is None else 12 * gt.shape[1])
    assert all("#" not in value for row in rows for value in row.values())


def test_the_bar_is_redrawn_in_place_on_a_terminal(many_label_pair, monkeypatch, capsys):
    gt_path, pred_path, _, _ = many_label_pair
    terminal = _Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert main(["evaluate", str(gt_path), str(pred_path)]) == 0
    assert terminal.text.startswith("\r") and terminal.text.endswith("\n")
    assert "12/12 labels" in terminal.text.splitlines()[-1]
    assert "evaluate [" not in capsys.readouterr().out


def test_a_few_labels_show_no_bar(nifti_pair, capsys):
    gt_path, pred_path, _, _ = nifti_pair
    assert main(["evaluate", str(gt_path), str(pred_path)]) == 0
    assert capsys.readouterr().err == ""
