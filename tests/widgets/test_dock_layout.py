"""With all three docks open (as napari's Plugins menu opens them) the window fits a 1280×800 screen: the docks
are tabs of one panel, the canvas keeps at least half the width, no dock is cut on the right, and the per-slice
table shows its main columns without scrolling sideways. Measured in a real window (layout_probe.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCREEN = (1280, 800)


@pytest.fixture(scope="module")
def layout():
    if not os.environ.get("DISPLAY"):
        pytest.fail("no DISPLAY: pytest-xvfb should have started a virtual display")
    probe = Path(__file__).with_name("layout_probe.py")
    root = Path(__file__).parents[2]
    done = subprocess.run(
        [sys.executable, str(probe), *map(str, SCREEN)], capture_output=True, text=True, timeout=300, cwd=root
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [line for line in done.stdout.splitlines() if line.startswith("LAYOUT ")]
    return json.loads(line.removeprefix("LAYOUT "))


def test_the_window_fits_a_laptop_screen_and_the_canvas_keeps_half(layout):
    assert layout["min_size"][0] <= SCREEN[0] and layout["min_size"][1] <= SCREEN[1], layout
    assert layout["window"] == list(SCREEN), layout
    assert layout["canvas_width"] >= SCREEN[0] // 2, layout


def test_the_three_docks_are_tabs_and_nothing_is_cut(layout):
    assert layout["all_docks"] and all(layout["tabbed"]), layout
    assert all(px <= 1 for px in layout["cut_px"].values()), layout


def test_the_slice_table_shows_its_main_columns_without_sideways_scrolling(layout):
    assert {"slice", "class", "Dice", "HD95", "status"} <= set(layout["table_columns"]), layout
    assert not layout["table_hscroll"], layout
    assert layout["table_rows_visible"] >= 4, layout


def test_the_class_chooser_shows_its_text_whole(layout):
    text, fits = layout["class_text"]
    assert text == "all" and fits, layout


def test_the_canvas_gets_its_width_back_after_a_visit_to_3d(layout):
    assert layout["canvas_width_2d_after_3d"] >= layout["canvas_width_2d_before_3d"] - 2, layout


def test_the_window_still_fits_in_3d_and_after(layout):
    # napari's layer controls grow in 3D (the surface's and the volumes' rendering rows): the bottom dock must
    # leave them room, else the window outgrows the screen
    assert layout["window_3d"] == list(SCREEN), layout
    assert layout["window_2d_after_3d"] == list(SCREEN), layout
