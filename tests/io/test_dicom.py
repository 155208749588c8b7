"""A DICOM folder opens exactly like the same voxel grid saved as NIfTI with the equivalent RAS+ affine.

The equivalent affines below are derived by hand from the DICOM definitions (see ``tests/dicom_cases.py``):
voxel (i, j, k) = (column, row, slice); its LPS+ position is
position_0 + i * PixelSpacing[1] * row_direction + j * PixelSpacing[0] * column_direction + k * step,
and RAS+ = LPS+ with x and y negated.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from pydicom.encaps import encapsulate
from pydicom.uid import JPEGLSLossless

from napari_segreview.io import ImageReadError, ObliqueAffineWarning, read_nifti, write_nifti_labels
from napari_segreview.io.dicom import looks_like_dicom_folder, read_dicom_series
from tests.dicom_cases import (
    ct_slice,
    save,
    write_dicomdir_stand_in,
    write_report,
    write_series,
)
from tests.nifti_cases import affine, write_nifti

ROWS, COLUMNS, SLICES = 6, 5, 4
# PixelSpacing is (distance between rows, distance between columns): different, so a swap shows.
PIXEL_SPACING = (0.7, 0.5)

# name: (ImageOrientationPatient, first ImagePositionPatient (LPS), slice step (LPS), equivalent RAS+ affine)
SERIES = {
    # rows run to the patient's left (+x LPS), columns to posterior (+y LPS), slices 2.5 mm superior
    "axial": (
        (1, 0, 0, 0, 1, 0),
        (-100.0, -80.0, -40.0),
        (0.0, 0.0, 2.5),
        affine(np.diag([-0.5, -0.7, 2.5]), (100.0, 80.0, -40.0)),
    ),
    # rows to the left, columns to inferior (-z), slices 3 mm posterior
    "coronal": (
        (1, 0, 0, 0, 0, -1),
        (-50.0, 10.0, 70.0),
        (0.0, 3.0, 0.0),
        affine(np.array([[-0.5, 0.0, 0.0], [0.0, 0.0, -3.0], [0.0, -0.7, 0.0]]), (50.0, -10.0, 70.0)),
    ),
    # rows to posterior, columns to inferior, slices 2 mm to the patient's right (-x LPS, the slice normal)
    "sagittal": (
        (0, 1, 0, 0, 0, -1),
        (30.0, -20.0, 60.0),
        (-2.0, 0.0, 0.0),
        affine(np.array([[0.0, 0.0, 2.0], [-0.5, 0.0, 0.0], [0.0, -0.7, 0.0]]), (-30.0, 20.0, 60.0)),
    ),
}


def _pixels(seed: int = 0, count: int = SLICES) -> list[np.ndarray]:
    """Slices of many distinct values (an image, not labels) that differ from their own flips and transposes."""
    rng = np.random.default_rng(seed)
    return [rng.integers(-1000, 3000, size=(ROWS, COLUMNS)).astype(np.int16) for _ in range(count)]


def _write(folder, orientation_name: str, slices=None, **options):
    orientation, position, step, _ = SERIES[orientation_name]
    slices = _pixels() if slices is None else slices
    write_series(
        folder,
        slices,
        first_position=position,
        step=step,
        orientation=orientation,
        pixel_spacing=options.pop("pixel_spacing", PIXEL_SPACING),
        **options,
    )
    return slices


def _as_nifti_grid(slices: list[np.ndarray]) -> np.ndarray:
    """Voxel [i, j, k] = column i, row j of slice k."""
    return np.stack(slices, axis=-1).transpose(1, 0, 2)


def _assert_same_volume(from_dicom, from_nifti):
    np.testing.assert_array_equal(from_dicom.data, from_nifti.data)
    assert from_dicom.data.dtype == from_nifti.data.dtype
    assert from_dicom.is_labels == from_nifti.is_labels
    assert from_dicom.scale == pytest.approx(from_nifti.scale, abs=1e-5)
    assert from_dicom.translate == pytest.approx(from_nifti.translate, abs=1e-4)
    assert from_dicom.oblique == from_nifti.oblique
    dicom_geometry, nifti_geometry = from_dicom.geometry, from_nifti.geometry
    np.testing.assert_allclose(dicom_geometry.affine, nifti_geometry.affine, atol=1e-5)
    np.testing.assert_array_equal(dicom_geometry.file_ornt, nifti_geometry.file_ornt)
    assert dicom_geometry.file_shape == nifti_geometry.file_shape
    assert dicom_geometry.squeezed_axis == nifti_geometry.squeezed_axis
    assert dicom_geometry.display_shape == nifti_geometry.display_shape == from_dicom.data.shape


@pytest.mark.parametrize("orientation_name", sorted(SERIES))
def test_series_matches_the_same_grid_saved_as_nifti(tmp_path, orientation_name):
    slices = _write(tmp_path / "series", orientation_name, description="Chest CT")
    expected_affine = SERIES[orientation_name][3]
    nifti = write_nifti(tmp_path / "reference.nii.gz", _as_nifti_grid(slices), expected_affine)

    volume = read_dicom_series(tmp_path / "series")

    _assert_same_volume(volume, read_nifti(nifti))
    np.testing.assert_allclose(volume.geometry.affine, expected_affine, atol=1e-9)
    assert volume.name == "Chest CT"
    assert not volume.is_labels and volume.data.dtype == np.int16


def test_axial_series_is_shown_from_the_feet_with_anterior_up(tmp_path):
    """Independent of NIfTI: display voxel [0, 0, 0] is the most superior, anterior, right pixel."""
    slices = _write(tmp_path / "series", "axial")
    volume = read_dicom_series(tmp_path / "series")
    assert volume.data.shape == (SLICES, ROWS, COLUMNS)
    # the last slice is the most superior; row 0 is the most anterior; column 0 the most right (smallest LPS x)
    assert volume.data[0, 0, 0] == slices[-1][0, 0]
    np.testing.assert_array_equal(volume.data[0], slices[-1])
    # slice gap, row spacing, column spacing in display order; world = (-z, -y, -x) of RAS = (-z, y, x) of LPS
    assert volume.scale == pytest.approx((2.5, 0.7, 0.5))
    assert volume.translate == pytest.approx((-(-40.0 + 3 * 2.5), -80.0, -100.0))


def test_oblique_series_matches_nifti_and_warns(tmp_path):
    angle = np.deg2rad(10.0)
    row_direction = (np.cos(angle), np.sin(angle), 0.0)
    column_direction = (-np.sin(angle), np.cos(angle), 0.0)
    slices = _pixels()
    write_series(
        tmp_path / "series",
        slices,
        first_position=(-100.0, -80.0, -40.0),
        step=(0.0, 0.0, 2.5),
        orientation=(*row_direction, *column_direction),
        pixel_spacing=PIXEL_SPACING,
    )
    linear = np.column_stack(
        [
            np.multiply(row_direction, PIXEL_SPACING[1]),
            np.multiply(column_direction, PIXEL_SPACING[0]),
            (0.0, 0.0, 2.5),
        ]
    )
    linear[:2] *= -1  # LPS -> RAS
    nifti = write_nifti(tmp_path / "reference.nii", _as_nifti_grid(slices), affine(linear, (100.0, 80.0, -40.0)))
    with pytest.warns(ObliqueAffineWarning):
        volume = read_dicom_series(tmp_path / "series")
    with pytest.warns(ObliqueAffineWarning):
        reference = read_nifti(nifti)
    _assert_same_volume(volume, reference)


def test_labels_drawn_on_a_series_are_written_as_nifti_in_its_place(tmp_path):
    _write(tmp_path / "series", "coronal")
    volume = read_dicom_series(tmp_path / "series")
    labels = np.zeros(volume.data.shape, np.uint8)
    labels[0, 1, 2] = 3
    out = write_nifti_labels(tmp_path / "drawn_seg.nii.gz", labels, volume.geometry)
    back = read_nifti(out)
    np.testing.assert_array_equal(back.data, labels)
    assert back.scale == pytest.approx(volume.scale) and back.translate == pytest.approx(volume.translate)
    np.testing.assert_allclose(back.geometry.affine, SERIES["coronal"][3], atol=1e-5)


def test_files_shuffled_on_disk_still_sort_by_position(tmp_path):
    names_in_slice_order = ["b7", "a1.dcm", "z_last.DCM", "0003"]
    ordered = _write(tmp_path / "ordered", "coronal")
    _write(tmp_path / "shuffled", "coronal", slices=ordered, names=names_in_slice_order)
    shuffled, reference = read_dicom_series(tmp_path / "shuffled"), read_dicom_series(tmp_path / "ordered")
    np.testing.assert_array_equal(shuffled.data, reference.data)
    assert shuffled.scale == reference.scale and shuffled.translate == reference.translate
    np.testing.assert_array_equal(shuffled.geometry.affine, reference.geometry.affine)


def test_non_dicom_files_reports_and_dicomdir_are_skipped(tmp_path):
    folder = tmp_path / "export"
    slices = _write(folder, "axial")
    (folder / "notes.txt").write_text("scanned on Tuesday")
    (folder / ".DS_Store").write_bytes(b"\0" * 300)
    write_report(folder / "report.dcm")
    write_dicomdir_stand_in(folder / "DICOMDIR")
    volume = read_dicom_series(folder)
    assert volume.data.shape == (SLICES, ROWS, COLUMNS)
    np.testing.assert_array_equal(volume.data[0], slices[-1])
    assert volume.name == "export"  # no SeriesDescription: the folder names the volume


def test_rescale_slope_and_intercept_give_float32_when_fractional(tmp_path):
    stored = [p.astype(np.uint16) + 1000 for p in _pixels()]
    _write(tmp_path / "series", "axial", slices=stored, slope=0.5, intercept=-1024.0)
    volume = read_dicom_series(tmp_path / "series")
    assert volume.data.dtype == np.float32
    np.testing.assert_allclose(volume.data[0], stored[-1] * 0.5 - 1024.0)


def test_whole_number_rescale_gives_a_signed_integer_volume(tmp_path):
    stored = [p.astype(np.uint16) + 1000 for p in _pixels()]  # unsigned, as CT scanners often store it
    _write(tmp_path / "series", "axial", slices=stored, slope=1.0, intercept=-1024.0)
    volume = read_dicom_series(tmp_path / "series")
    assert volume.data.dtype == np.int16
    np.testing.assert_array_equal(volume.data[0], stored[-1].astype(np.int32) - 1024)
    assert volume.data.min() < 0


def test_single_slice_is_a_2d_volume_like_a_one_slice_nifti(tmp_path):
    [pixels] = _write(tmp_path / "series", "axial", slices=_pixels(count=1))
    volume = read_dicom_series(tmp_path / "series")
    assert volume.data.shape == (ROWS, COLUMNS)
    np.testing.assert_array_equal(volume.data, pixels)
    # the one slice's thickness (SliceThickness = 1 mm in dicom_cases) is the third voxel axis
    reference_affine = affine(np.diag([-0.5, -0.7, 1.0]), (100.0, 80.0, -40.0))
    nifti = write_nifti(tmp_path / "reference.nii", _as_nifti_grid([pixels]), reference_affine)
    _assert_same_volume(volume, read_nifti(nifti))
    assert volume.geometry.display_axis_names == ("posterior", "left")


# --- refusals: one sentence each -----------------------------------------------------------------------------


def _assert_refused(folder, *fragments: str):
    with pytest.raises(ImageReadError) as caught:
        read_dicom_series(folder)
    message = str(caught.value)
    assert "\n" not in message and message.endswith(".")
    for fragment in fragments:
        assert fragment in message, message


def test_without_pydicom_the_message_names_the_extra(tmp_path, monkeypatch):
    _write(tmp_path / "series", "axial")
    monkeypatch.setitem(sys.modules, "pydicom", None)
    _assert_refused(tmp_path / "series", "needs pydicom", "napari-segreview[dicom]")


def test_folder_without_dicom_files(tmp_path):
    (tmp_path / "notes.txt").write_text("nothing here")
    write_report(tmp_path / "report.dcm")
    _assert_refused(tmp_path, f"{tmp_path.name} holds no DICOM image files")


def test_two_series_in_one_folder(tmp_path):
    _write(tmp_path / "mixed", "axial")
    _write(tmp_path / "mixed", "axial", names=[f"second{k}" for k in range(SLICES)])
    _assert_refused(tmp_path / "mixed", "mixed holds 2 DICOM series", "a folder of its own")


def test_mixed_orientation(tmp_path):
    uid = "1.2.826.0.1.3680043.8.498.77"
    _write(tmp_path / "series", "axial", series_uid=uid)
    save(
        ct_slice(
            _pixels(count=1)[0],
            position=(0.0, 0.0, 100.0),
            orientation=SERIES["coronal"][0],
            pixel_spacing=PIXEL_SPACING,
            series_uid=uid,
        ),
        tmp_path / "series" / "odd",
    )
    _assert_refused(tmp_path / "series", "mixes slice orientations")


def test_mixed_pixel_spacing(tmp_path):
    uid = "1.2.826.0.1.3680043.8.498.78"
    _write(tmp_path / "series", "axial", series_uid=uid)
    save(
        ct_slice(
            _pixels(count=1)[0],
            position=(-100.0, -80.0, -40.0 + SLICES * 2.5),
            orientation=SERIES["axial"][0],
            pixel_spacing=(0.7, 0.7),
            series_uid=uid,
        ),
        tmp_path / "series" / "odd",
    )
    _assert_refused(tmp_path / "series", "mixes pixel spacings")


def test_mixed_rows_and_columns(tmp_path):
    uid = "1.2.826.0.1.3680043.8.498.79"
    _write(tmp_path / "series", "axial", series_uid=uid)
    save(
        ct_slice(
            np.zeros((ROWS + 1, COLUMNS), np.int16),
            position=(-100.0, -80.0, -40.0 + SLICES * 2.5),
            orientation=SERIES["axial"][0],
            pixel_spacing=PIXEL_SPACING,
            series_uid=uid,
        ),
        tmp_path / "series" / "odd",
    )
    _assert_refused(tmp_path / "series", f"mixes slices of {ROWS}x{COLUMNS} and {ROWS + 1}x{COLUMNS} pixels")


def test_duplicated_slice_positions(tmp_path):
    uid = "1.2.826.0.1.3680043.8.498.80"
    _write(tmp_path / "series", "axial", series_uid=uid)
    _write(tmp_path / "series", "axial", series_uid=uid, names=[f"again{k}" for k in range(SLICES)])
    _assert_refused(tmp_path / "series", f"has {2 * SLICES} slices at duplicated positions")


def test_a_missing_slice_makes_the_gaps_uneven(tmp_path):
    _write(tmp_path / "series", "axial")
    (tmp_path / "series" / "IM0001").unlink()
    _assert_refused(tmp_path / "series", "unevenly spaced slices", "from 2.5 to 5 mm")


def test_gaps_within_one_percent_are_accepted(tmp_path):
    uid = "1.2.826.0.1.3680043.8.498.83"
    _write(tmp_path / "series", "axial", slices=_pixels(count=2), series_uid=uid)
    save(
        ct_slice(
            _pixels(count=1)[0],
            position=(-100.0, -80.0, -40.0 + 2 * 2.5 + 0.02),  # 0.8% longer gap, i.e. DS rounding on a scanner
            orientation=SERIES["axial"][0],
            pixel_spacing=PIXEL_SPACING,
            series_uid=uid,
        ),
        tmp_path / "series" / "IM0002",
    )
    assert read_dicom_series(tmp_path / "series").data.shape == (3, ROWS, COLUMNS)


def test_compressed_pixels_pydicom_cannot_decode(tmp_path):
    pixels_module = pytest.importorskip("pydicom.pixels", reason="decoder lookup needs pydicom 3")
    if pixels_module.get_decoder(JPEGLSLossless).is_available:
        pytest.skip("a JPEG-LS decoder is installed here")
    dataset = ct_slice(
        _pixels(count=1)[0],
        position=(0.0, 0.0, 0.0),
        orientation=SERIES["axial"][0],
        pixel_spacing=PIXEL_SPACING,
        series_uid="1.2.826.0.1.3680043.8.498.81",
    )
    dataset.file_meta.TransferSyntaxUID = JPEGLSLossless
    dataset.PixelData = encapsulate([b"\xff\xd8\xff\xf7" + b"\0" * 60])  # a JPEG-LS stream in name only
    dataset["PixelData"].VR = "OB"
    (tmp_path / "series").mkdir()
    save(dataset, tmp_path / "series" / "IM0000")
    _assert_refused(tmp_path / "series", "IM0000 is compressed as JPEG-LS Lossless Image Compression", "cannot decode")


def test_truncated_pixel_data_names_the_file(tmp_path):
    _write(tmp_path / "series", "axial")
    damaged = tmp_path / "series" / "IM0002"
    damaged.write_bytes(damaged.read_bytes()[:-10])
    _assert_refused(tmp_path / "series", "Cannot read the pixels of IM0002")


@pytest.mark.parametrize("kept_bytes", [300, 600])
def test_a_slice_cut_short_in_its_header_is_refused_not_skipped(tmp_path, kept_bytes):
    """Cut before Rows/Columns, the file reads as a header without an image; skipping it would lose a slice."""
    _write(tmp_path / "series", "axial")
    damaged = tmp_path / "series" / "IM0001"
    damaged.write_bytes(damaged.read_bytes()[:kept_bytes])
    _assert_refused(tmp_path / "series", "IM0001 is an image of this series' kind but holds no size")


def test_multi_frame_file_is_refused(tmp_path):
    dataset = ct_slice(
        _pixels(count=1)[0],
        position=(0.0, 0.0, 0.0),
        orientation=SERIES["axial"][0],
        pixel_spacing=PIXEL_SPACING,
        series_uid="1.2.826.0.1.3680043.8.498.82",
    )
    dataset.NumberOfFrames = 2
    dataset.PixelData = np.stack(_pixels(count=2)).tobytes()
    (tmp_path / "series").mkdir()
    save(dataset, tmp_path / "series" / "enhanced.dcm")
    _assert_refused(tmp_path / "series", "enhanced.dcm is a multi-frame DICOM file")


# --- the cheap folder check the napari reader uses ------------------------------------------------------------


def test_folder_check_reads_only_the_marker(tmp_path):
    _write(tmp_path / "series", "axial")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "scan.nii.gz").write_bytes(b"\0" * 200)
    (tmp_path / "only_dicomdir").mkdir()
    write_dicomdir_stand_in(tmp_path / "only_dicomdir" / "DICOMDIR")
    assert looks_like_dicom_folder(tmp_path / "series")
    assert not looks_like_dicom_folder(tmp_path / "other")
    assert not looks_like_dicom_folder(tmp_path / "only_dicomdir")
    assert not looks_like_dicom_folder(tmp_path / "series" / "IM0000")  # a file, not a folder
