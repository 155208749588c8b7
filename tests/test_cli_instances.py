"""segreview evaluate --instances: the instance table, the detection summary, CSV/JSON, folders, bad options."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from stardist.matching import matching

from napari_segreview.cli import main
from tests.instances.cases import nuclei
from tests.nifti_cases import AFFINES, write_nifti


def _squares() -> tuple[np.ndarray, np.ndarray]:
    # GT: two 4x4 squares. Prediction: the first shifted one column (IoU 12/20 = 0.6, Dice 24/32 = 0.75) and a
    # 2x2 false positive; the second GT square is missed
    gt = np.zeros((20, 20), np.uint8)
    gt[1:5, 1:5] = 1
    gt[10:14, 10:14] = 1
    pred = np.zeros_like(gt)
    pred[1:5, 2:6] = 1
    pred[17:19, 1:3] = 1
    return gt, pred


@pytest.fixture
def squares(tmp_path):
    gt, pred = _squares()
    np.save(tmp_path / "gt.npy", gt)
    np.save(tmp_path / "pred.npy", pred)
    return tmp_path / "gt.npy", tmp_path / "pred.npy"


def test_pair_prints_one_row_per_gt_instance_and_unmatched_prediction_and_the_summary(squares, capsys):
    assert main(["evaluate", str(squares[0]), str(squares[1]), "--instances"]) == 0
    out = capsys.readouterr().out
    lines = [line.split() for line in out.splitlines()]
    assert ["gt", "1", "matched", "16", "16", "0.6", "0.75"] == lines[2][:7]
    assert ["gt", "2", "missed", "16", "16", "0", "0", "inf", "inf"] == lines[3]
    assert ["pred", "2", "false", "positive", "4", "4"] == lines[4][:6]
    # tp 1, fp 1, fn 1: precision = recall = F1 = 0.5, SQ 0.6, RQ 1/(1 + 0.5 + 0.5) = 0.5, PQ 0.3;
    # lesion-wise Dice (0.75 + 0) / 3 = 0.25
    assert "0.3" in out and "0.25" in out


def test_json_holds_the_rows_and_the_summary(squares, tmp_path):
    out = tmp_path / "instances.json"
    assert main(["evaluate", str(squares[0]), str(squares[1]), "--instances", "--out", str(out)]) == 0
    document = json.loads(out.read_text())
    assert [(r["kind"], r["status"]) for r in document["rows"]] == [
        ("gt", "matched"),
        ("gt", "missed"),
        ("pred", "false positive"),
    ]
    assert document["rows"][1]["hd95"] == math.inf
    summary = document["summary"]["all"]
    assert (summary["tp"], summary["fp"], summary["fn"]) == (1, 1, 1)
    assert summary["pq"] == pytest.approx(0.3)


def test_a_lower_threshold_and_corner_connectivity_change_what_matches(tmp_path):
    gt = np.zeros((10, 10), np.uint8)
    gt[1:3, 1:3] = 1
    gt[3, 3] = 1  # joined to the square by a corner only
    pred = np.zeros_like(gt)
    pred[1:3, 1:3] = 1
    np.save(tmp_path / "g.npy", gt)
    np.save(tmp_path / "p.npy", pred)
    out = tmp_path / "r.csv"

    def summary(*options):
        assert main(["evaluate", str(tmp_path / "g.npy"), str(tmp_path / "p.npy"), "--instances", "--force",
                     "--out", str(out), *options]) == 0  # fmt: skip
        return list(csv.DictReader(out.read_text().splitlines()))

    # faces only: the corner voxel is a second GT instance, missed
    assert [r["status"] for r in summary()] == ["matched", "missed"]
    # corners too: one GT object of 5 voxels, IoU 4/5 with the square
    rows = summary("--connectivity", "2")
    assert [r["status"] for r in rows] == ["matched"] and float(rows[0]["iou"]) == pytest.approx(0.8)
    assert [r["status"] for r in summary("--connectivity", "2", "--iou-threshold", "0.85")] == [
        "missed",
        "false positive",
    ]


def test_as_given_on_the_real_nuclei_equals_stardist(tmp_path, capsys):
    _, gt, pred = nuclei()
    np.save(tmp_path / "gt.npy", gt)
    np.save(tmp_path / "pred.npy", pred)
    out = tmp_path / "nuclei.json"
    assert main(["evaluate", str(tmp_path / "gt.npy"), str(tmp_path / "pred.npy"), "--instances", "--as-given",
                 "--out", str(out)]) == 0  # fmt: skip
    summary = json.loads(out.read_text())["summary"]["all"]
    theirs = matching(gt, pred, thresh=0.5)
    assert (summary["tp"], summary["fp"], summary["fn"]) == (theirs.tp, theirs.fp, theirs.fn)
    assert summary["pq"] == pytest.approx(theirs.panoptic_quality, rel=1e-5)


def test_brats_mode_merges_a_component_in_the_dilation_on_a_nifti_pair(tmp_path, capsys):
    gt = np.zeros((12, 12, 12), np.uint8)
    gt[2:5, 2:5, 2:5] = 1
    pred = np.zeros_like(gt)
    pred[2:5, 2:5, 2:5] = 1
    pred[3, 3, 6] = 1  # two voxels from the lesion: inside its 3-voxel dilation, merged into the match
    gt_path = write_nifti(tmp_path / "gt.nii.gz", gt, AFFINES["RAS"])
    pred_path = write_nifti(tmp_path / "pred.nii.gz", pred, AFFINES["RAS"])
    out = tmp_path / "brats.json"
    assert main(["evaluate", str(gt_path), str(pred_path), "--instances", "--matching", "brats", "--out",
                 str(out)]) == 0  # fmt: skip
    document = json.loads(out.read_text())
    assert [(r["kind"], r["status"], r["matched"]) for r in document["rows"]] == [("gt", "matched", "1 2")]
    summary = document["summary"]["all"]
    # Dice 2*27 / (27 + 28)
    assert (summary["fp"], summary["lesion_dice"]) == (0, pytest.approx(54 / 55))


def test_brats_options_change_the_dilation_and_leave_small_lesions_out(tmp_path):
    gt = np.zeros((12, 12, 12), np.uint8)
    gt[2:5, 2:5, 2:5] = 1  # 27 voxels, found
    gt[9:11, 9:11, 9:11] = 1  # 8 voxels, missed
    pred = np.zeros_like(gt)
    pred[2:5, 2:5, 2:5] = 1
    pred[3, 3, 6] = 1  # two voxels from the first lesion
    np.save(tmp_path / "g.npy", gt)
    np.save(tmp_path / "p.npy", pred)
    out = tmp_path / "b.json"
    args = ["evaluate", str(tmp_path / "g.npy"), str(tmp_path / "p.npy"), "--instances", "--matching", "brats"]
    assert main([*args, "--brats-dilation", "1", "--brats-min-volume", "8", "--out", str(out)]) == 0
    summary = json.loads(out.read_text())["summary"]["all"]
    # one dilation does not reach the extra voxel: a false positive; the 8-voxel lesion is left out
    assert (summary["tp"], summary["fn"], summary["fp"]) == (1, 0, 1)
    assert summary["lesion_dice"] == pytest.approx(0.5)


def test_folders_give_per_case_detection_columns_and_their_summary(tmp_path, capsys):
    gt, pred = _squares()
    for folder in ("gt", "pred"):
        (tmp_path / folder).mkdir()
    np.save(tmp_path / "gt" / "a.npy", gt)
    np.save(tmp_path / "pred" / "a.npy", pred)
    np.save(tmp_path / "gt" / "b.npy", gt)
    np.save(tmp_path / "pred" / "b.npy", gt)  # perfect
    (tmp_path / "gt" / "c.npy").write_bytes(b"not an array")
    np.save(tmp_path / "pred" / "c.npy", gt)
    out = tmp_path / "cases.json"
    code = main(["evaluate", str(tmp_path / "gt"), str(tmp_path / "pred"), "--instances", "--out", str(out)])
    assert code == 1  # one case failed
    document = json.loads(out.read_text())
    rows = {r["case"]: r for r in document["rows"]}
    assert (rows["a.npy"]["tp"], rows["a.npy"]["fp"], rows["a.npy"]["fn"]) == (1, 1, 1)
    assert (rows["b.npy"]["tp"], rows["b.npy"]["f1"]) == (2, 1.0)
    assert rows["c.npy"]["status"] == "error"
    summary = document["summary"]["all"]
    # pooled over a and b: tp 3, fp 1, fn 1: precision 3/4; mean F1 (0.5 + 1) / 2
    assert (summary["cases"], summary["tp"], summary["pooled_precision"]) == (2, 3, 0.75)
    assert summary["mean_f1"] == pytest.approx(0.75)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--instances", "--matching", "hungarian"], "--matching takes optimal, greedy, brats"),
        (["--instances", "--iou-threshold", "0"], "--iou-threshold must be above 0"),
        (["--instances", "--iou-threshold", "nan"], "--iou-threshold must be above 0"),
        (["--instances", "--connectivity", "4"], "--connectivity takes 1, 2 or 3"),
        (["--instances", "--connectivity", "3"], "needs a 3D image"),
        (["--instances", "--min-size", "-2"], "--min-size must be 0 or more"),
        (["--instances", "--hd95-penalty", "inf"], "--hd95-penalty must be a finite distance"),
        (["--instances", "--as-given", "--min-size", "3"], "--as-given takes each value as one object"),
        (["--instances", "--per-slice", "0"], "--per-slice does not work with --instances"),
        (["--iou-threshold", "0.3"], "--iou-threshold is an option of --instances"),
        (["--instances", "--brats-dilation", "1"], "are options of --matching brats"),
        (["--instances", "--matching", "brats", "--brats-min-volume", "-1"], "--brats-min-volume must be"),
        (["--instances", "--out", "r.txt"], "--out must end in .csv or .json"),
    ],
)
def test_bad_options_are_one_sentence_and_exit_code_2(squares, options, message, capsys):
    assert main(["evaluate", str(squares[0]), str(squares[1]), *options]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_an_existing_report_is_kept_without_force(squares, tmp_path, capsys):
    out = tmp_path / "r.csv"
    out.write_text("mine")
    assert main(["evaluate", str(squares[0]), str(squares[1]), "--instances", "--out", str(out)]) == 2
    assert out.read_text() == "mine"
