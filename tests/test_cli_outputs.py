"""Nothing the user had is replaced unless asked: outputs that are inputs, existing screenshots, options files
the run did not write, two runs on one report; and what `predict` checks before it runs the model."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import napari_segreview.model as model_package
from napari_segreview.cli import main
from napari_segreview.dataset import options_path, read_rows
from tests.dataset.cases import write_dataset
from tests.model.models import save_random_checkpoint, smooth_image
from tests.nifti_cases import AFFINES, write_nifti


def _one_sentence(err: str, command: str) -> str:
    assert err.startswith(f"segreview {command}: "), err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    return err


@pytest.fixture
def dataset(tmp_path):
    return write_dataset(tmp_path / "data", n_cases=4)


@pytest.fixture
def pair(dataset):
    gt_dir, pred_dir = dataset
    return [str(gt_dir / "case_01.nii.gz"), str(pred_dir / "case_01.nii.gz")]


@pytest.fixture
def checkpoint(tmp_path):
    return save_random_checkpoint(tmp_path / "tiny_unet.pt")[0]


@pytest.fixture
def model_never_runs(monkeypatch):
    """Fails the test if the model is run: the refusals below must come before any inference."""

    def run_inference(*args, **kwargs):
        raise AssertionError("the model ran before the refusal")

    monkeypatch.setattr(model_package, "run_inference", run_inference)


# --- 5: predict never writes over its input


@pytest.mark.parametrize("spelling", ["same", "relative", "symlink"])
def test_predict_refuses_an_output_that_is_its_input_even_with_force(
    tmp_path, checkpoint, capsys, monkeypatch, model_never_runs, spelling
):
    image = write_nifti(tmp_path / "scan.nii.gz", smooth_image((12, 10, 4)), AFFINES["RAS"])
    before = image.read_bytes()
    out = {"same": image, "relative": "./scan.nii.gz", "symlink": tmp_path / "link.nii.gz"}[spelling]
    if spelling == "symlink":
        os.symlink(image, out)
    monkeypatch.chdir(tmp_path)
    assert main(["predict", str(image), "--model", str(checkpoint), "--out", str(out), "--force"]) == 2
    err = _one_sentence(capsys.readouterr().err, "predict")
    assert "is the input image" in err
    assert image.read_bytes() == before


# --- 10: predict checks that the labels can be written before it runs the model


def test_predict_refuses_an_axis_too_long_for_nifti_before_running(tmp_path, checkpoint, capsys, model_never_runs):
    image = tmp_path / "long.npy"
    np.save(image, np.zeros((2, 32768), np.float32))
    out = tmp_path / "long_pred.nii.gz"
    assert main(["predict", str(image), "--model", str(checkpoint), "--out", str(out)]) == 2
    err = _one_sentence(capsys.readouterr().err, "predict")
    assert "32768" in err and "32767" in err
    assert not out.exists()


def test_predict_refuses_an_unwritable_folder_before_running(tmp_path, checkpoint, capsys, model_never_runs):
    image = tmp_path / "image.npy"
    np.save(image, smooth_image((16, 16)))
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file")
    assert main(["predict", str(image), "--model", str(checkpoint), "--out", str(blocker / "p.nii.gz")]) == 2
    assert "not_a_folder is not a folder" in _one_sentence(capsys.readouterr().err, "predict")


def test_predict_refuses_intensities_too_large_to_normalise_without_warnings(
    tmp_path, checkpoint, capsys, model_never_runs, recwarn
):
    image = tmp_path / "huge.npy"
    np.save(image, np.random.default_rng(0).random((16, 16)) * 1e308)
    assert main(["predict", str(image), "--model", str(checkpoint), "--out", str(tmp_path / "p.nii.gz")]) == 2
    assert "huge.npy holds intensities up to" in _one_sentence(capsys.readouterr().err, "predict")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# --- 6: demo keeps an existing screenshot


def test_demo_keeps_an_existing_screenshot_unless_force(tmp_path, capsys, monkeypatch):
    shot = tmp_path / "existing.png"
    shot.write_bytes(b"keep me")
    assert main(["demo", "--screenshot", str(shot)]) == 2
    err = _one_sentence(capsys.readouterr().err, "demo")
    assert err == f"segreview demo: {shot} already exists; use --force to replace it.\n"
    assert shot.read_bytes() == b"keep me"
    # with --force the run goes past the check (here it stops at the missing display instead)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr(sys, "platform", "linux")
    assert main(["demo", "--screenshot", str(shot), "--force"]) == 2
    assert "no display found" in capsys.readouterr().err


# --- 7 and 12: options files beside a CSV report


def test_a_single_pair_run_keeps_an_options_file_it_did_not_write(pair, tmp_path, capsys):
    out = tmp_path / "X.csv"
    sidecar = options_path(out)
    sidecar.write_text('{"mine": 1}')
    assert main(["evaluate", *pair, "--out", str(out)]) == 2
    err = _one_sentence(capsys.readouterr().err, "evaluate")
    assert "X.csv.options.json already exists" in err and "--force" in err
    assert sidecar.read_text() == '{"mine": 1}' and not out.exists()
    assert main(["evaluate", *pair, "--out", str(out), "--force"]) == 0
    assert out.is_file() and not sidecar.exists()


def test_a_json_report_never_touches_a_file_named_like_a_csv_sidecar(pair, tmp_path):
    out = tmp_path / "X.json"
    unrelated = tmp_path / "X.json.options.json"
    unrelated.write_text("unrelated")
    assert main(["evaluate", *pair, "--out", str(out)]) == 0
    assert unrelated.read_text() == "unrelated"


@pytest.mark.parametrize("force", [False, True])
def test_a_garbage_options_file_beside_a_new_dataset_report_is_a_sentence_not_a_traceback(
    dataset, tmp_path, capsys, force
):
    gt_dir, pred_dir = dataset
    out = tmp_path / "REPORT.csv"
    sidecar = options_path(out)
    sidecar.write_text("garbage {")
    argv = ["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]
    if not force:
        assert main(argv) == 2
        err = _one_sentence(capsys.readouterr().err, "evaluate")
        assert "REPORT.csv.options.json already exists" in err and "--force" in err
        assert sidecar.read_text() == "garbage {" and not out.exists()
    else:
        assert main([*argv, "--force"]) == 1  # the dataset holds a corrupt case
        assert len(read_rows(out)) > 1
        assert main([*argv, "--resume"]) == 1  # the new options file describes the new rows


def test_an_options_file_left_by_an_interrupted_first_case_is_not_in_the_way(dataset, tmp_path, monkeypatch):
    import napari_segreview.dataset.report as report

    gt_dir, pred_dir = dataset
    out = tmp_path / "report.csv"
    argv = ["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_report", interrupted)
    assert main(argv) == 130
    monkeypatch.undo()
    assert not out.exists()
    assert main(argv) == 1  # the same options: nothing would be lost, the run starts


# --- 8: one run at a time on one report

HOLD_THE_LOCK = textwrap.dedent(
    """
    import sys, time
    from napari_segreview.dataset.report_lock import report_lock
    with report_lock(sys.argv[1]):
        print("locked", flush=True)
        time.sleep(120)
    """
)


def _hold_lock(out) -> subprocess.Popen:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(out)], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    assert holder.stdout.readline().strip() == "locked"
    return holder


@pytest.mark.parametrize("mode", ["folders", "pair"])
def test_a_second_run_on_one_report_refuses_and_a_dead_runs_lock_is_taken_over(dataset, pair, tmp_path, capsys, mode):
    gt_dir, pred_dir = dataset
    out = tmp_path / "report.csv"
    inputs = [str(gt_dir), str(pred_dir)] if mode == "folders" else pair
    holder = _hold_lock(out)
    try:
        assert main(["evaluate", *inputs, "--out", str(out)]) == 2
        err = _one_sentence(capsys.readouterr().err, "evaluate")
        assert "another segreview run is writing report.csv" in err and f"pid {holder.pid}" in err
        assert not out.exists() and not options_path(out).exists()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    # the holder died without removing its lock: on this machine it is known to be gone, so the lock is taken
    assert (tmp_path / "report.csv.lock").exists()
    assert main(["evaluate", *inputs, "--out", str(out)]) in (0, 1)
    assert out.is_file() and not (tmp_path / "report.csv.lock").exists()


def test_the_lock_is_removed_when_a_run_fails(dataset, tmp_path, capsys):
    gt_dir, _ = dataset
    out = tmp_path / "report.csv"
    assert main(["evaluate", str(gt_dir), str(tmp_path / "missing"), "--out", str(out)]) == 2
    assert not (tmp_path / "report.csv.lock").exists()
    assert main(["evaluate", str(gt_dir), str(gt_dir), "--out", str(out)]) == 0


def test_predict_refuses_a_folder_as_out(tmp_path, checkpoint, capsys, model_never_runs):
    image = tmp_path / "image.npy"
    np.save(image, smooth_image((16, 16)))
    (tmp_path / "p.nii.gz").mkdir()
    assert (
        main(["predict", str(image), "--model", str(checkpoint), "--out", str(tmp_path / "p.nii.gz"), "--force"]) == 2
    )
    assert "is a folder" in _one_sentence(capsys.readouterr().err, "predict")


# --- 15: --spacing far out of range, --per-slice negative


def test_a_header_spacing_out_of_range_is_a_sentence_for_a_pair_and_a_row_in_a_dataset(tmp_path, capsys, recwarn):
    import json

    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    mask = np.zeros((8, 8, 8), np.uint8)
    mask[2:5, 2:5, 2:5] = 1
    huge = np.diag([1e25, 1e25, 1e25, 1.0])
    for folder in (gt_dir, pred_dir):
        write_nifti(folder / "huge.nii.gz", mask, huge)
        write_nifti(folder / "fine.nii.gz", mask, AFFINES["RAS"])
    assert main(["evaluate", str(gt_dir / "huge.nii.gz"), str(pred_dir / "huge.nii.gz")]) == 2
    err = _one_sentence(capsys.readouterr().err, "evaluate")
    assert "the voxel spacing of huge.nii.gz (1e+25, 1e+25, 1e+25) is outside 1e-20 to 1e+20" in err
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1
    rows = {row["case"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["fine.nii.gz"]["status"] == "ok" and rows["huge.nii.gz"]["status"] == "error"
    assert rows["huge.nii.gz"]["message"].startswith("huge.nii.gz: its voxel spacing (1e+25, 1e+25, 1e+25) is outside")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("value", ["1e308", "1e-308", "1e30"])
def test_a_spacing_out_of_range_is_one_sentence_without_warnings(pair, capsys, recwarn, value):
    assert main(["evaluate", *pair, "--spacing", value, value, value]) == 2
    err = _one_sentence(capsys.readouterr().err, "evaluate")
    assert "--spacing" in err and "1e-20" in err and "1e+20" in err
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


def test_a_spacing_out_of_range_in_folder_mode_is_one_sentence(dataset, capsys, recwarn):
    gt_dir, pred_dir = dataset
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--spacing", "1e308", "1", "1"]) == 2
    _one_sentence(capsys.readouterr().err, "evaluate")
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


@pytest.mark.parametrize("convention", ["border", "surfel", "pooled"])
@pytest.mark.parametrize("factor", [1e20, 1e-20])
def test_the_ends_of_the_spacing_range_give_the_scaled_answer(tmp_path, capsys, convention, factor):
    """Distances scale with the spacing, Dice does not, NSD does with its tolerance: at both ends of the range
    every convention gives the answer at spacing 1 scaled, so the range refused above is not too narrow."""
    import json

    gt = np.zeros((12, 12, 12), np.uint8)
    gt[3:9, 3:9, 3:9] = 1
    pred = np.roll(gt, 2, axis=1)
    np.save(tmp_path / "gt.npy", gt)
    np.save(tmp_path / "pred.npy", pred)

    def rows(spacing: float, tolerance: float) -> dict:
        out = tmp_path / f"{spacing:g}.json"
        argv = ["evaluate", str(tmp_path / "gt.npy"), str(tmp_path / "pred.npy"), "--convention", convention,
                "--spacing", *[str(spacing)] * 3, "--nsd-tolerance", str(tolerance), "--out", str(out)]  # fmt: skip
        assert main(argv) == 0
        return json.loads(out.read_text())["rows"][0]

    # a tolerance no distance equals: at a distance equal to it, rounding would decide either way
    unit, scaled = rows(1.0, 1.5), rows(factor, 1.5 * factor)
    for key in ("dice", "iou", "nsd"):
        assert scaled[key] == pytest.approx(unit[key], rel=1e-9)
    for key in ("hd", "hd95", "assd"):
        assert scaled[key] == pytest.approx(unit[key] * factor, rel=1e-9)
    assert unit["hd"] > 0


@pytest.mark.parametrize(
    "axis, message",
    [
        ("-1", "--per-slice takes 0, 1 or 2 for a 3D image (array order), not '-1'."),
        ("3", "--per-slice takes 0, 1 or 2 for a 3D image (array order), not '3'."),
        ("x", "--per-slice takes 0, 1 or 2 for a 3D image (array order), not 'x'."),
    ],
)
def test_per_slice_takes_the_axes_its_message_names(tmp_path, capsys, axis, message):
    mask = np.zeros((6, 6, 6), np.uint8)
    mask[2:4, 2:4, 2:4] = 1
    np.save(tmp_path / "m.npy", mask)
    assert main(["evaluate", str(tmp_path / "m.npy"), str(tmp_path / "m.npy"), "--per-slice", axis]) == 2
    assert _one_sentence(capsys.readouterr().err, "evaluate") == f"segreview evaluate: {message}\n"


def test_per_slice_of_a_2d_pair_says_it_needs_3d(tmp_path, capsys):
    mask = np.zeros((6, 6), np.uint8)
    mask[2:4, 2:4] = 1
    np.save(tmp_path / "m.npy", mask)
    assert main(["evaluate", str(tmp_path / "m.npy"), str(tmp_path / "m.npy"), "--per-slice", "1"]) == 2
    assert capsys.readouterr().err == "segreview evaluate: --per-slice needs 3D images; m.npy is 2D.\n"


def test_per_slice_of_a_nifti_pair_names_the_anatomical_axes_too(pair, capsys):
    assert main(["evaluate", *pair, "--per-slice", "-1"]) == 2
    assert capsys.readouterr().err == (
        "segreview evaluate: --per-slice takes 0, 1 or 2 for a 3D image (array order) or axial, coronal, sagittal, "
        "not '-1'.\n"
    )
