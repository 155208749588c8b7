"""The HTML report in a real headless Chromium: the DOM it builds holds every section, the plots and the
thumbnails; the table sorts on a click; the screenshot is a page, not a blank. CI installs Chromium
(scripts/setup.sh), so there a missing browser fails instead of skipping."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from napari_segreview.report import Folders, build_report_html, write_report_html
from napari_segreview.report.html_page import SECTIONS

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run")


@pytest.fixture(scope="module")
def browser() -> str:
    found = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if found is None:
        message = f"no headless Chromium ({', '.join(BROWSERS)}); scripts/setup.sh installs chromium-headless-shell"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


def _run(browser: str, *arguments: str, cwd) -> subprocess.CompletedProcess:
    # a fresh profile per run: nothing from another Chromium on the machine
    profile = f"--user-data-dir={cwd / 'profile'}"
    return subprocess.run([browser, *FLAGS, profile, *arguments], capture_output=True, text=True, timeout=120,
                          cwd=cwd, check=False)  # fmt: skip


@pytest.fixture
def page(evaluated, tmp_path):
    report, gt_dir, pred_dir = evaluated
    return write_report_html(build_report_html(report, Folders(gt=gt_dir, pred=pred_dir)), tmp_path / "report.html")


def test_the_browser_builds_every_section(browser, page, tmp_path):
    result = _run(browser, "--dump-dom", page.as_uri(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    for section in SECTIONS:
        assert f'id="{section}"' in dom
    assert dom.count("<svg") == 6 and dom.count('<img class="thumb"') == 10
    assert "case_11.nii.gz" in dom


def test_a_click_on_a_header_sorts_the_table(browser, page, tmp_path):
    # the page's own script sorts: click "label" twice (descending) and read the first row
    clicking = tmp_path / "click.html"
    html = page.read_text(encoding="utf-8").replace(
        "</body>",
        "<script>var th = document.querySelector('#classes th'); th.click(); th.click();"
        "document.body.setAttribute('data-first', document.querySelector('#classes tbody tr td').textContent);"
        "</script></body>",
    )
    clicking.write_text(html, encoding="utf-8")
    result = _run(browser, "--dump-dom", clicking.as_uri(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'data-first="2"' in result.stdout  # labels 1, 2: descending puts 2 first


def _requested_urls(browser: str, page: Path, tmp_path: Path) -> set[str]:
    """Every URL Chromium's network stack was asked for while it loaded ``page`` (its net log)."""
    log = tmp_path / f"{page.stem}.netlog.json"
    result = _run(browser, f"--log-net-log={log}", "--dump-dom", page.as_uri(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    urls = set()
    for event in json.loads(log.read_text(encoding="utf-8"))["events"]:
        params = event.get("params") or {}
        if isinstance(params.get("url"), str):
            urls.add(params["url"])
    return urls


def test_the_page_requests_nothing_from_the_network(browser, page, tmp_path):
    assert _requested_urls(browser, page, tmp_path) == set()
    # the check sees a request when there is one (to a closed port on this machine: nothing leaves it)
    fetching = tmp_path / "fetching.html"
    fetching.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/picture.png">', encoding="utf-8")
    assert _requested_urls(browser, fetching, tmp_path) == {"http://127.0.0.1:9/picture.png"}


def test_the_screenshot_shows_a_page(browser, page, tmp_path):
    shot = tmp_path / "shot.png"
    result = _run(browser, f"--screenshot={shot}", "--window-size=1280,2000", page.as_uri(), cwd=tmp_path)
    assert result.returncode == 0 and shot.is_file(), result.stderr[-2000:]
    pixels = np.asarray(Image.open(shot).convert("RGB"))
    assert pixels.shape == (2000, 1280, 3)
    colours = len(np.unique(pixels.reshape(-1, 3), axis=0))
    assert colours > 200  # text, plots and thumbnails, not a blank or an error page
    box_blue = np.all(np.abs(pixels.astype(int) - [195, 210, 228]) < 12, axis=-1)  # the boxes' light blue fill
    assert box_blue.sum() > 2000
