"""The 2D nuclei sample: stardist's Data Science Bowl image and mask shipped unchanged, and a watershed
prediction that really misses and merges nuclei, scored by stardist's own matching."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from napari_segreview.plugin.instance_maps import INSTANCE_MAP_KEY
from napari_segreview.plugin.sample_data import NUCLEI_NAMES, sample_path
from napari_segreview.review.session import GT_NAME, PRED_NAME, ReviewSession

PLUGIN = "napari-segreview"
ROOT = Path(__file__).resolve().parents[2]
STARDIST = importlib.util.find_spec("stardist")
needs_stardist = pytest.mark.skipif(STARDIST is None, reason="stardist (a test dependency) provides the source images")


def shipped() -> dict[str, np.ndarray]:
    with np.load(sample_path("nuclei.npz", "nuclei")) as arrays:
        return {key: arrays[key] for key in arrays.files}


def make_script():
    spec = importlib.util.spec_from_file_location("make_nuclei_sample", ROOT / "scripts" / "make_nuclei_sample.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def source(name: str) -> np.ndarray:
    return tifffile.imread(Path(STARDIST.origin).parent / "data" / "images" / name)


@needs_stardist
def test_shipped_image_and_ground_truth_are_stardists_unchanged():
    arrays = shipped()
    np.testing.assert_array_equal(arrays["image"], source("img2d.tif"))
    mask = source("mask2d.tif")
    gt = arrays["ground_truth"]
    assert gt.max() == 125 and len(np.unique(gt)) == 126
    # the same objects: each renumbered id covers exactly the pixels of one original id, in the original order
    originals = np.unique(mask[mask > 0])
    for new_id, old_id in enumerate(originals, start=1):
        assert np.array_equal(gt == new_id, mask == old_id)


@needs_stardist
def test_shipped_prediction_is_what_the_documented_pipeline_makes():
    arrays = shipped()
    np.testing.assert_array_equal(make_script().watershed_nuclei(arrays["image"]), arrays["prediction"])


@needs_stardist
def test_prediction_really_misses_and_merges_nuclei():
    from stardist.matching import matching

    arrays = shipped()
    gt, pred = arrays["ground_truth"].astype(np.int32), arrays["prediction"].astype(np.int32)
    scores = matching(gt, pred, thresh=0.5)
    assert 10 <= scores.fn <= 60 and scores.fp >= 5 and scores.tp >= 60  # a real baseline, neither perfect nor useless
    # merges: a predicted object holding most of two or more true nuclei
    pairs = np.zeros((gt.max() + 1, pred.max() + 1), np.int64)
    np.add.at(pairs, (gt.ravel(), pred.ravel()), 1)
    share_of_gt = pairs[1:, 1:] / pairs[1:].sum(axis=1, keepdims=True)
    assert ((share_of_gt > 0.5).sum(axis=0) >= 2).sum() >= 3
    # and nuclei it does not find at all (the dimmest, below the Otsu threshold)
    assert (pairs[1:, 1:].sum(axis=1) == 0).sum() >= 1


def test_nuclei_sample_opens_with_names_the_review_pairs(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "nuclei")
    image, gt, pred = viewer.layers
    assert [layer.name for layer in viewer.layers] == list(NUCLEI_NAMES)
    assert image._type_string == "image" and gt._type_string == pred._type_string == "labels"
    assert image.data.shape == gt.data.shape == pred.data.shape == (512, 512)
    assert gt.metadata[INSTANCE_MAP_KEY] and pred.metadata[INSTANCE_MAP_KEY]
    assert GT_NAME.search(gt.name) and not PRED_NAME.search(gt.name) and PRED_NAME.search(pred.name)
    session = ReviewSession(lambda layer: layer._type_string == "labels")
    session.set_layers(list(viewer.layers))
    assert session.gt is gt and session.pred is pred
