"""Cases as they come: 2D pictures (0/255 masks, a colour image), file names that are not UTF-8, and the
package staying free of Qt and napari."""

from __future__ import annotations

import base64
import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from skimage.io import imsave

from napari_segreview.cli import main
from napari_segreview.report import Folders, build_report_html
from tests.nifti_cases import AFFINES, write_nifti


def _thumbnails(html: str) -> list[np.ndarray]:
    sources = html.split('<img class="thumb" src="data:image/png;base64,')[1:]
    return [np.asarray(Image.open(io.BytesIO(base64.b64decode(s.split('"', 1)[0]))).convert("RGB")) for s in sources]


def test_pictures_with_a_colour_image(tmp_path):
    folders = {name: tmp_path / name for name in ("images", "gt", "pred")}
    for folder in folders.values():
        folder.mkdir()
    gt = np.zeros((60, 80), np.uint8)
    gt[15:45, 20:60] = 255
    pred = np.roll(gt, 8, axis=1)
    skin = np.zeros((60, 80, 3), np.uint8)
    skin[..., 0], skin[..., 1] = 200, np.linspace(0, 255, 80).astype(np.uint8)  # red to yellow
    imsave(folders["gt"] / "ISIC_01.png", gt, check_contrast=False)
    imsave(folders["pred"] / "ISIC_01.png", pred, check_contrast=False)
    imsave(folders["images"] / "ISIC_01.jpg", skin, check_contrast=False)
    report = tmp_path / "report.json"
    assert main(["evaluate", str(folders["gt"]), str(folders["pred"]), "--out", str(report)]) == 0
    html = build_report_html(report, Folders(gt=folders["gt"], pred=folders["pred"], images=folders["images"]))
    (thumbnail,) = _thumbnails(html)
    corner = thumbnail[2, 2].astype(int)
    assert corner[0] > 150 and corner[2] < 60  # the red picture, not a grey ground truth
    assert "slice 0:" not in html  # a picture has no slice number


def test_a_file_name_that_is_not_utf8_finds_its_files(tmp_path):
    name = os.fsdecode(b"caf\xe9.nii.gz")
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir()
    pred_dir.mkdir()
    mask = np.zeros((8, 10, 10), np.uint8)
    mask[2:6, 2:7, 2:7] = 1
    try:
        write_nifti(gt_dir / name, mask, AFFINES["RAS"])
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system does not take the name")
    write_nifti(pred_dir / name, np.roll(mask, 1, axis=2), AFFINES["RAS"])
    report = tmp_path / "report.json"
    assert main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(report)]) == 0
    html = build_report_html(report, Folders(gt=gt_dir, pred=pred_dir))
    html.encode("utf-8")  # a page every browser reads
    assert "caf\\xe9.nii.gz" in html and len(_thumbnails(html)) == 1


def test_the_package_imports_no_qt_and_no_napari():
    code = (
        "import sys, napari_segreview.report, napari_segreview.cli.report; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('qtpy', 'PyQt5', 'napari', 'torch')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
