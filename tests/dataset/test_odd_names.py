"""Dataset folders with odd entries: file names that are not UTF-8 or hold a newline, and symbolic links that
loop or lead nowhere. Each is a case like any other: a row, resumable, and the run goes on."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from napari_segreview.cli import main
from napari_segreview.dataset import options_path, pair_folders, read_rows
from tests.nifti_cases import AFFINES, write_nifti

NOT_UTF8 = os.fsdecode(b"caf\xe9.nii.gz")  # Latin-1 bytes: Python keeps the byte as a lone surrogate


def _mask(shift: int = 0) -> np.ndarray:
    mask = np.zeros((10, 10, 10), np.uint8)
    mask[3:7, 3 + shift : 7 + shift, 3:7] = 1
    return mask


@pytest.fixture
def folders(tmp_path):
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    write_nifti(gt_dir / "plain.nii.gz", _mask(), AFFINES["RAS"])
    write_nifti(pred_dir / "plain.nii.gz", _mask(1), AFFINES["RAS"])
    return gt_dir, pred_dir


def _add_case(folders, name: str) -> None:
    gt_dir, pred_dir = folders
    try:
        write_nifti(gt_dir / name, _mask(), AFFINES["RAS"])
    except (OSError, UnicodeEncodeError):
        pytest.skip(f"this file system does not take the name {name!r}")
    write_nifti(pred_dir / name, _mask(1), AFFINES["RAS"])


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_a_file_name_that_is_not_utf8_gives_a_row_and_a_report(folders, tmp_path, capsys, suffix):
    _add_case(folders, NOT_UTF8)
    gt_dir, pred_dir = folders
    out = tmp_path / f"report{suffix}"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    rows = read_rows(out)
    assert [row["case"] for row in rows] == ["caf\\xe9.nii.gz", "plain.nii.gz"]
    assert rows[0]["status"] == "ok" and rows[0]["dice"] == rows[1]["dice"]
    out.read_bytes().decode("utf-8")  # the report is UTF-8 that every tool reads
    if suffix == ".csv":
        assert json.loads(options_path(out).read_text())["convention"] == "border"
    # resuming finds the case finished: no second row
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume"]) == 0
    assert len(read_rows(out)) == 2


def test_a_single_pair_with_a_name_that_is_not_utf8(folders, tmp_path, capsys):
    _add_case(folders, NOT_UTF8)
    gt_dir, pred_dir = folders
    out = tmp_path / "pair.csv"
    assert main(["evaluate", str(gt_dir / NOT_UTF8), str(pred_dir / NOT_UTF8), "--out", str(out)]) == 0
    assert "caf\\xe9.nii.gz" in capsys.readouterr().out
    assert read_rows(out)[0]["case"] == "caf\\xe9.nii.gz"


def test_a_report_that_cannot_be_written_leaves_no_options_file_behind(folders, tmp_path, monkeypatch, capsys):
    import napari_segreview.dataset.report as report

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(report, "write_report", disk_full)
    gt_dir, pred_dir = folders
    out = tmp_path / "report.csv"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 2
    assert "No space left on device" in capsys.readouterr().err
    assert not out.exists() and not options_path(out).exists()


@pytest.mark.parametrize("name", ["a\nb.nii.gz", "a\rb.nii.gz", 'quote"d,name.nii.gz'])
def test_resume_keeps_one_row_for_a_name_with_a_newline(folders, tmp_path, name):
    _add_case(folders, name)
    gt_dir, pred_dir = folders
    out = tmp_path / "report.csv"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 0
    for _ in range(3):
        assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume"]) == 0
    assert sorted(row["case"] for row in read_rows(out)) == sorted([name, "plain.nii.gz"])


@pytest.mark.parametrize("where", ["gt", "pred"])
@pytest.mark.parametrize("link", ["loop", "dangling"])
def test_a_bad_symbolic_link_is_an_error_row_and_the_run_goes_on(folders, tmp_path, capsys, where, link):
    gt_dir, pred_dir = folders
    name = "linked.nii.gz"
    write_nifti((pred_dir if where == "gt" else gt_dir) / name, _mask(), AFFINES["RAS"])
    target = name if link == "loop" else "nowhere.nii.gz"
    os.symlink(target, (gt_dir if where == "gt" else pred_dir) / name)
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1
    rows = {row["case"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["plain.nii.gz"]["status"] == "ok"
    failed = rows[name]
    assert failed["status"] == "error"
    expected = "loops back on itself" if link == "loop" else "leads to nowhere.nii.gz, which does not exist"
    assert (
        failed["message"] == f"{name}: the {'ground truth' if where == 'gt' else 'prediction'} {name} is a "
        f"symbolic link that {expected}."
    )
    err = capsys.readouterr().err
    assert "Errno" not in err and "Traceback" not in err


def test_pairing_lists_a_looping_link_as_a_case(folders):
    gt_dir, pred_dir = folders
    os.symlink("loop.nii.gz", gt_dir / "loop.nii.gz")
    os.symlink("loop.nii.gz", pred_dir / "loop.nii.gz")
    assert [case.case for case in pair_folders(gt_dir, pred_dir).cases] == ["loop.nii.gz", "plain.nii.gz"]


def test_a_report_name_that_is_not_utf8_is_printed_escaped(folders, tmp_path, capsys):
    gt_dir, pred_dir = folders
    out = tmp_path / os.fsdecode(b"r\xe9port.csv")
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 0
    out_text = capsys.readouterr().out
    assert f"wrote {tmp_path}/r\\xe9port.csv" in out_text
    assert [row["case"] for row in read_rows(out)] == ["plain.nii.gz"]
