"""segreview evaluate GT_DIR PRED_DIR: rows per case and label, error rows, summary, exit codes."""

from __future__ import annotations

import csv
import json
import math

import pytest

from napari_segreview.cli import main
from napari_segreview.dataset import CaseFiles, MetricOptions, evaluate_case, read_rows
from napari_segreview.metrics import ROW_KEYS, volume_metrics
from tests.dataset.cases import CORRUPT, EMPTY, FAILING, MISMATCH, N_CASES, ground_truth, prediction
from tests.nifti_cases import SPACING

ROW_FIELDS = ["case", "label", "class", *ROW_KEYS, "message"]


def test_json_rows_errors_and_exit_code_1(dataset, tmp_path, capsys):
    gt_dir, pred_dir = dataset
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1
    captured = capsys.readouterr()
    document = json.loads(out.read_text())
    rows = document["rows"]
    assert {row["case"] for row in rows} == {f"case_{i:02d}.nii.gz" for i in range(N_CASES)}
    assert all(list(row) == ROW_FIELDS for row in rows)
    keys = [(r["case"], r["label"] or 0) for r in rows]
    assert keys == sorted(keys)

    errors = {row["case"]: row for row in rows if row["status"] == "error"}
    assert set(errors) == FAILING
    assert "Cannot read case_03.nii.gz as NIfTI" in errors[CORRUPT]["message"]
    assert "different voxel grids (shape (16, 16, 16) vs (16, 16, 15))" in errors[MISMATCH]["message"]
    assert errors[MISMATCH]["label"] is None and errors[MISMATCH]["dice"] is None
    for message in (errors[CORRUPT]["message"], errors[MISMATCH]["message"]):
        assert f"failed: {message}" in captured.err
        assert message.endswith(".") and "\n" not in message

    empty = [row for row in rows if row["case"] == EMPTY]
    assert [row["status"] for row in empty] == ["pred_empty", "pred_empty"]
    assert empty[0]["dice"] == 0.0 and empty[0]["hd95"] == math.inf

    # spacing from each file's header, the same numbers as the library on the arrays
    case_05 = {row["label"]: row for row in rows if row["case"] == "case_05.nii.gz"}
    expected = volume_metrics(ground_truth(5), prediction(5), spacing=SPACING)
    for label in (1, 2):
        assert {key: case_05[label][key] for key in ROW_KEYS} == expected[label]

    summary = document["summary"]
    assert summary["cases"] == N_CASES
    assert {f["case"] for f in summary["failed_cases"]} == FAILING
    label_1 = summary["labels"]["1"]
    assert label_1["rows"] == N_CASES - len(FAILING) and label_1["error_rows"] == len(FAILING)
    assert label_1["inf_rows"] == 1  # the empty prediction
    assert set(label_1["dice"]) >= {"mean", "median", "std", "min"}
    worst = summary["worst_cases"]
    assert len(worst) == 10 and worst[0]["case"] == EMPTY and worst[0]["dice"] == 0.0
    assert [w["dice"] for w in worst] == sorted(w["dice"] for w in worst)

    assert "unpaired in" in captured.err and "only_gt.nii.gz" in captured.err and "only_pred.nii" in captured.err
    assert "evaluate [" in captured.err and "20/20 cases" in captured.err
    assert "worst 10 cases by Dice" in captured.out and f"20 cases, {len(FAILING)} failed" in captured.out


def test_csv_reads_back_to_the_same_rows(dataset, tmp_path):
    gt_dir, pred_dir = dataset
    main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(tmp_path / "r.json")])
    main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(tmp_path / "r.csv")])
    with open(tmp_path / "r.csv", newline="") as handle:
        assert next(csv.reader(handle)) == ROW_FIELDS
    assert read_rows(tmp_path / "r.csv") == read_rows(tmp_path / "r.json")


def test_all_good_cases_exit_0(dataset, capsys):
    gt_dir, pred_dir = dataset
    for name in FAILING:
        (gt_dir / name).unlink()
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--labels", "1"]) == 0
    out = capsys.readouterr().out
    assert f"{N_CASES - 2} cases, 0 failed" in out


