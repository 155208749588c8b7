"""dask.distributed: a LocalCluster of two worker processes gives the rows of the in-process run, from paths
read on the workers; --workers and --scheduler in the command line."""

from __future__ import annotations

import pytest

from napari_segreview.cli import main
from napari_segreview.dataset import MetricOptions, evaluate_dataset, pair_folders, read_rows
from tests.dataset.cases import FAILING, N_CASES

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def client():
    # worker processes, as on a real cluster: the task and its arguments must pickle, the files are read there
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_local_cluster_rows_equal_in_process_rows(dataset, tmp_path, client):
    cases = pair_folders(*dataset).cases
    options = MetricOptions()
    in_process = evaluate_dataset(cases, options)
    seen = []
    on_cluster = evaluate_dataset(
        cases,
        options,
        client=client,
        in_flight=3,
        out=tmp_path / "r.json",
        on_case=lambda done, total, rows: seen.append((done, total)),
    )
    assert on_cluster == in_process
    assert len({row["case"] for row in on_cluster}) == N_CASES
    assert {row["case"] for row in on_cluster if row["status"] == "error"} == FAILING
    assert seen == [(done, N_CASES) for done in range(1, N_CASES + 1)]
    assert read_rows(tmp_path / "r.json") == in_process
    assert not client.futures  # every result released as it arrived


def test_interrupted_cluster_run_cancels_what_is_queued(dataset, client):
    cases = pair_folders(*dataset).cases

    def interrupt(done, total, rows):
        if done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        evaluate_dataset(cases, MetricOptions(), client=client, in_flight=4, on_case=interrupt)
    assert not client.futures


def test_scheduler_option_runs_on_an_existing_cluster(dataset, tmp_path, client):
    gt_dir, pred_dir = dataset
    local, remote = tmp_path / "local.csv", tmp_path / "remote.csv"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(local)]) == 1
    assert (
        main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(remote), "--scheduler", client.scheduler.address])
        == 1
    )
    assert remote.read_text() == local.read_text()


def test_workers_option_starts_and_stops_a_local_cluster(dataset, tmp_path, capsys):
    gt_dir, pred_dir = dataset
    local, workers = tmp_path / "local.json", tmp_path / "workers.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(local)]) == 1
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(workers), "--workers", "2"]) == 1
    assert workers.read_text() == local.read_text()
    assert "20/20 cases" in capsys.readouterr().err


def test_unreachable_scheduler_is_one_sentence_and_exit_2(dataset, capsys, monkeypatch):
    import napari_segreview.cli.evaluate_folders as evaluate_folders

    monkeypatch.setattr(evaluate_folders, "SCHEDULER_TIMEOUT_S", 1)
    gt_dir, pred_dir = dataset
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--scheduler", "tcp://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.splitlines()[-1]
    assert "cannot reach the dask scheduler at tcp://127.0.0.1:9" in err
