"""The README's picture of the shareable HTML report (docs/images/report.png), on a dataset made from the MNI
sample, rendered by a real headless Chromium:

python scripts/make_report_image.py docs/images/report.png

Ten cases: the T1 at half resolution with its tissue ground truth, and predictions made worse in known ways
(the demo model's, shifted, eroded, dilated, a slab missed, a class missed) plus one unreadable prediction.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nibabel as nib
import numpy as np
from scipy import ndimage

from napari_segreview.cli import main as cli_main
from napari_segreview.plugin.sample_data import sample_path, simulated_prediction

BROWSERS = ("chromium-headless-shell", "chromium", "chromium-browser")


def _half(path: Path) -> tuple[np.ndarray, np.ndarray]:
    image = nib.load(path)
    affine = image.affine.copy()
    affine[:3, :3] *= 2  # every second voxel along each axis: 2 mm
    return np.asarray(image.dataobj)[::2, ::2, ::2], affine


def _predictions(gt: np.ndarray, demo: np.ndarray) -> dict[str, np.ndarray]:
    def per_label(operation) -> np.ndarray:
        out = np.zeros_like(gt)
        for label in (1, 2):
            out[operation(gt == label) & (out == 0)] = label
        return out

    missed_slab = gt.copy()
    missed_slab[:, :, 40:52] = 0
    no_white = gt.copy()
    no_white[no_white == 2] = 0
    return {
        "sub-01": demo,
        "sub-02": simulated_prediction(gt),
        "sub-03": np.roll(gt, 1, axis=0),
        "sub-04": np.roll(gt, 3, axis=1),
        "sub-05": per_label(lambda mask: ndimage.binary_erosion(mask)),
        "sub-06": per_label(lambda mask: ndimage.binary_dilation(mask, iterations=2)),
        "sub-07": missed_slab,
        "sub-08": no_white,
        "sub-09": np.roll(demo, 2, axis=2),
    }


def make_dataset(root: Path) -> tuple[Path, Path, Path]:
    t1, affine = _half(sample_path("t1.nii.gz"))
    gt, _ = _half(sample_path("tissue_seg.nii.gz"))
    demo, _ = _half(sample_path("demo_prediction.nii.gz"))
    folders = [root / name for name in ("images", "gt", "pred")]
    for folder in folders:
        folder.mkdir(parents=True)
    images, gt_dir, pred_dir = folders
    for case, pred in _predictions(gt, demo).items():
        nib.save(nib.Nifti1Image(t1, affine), images / f"{case}_0000.nii.gz")
        nib.save(nib.Nifti1Image(gt.astype(np.uint8), affine), gt_dir / f"{case}.nii.gz")
        nib.save(nib.Nifti1Image(pred.astype(np.uint8), affine), pred_dir / f"{case}.nii.gz")
    nib.save(nib.Nifti1Image(gt.astype(np.uint8), affine), gt_dir / "sub-10.nii.gz")
    (pred_dir / "sub-10.nii.gz").write_bytes(b"not a NIfTI file")  # a failed case
    return images, gt_dir, pred_dir


def main(out: str) -> int:
    browser = next((path for name in BROWSERS if (path := shutil.which(name))), None)
    if browser is None:
        print(f"needs a headless Chromium ({', '.join(BROWSERS)})", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        images, gt_dir, pred_dir = make_dataset(root / "data")
        report, page = root / "report.json", root / "report.html"
        cli_main(["evaluate", str(gt_dir), str(pred_dir), "--out", str(report)])
        argv = ["report", str(report), "--out", str(page), "--gt", str(gt_dir), "--pred", str(pred_dir)]
        assert cli_main([*argv, "--images", str(images)]) == 0
        shot = root / "shot.png"
        subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
             f"--user-data-dir={root / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2000",
             page.as_uri()],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        if "--keep-html" in sys.argv:  # to look at the page itself
            shutil.copy(page, Path(out).with_suffix(".html"))
        shutil.copy(shot, out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
