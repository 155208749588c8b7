"""``segreview evaluate GT_DIR PRED_A PRED_B``: paired comparison of two models."""

import json

import numpy as np
import pytest

from napari_segreview.cli import main


def _dataset(root, cases=6):
    """GT discs; model A shifts each by 2 px, model B by 1 px (B is better on every case)."""
    for folder in ("gt", "a", "b"):
        (root / folder).mkdir()
    yy, xx = np.mgrid[:40, :40]
    for case in range(cases):
        radius = 8 + case
        disc = lambda shift, r=radius: ((yy - 20) ** 2 + (xx - 20 - shift) ** 2 <= r * r).astype(np.uint8)  # noqa: E731
        np.save(root / "gt" / f"c{case}.npy", disc(0))
        np.save(root / "a" / f"c{case}.npy", disc(2))
        np.save(root / "b" / f"c{case}.npy", disc(1))
    return root / "gt", root / "a", root / "b"


def test_b_is_better_with_an_interval_above_zero(tmp_path, capsys):
    gt, a, b = _dataset(tmp_path)
    np.save(a / "extra.npy", np.zeros((40, 40), np.uint8))  # a prediction without GT: not a case
    out = tmp_path / "comparison.json"
    assert main(["evaluate", str(gt), str(a), str(b), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "B - A" in printed and "95% low" in printed
    report = json.loads(out.read_text())
    assert len(report["rows"]) == 6
    dice = report["summary"]["labels"]["1"]["dice"]
    assert dice["cases"] == 6 and dice["better"] == "B" and dice["ci_low"] > 0
    # each paired difference is the difference of the two single-model evaluations
    single = tmp_path / "a.json"
    assert main(["evaluate", str(gt / "c3.npy"), str(a / "c3.npy"), "--out", str(single)]) == 0
    row = next(r for r in report["rows"] if r["case"] == "c3.npy")
    assert row["dice_a"] == pytest.approx(json.loads(single.read_text())["rows"][0]["dice"])
    assert row["hd_diff"] == pytest.approx(1.0 - 2.0)


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--per-slice", "0"], "--per-slice is not available"),
        (["--resume", "--out", "x.json"], "--resume is not available"),
    ],
)
def test_bad_comparisons_are_one_sentence(tmp_path, capsys, extra, words):
    gt, a, b = _dataset(tmp_path, cases=2)
    assert main(["evaluate", str(gt), str(a), str(b), *extra]) == 2
    assert words in capsys.readouterr().err


def test_same_folder_twice_and_three_predictions_are_refused(tmp_path, capsys):
    gt, a, b = _dataset(tmp_path, cases=2)
    assert main(["evaluate", str(gt), str(a), str(a)]) == 2
    assert "the same folder" in capsys.readouterr().err
    assert main(["evaluate", str(gt), str(a), str(b), str(b)]) == 2
    assert "3 were given" in capsys.readouterr().err
    assert main(["evaluate", str(gt / "c0.npy"), str(a / "c0.npy"), str(b / "c0.npy")]) == 2
    assert "three folders" in capsys.readouterr().err
