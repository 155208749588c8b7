"""``segreview evaluate --resample-prediction``: a prediction on another grid is evaluated only when asked."""

import json

import nibabel as nib
import numpy as np

from napari_segreview.cli import main


def _pair(folder, name="case"):
    """A GT on a 1 mm grid and its exact copy stored on a 2 mm grid (constant 2x2x2 blocks)."""
    coarse = np.zeros((4, 4, 4), np.uint8)
    coarse[1:3, 1:3, 1:4] = 1
    fine = np.repeat(np.repeat(np.repeat(coarse, 2, 0), 2, 1), 2, 2)
    affine = np.diag([2.0, 2.0, 2.0, 1.0])
    affine[:3, 3] = 0.5  # 2 mm voxel j covers the 1 mm voxels 2j, 2j+1
    (folder / "gt").mkdir(exist_ok=True)
    (folder / "pred").mkdir(exist_ok=True)
    gt, pred = folder / "gt" / f"{name}.nii.gz", folder / "pred" / f"{name}.nii.gz"
    nib.save(nib.Nifti1Image(fine, np.eye(4)), str(gt))
    nib.save(nib.Nifti1Image(coarse, affine), str(pred))
    return gt, pred


def test_pair_on_another_grid_is_refused_then_resampled(tmp_path, capsys):
    gt, pred = _pair(tmp_path)
    assert main(["evaluate", str(gt), str(pred)]) == 2
    err = capsys.readouterr().err
    assert "spacing (1, 1, 1) vs (2, 2, 2) mm" in err and "--resample-prediction" in err
    out = tmp_path / "rows.json"
    assert main(["evaluate", str(gt), str(pred), "--resample-prediction", "--out", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert [(row["label"], row["dice"], row["hd"]) for row in rows] == [(1, 1.0, 0.0)]


def test_dataset_mode_resamples_every_case_and_records_the_option(tmp_path, capsys):
    _pair(tmp_path, "a")
    _pair(tmp_path, "b")
    out = tmp_path / "report.json"
    assert main(["evaluate", str(tmp_path / "gt"), str(tmp_path / "pred"), "--out", str(out)]) == 1
    assert {row["status"] for row in json.loads(out.read_text())["rows"]} == {"error"}
    capsys.readouterr()
    arguments = ["evaluate", str(tmp_path / "gt"), str(tmp_path / "pred"), "--out", str(out), "--resample-prediction"]
    assert main([*arguments, "--force"]) == 0
    report = json.loads(out.read_text())
    assert [row["dice"] for row in report["rows"]] == [1.0, 1.0]
    assert report["summary"]["options"]["resample_prediction"] is True
    # resuming without the option is a different run: refused, not mixed
    assert main(["evaluate", str(tmp_path / "gt"), str(tmp_path / "pred"), "--out", str(out), "--resume"]) == 2
