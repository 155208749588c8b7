"""npe2 finds a valid manifest from the editable install and from a built wheel."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from npe2 import PluginManifest

ROOT = Path(__file__).resolve().parents[1]


def test_root_manifest_and_packaged_manifest_are_the_same_file():
    assert (ROOT / "napari_segreview" / "napari.yaml").read_bytes() == (ROOT / "napari.yaml").read_bytes()


def test_installed_manifest_validates_and_lists_our_contributions():
    manifest = PluginManifest.from_distribution("napari-segreview")
    PluginManifest.validate(manifest.model_dump() if hasattr(manifest, "model_dump") else manifest.dict())
    assert manifest.name == "napari-segreview"
    assert {s.key for s in manifest.contributions.sample_data} == {"mni152", "mni152_slice", "nuclei", "mni152_lesions"}
    assert [w.layer_types for w in manifest.contributions.writers] == [["labels"]]
    # every command's python_name resolves to a callable
    for command in manifest.contributions.commands:
        module_name, attribute = command.python_name.split(":")
        module = __import__(module_name, fromlist=[attribute])
        assert callable(getattr(module, attribute)), command.id


@pytest.mark.slow
def test_manifest_is_found_from_a_wheel_in_a_fresh_environment(tmp_path):
    """Build the wheel, install it without its heavy dependencies into a clean venv with only npe2, and let
    npe2 discover and validate it there (the editable install is not visible from that venv)."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    [wheel] = (tmp_path / "dist").glob("napari_segreview-*.whl")
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, env=environment)
    subprocess.run([*pip, "npe2"], check=True, env=environment)
    probe = (
        "import importlib.util, pathlib, npe2;"
        "m = npe2.PluginManifest.from_distribution('napari-segreview');"
        "spec = importlib.util.find_spec('napari_segreview');"
        "print(pathlib.Path(spec.origin).parent);"
        "print(m.name, len(m.contributions.sample_data))"
    )
    result = subprocess.run(
        [str(python), "-c", probe], check=True, capture_output=True, text=True, env=environment, cwd=tmp_path
    )
    package_dir, summary = result.stdout.strip().splitlines()
    assert Path(package_dir).is_relative_to(env_dir)
    # every sample the source manifest lists is found from the wheel
    expected = len(PluginManifest.from_file(ROOT / "napari.yaml").contributions.sample_data)
    assert expected >= 4 and summary == f"napari-segreview {expected}"
    installed_manifest = Path(package_dir) / "napari.yaml"
    assert not installed_manifest.is_symlink()
    assert installed_manifest.read_bytes() == (ROOT / "napari.yaml").read_bytes()
    assert (Path(package_dir) / "data" / "mni152" / "NOTICE.txt").is_file()
    validation = subprocess.run(
        [str(env_dir / "bin" / "npe2"), "validate", "napari-segreview"],
        capture_output=True,
        text=True,
        env=environment,
        cwd=tmp_path,
    )
    assert validation.returncode == 0, validation.stdout + validation.stderr
