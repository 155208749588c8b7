"""Opening a case from the dataset browser (real viewer, Xvfb): the files are read in a worker thread, the
latest click wins, a read error is one notification, and the click itself returns at once."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from napari.utils.notifications import NotificationSeverity, notification_manager

from napari_segreview.cli import main
from napari_segreview.io import read_volume
from napari_segreview.widgets import dataset_browser
from napari_segreview.widgets.dataset_browser import DatasetBrowser
from tests.dataset.cases import CORRUPT, write_dataset

TIMEOUT = 30_000
# generous: the click handler lists three folders and removes layers; the patched read sleeps far longer
CLICK_RETURNS_WITHIN_S = 1.0
SLOW_READ_S = 3.0


@pytest.fixture
def browser(make_napari_viewer, tmp_path):
    gt_dir, pred_dir = write_dataset(tmp_path / "data", n_cases=4)
    out = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(out)]) == 1  # case_03 is corrupt
    viewer = make_napari_viewer()
    browser = DatasetBrowser(viewer)
    viewer.window.add_dock_widget(browser, name="Dataset browser")
    browser.folders["gt"].setText(str(gt_dir))
    browser.folders["pred"].setText(str(pred_dir))
    browser.load_report(out)
    return browser


def click(browser: DatasetBrowser, case: str) -> None:
    table = browser.table
    (row,) = [row for row in range(table.rowCount()) if table.item(row, 0).text() == case]
    table.cellClicked.emit(row, 0)


def layer_names(browser: DatasetBrowser) -> list[str]:
    return [layer.name for layer in browser.viewer.layers]


def test_a_click_reads_the_files_in_a_worker_and_adds_the_layers(browser, qtbot, monkeypatch):
    real = dataset_browser.read_case_file
    threads = []

    def recording(path):
        threads.append(threading.current_thread())
        return real(path)

    monkeypatch.setattr(dataset_browser, "read_case_file", recording)
    click(browser, "case_01.nii.gz")
    assert browser.loading
    qtbot.waitUntil(lambda: not browser.loading, timeout=TIMEOUT)
    assert layer_names(browser) == ["case_01 gt", "case_01 pred"]
    assert len(threads) == 2 and threading.main_thread() not in threads
    gt_layer = browser.viewer.layers["case_01 gt"]
    expected = read_volume(browser._folder("gt") / "case_01.nii.gz")
    np.testing.assert_array_equal(gt_layer.data, expected.data)
    np.testing.assert_allclose(gt_layer.scale, expected.scale)
    np.testing.assert_allclose(gt_layer.translate, expected.translate)
    assert "nifti_geometry" in gt_layer.metadata  # the writer's true affine, as from File > Open
    assert browser.status.text() == "case_01.nii.gz opened."


def test_the_click_returns_while_the_files_are_read(browser, qtbot, monkeypatch):
    real = dataset_browser.read_case_file

    def slow(path):
        time.sleep(SLOW_READ_S)
        return real(path)

    monkeypatch.setattr(dataset_browser, "read_case_file", slow)
    started = time.perf_counter()
    click(browser, "case_02.nii.gz")
    assert time.perf_counter() - started < CLICK_RETURNS_WITHIN_S
    assert browser.loading and layer_names(browser) == []
    assert browser.status.text() == "opening case_02.nii.gz…"
    qtbot.waitUntil(lambda: not browser.loading, timeout=TIMEOUT)
    assert layer_names(browser) == ["case_02 gt", "case_02 pred"]


def _hold_reads_of(monkeypatch, name: str) -> tuple[threading.Event, threading.Event]:
    """Reads of file ``name`` wait until released; returns (started, release)."""
    real_read = dataset_browser.read_case_file
    started, release = threading.Event(), threading.Event()

    def read(path):
        if path.name == name:
            started.set()
            release.wait(TIMEOUT / 1000)
        return real_read(path)

    monkeypatch.setattr(dataset_browser, "read_case_file", read)
    return started, release


def _wait_for_finish(qtbot, worker, release: threading.Event) -> None:
    finished = []
    worker.finished.connect(lambda: finished.append(True))
    release.set()
    qtbot.waitUntil(lambda: bool(finished), timeout=TIMEOUT)
    qtbot.wait(200)  # any signal the worker queued has been delivered


@pytest.mark.parametrize("stops_when_told", [True, False], ids=["older-worker-quits", "older-worker-finishes"])
def test_a_newer_click_wins_and_the_older_case_is_never_shown(browser, qtbot, monkeypatch, stops_when_told):
    real_worker = dataset_browser.case_worker
    older_started, release_older = _hold_reads_of(monkeypatch, "case_00.nii.gz")

    def worker(files):
        created = real_worker(files)
        if not stops_when_told:  # a worker that finishes anyway: its late result must be dropped
            created.quit = lambda: None
        return created

    monkeypatch.setattr(dataset_browser, "case_worker", worker)
    click(browser, "case_00.nii.gz")
    older = browser.load_worker
    assert older_started.wait(TIMEOUT / 1000)

    click(browser, "case_01.nii.gz")
    qtbot.waitUntil(lambda: not browser.loading, timeout=TIMEOUT)
    assert layer_names(browser) == ["case_01 gt", "case_01 pred"]

    _wait_for_finish(qtbot, older, release_older)
    assert layer_names(browser) == ["case_01 gt", "case_01 pred"]
    assert browser.status.text() == "case_01.nii.gz opened."


def test_an_unreadable_file_is_one_notification_and_no_layers(browser, qtbot):
    click(browser, "case_00.nii.gz")
    qtbot.waitUntil(lambda: not browser.loading, timeout=TIMEOUT)
    assert layer_names(browser) == ["case_00 gt", "case_00 pred"]
    seen = len(notification_manager.records)

    click(browser, CORRUPT)  # its prediction is not a NIfTI file
    qtbot.waitUntil(lambda: not browser.loading, timeout=TIMEOUT)
    assert layer_names(browser) == []  # neither the earlier case nor half of this one
    errors = [n for n in notification_manager.records[seen:] if n.severity == NotificationSeverity.ERROR]
    (message,) = [str(n.message) for n in errors]
    assert message.startswith(f"{CORRUPT} could not be opened: Cannot read {CORRUPT} as NIfTI")
    assert message.endswith(".") and "\n" not in message
    assert browser.status.text() == message


def test_an_unexpected_reader_failure_is_one_sentence_too(browser, qtbot, monkeypatch):
    import napari_segreview.plugin.reader as reader

    def broken(path):
        raise RuntimeError("decoder crashed\ndetails")

    monkeypatch.setattr(dataset_browser, "read_layers", broken)
    assert reader.read_layers is not broken  # only the browser's reference is replaced
    seen = len(notification_manager.records)
    click(browser, "case_01.nii.gz")
    qtbot.waitUntil(lambda: not browser.loading, timeout=TIMEOUT)
    assert layer_names(browser) == []
    (message,) = [str(n.message) for n in notification_manager.records[seen:]]
    assert message == "case_01.nii.gz could not be opened: case_01.nii.gz: RuntimeError: decoder crashed."


def test_a_case_still_loading_when_the_dock_closes_is_never_added(browser, qtbot, monkeypatch):
    started, release = _hold_reads_of(monkeypatch, "case_00.nii.gz")
    click(browser, "case_00.nii.gz")
    worker = browser.load_worker
    assert started.wait(TIMEOUT / 1000)
    browser.viewer.window.remove_dock_widget(browser)  # what the dock's close button does
    assert not browser.loading
    _wait_for_finish(qtbot, worker, release)
    assert layer_names(browser) == []


def test_a_newer_click_that_cannot_open_its_case_still_stops_the_older_one(browser, qtbot, monkeypatch):
    started, release = _hold_reads_of(monkeypatch, "case_00.nii.gz")
    click(browser, "case_00.nii.gz")
    worker = browser.load_worker
    assert started.wait(TIMEOUT / 1000)
    browser.folders["pred"].setText(browser.folders["pred"].text() + "_missing")
    click(browser, "case_01.nii.gz")  # no prediction folder now: an error, and nothing loads
    _wait_for_finish(qtbot, worker, release)
    assert layer_names(browser) == [] and not browser.loading