def test_a_case_failing_in_an_unexpected_way_is_a_row(tmp_path, monkeypatch):
    import napari_segreview.dataset.evaluation as evaluation

    def broken(*args, **kwargs):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(evaluation, "load_mask_pair", broken)
    (row,) = evaluate_case(CaseFiles("a.nii", tmp_path / "a.nii", tmp_path / "b.nii"), MetricOptions())
    assert row["status"] == "error" and row["message"] == "a.nii: RuntimeError: boom."


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--workers", "2", "--scheduler", "tcp://127.0.0.1:1"], "give --workers or --scheduler, not both."),
        (["--workers", "0"], "--workers must be 1 or more"),
        (["--per-slice", "0"], "--per-slice is for a pair of files"),
        (["--resume"], "--resume needs --out"),
        (["--out", "{tmp}/r.txt"], "--out must end in .csv or .json"),
        (["--out", "{existing}"], "already exists; use --resume to continue it or --force"),
        (["--out", "{existing}", "--resume", "--force"], "--resume continues the report and --force replaces it"),
        (["--out", "{garbage}", "--resume"], "cannot resume: garbage.json is not a segreview report"),
    ],
)
def test_bad_usage_is_one_sentence_and_exit_2(dataset, tmp_path, capsys, extra, message):
    gt_dir, pred_dir = dataset
    (tmp_path / "existing.csv").write_text("kept")
    (tmp_path / "garbage.json").write_text("{not json")
    paths = {"tmp": tmp_path, "existing": tmp_path / "existing.csv", "garbage": tmp_path / "garbage.json"}
    argv = ["evaluate", str(gt_dir), str(pred_dir), *(a.format(**paths) for a in extra)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert (tmp_path / "existing.csv").read_text() == "kept"


def test_folders_without_a_pair_and_folder_options_on_files_exit_2(dataset, tmp_path, capsys):
    gt_dir, pred_dir = dataset
    (tmp_path / "empty").mkdir()
    assert main(["evaluate", str(gt_dir), str(tmp_path / "empty")]) == 2
    assert "pairs by name" in capsys.readouterr().err
    file_pair = [str(gt_dir / "case_00.nii.gz"), str(pred_dir / "case_00.nii.gz")]
    assert main(["evaluate", *file_pair, "--workers", "2"]) == 2
    assert "--workers is for two folders" in capsys.readouterr().err
    assert main(["evaluate", str(gt_dir), file_pair[1]]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_dask_is_not_imported_in_process(dataset):
    import subprocess
    import sys

    gt_dir, pred_dir = dataset
    code = (
        "import sys; from napari_segreview.cli import main; "
        f"main(['evaluate', {str(gt_dir)!r}, {str(pred_dir)!r}]); "
        "sys.exit(3 if 'distributed' in sys.modules or 'dask' in sys.modules else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_each_label_of_a_case_is_reported_as_it_goes(many_label_folders):
    from napari_segreview.dataset import evaluate_dataset, pair_folders

    calls = []
    cases = pair_folders(*many_label_folders).cases
    rows = evaluate_dataset(cases, MetricOptions(), on_label=lambda *call: calls.append(call))
    assert calls == [(case, done, 12) for case in ("a.npy", "b.npy") for done in range(1, 13)]
    assert len(rows) == 24


def test_the_dataset_bar_names_the_case_and_label(many_label_folders, monkeypatch, capsys):
    from napari_segreview.cli import progress_bar

    monkeypatch.setattr(progress_bar, "DETAIL_LOG_SECONDS", 0.0)  # in a log, every label (normally every 10 s)
    assert main(["evaluate", *map(str, many_label_folders)]) == 0
    captured = capsys.readouterr()
    details = [line for line in captured.err.splitlines() if ": label " in line]
    assert details == [f"evaluate: {case}: label {done}/12" for case in ("a.npy", "b.npy") for done in range(1, 13)]
    assert ": label " not in captured.out
