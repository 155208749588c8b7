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
