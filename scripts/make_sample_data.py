"""Regenerate the sample data shipped in napari_segreview/data/mni152 from the copy that nilearn carries.

    pip install -e ".[sample-data]" && python scripts/make_sample_data.py

T1: the MNI ICBM152 2009a symmetric T1 template, copied byte for byte (uint8, 1 mm, 197x233x189).
Tissue ground truth: each voxel takes the most probable of background (everything that is neither grey nor
white matter, CSF included), grey matter (label 1) and white matter (label 2), from the template's tissue
probability maps; ties go to the lower label.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nibabel as nib
import numpy as np
from nilearn.datasets import data as nilearn_data

SOURCE = Path(nilearn_data.__file__).parent
TARGET = Path(__file__).resolve().parents[1] / "napari_segreview" / "data" / "mni152"
TEMPLATE = "mni_icbm152_{}_tal_nlin_sym_09a_converted.nii.gz"


def tissue_labels(grey: np.ndarray, white: np.ndarray) -> np.ndarray:
    """Argmax of (background, grey, white) probabilities stored as 0..255."""
    grey = grey.astype(np.int16)
    white = white.astype(np.int16)
    background = 255 - grey - white
    return np.argmax(np.stack([background, grey, white]), axis=0).astype(np.uint8)


def main() -> None:
    TARGET.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE / TEMPLATE.format("t1"), TARGET / "t1.nii.gz")
    grey_image = nib.load(SOURCE / TEMPLATE.format("gm"))
    white_image = nib.load(SOURCE / TEMPLATE.format("wm"))
    assert np.array_equal(grey_image.affine, white_image.affine)
    labels = tissue_labels(np.asarray(grey_image.dataobj), np.asarray(white_image.dataobj))
    out = nib.Nifti1Image(labels, grey_image.affine)
    out.header.set_xyzt_units("mm")
    out.set_sform(grey_image.affine, code=int(grey_image.header["sform_code"]) or 2)
    out.set_qform(grey_image.affine, code=int(grey_image.header["qform_code"]) or 2)
    nib.save(out, TARGET / "tissue_seg.nii.gz")
    counts = np.bincount(labels.ravel(), minlength=3)
    print(f"wrote {TARGET}: grey matter {counts[1]} voxels, white matter {counts[2]} voxels")


if __name__ == "__main__":
    main()
