"""The 3D lesion sample: synthetic lesions inside the MNI white matter, and a prediction that misses the smallest
and adds false positives; the same on every load."""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from napari_segreview.plugin.instance_maps import INSTANCE_MAP_KEY
from napari_segreview.plugin.lesion_sample import LESION_RADII, MISSED_BELOW_RADIUS, make_lesion_sample
from napari_segreview.plugin.sample_data import LESION_NAMES, _mni_volumes
from napari_segreview.review.session import ReviewSession

PLUGIN = "napari-segreview"
FULL = np.ones((3, 3, 3), bool)


def components(mask):
    labelled, n = ndimage.label(mask, structure=FULL)
    return labelled, n


def test_lesions_lie_in_white_matter_and_the_prediction_misses_the_smallest():
    t1, tissue, _ = _mni_volumes()
    sample = make_lesion_sample(t1.data, tissue.data)
    gt, n_gt = components(sample.ground_truth)
    assert n_gt == len(LESION_RADII)
    assert np.all(tissue.data[sample.ground_truth > 0] == 2)
    sizes = np.bincount(gt.ravel())[1:]
    found = np.array([np.any(sample.prediction[gt == i]) for i in range(1, n_gt + 1)])
    n_small = sum(r < MISSED_BELOW_RADIUS for r in LESION_RADII)
    assert n_small >= 2 and (~found).sum() == n_small
    # the missed ones are the smallest lesions
    assert sizes[~found].max() < sizes[found].min()
    # each found lesion is found well: IoU with the predicted components it touches at least 0.5
    pred, n_pred = components(sample.prediction)
    for i in np.flatnonzero(found) + 1:
        hit = pred[gt == i]
        touching = np.isin(pred, np.unique(hit[hit > 0]))
        assert np.sum((gt == i) & touching) / np.sum((gt == i) | touching) >= 0.5
    # false positives: predicted components touching no true lesion
    false = [i for i in range(1, n_pred + 1) if not np.any(sample.ground_truth[pred == i])]
    assert len(false) >= 3
    # lesions are darker than the white matter around them
    around = ndimage.binary_dilation(sample.ground_truth > 0, iterations=3) & (sample.ground_truth == 0)
    around &= tissue.data == 2
    assert sample.image[sample.ground_truth > 0].mean() < 0.8 * sample.image[around].mean()
    # the image is the T1 away from the lesions
    far = ~ndimage.binary_dilation(sample.ground_truth > 0, iterations=3)
    np.testing.assert_array_equal(sample.image[far], t1.data[far])


def test_the_lesion_sample_is_the_same_on_every_load():
    t1, tissue, _ = _mni_volumes()
    a, b = make_lesion_sample(t1.data, tissue.data), make_lesion_sample(t1.data, tissue.data)
    np.testing.assert_array_equal(a.ground_truth, b.ground_truth)
    np.testing.assert_array_equal(a.prediction, b.prediction)
    assert not np.array_equal(a.ground_truth, make_lesion_sample(t1.data, tissue.data, seed=15).ground_truth)


def test_lesion_sample_opens_on_the_mni_grid_with_names_the_review_pairs(make_napari_viewer):
    viewer = make_napari_viewer()
    viewer.open_sample(PLUGIN, "mni152_lesions")
    image, gt, pred = viewer.layers
    assert [layer.name for layer in viewer.layers] == list(LESION_NAMES)
    assert image.data.shape == gt.data.shape == pred.data.shape == (189, 233, 197)
    assert tuple(gt.scale) == tuple(image.scale) == (1.0, 1.0, 1.0)
    np.testing.assert_allclose(gt.translate, image.translate)
    assert gt.metadata["class_names"] == {1: "lesion"} and gt.metadata[INSTANCE_MAP_KEY] is False
    assert "nifti_geometry" in gt.metadata
    session = ReviewSession(lambda layer: layer._type_string == "labels")
    session.set_layers(list(viewer.layers))
    assert session.gt is gt and session.pred is pred
