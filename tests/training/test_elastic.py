"""Elastic deformation: labels stay labels, alpha 0 changes nothing, image and mask move with one field."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_segreview.training.augment import ElasticOptions, augment, elastic_deform


def _generator(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _blobs(shape=(2, 32, 40), labels=(0, 1, 2, 5), seed=0) -> tuple[torch.Tensor, torch.Tensor]:
    rng = np.random.default_rng(seed)
    label_map = rng.choice(np.array(labels), size=shape)
    image = rng.normal(size=(shape[0], 2, *shape[1:])).astype(np.float32)
    return torch.from_numpy(image), torch.from_numpy(label_map.astype(np.int64))


def test_labels_stay_in_the_label_set_and_integers():
    image, labels = _blobs()
    warped_image, warped_labels = elastic_deform(image[0], labels[0], _generator(), alpha=300.0, sigma=4.0)
    assert warped_labels.dtype == torch.int64 and warped_image.dtype == torch.float32
    assert set(torch.unique(warped_labels).tolist()) <= {0, 1, 2, 5}
    assert not torch.equal(warped_labels, labels[0])  # it did move something


def test_alpha_zero_is_the_identity():
    image, labels = _blobs()
    warped_image, warped_labels = elastic_deform(image[0], labels[0], _generator(), alpha=0.0, sigma=4.0)
    assert torch.equal(warped_image, image[0]) and torch.equal(warped_labels, labels[0])


def test_image_and_mask_follow_the_same_field():
    """On a column ramp, linear interpolation returns the source column and nearest its rounding: they agree
    within half a pixel only if both used the same displacement."""
    rows, cols = 24, 30
    ramp = torch.arange(cols, dtype=torch.float32).expand(rows, cols)
    warped_image, warped_labels = elastic_deform(ramp[None].clone(), ramp.long(), _generator(3), alpha=200.0, sigma=3.0)
    assert float((warped_image[0] - warped_labels.float()).abs().max()) <= 0.5 + 1e-4
    assert float((warped_image[0] - ramp).abs().max()) > 1  # the field moved pixels by more than one column


def test_a_larger_sigma_gives_a_smoother_field():
    rows, cols = 48, 48
    ramp = torch.arange(cols, dtype=torch.float32).expand(rows, cols)[None].clone()
    labels = torch.zeros(rows, cols, dtype=torch.long)

    def roughness(sigma: float) -> float:
        warped, _ = elastic_deform(ramp, labels, _generator(1), alpha=100.0 * sigma, sigma=sigma)
        displacement = (warped[0] - ramp[0]).numpy()
        return float(np.abs(np.diff(displacement, 2, axis=0)).mean() / (np.abs(displacement).mean() + 1e-9))

    assert roughness(6.0) < roughness(1.5)


def test_probability_zero_changes_nothing_and_draws_nothing_extra():
    images, labels = _blobs()
    plain = augment(images, labels, _generator())
    never = augment(images, labels, _generator(), elastic=ElasticOptions(probability=0.0))
    assert all(torch.equal(a, b) for a, b in zip(plain, never, strict=True))


def test_probability_one_deforms_every_sample_keeping_shapes_and_labels():
    images, labels = _blobs(shape=(3, 32, 32))
    out_images, out_labels = augment(images, labels, _generator(), elastic=ElasticOptions(1.0, alpha=300.0, sigma=4.0))
    assert out_images.shape == images.shape and out_labels.shape == labels.shape
    assert out_images.dtype == torch.float32 and out_labels.dtype == torch.int64
    assert set(torch.unique(out_labels).tolist()) <= {0, 1, 2, 5}


@pytest.mark.parametrize(
    "fields, message",
    [
        ({"probability": 1.5}, "elastic probability must be from 0 to 1"),
        ({"probability": 0.5, "alpha": -1.0}, "elastic alpha must be 0 or more"),
        ({"probability": 0.5, "sigma": 0.0}, "elastic sigma must be positive"),
    ],
)
def test_bad_elastic_options_raise_one_sentence(fields, message):
    from napari_segreview.training import TrainingError

    with pytest.raises(TrainingError, match=message):
        ElasticOptions(**fields)
