"""segreview report: writes the HTML page; bad input gets one sentence on stderr and exit code 2, and nothing
the user had is overwritten without --force."""

from __future__ import annotations

import pytest

from napari_segreview.cli import main
from tests.dataset.cases import write_dataset


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    gt_dir, pred_dir = write_dataset(root / "data")
    out = root / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1
    return out, gt_dir, pred_dir


def _fails_with(capsys, argv: list[str], words: str) -> None:
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("segreview report: ") and words in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_writes_the_page_with_thumbnails(evaluated, tmp_path, capsys):
    report, gt_dir, pred_dir = evaluated
    out = tmp_path / "report.html"
    assert main(["report", str(report), "--out", str(out), "--gt", str(gt_dir), "--pred", str(pred_dir)]) == 0
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.count('src="data:image/png;base64,') == 10
    assert f"wrote {out}" in capsys.readouterr().err


def test_without_folders_it_says_there_are_no_thumbnails(evaluated, tmp_path, capsys):
    report, _gt, _pred = evaluated
    out = tmp_path / "report.html"
    assert main(["report", str(report), "--out", str(out), "--worst", "3"]) == 0
    assert "no thumbnails: give --gt and --pred" in capsys.readouterr().err
    assert "<img" not in out.read_text(encoding="utf-8")


def test_an_existing_page_is_kept_without_force(evaluated, tmp_path, capsys):
    report, _gt, _pred = evaluated
    out = tmp_path / "report.html"
    out.write_text("mine")
    _fails_with(capsys, ["report", str(report), "--out", str(out)], "already exists; use --force")
    assert out.read_text() == "mine"
    assert main(["report", str(report), "--out", str(out), "--force"]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "does not exist"),
        ("{not json", "is not a segreview report"),
        ('{"rows": [{"label": 1}]}', "is not a segreview report"),
    ],
)
def test_a_missing_or_invalid_report_is_refused(tmp_path, capsys, content, words):
    report = tmp_path / "report.json"
    if content is not None:
        report.write_text(content)
    out = tmp_path / "out.html"
    _fails_with(capsys, ["report", str(report), "--out", str(out)], words)
    assert not out.exists()


def test_bad_targets_and_options_are_refused(evaluated, tmp_path, capsys):
    report, gt_dir, _pred = evaluated
    _fails_with(capsys, ["report", str(report), "--out", str(tmp_path / "out.txt")], "must end in .html")
    _fails_with(capsys, ["report", str(report), "--out", str(tmp_path / "no" / "out.html")], "does not exist")
    _fails_with(capsys, ["report", str(report), "--out", str(tmp_path / "o.html"), "--gt", str(gt_dir)],
                "give both --gt and --pred")  # fmt: skip
    _fails_with(capsys, ["report", str(report), "--out", str(tmp_path / "o.html"), "--gt", str(tmp_path / "x"),
                         "--pred", str(gt_dir)], "is not a folder")  # fmt: skip
    assert not (tmp_path / "o.html").exists()


def test_a_write_failure_is_one_sentence_and_leaves_the_old_page(evaluated, tmp_path, capsys, monkeypatch):
    import napari_segreview.report.build as build

    report, _gt, _pred = evaluated
    out = tmp_path / "report.html"
    out.write_text("old")

    def refuse(path, write, suffix=""):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(build, "write_atomically", refuse)
    _fails_with(capsys, ["report", str(report), "--out", str(out), "--force"], "cannot write")
    assert out.read_text() == "old"


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_a_per_slice_report_is_refused(evaluated, tmp_path, capsys, suffix):
    # its rows are slices, not cases: plotted as cases they would give a wrong picture
    _report, gt_dir, pred_dir = evaluated
    report = tmp_path / f"slices{suffix}"
    pair = [str(gt_dir / "case_01.nii.gz"), str(pred_dir / "case_01.nii.gz")]
    assert main(["evaluate", *pair, "--per-slice", "0", "--out", str(report)]) == 0
    out = tmp_path / "slices.html"
    _fails_with(capsys, ["report", str(report), "--out", str(out)], "holds per-slice rows")
    assert not out.exists()


def test_a_single_pair_report_is_a_page(evaluated, tmp_path):
    _report, gt_dir, pred_dir = evaluated
    report = tmp_path / "pair.json"
    assert (
        main(["evaluate", str(gt_dir / "case_05.nii.gz"), str(pred_dir / "case_05.nii.gz"), "--out", str(report)]) == 0
    )
    out = tmp_path / "pair.html"
    assert main(["report", str(report), "--out", str(out), "--gt", str(gt_dir), "--pred", str(pred_dir)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "case_05.nii.gz" in html and html.count('<img class="thumb"') == 1
    assert "The report records no options" in html
