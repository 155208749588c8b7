"""The worst slice (lowest Dice among slices that hold the label) and its thumbnail's pixels."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from napari_segreview.metrics import slice_metrics
from napari_segreview.report import thumbnail_png, worst_slice
from napari_segreview.report.thumbnails import GROUND_GREY, GT_CONTOUR, PRED_CONTOUR, THUMBNAIL_SIZE, slice_dice


def _colour(text: str) -> tuple[int, int, int]:
    return tuple(int(text.lstrip("#")[i : i + 2], 16) for i in (0, 2, 4))


def test_slice_dice_equals_slice_metrics():
    rng = np.random.default_rng(3)
    gt = (rng.random((9, 20, 20)) > 0.6).astype(np.uint8) * 2
    pred = np.roll(gt, 2, axis=2)
    pred[4] = 0  # label missed on slice 4
    gt[6] = 0  # nothing on slice 6 in the GT
    expected = {row["slice"]: row["dice"] for row in slice_metrics(gt, pred, axis=0, labels=[2]) if
                row["status"] != "both_empty"}  # fmt: skip
    ours = {s.index: s.dice for s in slice_dice(gt, pred, 2)}
    assert ours.keys() == expected.keys()
    for index, dice in expected.items():
        assert ours[index] == pytest.approx(dice)


def test_worst_slice_is_the_lowest_dice_among_slices_that_hold_the_label():
    gt = np.zeros((5, 10, 10), np.uint8)
    gt[1:4, 2:8, 2:8] = 1
    pred = gt.copy()
    pred[2, 2:8, 2:5] = 0  # half of slice 2 missed: Dice 2/3
    pred[3, 2:8, 2:8] = 0  # slice 3 missed: Dice 0
    worst = worst_slice(gt, pred, 1)
    assert (worst.index, worst.dice, worst.gt_voxels, worst.pred_voxels) == (3, 0.0, 36, 0)
    assert worst_slice(gt, pred, 7) is None  # a label in neither map


def _pixels(png: bytes) -> np.ndarray:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    return np.asarray(image.convert("RGB"))


def test_thumbnail_draws_contours_and_error_colours():
    gt = np.zeros((40, 40), np.uint8)
    gt[10:30, 10:30] = 1
    pred = np.zeros_like(gt)
    pred[10:30, 20:34] = 1  # the left half of the GT missed (FN), a strip beyond it added (FP)
    pixels = _pixels(thumbnail_png(gt, pred, 1))
    assert max(pixels.shape[:2]) == THUMBNAIL_SIZE
    colours = {tuple(c) for c in pixels.reshape(-1, 3)}
    assert _colour(GT_CONTOUR) in colours and _colour(PRED_CONTOUR) in colours
    # the label's box (rows 10-30, columns 10-34) grown by half its size on each side covers the whole slice
    scale = THUMBNAIL_SIZE / 40

    def at(row: float, col: float) -> np.ndarray:
        return pixels[int(row * scale), int(col * scale)].astype(int)

    yellow, magenta = np.array(_colour("#ffe600")), np.array(_colour("#ff1fd2"))
    grey = np.array([110, 110, 110])  # inside the GT without an image
    dark = np.array([GROUND_GREY] * 3)
    assert np.abs(at(20, 14) - (grey * 0.55 + yellow * 0.45)).max() <= 1  # FN, inside the GT
    assert np.abs(at(20, 32) - (dark * 0.55 + magenta * 0.45)).max() <= 1  # FP, outside the GT
    assert np.abs(at(2, 2) - dark).max() == 0  # background


def test_thumbnail_keeps_millimetres_square_and_shows_the_image():
    gt = np.zeros((30, 30), np.uint8)
    gt[5:25, 5:25] = 1
    image = np.tile(np.linspace(0, 1000, 30), (30, 1))  # brighter to the right
    pixels = _pixels(thumbnail_png(gt, gt, 1, image_slice=image, spacing=(2.0, 1.0)))
    height, width = pixels.shape[:2]
    assert height == THUMBNAIL_SIZE and width == pytest.approx(THUMBNAIL_SIZE / 2, abs=1)
    row = pixels[height // 2]
    assert int(row[-3].mean()) > int(row[2].mean()) + 100  # the image, not a flat grey


def test_colour_picture_is_kept():
    gt = np.zeros((20, 20), np.uint8)
    gt[5:15, 5:15] = 1
    picture = np.zeros((20, 20, 3), np.uint8)
    picture[..., 0] = 200  # red skin
    pixels = _pixels(thumbnail_png(gt, gt, 1, image_slice=picture))
    corner = pixels[1, 1].astype(int)
    assert corner[0] > 200 and corner[1] < 30 and corner[2] < 30


def test_a_few_stray_voxels_at_the_end_of_a_structure_are_not_its_worst_slice():
    gt = np.zeros((8, 20, 20), np.uint8)
    gt[1:6, 4:16, 4:16] = 1  # 144 voxels a slice
    pred = gt.copy()
    pred[6, 9:11, 9:11] = 1  # 4 stray voxels after the end (Dice 0, but 4 < 14.4)
    pred[3, 4:16, 4:10] = 0  # half of slice 3 missed (Dice 2/3): the worst slice that shows something
    assert worst_slice(gt, pred, 1).index == 3
    only_small = np.zeros_like(gt)
    only_small[2, 0, 0] = 1
    assert worst_slice(only_small, np.zeros_like(gt), 1).index == 2  # nothing larger: the small slices count


def test_both_contours_show_where_they_coincide():
    gt = np.zeros((30, 30), np.uint8)
    gt[8:22, 8:22] = 1
    pixels = _pixels(thumbnail_png(gt, gt.copy(), 1))
    colours = {tuple(c) for c in pixels.reshape(-1, 3)}
    assert _colour(GT_CONTOUR) in colours and _colour(PRED_CONTOUR) in colours
