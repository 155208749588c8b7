"""The segreview command: help, version, and one-sentence errors with exit code 2."""

from __future__ import annotations

import os
import subprocess
import sys

from napari_segreview import __version__
from napari_segreview.cli import main


def _segreview(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "napari_segreview.cli", *args], capture_output=True, text=True, env=env
    )


def test_help_lists_the_demo_subcommand():
    result = _segreview("--help")
    assert result.returncode == 0
    assert "demo" in result.stdout


def test_version(capsys):
    result = _segreview("--version")
    assert result.stdout.strip() == f"segreview {__version__}"


def test_no_subcommand_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "usage: segreview" in capsys.readouterr().out


def test_demo_without_a_display_is_one_sentence_and_exit_2():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = _segreview("demo", env=env)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no display found" in result.stderr
    assert "Traceback" not in result.stderr


def test_demo_screenshot_must_be_png(capsys):
    assert main(["demo", "--screenshot", "shot.jpg"]) == 2
    assert capsys.readouterr().err == "segreview demo: the screenshot must be a .png file, not shot.jpg.\n"


def test_demo_renders_the_sample_into_a_screenshot(tmp_path):
    """The README's demo path end to end, on pytest-xvfb's display: the window shows the brain and its labels."""
    from skimage.io import imread

    out = tmp_path / "demo.png"
    result = _segreview("demo", "--screenshot", str(out))
    assert result.returncode == 0, result.stderr
    pixels = imread(out)[..., :3].astype(int)
    height, width, _ = pixels.shape
    canvas = pixels[height // 4 : 3 * height // 4, width // 2 : 3 * width // 4]
    red, blue = canvas[..., 0], canvas[..., 2]
    grey_matter_orange = (red > 150) & (red > blue + 60)
    white_matter_blue = (blue > 150) & (blue > red + 40)
    assert grey_matter_orange.mean() > 0.05 and white_matter_blue.mean() > 0.05
