"""The picture-mask rule (SPEC): a mask with one foreground value, 1, 255 or 65535, is label 1 on either side and
in every format; masks with more values keep them; lossy (JPEG) masks are refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile
from skimage.io import imsave

from napari_segreview.cli import main
from napari_segreview.io import ImageReadError, read_volume
from napari_segreview.io.masks import load_mask_pair
from napari_segreview.metrics import volume_metrics
from tests.nifti_cases import AFFINES, write_nifti

LESION = np.zeros((24, 30), np.uint8)
LESION[5:15, 8:20] = 1


def _write(path, data):
    """``data`` stored as the file type of ``path``, values untouched."""
    name = path.name.lower()
    if name.endswith(".npy"):
        np.save(path, data)
    elif name.endswith((".tif", ".tiff")):
        tifffile.imwrite(path, data)
    elif name.endswith((".nii", ".nii.gz")):
        write_nifti(path, data, AFFINES["RAS"])
    else:
        imsave(path, data, check_contrast=False)
    return path


def _rows(capsys, *argv) -> list[dict]:
    assert main(["evaluate", *map(str, argv), "--out", str(argv[0].parent / "report.json")]) == 0, capsys.readouterr()
    return json.loads((argv[0].parent / "report.json").read_text())["rows"]


@pytest.mark.parametrize(
    "gt_name, gt_value, pred_name, pred_value",
    [
        ("gt.png", 255, "pred.png", 1),
        ("gt.png", 255, "pred.npy", 1),
        ("gt.png", 1, "pred.png", 255),  # the prediction side too
        ("gt.npy", 1, "pred.png", 255),
        ("gt.tif", 65535, "pred.png", 1),  # 16-bit masks
        ("gt.png", 65535, "pred.tif", 255),
        ("gt.npy", 255, "pred.npy", 1),  # whatever the format
    ],
)
def test_one_foreground_value_is_label_1_on_either_side(tmp_path, capsys, gt_name, gt_value, pred_name, pred_value):
    gt = _write(tmp_path / gt_name, LESION.astype(np.uint16 if gt_value > 255 else np.uint8) * gt_value)
    pred = _write(tmp_path / pred_name, LESION.astype(np.uint16 if pred_value > 255 else np.uint8) * pred_value)
    rows = _rows(capsys, gt, pred)
    assert [(row["label"], row["dice"], row["gt_voxels"]) for row in rows] == [(1, 1.0, int(LESION.sum()))]


def test_nifti_masks_follow_the_same_rule(tmp_path):
    volume = np.zeros((6, 7, 8), np.uint8)
    volume[1:4, 2:5, 3:6] = 1
    write_nifti(tmp_path / "gt.nii.gz", volume * 255, AFFINES["RAS"])
    write_nifti(tmp_path / "pred.nii.gz", volume, AFFINES["RAS"])
    pair = load_mask_pair(tmp_path / "gt.nii.gz", tmp_path / "pred.nii.gz")
    assert set(np.unique(pair.gt).tolist()) == {0, 1}
    assert volume_metrics(pair.gt, pair.pred)[1]["dice"] == 1.0


@pytest.mark.parametrize("name", ["classes.png", "classes.npy", "classes.tif"])
def test_masks_with_more_values_keep_them(tmp_path, name):
    classes = LESION.copy()
    classes[16:20, 3:9] = 2
    _write(tmp_path / name, classes)
    shifted = classes.copy()
    shifted[shifted == 2] = 0
    _write(tmp_path / "pred.npy", shifted)
    pair = load_mask_pair(tmp_path / name, tmp_path / "pred.npy")
    np.testing.assert_array_equal(pair.gt, classes)
    assert set(volume_metrics(pair.gt, pair.pred)) == {1, 2}


@pytest.mark.parametrize("other_side", ["gt", "pred"])
def test_a_mask_whose_other_values_include_255_keeps_them_and_so_does_its_pair(tmp_path, other_side):
    """0/128/255 is two classes: kept; the 0/255 file beside it keeps 255 too, since 255 is a label of the pair."""
    two = LESION * 255
    two[16:20, 3:9] = 128
    one = _write(tmp_path / "one.png", LESION * 255)
    two = _write(tmp_path / "two.npy", two)
    pair = load_mask_pair(two, one) if other_side == "gt" else load_mask_pair(one, two)
    multi, single = (pair.gt, pair.pred) if other_side == "gt" else (pair.pred, pair.gt)
    assert set(np.unique(multi).tolist()) == {0, 128, 255}
    assert set(np.unique(single).tolist()) == {0, 255}
    assert volume_metrics(pair.gt, pair.pred)[255]["dice"] == 1.0


def test_a_one_class_value_absent_from_the_other_file_is_label_1(tmp_path):
    classes = LESION.copy()
    classes[16:20, 3:9] = 2
    _write(tmp_path / "gt.npy", classes)
    _write(tmp_path / "pred.png", LESION * 255)
    pair = load_mask_pair(tmp_path / "gt.npy", tmp_path / "pred.png")
    rows = volume_metrics(pair.gt, pair.pred)
    assert rows[1]["dice"] == 1.0 and rows[2]["status"] == "pred_empty"


def test_other_single_values_are_not_mapped(tmp_path):
    _write(tmp_path / "gt.png", LESION * 7)
    _write(tmp_path / "pred.png", LESION * 7)
    pair = load_mask_pair(tmp_path / "gt.png", tmp_path / "pred.png")
    assert set(np.unique(pair.gt).tolist()) == {0, 7}


def test_folders_of_0_255_gt_pictures_against_0_1_predictions(tmp_path, capsys):
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    for index in range(3):
        mask = np.roll(LESION, index, axis=1)
        _write(tmp_path / "gt" / f"ISIC_{index}.png", mask * 255)
        _write(tmp_path / "pred" / f"ISIC_{index}.png" if index else tmp_path / "pred" / "ISIC_0.npy", mask)
    out = tmp_path / "dataset.json"
    assert main(["evaluate", str(tmp_path / "gt"), str(tmp_path / "pred"), "--out", str(out)]) == 0, capsys.readouterr()
    rows = json.loads(out.read_text())["rows"]
    assert [(row["case"], row["label"], row["dice"]) for row in rows] == [
        (f"ISIC_{index}.png", 1, 1.0) for index in range(3)
    ]


def test_a_predicted_png_scores_against_a_0_1_ground_truth(tmp_path, capsys):
    """`segreview predict --out x.png` writes a one-class model's mask as 0/255; evaluate reads it as label 1."""
    from napari_segreview.io import write_label_picture

    predicted = write_label_picture(tmp_path / "x.png", LESION, binary=True)
    assert set(np.unique(read_volume(predicted).data).tolist()) == {0, 1}
    gt = _write(tmp_path / "gt.png", LESION)
    rows = _rows(capsys, gt, predicted)
    assert [(row["label"], row["dice"]) for row in rows] == [(1, 1.0)]


