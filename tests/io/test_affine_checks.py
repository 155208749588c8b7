"""An affine that cannot place voxels in space (NaN or infinite entries, a zero-length voxel axis, two voxel axes
pointing the same way) is refused in one sentence naming the file, by every path that reads NIfTI."""

from __future__ import annotations

import re

import nibabel as nib
import numpy as np
import pytest

from napari_segreview.cli import main
from napari_segreview.io import ImageReadError, read_volume
from napari_segreview.io.masks import load_mask_pair
from napari_segreview.plugin.reader import get_reader
from tests.nifti_cases import AFFINES, OBLIQUE_AFFINE, write_nifti

MASK = np.zeros((6, 7, 8), np.uint8)
MASK[1:4, 2:5, 3:6] = 1


def _with_sform(path, linear_and_origin: np.ndarray):
    """A NIfTI whose sform is exactly ``linear_and_origin`` (nibabel would not build an image from a NaN affine)."""
    image = nib.Nifti1Image(MASK, np.eye(4))
    header = image.header
    header.set_qform(None, code=0)
    header["sform_code"] = 1
    for row, name in enumerate(("srow_x", "srow_y", "srow_z")):
        header[name] = linear_and_origin[row]
    nib.save(nib.Nifti1Image(MASK, None, header=header), path)
    return path


def _affine(columns, origin=(0.0, 0.0, 0.0)) -> np.ndarray:
    affine = np.eye(4)
    affine[:3, :3] = np.asarray(columns, dtype=float).T  # one voxel axis per column
    affine[:3, 3] = origin
    return affine


SAME_WAY = r"degenerate.*voxel axes {} and {} point the same way"
BAD_AFFINES = {
    "nan": (_affine([(1, 0, 0), (0, 1, 0), (0, 0, 1)], (np.nan, 0, 0)), r"NaN or infinite"),
    "nan_linear": (_affine([(np.nan, 0, 0), (0, 1, 0), (0, 0, 1)]), r"NaN or infinite"),
    "inf": (_affine([(1, 0, 0), (0, np.inf, 0), (0, 0, 1)]), r"NaN or infinite"),
    "same_direction": (_affine([(1, 1, 0), (1, 1, 0), (0, 0, 1)]), SAME_WAY.format(0, 1)),
    "parallel": (_affine([(1, 0, 0), (2, 0, 0), (0, 0, 1)]), SAME_WAY.format(0, 1)),
    "opposite": (_affine([(0, 0, 1), (1, 0, 0), (0, 0, -3)]), SAME_WAY.format(0, 2)),
    "coplanar": (_affine([(1, 0, 0), (0, 1, 0), (1, 1, 0)]), r"degenerate.*three voxel axes lie in one plane"),
    "zero_axis": (_affine([(1, 0, 0), (0, 0, 0), (0, 0, 1)]), r"degenerate.*voxel axis 1 has zero length"),
}


@pytest.mark.parametrize("case", BAD_AFFINES)
def test_read_volume_refuses_an_affine_that_places_no_voxels(tmp_path, case):
    affine, reason = BAD_AFFINES[case]
    path = _with_sform(tmp_path / f"{case}.nii.gz", affine)
    with pytest.raises(ImageReadError) as caught:
        read_volume(path)
    message = str(caught.value)
    assert message.startswith(f"{case}.nii.gz has ")
    assert message.endswith(".") and "\n" not in message
    assert re.search(reason, message), message
    assert "[[" in message  # the affine itself is shown


def test_an_oblique_and_a_sheared_affine_are_still_read(tmp_path):
    with pytest.warns(UserWarning, match="oblique"):
        assert read_volume(write_nifti(tmp_path / "oblique.nii.gz", MASK, OBLIQUE_AFFINE)).data.shape == (8, 7, 6)
    sheared = AFFINES["RAS"].copy()
    sheared[0, 2] = 1.0  # a gantry tilt: slices sheared by 22 degrees, still a valid grid
    with pytest.warns(UserWarning, match="oblique"):
        volume = read_volume(write_nifti(tmp_path / "tilted.nii.gz", MASK, sheared))
    assert volume.data.shape == (8, 7, 6)


@pytest.mark.parametrize("case", ["nan", "same_direction"])
def test_evaluate_exits_2_with_the_sentence(tmp_path, capsys, case):
    bad = _with_sform(tmp_path / "gt.nii.gz", BAD_AFFINES[case][0])
    good = write_nifti(tmp_path / "pred.nii.gz", MASK, AFFINES["RAS"])
    assert main(["evaluate", str(bad), str(good)]) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error and error.count("\n") == 1
    assert "gt.nii.gz has " in error


def test_a_dataset_case_with_a_nan_affine_is_an_error_row(tmp_path):
    _with_sform(tmp_path / "gt.nii.gz", BAD_AFFINES["nan"][0])
    write_nifti(tmp_path / "pred.nii.gz", MASK, AFFINES["RAS"])
    with pytest.raises(ImageReadError, match=r"^gt\.nii\.gz has an affine with NaN or infinite"):
        load_mask_pair(tmp_path / "gt.nii.gz", tmp_path / "pred.nii.gz")


@pytest.mark.parametrize("case", ["nan", "zero_axis"])
def test_the_napari_reader_raises_the_sentence(tmp_path, case):
    path = _with_sform(tmp_path / "scan.nii.gz", BAD_AFFINES[case][0])
    reader = get_reader(str(path))
    with pytest.raises(ImageReadError, match=r"^scan\.nii\.gz has "):
        reader(str(path))


def test_predict_exits_2_with_the_sentence(tmp_path, capsys):
    from tests.model.models import save_random_checkpoint

    model = save_random_checkpoint(tmp_path / "tiny.pt")[0]
    path = _with_sform(tmp_path / "scan.nii.gz", BAD_AFFINES["nan"][0])
    argv = ["predict", str(path), "--model", str(model), "--out", str(tmp_path / "out.nii.gz")]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert "Traceback" not in error and error.count("\n") == 1
    assert "scan.nii.gz has an affine with NaN or infinite" in error
    assert not (tmp_path / "out.nii.gz").exists()
