"""The dataset browser's "Save HTML report…" button in a real napari window (Xvfb), with the file dialog
answered by the test: the page is written in a worker with the browser's folders, then a notification says
where; a failure is one notification and the window goes on."""

from __future__ import annotations

import pytest
from napari.utils.notifications import NotificationSeverity, notification_manager
from qtpy.QtWidgets import QFileDialog

PLUGIN = "napari-segreview"
TIMEOUT = 30_000


@pytest.fixture
def browser(make_napari_viewer, evaluated):
    report, gt_dir, pred_dir = evaluated
    viewer = make_napari_viewer()
    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, "Dataset browser")
    widget.folders["gt"].setText(str(gt_dir))
    widget.folders["pred"].setText(str(pred_dir))
    return widget, report


def _answer_dialog(monkeypatch, path) -> list[str]:
    asked = []

    def save_dialog(parent, title, start, filter_):
        asked.append(start)
        return str(path), filter_

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_dialog))
    return asked


def _messages(seen: int, severity) -> list[str]:
    return [str(n.message) for n in notification_manager.records[seen:] if n.severity == severity]


def test_the_button_writes_the_page_with_thumbnails(browser, qtbot, monkeypatch, tmp_path):
    widget, report = browser
    assert not widget.html_button.isEnabled()  # no report open yet
    widget.load_report(report)
    assert widget.html_button.isEnabled()
    out = tmp_path / "shared" / "dataset"  # no suffix given in the dialog: .html is added
    out.parent.mkdir()
    asked = _answer_dialog(monkeypatch, out)
    seen = len(notification_manager.records)
    widget.html_button.click()
    assert asked == [str(report.with_suffix(".html"))]
    assert widget.html_worker is not None and not widget.html_button.isEnabled()  # running in a worker
    qtbot.waitUntil(lambda: widget.html_worker is None, timeout=TIMEOUT)
    written = out.with_name("dataset.html")
    html = written.read_text(encoding="utf-8")
    assert html.count('<img class="thumb" src="data:image/png;base64,') == 10
    assert _messages(seen, NotificationSeverity.INFO) == [f"Saved the HTML report {written}."]
    assert widget.html_button.isEnabled()


def test_a_failure_is_one_notification(browser, qtbot, monkeypatch, tmp_path):
    widget, report = browser
    widget.load_report(report)

    def refuse(path, write, suffix=""):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr("napari_segreview.report.build.write_atomically", refuse)
    out = tmp_path / "report.html"
    _answer_dialog(monkeypatch, out)
    seen = len(notification_manager.records)
    widget.html_button.click()
    qtbot.waitUntil(lambda: widget.html_worker is None, timeout=TIMEOUT)
    assert _messages(seen, NotificationSeverity.ERROR) == [
        f"The HTML report report.html could not be written: cannot write {out}: permission denied."
    ]
    assert not out.exists() and widget.html_button.isEnabled()


def test_without_folders_it_says_there_are_no_thumbnails(browser, qtbot, monkeypatch, tmp_path):
    widget, report = browser
    widget.folders["gt"].setText("")
    widget.load_report(report)
    out = tmp_path / "plain.html"
    _answer_dialog(monkeypatch, out)
    seen = len(notification_manager.records)
    widget.html_button.click()
    qtbot.waitUntil(lambda: widget.html_worker is None, timeout=TIMEOUT)
    (message,) = _messages(seen, NotificationSeverity.INFO)
    assert "no thumbnails: choose the ground-truth and prediction folders" in message
    assert "<img" not in out.read_text(encoding="utf-8")