def test_the_predict_command_output_scores_against_a_0_1_ground_truth(tmp_path, capsys):
    from napari_segreview.model import load_model, predict
    from tests.model.models import save_random_checkpoint, smooth_image

    model = save_random_checkpoint(tmp_path / "lesions.pt", in_channels=3, classes=1)[0]
    picture = smooth_image((40, 48), channels=3).clip(0, 255).astype(np.uint8)
    imsave(tmp_path / "ISIC_1.png", picture, check_contrast=False)
    out = tmp_path / "ISIC_1_pred.png"
    assert main(["predict", str(tmp_path / "ISIC_1.png"), "--model", str(model), "--out", str(out)]) == 0
    expected = predict(load_model(model), picture, rgb=True).labels.astype(np.uint8)
    assert 0 < expected.mean() < 1, "a prediction of one value would not test the mapping"
    gt = _write(tmp_path / "ISIC_1_gt.npy", expected)
    rows = _rows(capsys, gt, out)
    assert [(row["label"], row["dice"]) for row in rows] == [(1, 1.0)]


@pytest.mark.parametrize("side", ["gt", "pred"])
@pytest.mark.parametrize("suffix", [".jpg", ".jpeg", ".JPG"])
def test_a_jpeg_mask_is_refused_in_one_sentence(tmp_path, capsys, side, suffix):
    jpeg = tmp_path / f"{side}{suffix}"
    imsave(jpeg, LESION * 255, check_contrast=False)
    other = _write(tmp_path / ("pred.png" if side == "gt" else "gt.png"), LESION * 255)
    argv = [jpeg, other] if side == "gt" else [other, jpeg]
    assert main(["evaluate", *map(str, argv)]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "Traceback" not in error
    assert jpeg.name in error and "lossy" in error


def test_a_jpeg_named_png_is_refused_too(tmp_path):
    imsave(tmp_path / "real.jpg", LESION * 255, check_contrast=False)
    disguised = tmp_path / "mask.png"
    disguised.write_bytes((tmp_path / "real.jpg").read_bytes())
    _write(tmp_path / "pred.png", LESION)
    with pytest.raises(ImageReadError, match=r"^mask\.png is stored as JPEG, a lossy format"):
        load_mask_pair(disguised, tmp_path / "pred.png")


def test_a_jpeg_compressed_tiff_mask_is_refused(tmp_path):
    # imagecodecs (which would encode JPEG) is not installed: the Compression tag is set to JPEG (7) by hand
    tifffile.imwrite(tmp_path / "mask.tif", LESION * 255)
    with tifffile.TiffFile(tmp_path / "mask.tif", mode="r+b") as tiff:
        tiff.pages[0].tags["Compression"].overwrite(7)
    _write(tmp_path / "pred.png", LESION)
    with pytest.raises(ImageReadError, match=r"^mask\.tif is stored as a TIFF with JPEG compression, a lossy format"):
        load_mask_pair(tmp_path / "mask.tif", tmp_path / "pred.png")


def test_a_dataset_folder_with_a_jpeg_mask_gives_an_error_row(tmp_path, capsys):
    (tmp_path / "gt").mkdir()
    (tmp_path / "pred").mkdir()
    _write(tmp_path / "gt" / "a.png", LESION * 255)
    _write(tmp_path / "pred" / "a.png", LESION)
    imsave(tmp_path / "gt" / "b.jpg", LESION * 255, check_contrast=False)
    _write(tmp_path / "pred" / "b.png", LESION)
    out = tmp_path / "dataset.json"
    assert main(["evaluate", str(tmp_path / "gt"), str(tmp_path / "pred"), "--out", str(out)]) == 1
    rows = {row["case"]: row for row in json.loads(out.read_text())["rows"]}
    assert rows["a.png"]["dice"] == 1.0
    assert rows["b.jpg"]["status"] == "error" and "lossy" in rows["b.jpg"]["message"]


def test_a_jpeg_photo_still_reads_as_an_image(tmp_path):
    photo = np.random.default_rng(3).integers(0, 256, (20, 24, 3), dtype=np.uint8)
    imsave(tmp_path / "ISIC_2.jpg", photo, check_contrast=False)
    volume = read_volume(tmp_path / "ISIC_2.jpg")
    assert not volume.is_labels and volume.data.shape == (20, 24, 3)
