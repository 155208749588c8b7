"""Incremental, atomic output and --resume: an interrupted run keeps every finished case; a resumed run
evaluates only what is missing (and the cases that failed), and only with the options the report records."""

from __future__ import annotations

import json

import pytest

import napari_segreview.dataset.evaluation as evaluation
from napari_segreview.cli import main
from napari_segreview.dataset import (
    MetricOptions,
    dataset_summary,
    options_path,
    options_record,
    read_rows,
    recorded_options,
)
from napari_segreview.io.reports import write_report
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


def _outputs(out) -> dict:
    """The bytes of a report and of every file beside it (its options sidecar), to see that nothing changed."""
    return {path.name: path.read_bytes() for path in out.parent.iterdir() if path.is_file()}


@pytest.mark.parametrize("suffix", [".json", ".csv"])
@pytest.mark.parametrize(
    "first, then, recorded",
    [
        ([], ["--convention", "surfel"], "--convention border"),
        (["--convention", "pooled"], [], "--convention pooled"),
        ([], ["--nsd-tolerance", "2"], "--nsd-tolerance 1"),
        (["--percentile", "90"], ["--percentile", "95"], "--percentile 90"),
        ([], ["--spacing", "1", "1", "1"], "each file's header spacing (no --spacing)"),
        (["--spacing", "1", "1", "2.5"], ["--spacing", "1", "1", "2"], "--spacing 1 1 2.5"),
        (["--labels", "1"], [], "--labels 1"),
        (["--labels", "1", "2"], ["--labels", "1"], "--labels 1 2"),
    ],
)
def test_resume_with_other_options_is_refused_and_changes_nothing(
    dataset, tmp_path, counted, capsys, suffix, first, then, recorded
):
    gt_dir, pred_dir = dataset
    out = tmp_path / "reports" / f"report{suffix}"
    out.parent.mkdir()
    counted["interrupt_at"] = INTERRUPT_AFTER + 1
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), *first]) == 130
    before = _outputs(out)
    counted.update(calls=[], interrupt_at=None)
    capsys.readouterr()
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume", *then]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"cannot resume {out.name}: it was computed with {recorded}," in err
    assert counted["calls"] == []
    assert _outputs(out) == before


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_resume_with_the_same_options_continues(dataset, tmp_path, counted, suffix):
    gt_dir, pred_dir = dataset
    out = tmp_path / f"report{suffix}"
    options = ["--convention", "surfel", "--nsd-tolerance", "2", "--percentile", "90", "--spacing", "1", "1", "2"]
    counted["interrupt_at"] = INTERRUPT_AFTER + 1
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), *options, "--labels", "2", "1"]) == 130
    counted.update(calls=[], interrupt_at=None)
    # the labels in another order, a tolerance written another way: the same options
    resumed = [*options[:2], "--nsd-tolerance", "2.0", *options[4:], "--labels", "1", "2"]
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume", *resumed]) == 1
    names = [f"case_{i:02d}.nii.gz" for i in range(N_CASES)]
    assert sorted(counted["calls"]) == sorted([CORRUPT, *names[INTERRUPT_AFTER:]])
    fresh = tmp_path / f"fresh{suffix}"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(fresh), *resumed]) == 1
    assert read_rows(out) == read_rows(fresh)


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_resume_of_a_report_without_recorded_options_is_refused(dataset, tmp_path, counted, capsys, suffix):
    gt_dir, pred_dir = dataset
    out = tmp_path / f"report{suffix}"
    counted["interrupt_at"] = INTERRUPT_AFTER + 1
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 130
    # as an older version wrote it: the same rows and summary, no options
    rows = read_rows(out)
    write_report(out, rows, dataset_summary(rows))
    options_path(out).unlink(missing_ok=True)
    before = _outputs(out)
    counted.update(calls=[], interrupt_at=None)
    capsys.readouterr()
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"cannot resume {out.name}: it does not record the options its rows were computed with" in err
    assert counted["calls"] == [] and _outputs(out) == before
    # --force starts the report over, and it records its options again
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--force"]) == 1
    assert recorded_options(out) == options_record(MetricOptions())


def test_a_csv_report_records_its_options_beside_it(dataset, tmp_path):
    gt_dir, pred_dir = dataset
    out = tmp_path / "report.csv"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--convention", "pooled"]) == 1
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == [
        "report.csv",
        "report.csv.options.json",
    ]
    assert json.loads(options_path(out).read_text()) == {
        "labels": None,
        "convention": "pooled",
        "nsd_tolerance": 1.0,
        "percentile": 95.0,
        "spacing": None,
    }
    json_out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(json_out), "--labels", "2", "1"]) == 1
    assert json.loads(json_out.read_text())["summary"]["options"]["labels"] == [1, 2]


def test_a_single_pair_report_replacing_a_dataset_report_cannot_be_resumed(dataset, tmp_path, capsys):
    gt_dir, pred_dir = dataset
    out = tmp_path / "report.csv"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1
    pair = [str(gt_dir / "case_00.nii.gz"), str(pred_dir / "case_00.nii.gz")]
    assert main(["evaluate", *pair, "--per-slice", "0", "--out", str(out), "--force"]) == 0
    assert not options_path(out).exists()  # per-slice rows must not pass for the dataset's rows
    capsys.readouterr()
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume"]) == 2
    assert "does not record the options" in capsys.readouterr().err


def test_a_changed_sidecar_is_never_left_describing_other_rows(dataset, tmp_path, monkeypatch):
    """--force with other options over a CSV report, interrupted between writing the report and its sidecar:
    the old sidecar must be gone, not describe the new rows."""
    import napari_segreview.dataset.report as report

    gt_dir, pred_dir = dataset
    out = tmp_path / "report.csv"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_atomically", interrupted)
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--force", "--convention", "surfel"]) == 130
    assert not options_path(out).exists()
    assert recorded_options(out) is None


def test_a_new_csv_report_interrupted_right_after_its_first_rows_can_be_resumed(dataset, tmp_path, monkeypatch):
    """The options of a new report are written before its first rows, so no moment leaves rows without them."""
    import napari_segreview.dataset.report as report

    gt_dir, pred_dir = dataset
    out = tmp_path / "report.csv"
    real_write = report.write_report

    def written_then_interrupted(*args, **kwargs):
        real_write(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "write_report", written_then_interrupted)
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 130
    monkeypatch.undo()
    assert out.is_file() and recorded_options(out) is not None
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out), "--resume"]) == 1  # a corrupt case
    assert len(read_rows(out)) > 1
