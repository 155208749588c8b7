"""Incremental, atomic output and --resume: an interrupted run keeps every finished case; a resumed run
evaluates only what is missing (and the cases that failed)."""

from __future__ import annotations

import json

import pytest

import napari_segreview.dataset.evaluation as evaluation
from napari_segreview.cli import main
from napari_segreview.dataset import read_rows
from tests.dataset.cases import CORRUPT, FAILING, N_CASES

INTERRUPT_AFTER = 6


@pytest.fixture
def counted(monkeypatch):
    """Counts evaluations (by case); ``interrupt_at`` makes the n-th evaluation raise KeyboardInterrupt, and
    ``check`` is called with the number finished so far before each evaluation."""
    real = evaluation.evaluate_case
    state = {"calls": [], "interrupt_at": None, "check": None}

    def evaluate_case(case, options):
        if state["check"] is not None:
            state["check"](len(state["calls"]))
        if state["interrupt_at"] is not None and len(state["calls"]) + 1 == state["interrupt_at"]:
            raise KeyboardInterrupt
        state["calls"].append(case.case)
        return real(case, options)

    monkeypatch.setattr(evaluation, "evaluate_case", evaluate_case)
    return state


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_interrupted_run_keeps_every_finished_case_and_resume_does_the_rest(dataset, tmp_path, counted, suffix):
    gt_dir, pred_dir = dataset
    out = tmp_path / f"report{suffix}"
    names = [f"case_{i:02d}.nii.gz" for i in range(N_CASES)]

    def file_holds_the_finished_cases(finished: int) -> None:
        if finished:
            assert {row["case"] for row in read_rows(out)} == set(names[:finished])
        else:
            assert not out.exists()

    counted["check"] = file_holds_the_finished_cases
    counted["interrupt_at"] = INTERRUPT_AFTER + 1
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 130  # Ctrl-C
    assert counted["calls"] == names[:INTERRUPT_AFTER]
    finished_rows = read_rows(out)
    assert {row["case"] for row in finished_rows} == set(names[:INTERRUPT_AFTER])
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left behind

    # a finished case that would now fail: a resumed run must not read it again
    (pred_dir / "case_01.nii.gz").write_bytes(b"broken since")
    counted.update(calls=[], interrupt_at=None, check=None)
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume"]) == 1
    retried = [CORRUPT]  # a failed case is evaluated again (its file may have been fixed)
    assert sorted(counted["calls"]) == sorted(retried + names[INTERRUPT_AFTER:])
    rows = read_rows(out)
    assert [row for row in rows if row["case"] == "case_01.nii.gz"] == [
        row for row in finished_rows if row["case"] == "case_01.nii.gz"
    ]
    assert {row["case"] for row in rows if row["status"] == "error"} == FAILING

    # the resumed report equals one uninterrupted run's (on the files as they were)
    (pred_dir / "case_01.nii.gz").unlink()
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(tmp_path / f"fresh{suffix}")]) == 1
    fresh = read_rows(tmp_path / f"fresh{suffix}")
    assert [row for row in rows if row["case"] != "case_01.nii.gz"] == [
        row for row in fresh if row["case"] != "case_01.nii.gz"
    ]


def test_resume_of_a_finished_run_evaluates_only_the_failed_cases(dataset, tmp_path, counted):
    gt_dir, pred_dir = dataset
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1
    before = json.loads(out.read_text())
    counted["calls"].clear()
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume"]) == 1
    assert sorted(counted["calls"]) == sorted(FAILING)
    assert json.loads(out.read_text()) == before


def test_resume_without_a_report_starts_one(dataset, tmp_path, counted):
    gt_dir, pred_dir = dataset
    out = tmp_path / "new.csv"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume"]) == 1
    assert len(counted["calls"]) == N_CASES
    assert {row["case"] for row in read_rows(out)} == {f"case_{i:02d}.nii.gz" for i in range(N_CASES)}
