"""On a dask.distributed cluster, the workers report each label of a case as they go, as in this process."""

from __future__ import annotations

import pytest

from napari_segreview.dataset import MetricOptions, evaluate_dataset, pair_folders

distributed = pytest.importorskip("distributed")


def test_workers_report_each_label_of_a_case(many_label_folders):
    gt_dir, pred_dir = many_label_folders
    cases = pair_folders(gt_dir, pred_dir).cases
    calls = []
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0", silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        rows = evaluate_dataset(cases, MetricOptions(), client=client, on_label=lambda *call: calls.append(call))
    assert rows == evaluate_dataset(cases, MetricOptions())
    expected = [(case, done, 12) for case in ("a.npy", "b.npy") for done in range(1, 13)]
    assert set(calls) <= set(expected)
    # one worker thread runs the cases in turn: the first case's events came in before the second case ended
    # (the last events may still be travelling through the scheduler when the run returns)
    first = calls[0][0]
    assert [call for call in calls if call[0] == first] == [(first, done, 12) for done in range(1, 13)]
